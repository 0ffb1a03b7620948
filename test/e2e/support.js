// @ts-check
/**
 * End-to-end support: the demo page served by Vite, the relay as its own server, and real browsers (each page in a
 * browser context of its own, as separate people would be) driven through puppeteer-core.
 */
import puppeteer from 'puppeteer-core';
import { createServer } from 'vite';
import { startRelayServer } from '../../server/http.js';

/** @typedef {'chromium' | 'firefox'} BrowserName */

/** The browsers to run, from `BROWSERS` (comma-separated) like the browser suite; both by default. */
export const browsers = /** @type {BrowserName[]} */ (
  (process.env.BROWSERS ?? 'chromium,firefox').split(',').filter((b) => b === 'chromium' || b === 'firefox')
);

/** Chromium's fake camera and microphone, one of each unless a flag of the caller's says otherwise (`=device-count=2`). */
const FAKE_DEVICES = '--use-fake-device-for-media-stream';

/**
 * @param {BrowserName} name
 * @param {{ chromiumArgs?: string[], firefoxPrefs?: Record<string, unknown>, protocolTimeout?: number }} [options]
 *   more Chromium flags; more Firefox preferences; puppeteer's call limit
 */
export function launch(name, { chromiumArgs = [], firefoxPrefs = {}, protocolTimeout } = {}) {
  if (name === 'chromium')
    return puppeteer.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      protocolTimeout,
      args: [
        '--no-sandbox',
        ...(chromiumArgs.some((arg) => arg.startsWith(FAKE_DEVICES)) ? [] : [FAKE_DEVICES]),
        '--use-fake-ui-for-media-stream',
        '--autoplay-policy=no-user-gesture-required',
        // Several people on one machine: no page may be throttled for being in the background.
        '--disable-background-timer-throttling',
        '--disable-backgrounding-occluded-windows',
        '--disable-renderer-backgrounding',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        ...chromiumArgs,
      ],
    });
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr',
    headless: true,
    protocolTimeout,
    extraPrefsFirefox: {
      'media.navigator.streams.fake': true,
      'media.navigator.permission.disabled': true,
      'media.autoplay.default': 0,
      ...firefoxPrefs,
    },
  });
}

/** The demo as `npm start` serves it (its relay plugin included), on a free port of loopback. */
export async function startDemo() {
  const server = await createServer({
    configFile: new URL('../../demo/vite.config.ts', import.meta.url).pathname,
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false },
    // Vite says when it optimizes dependencies or reloads a page, which a failing run needs to show.
    logLevel: 'info',
  });
  await server.listen();
  const address = /** @type {import('node:net').AddressInfo} */ (server.httpServer?.address());
  return { url: `http://127.0.0.1:${address.port}/`, close: () => server.close() };
}

/**
 * A standalone relay that can be stopped and started again on the same port, as a restarted server would be.
 */
export async function restartableRelay() {
  let current = await startRelayServer({ port: 0 });
  const { port, url } = current;
  return {
    url,
    stop: () => current.close(),
    async start() {
      current = await startRelayServer({ port });
    },
    stats: () => current.relay.stats(),
  };
}

/**
 * What one page shows, read from its elements as a person would see it: the room's state and peers, and per tile
 * the name and the playing video (its size, its clock, its tracks), and per peer the decoded frames.
 * @param {import('puppeteer-core').Page} page
 */
export function snapshot(page) {
  return page.evaluate(async () => {
    // This function runs in the page; the Node type check has no DOM types, so the page is read untyped.
    /** @type {any} */
    const document = /** @type {any} */ (globalThis).document;
    const room = document.querySelector('call-room');
    const grid = document.querySelector('remote-streams');
    const peers = await Promise.all(
      room.peers.map(async (/** @type {any} */ member) => {
        // A getStats that does not settle (seen once in Firefox while the relay was down) must not hang the look.
        const stats = await Promise.race([
          member.connection.getStats(),
          new Promise((resolve) => setTimeout(() => resolve(new Map()), 2000)),
        ]);
        let framesDecoded = 0;
        /** @type {string[]} */
        const decoding = [];
        stats.forEach((/** @type {any} */ s) => {
          if (s.type !== 'inbound-rtp' || s.kind !== 'video') return;
          framesDecoded += s.framesDecoded ?? 0;
          decoding.push(`${s.trackIdentifier}:${s.framesDecoded ?? 0}`);
        });
        const receivers = member.connection
          .getReceivers()
          .map(
            (/** @type {any} */ r) =>
              `${r.track.kind}:${r.track.id.slice(0, 8)}:${r.track.readyState}:${r.track.muted ? 'muted' : 'unmuted'}:${r.track.stats?.deliveredFrames ?? r.track.stats?.totalFrames ?? '-'}`,
          );
        return {
          id: member.peer.id,
          name: String(member.peer.meta.name ?? ''),
          state: member.state,
          signaling: `${member.connection.signalingState}/${member.connection.iceConnectionState}/${member.connection.iceGatheringState}`,
          framesDecoded,
          decoding,
          receivers,
        };
      }),
    );
    const tiles = [...grid.shadowRoot.querySelectorAll('[part~="tile"]')].map((/** @type {any} */ tile) => {
      const video = tile.querySelector('remote-stream')?.shadowRoot?.querySelector('video') ?? null;
      return {
        name: tile.querySelector('[part~="name"]')?.textContent ?? '',
        width: video?.videoWidth ?? 0,
        time: video?.currentTime ?? 0,
        paused: video?.paused ?? true,
        tracks: (video?.srcObject?.getTracks() ?? []).map(
          (/** @type {any} */ t) => `${t.kind}:${t.id}:${t.readyState}`,
        ),
      };
    });
    return {
      state: String(room.state),
      presence: String(document.querySelector('#presence')?.value ?? ''),
      problem: [...document.querySelectorAll('#problem:not([hidden])')]
        .map((p) => String(p.textContent))
        .join(''),
      selfId: String(room.selfId ?? ''),
      peers,
      tiles,
      log: [...document.querySelectorAll('#log li')]
        .slice(0, 12)
        .map((/** @type {any} */ li) => String(li.textContent)),
    };
  });
}

