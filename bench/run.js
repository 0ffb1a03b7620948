// @ts-check
/**
 * `npm run bench`: the kit against plain hand-written `RTCPeerConnection` code, in headless Chromium and Firefox with
 * a fake camera and microphone. The page (bench/index.html, bench/scenarios.ts) is served by Vite on loopback;
 * `scripts/netns.sh` runs all of it in a network namespace of its own when it can.
 *
 * Each timed figure runs in one page: a warm-up round of each arm (not counted), then BENCH_ROUNDS rounds of each,
 * alternating, each arm first in every other pair (kit, plain, plain, kit, ...), so that the noise of a busy machine,
 * and what one round leaves to the next, fall on both arms alike. Any round that
 * cannot complete ends the run with a non-zero exit and says why: no number is ever made up.
 *
 * Prints a table per browser, writes bench/results.json and the table between the bench markers of README.md.
 * Environment: BENCH_ROUNDS (101), BENCH_CHURN (300), BENCH_TIMEOUT (20000 ms per wait), BROWSERS (chromium,firefox),
 * BENCH_ONLY (comma-separated figure names, to try some; results.json and README.md are then left alone),
 * BENCH_OUT (a file to write the results, samples included, instead of bench/results.json and README.md),
 * BENCH_SAME (kit or plain: both arms of the timed figures run that code, so their ratio shows how far the bench
 * itself strays from 1.00; results.json and README.md are then left alone).
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { launch as launchBrowser } from '../test/e2e/support.js';
import { createServer } from 'vite';
import { markdownReport, textReport, writeReadme } from './report.js';
import { ratio, ratioInterval, slope, stats } from './statistics.js';
import { measureSizes } from './size.js';

/** @typedef {import('./report.js').Figure} Figure */
/** @typedef {'kit' | 'plain'} Arm */
/** @typedef {'chromium' | 'firefox'} BrowserName */

/** @param {string | undefined} value @returns {Arm | undefined} */
function sameArm(value) {
  if (!value) return undefined;
  if (value === 'kit' || value === 'plain') return value;
  throw new Error('BENCH_SAME must be kit or plain');
}

