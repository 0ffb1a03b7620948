import { esbuildPlugin } from '@web/dev-server-esbuild';
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

export default {
  files: ['test/**/*.test.ts'],
  nodeResolve: true,
  browsers: [chromium, firefox],
  plugins: [allStories, esbuildPlugin({ ts: true, tsconfig: './tsconfig.json', target: 'es2022' })],
  testFramework: { config: { timeout: 20000 } },
};
