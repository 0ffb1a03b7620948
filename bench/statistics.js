// @ts-check
/**
 * The bench's arithmetic, apart from any browser or file: summaries of a figure's rounds, the kit / plain ratio and
 * how far that ratio can be trusted, and the slope of the churn's heap samples.
 */
// The seeded generator of the fuzz and chaos suites: the same rounds always give the same interval.
import { random as seeded } from '../test/support/malformed-messages.js';

/** @typedef {{ median: number, min: number, max: number }} Stats */

/** @param {readonly number[]} values */
const ascending = (values) => [...values].sort((a, b) => a - b);

/** The middle of values sorted in ascending order. @param {readonly number[]} sorted */
function middle(sorted) {
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** @param {readonly number[]} values @returns {Stats} */
export function stats(values) {
  if (values.length === 0) throw new Error('no values to summarize');
  const sorted = ascending(values);
  return { median: middle(sorted), min: sorted[0], max: sorted[sorted.length - 1] };
}

/** Kit over plain, or null when plain is zero (a count of nothing left, say). */
export const ratio = (/** @type {number} */ kit, /** @type {number} */ plain) =>
  plain === 0 ? null : kit / plain;

/** Least-squares slope of y over x. @param {{ x: number, y: number }[]} points */
export function slope(points) {
  const mean = (/** @type {number[]} */ v) => v.reduce((a, b) => a + b, 0) / v.length;
  const mx = mean(points.map((p) => p.x));
  const my = mean(points.map((p) => p.y));
  const sxy = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return sxy / sxx;
}

/**
 * The 95% interval of the ratio of medians, by percentile bootstrap: each arm's rounds resampled with replacement,
 * `resamples` times, and the middle 95% of the ratios those give. On a two-core machine the medians of 61 rounds
 * moved by about ±5% from one run to the next (a figure whose rounds fall in two clusters moves most), so a ratio
 * alone cannot say whether 1.04 differs from 1.06; its interval says how wide that uncertainty is in this run.
 * @param {readonly number[]} kit @param {readonly number[]} plain @param {number} [resamples]
 * @returns {[number, number] | null} null where a resampled plain median can be zero
 */
export function ratioInterval(kit, plain, resamples = 4000) {
  if (kit.length === 0 || plain.length === 0) throw new Error('no rounds to resample');
  const random = seeded(0x5eed);
  const resample = (/** @type {readonly number[]} */ values) =>
    middle(ascending(Array.from(values, () => values[Math.floor(random() * values.length)])));
  const ratios = [];
  for (let i = 0; i < resamples; i++) {
    const r = ratio(resample(kit), resample(plain));
    if (r === null) return null;
    ratios.push(r);
  }
  ratios.sort((a, b) => a - b);
  return [ratios[Math.floor(resamples * 0.025)], ratios[Math.ceil(resamples * 0.975) - 1]];
}
