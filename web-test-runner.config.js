import { esbuildPlugin } from '@web/dev-server-esbuild';
import { defaultReporter } from '@web/test-runner';
import { chromeLauncher } from '@web/test-runner-chrome';
import * as puppeteer from 'puppeteer-core';
import { readdirSync } from 'node:fs';
import { startRelayServer } from './server/http.js';

/**
 * Chromium with a fake camera and microphone. `media` is `allow` for the main suite; `deny` answers every capture
 * request with the browser's own NotAllowedError, as when a person refuses the permission prompt; `absent` has no
 * devices at all (NotFoundError). `autoplay: false` refuses to play audible media before a gesture, as browsers do
 * by default (the main suite allows it, so that calls play without clicks).
 */
const chromium = (media = 'allow', { autoplay = true } = {}) =>
  chromeLauncher({
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: [
        '--no-sandbox',
        ...(media === 'absent' ? [] : ['--use-fake-device-for-media-stream']),
        media === 'deny' ? '--use-fake-ui-for-media-stream=deny' : '--use-fake-ui-for-media-stream',
        '--allow-loopback-in-peer-connection',
        `--autoplay-policy=${autoplay ? 'no-user-gesture-required' : 'document-user-activation-required'}`,
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  });

/**
 * Firefox (through puppeteer-core) with fake media; with `deny`, camera and microphone are blocked by policy; with
 * `absent`, there are no fake devices and the machine has no real ones. `autoplay` as for Chromium.
 */
const firefox = (media = 'allow', { autoplay = true } = {}) =>
  chromeLauncher({
    puppeteer,
    launchOptions: {
      browser: 'firefox',
      executablePath: process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr',
      headless: true,
      extraPrefsFirefox: {
        'media.navigator.streams.fake': media !== 'absent',
        // 0 allows autoplay; 1 blocks audible media until a gesture.
        'media.autoplay.default': autoplay ? 0 : 1,
        ...(media === 'deny'
          ? {
              'media.navigator.permission.disabled': false,
              'permissions.default.camera': 2,
              'permissions.default.microphone': 2,
            }
          : { 'media.navigator.permission.disabled': true }),
      },
    },
  });

/**
 * A relay for the tests of the WebSocket room (`ws:` signaling), on loopback; it asks for a token, so a test can be
 * refused too. `/test-relay.json` tells a test its address and token. `/test-small-relay.json` starts a relay of its
 * own for each request, holding two peers at most, so that a test can fill it without another browser's tests joining.
 */
const testRelay = () => {
  /** @type {Awaited<ReturnType<typeof startRelayServer>>[]} */
  const relays = [];
  const token = 'test-token';
  const start = async (/** @type {import('./server/relay.js').RelayOptions} */ options = {}) => {
    const relay = await startRelayServer({ port: 0, host: '127.0.0.1', token, graceMs: 1000, ...options });
    relays.push(relay);
    return relay;
  };
  return {
    name: 'test-relay',
    async serverStart() {
      await start();
    },
    async serverStop() {
      await Promise.all(relays.map((relay) => relay.close()));
    },
    async serve(/** @type {{ path: string }} */ context) {
      if (context.path === '/test-relay.json')
        return { body: JSON.stringify({ url: relays[0]?.url, token }), type: 'json' };
      if (context.path === '/test-small-relay.json')
        return { body: JSON.stringify({ url: (await start({ maxPeers: 2 })).url, token }), type: 'json' };
    },
  };
};

/**
 * `/all-stories.js` imports every story file, so the story render test covers stories added later without
 * being edited.
 */
const allStories = {
  name: 'all-stories',
  serve(context) {
    if (context.path !== '/all-stories.js') return undefined;
    const files = readdirSync('stories', { recursive: true })
      .filter((file) => file.endsWith('.stories.ts'))
      .map((file) => `stories/${file}`)
      .sort();
    const body = files
      .map((file, i) => `import * as m${i} from '/${file}';`)
      .concat(`export default { ${files.map((file, i) => `${JSON.stringify(file)}: m${i}`).join(', ')} };`)
      .join('\n');
    return { body, type: 'js' };
  },
};

/** One plain closing line with the counts per browser and in all, for CI logs. */
const summaryReporter = {
  onTestRunFinished({ sessions }) {
    const counts = new Map();
    const walk = (suite, count) => {
      for (const test of suite?.tests ?? [])
        count[test.skipped ? 'skipped' : test.passed ? 'passed' : 'failed']++;
      for (const child of suite?.suites ?? []) walk(child, count);
    };
    for (const session of sessions) {
      const name = session.browser.name;
      if (!counts.has(name)) counts.set(name, { passed: 0, failed: 0, skipped: 0 });
      const count = counts.get(name);
      walk(session.testResults, count);
      // A file that failed to load or threw outside any test counts as a failure.
      if (!session.passed && !session.testResults?.suites.length && !session.testResults?.tests.length)
        count.failed++;
    }
    const total = { passed: 0, failed: 0, skipped: 0 };
    for (const [name, count] of counts) {
      console.log(`${name}: ${count.passed} passed, ${count.failed} failed, ${count.skipped} skipped`);
      for (const key of Object.keys(total)) total[key] += count[key];
    }
    console.log(`tests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
  },
};

export default {
  files: ['test/**/*.test.ts', '!test/denied/**', '!test/absent/**', '!test/autoplay/**'],
  nodeResolve: true,
  reporters: [defaultReporter(), summaryReporter],
  // Media tests are heavy on two cores: one test file at a time per browser.
  concurrency: 1,
  // BROWSERS=chromium (or firefox) runs one browser only, for quicker local runs.
  browsers: [chromium(), firefox()].filter(
    (_, i) => !process.env.BROWSERS || process.env.BROWSERS === ['chromium', 'firefox'][i],
  ),
  groups: [
    // Tests of a person refusing camera and microphone run in browsers that refuse them.
    { name: 'denied', files: 'test/denied/**/*.test.ts', browsers: [chromium('deny'), firefox('deny')] },
    // And in browsers with no camera or microphone at all.
    { name: 'absent', files: 'test/absent/**/*.test.ts', browsers: [chromium('absent'), firefox('absent')] },
    // And where the browser refuses to autoplay audible media before a gesture.
    {
      name: 'autoplay',
      files: 'test/autoplay/**/*.test.ts',
      browsers: [chromium('allow', { autoplay: false }), firefox('allow', { autoplay: false })],
    },
  ],
  plugins: [
    allStories,
    testRelay(),
    esbuildPlugin({ ts: true, tsconfig: './tsconfig.json', target: 'es2022' }),
  ],
  testFramework: { config: { timeout: 20000 } },
  // The reliability suite runs hundreds of calls in one file; each test has its own bound.
  testsFinishTimeout: 20 * 60_000,
};