/** @typedef {Awaited<ReturnType<typeof snapshot>>} Snapshot */

/** What each page printed as errors or warnings, and requests that failed, shown when a wait times out. */
const reports = new WeakMap();

/**
 * Polls `check` on the page's snapshot until it holds; fails with the last snapshot, so a failure shows the page.
 * @param {import('puppeteer-core').Page} page
 * @param {(s: Snapshot) => boolean} check
 * @param {string} what
 */
export async function waitFor(page, check, what, timeout = 30_000) {
  const deadline = Date.now() + timeout;
  /** @type {Snapshot | undefined} */
  let last;
  for (;;) {
    try {
      last = await snapshot(page);
      if (check(last)) return last;
    } catch (error) {
      // A page between documents (a reload) has no room to read yet.
      if (Date.now() > deadline)
        throw new Error(`${what}: ${error}; the page reported: ${JSON.stringify(reports.get(page) ?? [])}`, {
          cause: error,
        });
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}; the page shows ${JSON.stringify(last, null, 1)}; ` +
          `it reported: ${JSON.stringify(reports.get(page) ?? [])}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Waits until the page shows a live tile for each of `names` (and no other), whose video plays: a picture with a size
 * and a clock that moves on between two looks, and decoded frames counted by the connection to each peer.
 * @param {import('puppeteer-core').Page} page
 * @param {string[]} names one entry per expected tile (a name twice for a person sending two streams)
 */
export async function waitForLiveTiles(page, names, timeout = 30_000) {
  const expected = [...names].sort().join('|');
  const sameTiles = (/** @type {Snapshot} */ s) =>
    s.tiles
      .map((t) => t.name)
      .sort()
      .join('|') === expected;
  const first = await waitFor(
    page,
    (s) =>
      sameTiles(s) &&
      s.tiles.every((t) => t.width > 0 && t.time > 0) &&
      s.peers.every((p) => p.state === 'connected'),
    `tiles of ${expected || 'nobody'} with video`,
    timeout,
  );
  // Live, not a frozen first frame: every clock and every decoded-frame count moves on.
  return waitFor(
    page,
    (s) =>
      sameTiles(s) &&
      s.tiles.every((t, i) => t.time > first.tiles[i].time) &&
      s.peers.every((p) => p.framesDecoded > (first.peers.find((q) => q.id === p.id)?.framesDecoded ?? 0)),
    `the video of ${expected} to play on`,
    timeout,
  );
}

/**
 * Opens the demo in a new browser context (a separate person: own storage, own devices) as `name`. Without `room` and
 * `relay`, the page is the bare address of the README's first steps: the lobby, over the dev server's own relay.
 * @param {import('puppeteer-core').Browser} browser
 * @param {string} demoUrl
 * @param {{ room?: string, relay?: string, name: string, microphone?: boolean }} options
 */
export async function join(browser, demoUrl, { room, relay, name, microphone = true }) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  /** @type {string[]} */
  const problems = [];
  page.on('pageerror', (error) =>
    problems.push(`page error: ${error instanceof Error ? error.message : error}`),
  );
  const url = new URL(demoUrl);
  url.search = new URLSearchParams({
    ...(room && { room }),
    ...(relay && { relay }),
    name,
    ...(microphone ? {} : { microphone: 'off' }),
  }).toString();
  await page.goto(url.href);
  // Fails here, saying so, rather than later as a room with no peers, if the page never gets its elements.
  await page.waitForFunction("customElements.get('call-room')", { timeout: 30_000 });
  return { page, context, name, problems };
}

/**
 * Runs `body`; when it fails, prints what every page of `people` shows, so a failure in one page can be read
 * against the others.
 * @param {{ name: string, page: import('puppeteer-core').Page }[]} people
 * @param {() => Promise<void>} body
 */
export async function showingPagesOnFailure(people, body) {
  try {
    await body();
  } catch (error) {
    for (const { name, page } of people) {
      if (page.isClosed()) continue;
      const shown = await snapshot(page).catch((e) => String(e));
      console.error(`${name} shows:`, JSON.stringify(shown, null, 1));
    }
    throw error;
  }
}
