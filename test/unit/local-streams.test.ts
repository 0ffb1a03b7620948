import { expect } from '@open-wc/testing';
import { LocalStreams, parseStreamNames } from '../../src/streams/local-streams.js';

describe('parseStreamNames', () => {
  it('splits on any whitespace, drops empties and duplicates, keeps order', () => {
    expect(parseStreamNames('  cam  screen\tcam ')).to.deep.equal(['cam', 'screen']);
    expect(parseStreamNames('')).to.deep.equal([]);
    expect(parseStreamNames(null)).to.deep.equal([]);
  });
});

describe('LocalStreams', () => {
  const canvasTrack = (): MediaStreamTrack =>
    document.createElement('canvas').captureStream().getVideoTracks()[0];

  it('gives one stream per name, the same each time', () => {
    const streams = new LocalStreams();
    const [cam] = streams.streams(['cam']);
    expect(streams.streams(['cam'])[0]).to.equal(cam);
    expect(streams.streams(['other'])[0]).not.to.equal(cam);
  });

  it('places a track in exactly the named streams and removes it from all', () => {
    const streams = new LocalStreams();
    const track = canvasTrack();
    const [a, b] = streams.place(track, ['a', 'b']);
    expect(a.getTracks()).to.deep.equal([track]);
    expect(b.getTracks()).to.deep.equal([track]);
    streams.place(track, ['b']);
    expect(a.getTracks()).to.deep.equal([]);
    expect(b.getTracks()).to.deep.equal([track]);
    streams.remove(track);
    expect(b.getTracks()).to.deep.equal([]);
    track.stop();
  });
});