/** @param {string} name @param {number} fallback */
function positiveInteger(name, fallback) {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

// More than the 15 asked for: at 15 a figure's ratio moved by about ±0.15 between runs, at 31 the 16-stream figure in
// Firefox still moved by 0.10, and at 61 figures moved by ±0.05 (each ratio's interval now shows how far).
const ROUNDS = positiveInteger('BENCH_ROUNDS', 101);
const CHURN = positiveInteger('BENCH_CHURN', 300);
const TIMEOUT = positiveInteger('BENCH_TIMEOUT', 20000);
/**
 * Churn cycles before the first heap sample, so that first-use allocations are not counted as growth: compiled code,
 * and in Chromium the results of the last 50 getUserMedia calls, which it keeps (seen in heap snapshots of both arms).
 */
const CHURN_WARMUP = 30;
const SDP_CYCLES = 100;
/** The churn's last look, this long after its last cycle (longer than any timer the kit keeps, 10 s). */
const IDLE_MS = 15_000;
const ARMS = /** @type {const} */ (['kit', 'plain']);
const BROWSERS = /** @type {BrowserName[]} */ (
  (process.env.BROWSERS ?? 'chromium,firefox').split(',').filter((b) => b === 'chromium' || b === 'firefox')
);
const ONLY = process.env.BENCH_ONLY?.split(',');
const SAME = sameArm(process.env.BENCH_SAME);
const wanted = (/** @type {string} */ name) => !ONLY || ONLY.includes(name);

const TIMED = [
  { name: 'connect', title: 'connect → first remote video frame', unit: 'ms' },
  { name: 'live-add', title: 'live add of a camera → its first frame', unit: 'ms' },
  { name: 'live-remove', title: 'live remove → track leaves far stream', unit: 'ms' },
  { name: 'sixteen', title: '16 cameras in 16 streams → all framed', unit: 'ms' },
];

const root = new URL('..', import.meta.url);

/** The bench page, served by Vite on a free port of loopback. */
async function startPage() {
  const server = await createServer({
    configFile: false,
    root: fileURLToPath(new URL('bench/', root)),
    // A cache of its own, so a demo served at the same time (the end-to-end tests) never has its deps rebuilt.
    cacheDir: fileURLToPath(new URL('node_modules/.vite-bench', root)),
    logLevel: 'warn',
    clearScreen: false,
    // No WebSocket: Vite's client reloads the page when its socket drops and comes back, which would end a run.
    server: {
      host: '127.0.0.1',
      port: 0,
      strictPort: false,
      hmr: false,
      ws: false,
      // Cross-origin isolated, so the page's clock is fine: otherwise Firefox rounds performance.now() to 1 ms,
      // coarse for a figure of 8 ms.
      headers: {
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
      },
    },
    // Lit as a page in production gets it: its development build adds checks and warnings to every update.
    resolve: { conditions: ['module', 'browser', 'production'] },
    // Bundled up front and never discovered on a visit: a discovery makes Vite reload the page mid-run.
    optimizeDeps: {
      include: ['lit', 'lit/directives/live.js', 'lit/directives/repeat.js'],
      noDiscovery: true,
    },
  });
  await server.listen();
  const address = /** @type {import('node:net').AddressInfo} */ (server.httpServer?.address());
  return {
    url: `http://127.0.0.1:${address.port}/index.html?timeout=${TIMEOUT}`,
    close: () => server.close(),
  };
}

/**
 * V8 without its compilers: only the interpreter runs, so the heap holds no machine code. With them, code compiled
 * for functions that warm up late (called a few times per cycle) grows the heap for hundreds of churn cycles: heap
 * snapshots showed all of the kit arm's growth in compiled code and V8's code metadata, JS objects flat.
 */
const NO_COMPILERS = ' --no-sparkplug --no-maglev --no-turbofan';

/** @param {BrowserName} name @param {string} [jsFlags] more V8 flags (Chromium) */
function launch(name, jsFlags = '') {
  return launchBrowser(name, {
    chromiumArgs: [
      // Outside a network namespace only `lo` may exist.
      '--allow-loopback-in-peer-connection',
      // window.gc() and exact heap sizes, for the churn figure.
      `--js-flags=--expose-gc${jsFlags}`,
      '--enable-precise-memory-info',
    ],
    // Long page calls (100 SDP cycles in one call) must not hit puppeteer's own 3-minute limit; the page has its own.
    protocolTimeout: 15 * 60_000,
  });
}

// The page's functions run in the browser; the Node type check has no DOM, so `bench` is reached untyped.
/** @param {import('puppeteer-core').Page} page @param {string} figure @param {Arm} arm */
async function round(page, figure, arm) {
  const ms = await page.evaluate((f, a) => /** @type {any} */ (globalThis).bench.round(f, a), figure, arm);
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0)
    throw new Error(`${figure}/${arm} gave ${ms}`);
  return ms;
}

/**
 * Waits until the network namespace's IPv6 link-local addresses have passed duplicate address detection (about a
 * second after scripts/netns.sh brings the veth pair up). Chromium sees them appear as a network change, and aborts
 * page loads with ERR_NETWORK_CHANGED if that happens while it loads the page.
 */
