// @ts-check
/**
 * The demo's loopback page: two connections in one page, each side's buttons adding, removing and muting its tracks.
 * Run inside the test network namespace by `npm run test:e2e`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { browsers, launch, startDemo } from './support.js';

/** @type {Awaited<ReturnType<typeof startDemo>>} */
let demo;
before(async () => {
  demo = await startDemo();
});
after(() => demo?.close());

for (const browserName of browsers) {
  describe(`the demo's loopback page in ${browserName}`, { timeout: 120_000 }, () => {
    /** @type {import('puppeteer-core').Browser} */
    let browser;
    before(async () => {
      browser = await launch(browserName);
    });
    after(() => browser?.close());

    it('keeps "Mute all" for a track switched on after it was pressed', async () => {
      const page = await browser.newPage();
      await page.goto(new URL('loopback.html', demo.url).href);
      const bob = '.side[data-side="bob"]';
      await page.waitForSelector(`${bob} button[data-kind="video"]`);
      // "Mute all" first, then the camera: sent muted, as the pressed button says.
      const [muteAll] = await page.$$(`${bob} .controls button:not([data-kind])`);
      await muteAll.click();
      await page.click(`${bob} button[data-kind="video"]`);
      const camera = await page.waitForFunction(
        (side) => {
          /** @type {any} */
          const track = /** @type {any} */ (globalThis).document.querySelector(`${side} local-track`);
          return track?.state === 'live' && track;
        },
        { timeout: 20_000 },
        bob,
      );
      const seen = await camera.evaluate((/** @type {any} */ track) => ({
        pressed: track.ownerDocument
          .querySelector('.side[data-side="bob"] .controls button:not([data-kind])')
          .getAttribute('aria-pressed'),
        muted: track.muted,
        enabled: track.track.enabled,
      }));
      assert.deepEqual(seen, { pressed: 'true', muted: true, enabled: false });
      await page.close();
    });
  });
}
