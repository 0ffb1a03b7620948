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
      // Two fake cameras and microphones in Chromium, for the device choosers; Firefox has its own list.
      browser = await launch(browserName, {
        chromiumArgs: ['--use-fake-device-for-media-stream=device-count=2'],
      });
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

    it('switches a camera from its chooser with no renegotiation; a camera switched on later captures from it', async () => {
      const page = await browser.newPage();
      await page.goto(new URL('loopback.html', demo.url).href);
      const alice = '.side[data-side="alice"]';
      const chooser = `${alice} select[data-kind="video"]`;
      // Alice starts with her camera on; Bob plays it.
      await page.waitForFunction(bobPlaysAlice, { timeout: 30_000 });
      // Her capture lets the browser name the devices, and the chooser shows the camera in use.
      const listed = await page.waitForFunction(
        (select) => {
          const document = /** @type {any} */ (globalThis).document;
          const options = [...document.querySelector(select).options];
          const inUse = document.querySelector('.side[data-side="alice"] local-track[kind="video"]').track;
          return (
            options.length > 1 &&
            options.every((o, i) => (i === 0 ? o.value === '' : o.value && o.label)) &&
            document.querySelector(select).value === inUse.getSettings().deviceId && {
              cameras: options.slice(1).map((o) => o.value),
              inUse: inUse.getSettings().deviceId,
            }
          );
        },
        { timeout: 20_000 },
        chooser,
      );
      const { cameras, inUse } = /** @type {{ cameras: string[], inUse: string }} */ (
        await listed.jsonValue()
      );
      const other = cameras.find((id) => id !== inUse);
      if (browserName === 'chromium') assert.equal(cameras.length, 2, 'the two fake cameras listed');
      // Firefox's fake media has one camera: its chooser is checked above, and the switch needs a second one.
      if (!other) return page.close();

      const before = await page.evaluate(seenByBob);
      await page.select(chooser, other);
      await page.waitForFunction(
        (id) =>
          /** @type {any} */ (globalThis).document
            .querySelector('.side[data-side="alice"] local-track[kind="video"]')
            .track?.getSettings().deviceId === id,
        { timeout: 20_000 },
        other,
      );
      // Bob goes on playing the same track (the sender's track was replaced), the clock moving on, with nothing
      // negotiated on either side.
      await page.waitForFunction(
        (was) => {
          const video = /** @type {any} */ (globalThis).document
            .querySelector('.side[data-side="bob"] remote-stream')
            .shadowRoot.querySelector('video');
          return video.currentTime > was + 0.5;
        },
        { timeout: 20_000 },
        before.time,
      );
      const after = await page.evaluate(seenByBob);
      assert.equal(after.track, before.track, "Bob's video track kept");
      assert.equal(after.negotiated, before.negotiated, 'nothing negotiated for the switch');

      // Off and on again: the new capture takes the chosen camera.
      await page.click(`${alice} button[data-kind="video"]`);
      await page.waitForFunction(
        (side) =>
          !(/** @type {any} */ (globalThis).document.querySelector(`${side} local-track[kind="video"]`)),
        { timeout: 20_000 },
        alice,
      );
      await page.click(`${alice} button[data-kind="video"]`);
      const again = await page.waitForFunction(
        (side) => {
          const track = /** @type {any} */ (globalThis).document.querySelector(
            `${side} local-track[kind="video"]`,
          );
          return track?.state === 'live' && track.track.getSettings().deviceId;
        },
        { timeout: 20_000 },
        alice,
      );
      assert.equal(await again.jsonValue(), other, 'captured from the chosen camera');
      assert.equal(await page.$eval(chooser, (select) => /** @type {any} */ (select).value), other);
      await page.close();
    });
  });
}

/** In the page: whether Bob's tile plays Alice's camera. */
function bobPlaysAlice() {
  const video = /** @type {any} */ (globalThis).document
    .querySelector('.side[data-side="bob"] remote-stream')
    ?.shadowRoot?.querySelector('video');
  return !!video && video.videoWidth > 0 && video.currentTime > 0;
}

/** In the page: the video track Bob plays, its clock, and how many negotiations the log shows. */
function seenByBob() {
  const document = /** @type {any} */ (globalThis).document;
  const video = document
    .querySelector('.side[data-side="bob"] remote-stream')
    .shadowRoot.querySelector('video');
  return {
    track: String(video.srcObject?.getVideoTracks()[0]?.id),
    time: Number(video.currentTime),
    negotiated: [...document.querySelectorAll('#log li')].filter((li) =>
      li.textContent.includes('negotiated'),
    ).length,
  };
}
