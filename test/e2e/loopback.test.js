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
      // Three fake cameras in Chromium, with its two fake microphones and speakers, for the device choosers (Firefox
      // has one camera and one microphone). Its second fake camera is a depth camera, whose 16-bit frames WebRTC does
      // not send: a switch to it freezes the far side's picture, in plain code too. The switch below goes to the third.
      browser = await launch(browserName, {
        chromiumArgs: ['--use-fake-device-for-media-stream=device-count=3'],
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
      const page = await callInOnePage(browser);
      const alice = '.side[data-side="alice"]';
      const chooser = `${alice} select[data-kind="video"]`;
      // Her capture lets the browser name the devices, in Bob's choosers too, and hers shows the camera in use.
      const { cameras, inUse } = await until(page, () => {
        const options = (/** @type {string} */ side, /** @type {string} */ kind) =>
          [...$(`.side[data-side="${side}"] select[data-kind="${kind}"]`).options].map((o) => ({
            value: String(o.value),
            label: String(o.label),
          }));
        const named = (/** @type {{ value: string, label: string }[]} */ list) =>
          list.length > 1 && list.every((o, i) => (i === 0 ? o.value === '' : o.value && o.label));
        const shown = $('.side[data-side="alice"] select[data-kind="video"]').value;
        const track = $('.side[data-side="alice"] local-track[kind="video"]').track;
        return (
          named(options('alice', 'video')) &&
          named(options('bob', 'video')) &&
          shown === track.getSettings().deviceId && {
            cameras: options('alice', 'video')
              .slice(1)
              .map((o) => o.value),
            inUse: String(shown),
          }
        );
      });
      const other = browserName === 'chromium' ? cameras[2] : cameras.find((id) => id !== inUse);

      // Never chosen, the camera is left to the browser's default: off and on, the new element names no device.
      await switchOffAndOn(page, alice, 'video');
      assert.equal(await deviceOf(page, alice, 'video'), null, 'no device chosen for the person');

      if (browserName === 'chromium') {
        assert.equal(cameras.length, 3, 'the three fake cameras listed');
        assert.notEqual(other, inUse);
        // Two fake microphones, without Chromium's "default" and "communications", which stand for one of them.
        const microphones = await page.$$eval(`${alice} select[data-kind="audio"] option`, (options) =>
          options.map((o) => /** @type {any} */ (o).value),
        );
        assert.equal(microphones.length, 3, `Default and two microphones: ${microphones}`);
        assert.ok(!microphones.includes('default') && !microphones.includes('communications'));
      }
      // Firefox's fake media has one camera: the rest needs a second one.
      if (!other) return page.close();

      const negotiated = (await page.evaluate(seenByBob)).negotiated;
      await page.select(chooser, other);
      await until(
        page,
        (id) => $('.side[data-side="alice"] local-track[kind="video"]').track?.getSettings().deviceId === id,
        other,
      );
      // Counted from here: frames of the old camera, sent until the swap, are not the new one's.
      const before = await page.evaluate(seenByBob);
      // Bob goes on playing the same track (the sender's track was replaced), decoding new frames (the clock of a
      // <video> moves on over a frozen picture too), with nothing negotiated on either side.
      const after = await untilSeenByBob(
        page,
        (seen) => seen.decoded > before.decoded + 10,
        'frames of the new camera',
      );
      assert.equal(after.track, before.track, "Bob's video track kept");
      assert.equal(after.negotiated, negotiated, 'nothing negotiated for the switch');

      // A camera that cannot be had: the chooser goes back to the one in use, and the page says why.
      await page.$eval(chooser, (select) =>
        /** @type {any} */ (select).add(new /** @type {any} */ (globalThis).Option('Gone', 'no-such-camera')),
      );
      await page.select(chooser, 'no-such-camera');
      await until(
        page,
        (id) =>
          $('.side[data-side="alice"] select[data-kind="video"]').value === id &&
          !$('.side[data-side="alice"] .problem').hidden,
        other,
      );
      assert.equal(await deviceOf(page, alice, 'video'), other);

      // Off and on again: the new capture takes the chosen camera.
      await switchOffAndOn(page, alice, 'video');
      const again = await until(
        page,
        () => $('.side[data-side="alice"] local-track[kind="video"]').track?.getSettings().deviceId,
      );
      assert.equal(again, other, 'captured from the chosen camera');
      assert.equal(await page.$eval(chooser, (select) => /** @type {any} */ (select).value), other);
      await page.close();
    });

    it('plays the far side on the speaker chosen, and on the default after one that cannot be used', async () => {
      const page = await callInOnePage(browser);
      const bob = '.side[data-side="bob"]';
      const chooser = `${bob} select[data-kind="speaker"]`;
      const speakers = await until(
        page,
        (select) => {
          // Outputs listed, after "Default" (Firefox's option for its prompt is not one; see the test below).
          const values = [...$(select).options]
            .map((o) => String(o.value))
            .filter((v) => v !== 'other-speaker');
          return values.length > 1 && values.slice(1);
        },
        chooser,
      ).catch(async (error) => {
        // Firefox lists a speaker only once the person picked it (selectAudioOutput); its fake media has none.
        if (browserName === 'firefox') return [];
        throw error;
      });
      if (browserName === 'chromium') assert.equal(speakers.length, 2, 'the two fake speakers listed');
      if (speakers.length === 0) return page.close();

      await page.select(chooser, speakers[1]);
      await until(
        page,
        (id) => $('.side[data-side="bob"] remote-stream').shadowRoot.querySelector('video').sinkId === id,
        speakers[1],
      );
      await page.$eval(chooser, (select) =>
        /** @type {any} */ (select).add(
          new /** @type {any} */ (globalThis).Option('Gone', 'no-such-speaker'),
        ),
      );
      await page.select(chooser, 'no-such-speaker');
      // The chooser says so, and the video goes on the default speaker, and plays on.
      await until(
        page,
        () =>
          $('.side[data-side="bob"] select[data-kind="speaker"]').value === '' &&
          $('.side[data-side="bob"] remote-stream').sinkId === '' &&
          $('.side[data-side="bob"] remote-stream').shadowRoot.querySelector('video').sinkId === '' &&
          !$('.side[data-side="bob"] .problem').hidden,
      );
      const seen = await page.evaluate(seenByBob);
      await untilSeenByBob(page, (now) => now.decoded > seen.decoded + 10, 'the video playing on');
      await page.close();
    });

    it("opens the browser's speaker prompt where it has one, and says when there is no speaker to pick", async () => {
      const page = await callInOnePage(browser);
      const chooser = '.side[data-side="bob"] select[data-kind="speaker"]';
      await page.waitForSelector(chooser);
      const prompts = await page.evaluate(
        () => 'selectAudioOutput' in /** @type {any} */ (globalThis).navigator.mediaDevices,
      );
      // Firefox has the prompt; Chromium lists every output, and has none.
      assert.equal(prompts, browserName === 'firefox');
      const options = () =>
        page.$eval(chooser, (select) => [.../** @type {any} */ (select).options].map((o) => String(o.value)));
      if (!prompts) {
        // Once the list is read (the two fake speakers after "Default"), it has no option for a prompt.
        await until(page, (select) => $(select).options.length >= 3, chooser);
        assert.ok(!(await options()).includes('other-speaker'));
        return page.close();
      }
      await until(page, (select) => [...$(select).options].some((o) => o.value === 'other-speaker'), chooser);
      // The real prompt, with what it answers recorded: it needs the person's activation, which a choice made with the
      // keyboard gives (End: the last option, the prompt's). This machine has no audio output (nor have the fake
      // media), so it finds none; one with outputs would open a prompt that nobody answers here.
      await page.evaluate(() => {
        const devices = /** @type {any} */ (globalThis).navigator.mediaDevices;
        const select = devices.selectAudioOutput.bind(devices);
        devices.selectAudioOutput = () =>
          select().then(
            (/** @type {any} */ device) => {
              /** @type {any} */ (globalThis).promptAnswer = `picked ${device.label}`;
              return device;
            },
            (/** @type {Error} */ error) => {
              /** @type {any} */ (globalThis).promptAnswer = error.name;
              throw error;
            },
          );
      });
      await page.focus(chooser);
      await page.keyboard.press('End');
      await until(page, () => /** @type {any} */ (globalThis).promptAnswer);
      assert.equal(await page.evaluate(() => /** @type {any} */ (globalThis).promptAnswer), 'NotFoundError');
      // The chooser shows the speaker still in use, and the page says why nothing changed.
      await until(
        page,
        (select) =>
          $(select).value === '' &&
          $('.side[data-side="bob"] remote-stream').sinkId === '' &&
          !$('.side[data-side="bob"] .problem').hidden &&
          $('.side[data-side="bob"] .problem').textContent.includes('no other speaker'),
        chooser,
      );
      await page.close();
    });
  });
}