async function networkSettled() {
  const TENTATIVE = 0x40;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const lines = (await readFile('/proc/net/if_inet6', 'utf8').catch(() => '')).trim().split('\n');
    if (!lines.some((line) => Number.parseInt(line.split(/\s+/)[4] ?? '0', 16) & TENTATIVE)) return;
    if (Date.now() > deadline) return progress('bench: IPv6 addresses still tentative after 10 s; going on');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Loads the bench page (again: `url` defaults to the page's own) and waits for its `bench`. */
async function openBench(/** @type {import('puppeteer-core').Page} */ page, url = page.url()) {
  await page.goto(url);
  await page.waitForFunction('window.bench', { timeout: 30_000 });
}

/** @param {import('puppeteer-core').Page} page */
const sample = (page) =>
  /** @type {Promise<{ connections: number, tracks: number, heap: number | null }>} */ (
    page.evaluate(() => /** @type {any} */ (globalThis).bench.sample())
  );

/** @param {string} text */
const progress = (text) => process.stderr.write(`${text}\n`);

/**
 * A timed figure: warm-up, then kit and plain rounds alternating.
 * @param {import('puppeteer-core').Page} page @param {BrowserName} browser @param {typeof TIMED[number]} figure
 * @param {string} frameMethod
 * @returns {Promise<Figure>}
 */
async function timedFigure(page, browser, figure, frameMethod) {
  /** @type {Record<Arm, number[]>} */
  const samples = { kit: [], plain: [] };
  for (let i = 0; i <= ROUNDS; i++) {
    // Each arm goes first in every other pair (kit, plain, plain, kit, ...): run first in every pair, one code against
    // itself (BENCH_SAME=plain) read 1.05 in Firefox's live add, a bias of the order as large as the targets' margin.
    for (const arm of i % 2 === 0 ? ARMS : [...ARMS].reverse()) {
      const ms = await round(page, figure.name, SAME ?? arm);
      if (i > 0) samples[arm].push(ms);
    }
  }
  const kit = stats(samples.kit);
  const plain = stats(samples.plain);
  return {
    ...figure,
    browser,
    kit,
    plain,
    ratio: ratio(kit.median, plain.median),
    ratioInterval: ratioInterval(samples.kit, samples.plain),
    rounds: ROUNDS,
    frameMethod,
    samples,
  };
}

/**
 * M-lines in the sender's local description after remove/add cycles of one camera; one run of each arm.
 * @param {import('puppeteer-core').Page} page @param {BrowserName} browser
 * @returns {Promise<Figure>}
 */
async function sdpGrowth(page, browser) {
  /** @type {Record<Arm, Record<string, number>>} */
  const mLines = { kit: {}, plain: {} };
  for (const arm of ARMS) {
    mLines[arm] = await page.evaluate(
      (a, cycles) => /** @type {any} */ (globalThis).bench.sdpGrowth(a, cycles),
      arm,
      SDP_CYCLES,
    );
  }
  const last = (/** @type {Arm} */ arm) => mLines[arm][SDP_CYCLES];
  const one = (/** @type {number} */ n) => ({ median: n, min: n, max: n });
  return {
    name: 'sdp-growth',
    title: `SDP after ${SDP_CYCLES} remove/add cycles`,
    browser,
    unit: 'm-lines',
    kit: one(last('kit')),
    plain: one(last('plain')),
    ratio: ratio(last('kit'), last('plain')),
    rounds: 1,
    mLines,
  };
}

/**
 * Churn, one arm after the other (not alternated: each arm's heap must grow on its own): warm-up cycles, then
 * CHURN cycles with a sample of leftovers and heap after cycle 0 and each third.
 * @param {import('puppeteer-core').Page} page @param {BrowserName} browser @param {string} [label] for progress lines
 * @returns {Promise<Figure>}
 */
async function churn(page, browser, label = browser) {
  const at = [0, Math.round(CHURN / 3), Math.round((2 * CHURN) / 3), CHURN];
  /** @type {Record<Arm, number[]>} */
  const times = { kit: [], plain: [] };
  /** @type {Record<Arm, { cycle: number, connections: number, tracks: number, heap: number | null }[]>} */
  const samples = { kit: [], plain: [] };
  /** @type {Record<Arm, { connections: number, tracks: number, heap: number | null }>} */
  const idle = {
    kit: { connections: 0, tracks: 0, heap: null },
    plain: { connections: 0, tracks: 0, heap: null },
  };
  for (const arm of ARMS) {
    // A fresh document per arm: neither the earlier figures' garbage nor the other arm's counts as growth.
    await openBench(page);
    for (let i = 0; i < CHURN_WARMUP; i++) await round(page, 'churn', arm);
    samples[arm].push({ cycle: 0, ...(await sample(page)) });
    progress(`  ${label} churn/${arm}: ${JSON.stringify(samples[arm][0])}`);
    for (let cycle = 1; cycle <= CHURN; cycle++) {
      times[arm].push(await round(page, 'churn', arm));
      if (at.includes(cycle)) {
        const taken = { cycle, ...(await sample(page)) };
        samples[arm].push(taken);
        progress(`  ${label} churn/${arm}: ${JSON.stringify(taken)}`);
      }
    }
    // And once more after a long idle: what a timer still held at the last sample has been let go by then, so
    // growth that remains here is kept for good.
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    idle[arm] = await sample(page);
    progress(`  ${label} churn/${arm} ${IDLE_MS / 1000} s later: ${JSON.stringify(idle[arm])}`);
  }
  const final = (/** @type {Arm} */ arm) => samples[arm][samples[arm].length - 1];
  const heap = (/** @type {Arm} */ arm) => {
    const points = samples[arm].flatMap(({ cycle, heap }) => (heap === null ? [] : [{ x: cycle, y: heap }]));
    const afterIdle = idle[arm].heap;
    if (points.length !== samples[arm].length || afterIdle === null) return null;
    return {
      growth: points[points.length - 1].y - points[0].y,
      slope: slope(points),
      growthAfterIdle: afterIdle - points[0].y,
    };
  };
  const kit = stats(times.kit);
  const plain = stats(times.plain);
  return {
    name: 'churn',
    title: 'churn: mount → both connected',
    browser,
    unit: 'ms',
    kit,
    plain,
    // No ratio: the arms do not alternate (see cycleMs), so the machine's drift between them would count as the kit's.
    ratio: null,
    rounds: CHURN,
    leftovers: {
      kit: { connections: final('kit').connections, tracks: final('kit').tracks },
      plain: { connections: final('plain').connections, tracks: final('plain').tracks },
    },
    heap: { kit: heap('kit'), plain: heap('plain') },
    samples,
    // Each cycle's time, in order, per arm: a slowdown within an arm shows here.
    cycleMs: times,
    afterIdle: { ms: IDLE_MS, ...idle },
  };
}

/**
 * Every figure in one browser, in one page.
 * @param {BrowserName} name @param {string} url
 */
async function benchBrowser(name, url) {
  const browser = await launch(name);
  /** @type {string[]} */
  const problems = [];
  try {
    const version = await browser.version();
    const page = await browser.newPage();
    page.on('pageerror', (error) =>
      problems.push(`page error: ${error instanceof Error ? error.message : error}`),
    );
    page.on('console', (message) => {
      // Vite's client says once that it has no socket to connect to (there is none, on purpose).
      if (message.type() === 'error' && !/vite|WebSocket/.test(message.text()))
        problems.push(`console: ${message.text()}`);
    });
    await openBench(page, url);
    if (!(await page.evaluate(() => /** @type {any} */ (globalThis).crossOriginIsolated)))
      throw new Error(
        'the bench page is not cross-origin isolated, so its clock is coarse (1 ms in Firefox)',
      );
    const frameMethod = String(await page.evaluate(() => /** @type {any} */ (globalThis).bench.frameMethod));
    /** @type {Figure[]} */
    const figures = [];
    for (const figure of TIMED.filter((f) => wanted(f.name))) {
      const started = Date.now();
      figures.push(await timedFigure(page, name, figure, frameMethod));
      progress(`  ${name} ${figure.name}: done in ${Math.round((Date.now() - started) / 1000)} s`);
    }
    if (wanted('sdp-growth')) figures.push(await sdpGrowth(page, name));
    if (wanted('churn')) {
      const figure = await churn(page, name);
      if (name === 'chromium') figure.heapWithoutCompilers = await churnWithoutCompilers(url);
      figures.push(figure);
    }
    if (problems.length) for (const figure of figures) figure.pageProblems = problems.slice(-20);
    // "Chrome/156.0.8078.79" (headless) and "firefox/153.7.0" read better as the browsers' names.
    return {
      version: `${name === 'chromium' ? 'Chromium' : 'Firefox'} ${version.split('/').pop()}`,
      figures,
    };
  } catch (error) {
    const shown = problems.length ? `\nthe page reported:\n  ${problems.slice(-20).join('\n  ')}` : '';
    throw new Error(`${name}: ${error instanceof Error ? error.message : error}${shown}`, { cause: error });
  } finally {
    await browser.close();
  }
}

/**
 * The churn again, in a Chromium whose V8 compilers are off (see NO_COMPILERS), for its heap alone: what the kit's
 * objects keep, without the machine code of functions warming up. Its timings are an interpreter's and not reported.
 * @param {string} url
 */
async function churnWithoutCompilers(url) {
  const browser = await launch('chromium', NO_COMPILERS);
  try {
    const page = await browser.newPage();
    await openBench(page, url);
    const { heap, samples, afterIdle } = await churn(page, 'chromium', 'chromium (V8 compilers off)');
    return { heap, samples, afterIdle };
  } finally {
    await browser.close();
  }
}

/** The commit measured, and whether src/ had changes not committed yet (another person may be editing it). */
function sourceVersion() {
  const git = (/** @type {string[]} */ ...args) =>
    execFileSync('git', args, { cwd: fileURLToPath(root), encoding: 'utf8' }).trim();
  try {
    return {
      commit: git('rev-parse', '--short', 'HEAD'),
      srcChanged: git('status', '--porcelain', 'src') !== '',
    };
  } catch {
    return { commit: null, srcChanged: null };
  }
}

async function main() {
  const started = Date.now();
  if (process.env.IN_TEST_NETNS !== '1')
    progress(
      'bench: not in a network namespace of its own (run as root for one); traffic stays on this machine',
    );
  const source = sourceVersion();
  if (SAME) progress(`bench: BENCH_SAME=${SAME}: both arms of the timed figures run the ${SAME} code`);
  const sizes = await measureSizes();
  const page = await startPage();
  await networkSettled();
  /** @type {Figure[]} */
  const figures = [];
  /** @type {Record<string, string>} */
  const versions = {};
  try {
    for (const name of BROWSERS) {
      progress(`bench: ${name}`);
      const result = await benchBrowser(name, page.url);
      versions[name] = result.version;
      figures.push(...result.figures);
    }
  } finally {
    await page.close();
  }
  const cpus = os.cpus();
  const machine = {
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpus: { model: cpus[0]?.model ?? 'unknown', count: cpus.length },
    memory: os.totalmem(),
    node: process.version,
    browsers: versions,
    networkNamespace: process.env.IN_TEST_NETNS === '1',
  };
  const date = new Date().toISOString();
  for (const size of sizes) {
    figures.push({
      name: `size-${size.name}`,
      title: `size: ${size.what}`,
      browser: null,
      unit: 'bytes, minified + gzip -9',
      kit: { median: size.gzip, min: size.gzip, max: size.gzip },
      plain: null,
      ratio: null,
      rounds: 1,
      minified: size.minified,
      gzip: size.gzip,
      ...(size.parts && { parts: size.parts }),
    });
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(`\n${textReport(figures, BROWSERS, sizes)}\n\ntotal run time: ${seconds} s`);
  const results = {
    machine,
    date,
    source,
    seconds,
    rounds: ROUNDS,
    churnCycles: CHURN,
    ...(SAME && { same: SAME }),
    figures,
  };
  if (process.env.BENCH_OUT) {
    await writeFile(process.env.BENCH_OUT, `${JSON.stringify(results, null, 2)}\n`);
    progress(
      `BENCH_OUT is set: results in ${process.env.BENCH_OUT}; bench/results.json and README.md left as they were`,
    );
    return;
  }
  if (ONLY || SAME) {
    progress(
      `${ONLY ? 'BENCH_ONLY' : 'BENCH_SAME'} is set: bench/results.json and README.md left as they were`,
    );
    return;
  }
  await writeFile(new URL('bench/results.json', root), `${JSON.stringify(results, null, 2)}\n`);
  const markdown = markdownReport({
    source,
    figures,
    browsers: BROWSERS,
    sizes,
    machine,
    date,
    rounds: ROUNDS,
    churn: CHURN,
  });
  await writeReadme(fileURLToPath(new URL('README.md', root)), markdown);
  progress('bench: wrote bench/results.json and the Benchmarks section of README.md');
}

main().catch((error) => {
  console.error(`\nbench failed: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
});
