// @ts-check
/**
 * The README's first page, as someone copies it into a site with no bundler: its markup and module script, with the
 * import map it gives for files served straight from `node_modules`, where npm put the built kit and lit. Both are
 * read from README.md, so the page tested is the one the README shows. Run inside the test network namespace by
 * `npm run test:e2e`, after `npm run build`.
 */
import assert from 'node:assert/strict';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { browsers, launch } from './support.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The README's `html` code blocks that hold `text`; fails if there is not exactly one. */
function readmeBlock(/** @type {string} */ text) {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```html\n([\s\S]*?)```/g)]
    .map((match) => match[1])
    .filter((b) => b.includes(text));
  assert.equal(blocks.length, 1, `README.md has one html block with ${text}`);
  return blocks[0];
}

/** @type {string} */
let site;
/** @type {import('node:http').Server} */
let server;
/** @type {string} */
let pageUrl;

before(async () => {
  assert.ok(existsSync(join(root, 'dist/define.js')), 'dist/ is missing: run npm run build first');
  site = mkdtempSync(join(tmpdir(), 'kit-site-'));
  // node_modules as npm lays it out for a site that installed the kit: the kit's package, lit's packages beside it.
  const kit = join(site, 'node_modules/webrtc-elements');
  mkdirSync(kit, { recursive: true });
  for (const entry of ['package.json', 'dist'])
    cpSync(join(root, entry), join(kit, entry), { recursive: true });
  mkdirSync(join(site, 'node_modules/@lit'));
  for (const name of ['lit', 'lit-html', 'lit-element', '@lit/reactive-element'])
    symlinkSync(join(root, 'node_modules', name), join(site, 'node_modules', name));
  const page = readmeBlock("import 'webrtc-elements/define'");
  const importMap = readmeBlock('"importmap"');
  writeFileSync(
    join(site, 'index.html'),
    `<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>README page</title>\n${importMap}</head>\n<body>\n${page}</body>\n</html>\n`,
  );
  // A plain static server, as a site's would be: files by path, 404 for anything else.
  const types = /** @type {Record<string, string>} */ ({ '.html': 'text/html', '.js': 'text/javascript' });
  server = createServer((request, response) => {
    let path = '';
    try {
      path = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://site').pathname));
    } catch {
      // A malformed address: not found, as below.
    }
    const file = join(site, path.endsWith('/') ? `${path}index.html` : path);
    if (!path || !file.startsWith(site) || !existsSync(file) || !types[extname(file)]) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': types[extname(file)] }).end(readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  pageUrl = `http://127.0.0.1:${address.port}/`;
});

after(async () => {
  if (server) await new Promise((resolve) => server.close(resolve));
  if (site) rmSync(site, { recursive: true, force: true });
});

for (const browserName of browsers) {
  describe(`the README's page in ${browserName}`, { timeout: 60_000 }, () => {
    /** @type {import('puppeteer-core').Browser} */
    let browser;
    before(async () => {
      browser = await launch(browserName);
    });
    after(() => browser?.close());

    it('loads with its import map alone and plays the call: the preview and the far side', async () => {
      const page = await browser.newPage();
      /** @type {string[]} */
      const problems = [];
      page.on('pageerror', (error) => problems.push(`page error: ${error}`));
      page.on('console', (message) => {
        // A failed request is told below with its address; the browser's console line has none.
        if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
          problems.push(`console: ${message.text()}`);
      });
      page.on('requestfailed', (request) => problems.push(`failed: ${request.url()}`));
      page.on('response', (response) => {
        if (response.status() >= 400 && !response.url().endsWith('/favicon.ico'))
          problems.push(`${response.status()}: ${response.url()}`);
      });
      await page.goto(pageUrl);
      // Both pictures play: the local preview's and the far side's, each with frames coming (counted by each video's
      // frame callback, which both browsers call for a stream's frames as they are presented).
      const frames = () =>
        page.evaluate(() => {
          /** @type {any} */
          const document = /** @type {any} */ (globalThis).document;
          const count = (/** @type {string} */ selector) => {
            const video = document.querySelector(selector)?.shadowRoot?.querySelector('video');
            if (!video) return 0;
            if (video.framesSeen === undefined) {
              video.framesSeen = 0;
              const onFrame = () => {
                video.framesSeen++;
                video.requestVideoFrameCallback(onFrame);
              };
              video.requestVideoFrameCallback(onFrame);
            }
            return video.framesSeen;
          };
          const remote = document.querySelector('remote-stream');
          return {
            preview: count('local-track[kind="video"]'),
            remote: count('remote-stream'),
            playing: Boolean(remote?.matches(':state(playing)')),
            remoteTracks: (remote?.stream?.getTracks() ?? []).map((/** @type {any} */ t) => t.kind).sort(),
          };
        });
      const deadline = Date.now() + 30_000;
      let first = await frames();
      while (!(first.playing && first.preview > 0 && first.remote > 0)) {
        assert.ok(Date.now() < deadline, `the call did not play: ${JSON.stringify({ first, problems })}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
        first = await frames();
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const later = await frames();
      assert.deepEqual(later.remoteTracks, ['audio', 'video']);
      assert.ok(
        later.remote > first.remote,
        `the far side's frames stopped: ${first.remote} → ${later.remote}`,
      );
      assert.ok(
        later.preview > first.preview,
        `the preview's frames stopped: ${first.preview} → ${later.preview}`,
      );
      assert.deepEqual(problems, []);
      await page.close();
    });
  });
}