/**
 * Opens the loopback page, where Alice starts with her camera and microphone on, and waits until Bob plays her camera.
 * @param {import('puppeteer-core').Browser} browser
 */
async function callInOnePage(browser) {
  const page = await browser.newPage();
  await page.goto(new URL('loopback.html', demo.url).href);
  await page.waitForFunction(bobPlaysAlice, { timeout: 30_000 });
  return page;
}

/**
 * Waits until `check`, run in the page, gives a truthy value, and returns that value.
 * @template T, A
 * @param {import('puppeteer-core').Page} page
 * @param {(arg: A) => T} check
 * @param {A} [arg]
 * @returns {Promise<Exclude<Awaited<T>, false | null | undefined | '' | 0>>}
 */
async function until(page, check, arg) {
  const handle = await page.waitForFunction(
    `(() => { const $ = (s) => document.querySelector(s); return (${check})(${JSON.stringify(arg ?? null)}); })()`,
    { timeout: 20_000 },
  );
  return /** @type {any} */ (await handle.jsonValue());
}

/** In the page (through `until`): the one element `selector` finds. */
function $(/** @type {string} */ selector) {
  return /** @type {any} */ (globalThis).document.querySelector(selector);
}

/** Clicks the `kind` toggle of `side` off, and on again once its element is gone. */
async function switchOffAndOn(
  /** @type {import('puppeteer-core').Page} */ page,
  /** @type {string} */ side,
  /** @type {string} */ kind,
) {
  await page.click(`${side} button[data-kind="${kind}"]`);
  await until(page, ([s, k]) => !$(`${s} local-track[kind="${k}"]`), [side, kind]);
  await page.click(`${side} button[data-kind="${kind}"]`);
  await until(page, ([s, k]) => $(`${s} local-track[kind="${k}"]`)?.state === 'live', [side, kind]);
}

