import { expect } from '@open-wc/testing';
import { ratio, ratioInterval, slope, stats } from '../../bench/statistics.js';

/** `count` rounds spread evenly over [low, high], shuffled the same way each time. */
const rounds = (count: number, low: number, high: number): number[] =>
  Array.from({ length: count }, (_, i) => low + ((i * 37) % count) * ((high - low) / (count - 1)));

describe('bench statistics', () => {
  it('summarizes rounds by median, min and max', () => {
    expect(stats([5, 1, 3])).to.deep.equal({ median: 3, min: 1, max: 5 });
    expect(stats([4, 1, 3, 2])).to.deep.equal({ median: 2.5, min: 1, max: 4 });
    expect(() => stats([])).to.throw('no values');
  });

  it('has no ratio over a plain figure of zero', () => {
    expect(ratio(3, 2)).to.equal(1.5);
    expect(ratio(3, 0)).to.equal(null);
  });

  it('fits the slope of heap samples', () => {
    expect(
      slope([
        { x: 0, y: 10 },
        { x: 10, y: 30 },
        { x: 20, y: 50 },
      ]),
    ).to.equal(2);
  });

  it('gives a ratio interval of exactly 1 when both arms take the same constant time', () => {
    expect(ratioInterval([20, 20, 20], [20, 20, 20])).to.deep.equal([1, 1]);
  });

  it('brackets the ratio of medians, and stays clear of 1 when the arms do not overlap', () => {
    const kit = rounds(61, 100, 120);
    const plain = rounds(61, 50, 60);
    const [low, high] = ratioInterval(kit, plain)!;
    const measured = ratio(stats(kit).median, stats(plain).median)!;
    expect(low).to.be.below(measured);
    expect(high).to.be.above(measured);
    expect(low).to.be.above(1.8);
    expect(high).to.be.below(2.2);
  });

  it('narrows as rounds are added from the same spread', () => {
    const width = (count: number): number => {
      const [low, high] = ratioInterval(rounds(count, 10, 30), rounds(count, 10, 30))!;
      return high - low;
    };
    expect(width(201)).to.be.below(width(21) / 2);
  });

  it('gives the same interval for the same rounds, so a report can be reproduced', () => {
    const kit = rounds(31, 10, 30);
    const plain = rounds(31, 11, 29);
    expect(ratioInterval(kit, plain)).to.deep.equal(ratioInterval(kit, plain));
  });

  it('has no interval where a resampled plain median can be zero', () => {
    expect(ratioInterval([1, 2], [0, 0, 0])).to.equal(null);
  });
});
