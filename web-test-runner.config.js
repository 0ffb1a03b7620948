import { esbuildPlugin } from '@web/dev-server-esbuild';
import { defaultReporter } from '@web/test-runner';
import { chromeLauncher } from '@web/test-runner-chrome';
import * as puppeteer from 'puppeteer-core';
import { readdirSync } from 'node:fs';

const chromium = chromeLauncher({
  launchOptions: {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--allow-loopback-in-peer-connection',
      '--autoplay-policy=no-user-gesture-required',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  },
});

const firefox = chromeLauncher({
  puppeteer,
  launchOptions: {
    browser: 'firefox',
    executablePath: process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr',
    headless: true,
    extraPrefsFirefox: {
      'media.navigator.streams.fake': true,
      'media.navigator.permission.disabled': true,
      'media.autoplay.default': 0,
    },
  },
});

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
      for (const test of suite?.tests ?? []) count[test.skipped ? 'skipped' : test.passed ? 'passed' : 'failed']++;
      for (const child of suite?.suites ?? []) walk(child, count);
    };
    for (const session of sessions) {
      const name = session.browser.name;
      if (!counts.has(name)) counts.set(name, { passed: 0, failed: 0, skipped: 0 });
      const count = counts.get(name);
      walk(session.testResults, count);
      // A file that failed to load or threw outside any test counts as a failure.
      if (!session.passed && !session.testResults?.suites.length && !session.testResults?.tests.length) count.failed++;
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
  files: ['test/**/*.test.ts'],
  nodeResolve: true,
  reporters: [defaultReporter(), summaryReporter],
  // Media tests are heavy on two cores: one test file at a time per browser.
  concurrency: 1,
  browsers: [chromium, firefox],
  plugins: [allStories, esbuildPlugin({ ts: true, tsconfig: './tsconfig.json', target: 'es2022' })],
  testFramework: { config: { timeout: 20000 } },
};