/** The `device` of the `<local-track>` of `kind` on `side`. */
function deviceOf(
  /** @type {import('puppeteer-core').Page} */ page,
  /** @type {string} */ side,
  /** @type {string} */ kind,
) {
  return page.$eval(`${side} local-track[kind="${kind}"]`, (track) => /** @type {any} */ (track).device);
}

/** In the page: whether Bob's tile plays Alice's camera. */
function bobPlaysAlice() {
  const video = /** @type {any} */ (globalThis).document
    .querySelector('.side[data-side="bob"] remote-stream')
    ?.shadowRoot?.querySelector('video');
  return !!video && video.videoWidth > 0 && video.currentTime > 0;
}

/** In the page: the video track Bob plays, the frames his connection decoded, and the negotiations the log shows. */
async function seenByBob() {
  const document = /** @type {any} */ (globalThis).document;
  const video = document
    .querySelector('.side[data-side="bob"] remote-stream')
    .shadowRoot.querySelector('video');
  let decoded = 0;
  (await document.querySelector('#bob').connection.getStats()).forEach((/** @type {any} */ stats) => {
    if (stats.type === 'inbound-rtp' && stats.kind === 'video') decoded += stats.framesDecoded ?? 0;
  });
  return {
    track: String(video.srcObject?.getVideoTracks()[0]?.id),
    decoded,
    negotiated: [...document.querySelectorAll('#log li')].filter((li) =>
      li.textContent.includes('negotiated'),
    ).length,
  };
}

/**
 * Looks at what Bob sees until `check` holds; fails with the last look.
 * @param {import('puppeteer-core').Page} page
 * @param {(seen: Awaited<ReturnType<typeof seenByBob>>) => boolean} check
 * @param {string} what
 */
async function untilSeenByBob(page, check, what) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const seen = await page.evaluate(seenByBob);
    if (check(seen)) return seen;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: Bob sees ${JSON.stringify(seen)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
