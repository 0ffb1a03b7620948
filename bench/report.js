// @ts-check
/**
 * The results table (plain text for the terminal, Markdown for README.md) and the README section.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { format, resolveConfig } from 'prettier';

/** @typedef {import('./statistics.js').Stats} Stats */
/**
 * One figure in one browser, as results.json holds it; `kit`/`plain` are null where there is no such arm.
 * @typedef {{
 *   name: string, title: string, browser: string | null, unit: string, kit: Stats | null, plain: Stats | null,
 *   ratio: number | null, ratioInterval?: [number, number] | null, rounds: number, [extra: string]: unknown
 * }} Figure
 */

/** @param {number | null | undefined} n */
const num = (n) =>
  n == null ? 'n/a' : Number.isInteger(n) || Math.abs(n) >= 100 ? Math.round(n).toString() : n.toFixed(1);
/** @param {Stats | null} s */
const cell = (s) =>
  s ? (s.min === s.max ? num(s.median) : `${num(s.median)} [${num(s.min)}–${num(s.max)}]`) : 'n/a';
/** @param {number | null} r @param {[number, number] | null} [interval] */
const ratioCell = (r, interval) =>
  r == null
    ? '–'
    : interval
      ? `${r.toFixed(2)} [${interval[0].toFixed(2)}–${interval[1].toFixed(2)}]`
      : r.toFixed(2);

/** The table rows of one figure: most figures make one row, churn makes one per thing it measures. */
function rowsOf(/** @type {Figure} */ figure) {
  if (figure.name === 'sdp-growth') {
    const counts = /** @type {Record<'kit' | 'plain', Record<string, number>>} */ (figure.mLines);
    const series = (/** @type {Record<string, number>} */ c) => Object.values(c).join(' → ');
    const cycles = Object.keys(counts.kit).join('/');
    return [
      [
        figure.title,
        `m-lines at cycles ${cycles}`,
        series(counts.kit),
        series(counts.plain),
        ratioCell(figure.ratio),
      ],
    ];
  }
  const rows = [
    [
      figure.title,
      figure.unit,
      cell(figure.kit),
      cell(figure.plain),
      ratioCell(figure.ratio, figure.ratioInterval),
    ],
  ];
  if (figure.name === 'churn') {
    const left = /** @type {Record<'kit' | 'plain', { connections: number, tracks: number }>} */ (
      figure.leftovers
    );
    const heap =
      /** @type {Record<'kit' | 'plain', { growth: number, slope: number, growthAfterIdle: number } | null>} */ (
        figure.heap
      );
    const idle = /** @type {{ ms: number }} */ (figure.afterIdle).ms / 1000;
    const interpreted =
      /** @type {{ heap: Record<'kit' | 'plain', { growth: number, slope: number, growthAfterIdle: number } | null> } | undefined} */ (
        figure.heapWithoutCompilers
      )?.heap;
    const cycles = `after ${figure.rounds} cycles`;
    rows.push(
      [
        'churn: connections not closed',
        `count ${cycles}`,
        num(left.kit.connections),
        num(left.plain.connections),
        '–',
      ],
      [
        'churn: captured tracks still live',
        `count ${cycles}`,
        num(left.kit.tracks),
        num(left.plain.tracks),
        '–',
      ],
      ['churn: JS heap growth', `bytes ${cycles}`, num(heap.kit?.growth), num(heap.plain?.growth), '–'],
      ['churn: JS heap slope', 'bytes per cycle', num(heap.kit?.slope), num(heap.plain?.slope), '–'],
      [
        'churn: JS heap growth',
        `bytes, ${idle} s after the last cycle`,
        num(heap.kit?.growthAfterIdle),
        num(heap.plain?.growthAfterIdle),
        '–',
      ],
    );
    if (interpreted)
      rows.push(
        [
          'churn: JS heap growth, V8 compilers off',
          `bytes ${cycles}`,
          num(interpreted.kit?.growth),
          num(interpreted.plain?.growth),
          '–',
        ],
        [
          'churn: JS heap slope, V8 compilers off',
          'bytes per cycle',
          num(interpreted.kit?.slope),
          num(interpreted.plain?.slope),
          '–',
        ],
        [
          'churn: JS heap growth, V8 compilers off',
          `bytes, ${idle} s after the last cycle`,
          num(interpreted.kit?.growthAfterIdle),
          num(interpreted.plain?.growthAfterIdle),
          '–',
        ],
      );
  }
  return rows;
}

const HEADER = [
  'Figure',
  'Unit',
  'Kit median [min–max]',
  'Plain median [min–max]',
  'Kit / plain [95% interval]',
];

/** @param {string[][]} rows */
function textTable(rows) {
  const widths = HEADER.map((_, i) => Math.max(...[HEADER, ...rows].map((r) => r[i].length)));
  return [HEADER, ...rows]
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** @param {string[]} header @param {string[][]} rows */
const markdownTable = (header, rows) =>
  [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');

/**
 * @param {Figure[]} figures
 * @param {string[]} browsers
 * @param {import('./size.js').Size[]} sizes
 */
export function textReport(figures, browsers, sizes) {
  const parts = browsers.map((browser) => {
    const rows = figures.filter((f) => f.browser === browser).flatMap(rowsOf);
    return `${browser}\n${textTable(rows)}`;
  });
  const sizeRows = sizes.map(
    (s) =>
      `${s.name.padEnd(10)}  ${String(s.minified).padStart(7)} B minified  ${String(s.gzip).padStart(6)} B gzip  (${s.what})`,
  );
  const partRows = sizes.flatMap((s) =>
    (s.parts ?? []).map((part) => `  ${s.name}: ${String(part.minified).padStart(6)} B from ${part.source}`),
  );
  return [...parts, `size\n${[...sizeRows, ...partRows].join('\n')}`].join('\n\n');
}

/**
 * The README section: what machine, how to reproduce, a table per browser and the sizes.
 * @param {{
 *   figures: Figure[], browsers: string[], sizes: import('./size.js').Size[], machine: any, date: string,
 *   rounds: number, churn: number, source: { commit: string | null, srcChanged: boolean | null }
 * }} run
 */
export function markdownReport({ figures, browsers, sizes, machine, date, rounds, churn, source }) {
  const versions = browsers.map((b) => machine.browsers[b]).join(' and ');
  const code = source.commit
    ? `commit ${source.commit}${source.srcChanged ? ' with uncommitted changes in src/' : ''}, `
    : '';
  const lines = [
    `Measured (${code}${date.slice(0, 10)}) on ${machine.cpus.count} × ${machine.cpus.model}, ` +
      `${Math.round(machine.memory / 2 ** 30)} GiB, ${machine.os}, Node ${machine.node}, ${versions}; ` +
      `${rounds} rounds per timed figure after a warm-up, kit and plain code alternating in one page, ` +
      'each first in every other pair (cross-origin isolated, so the clock is finer than 1 ms in both browsers; Chromium collects garbage between ' +
      "rounds, so that one arm's is not collected during the other's), " +
      `${churn} churn cycles. Reproduce with \`npm run bench\` (it also writes \`bench/results.json\`).`,
    '',
    "Kit / plain is the ratio of the medians. The interval after it is its 95% bootstrap interval (each arm's " +
      'rounds resampled 4,000 times): how precisely one run measures the ratio. On two busy cores it spans several ' +
      'per cent, so a ratio of 1.07 whose interval reaches below 1.05 does not show that the kit misses the target, ' +
      'and a ratio of 1.03 whose interval reaches above 1.05 does not show that it meets it.',
    '',
    'The JS heap is read after a forced garbage collection. With V8 compiling as usual it also holds the machine ' +
      'code of functions that warm up during the churn, which grows for hundreds of cycles (more in the kit arm, ' +
      'which runs more distinct functions); heap snapshots showed that growth to be compiled code only, JS objects ' +
      'flat. The churn is therefore run once more in a Chromium with V8 compilers off, where the heap holds only ' +
      'what the code keeps: those are the "V8 compilers off" rows. The churn runs all of one arm in a fresh ' +
      'document, then all of the other, so its times get no ratio: what changed on the machine between the arms ' +
      "would count as the kit's. Each cycle's time is in `bench/results.json` (`cycleMs`), to show a slowdown " +
      'within an arm.',
  ];
  for (const browser of browsers) {
    lines.push('', `### ${machine.browsers[browser]}`, '');
    lines.push(markdownTable(HEADER, figures.filter((f) => f.browser === browser).flatMap(rowsOf)));
  }
  lines.push('', '### Size', '');
  lines.push(
    markdownTable(
      ['Bundle', 'What', 'Minified (bytes)', 'Minified + gzip -9 (bytes)'],
      sizes.map((s) => [
        s.name,
        s.what.replace(/</g, '`<').replace(/>/g, '>`'),
        String(s.minified),
        String(s.gzip),
      ]),
    ),
  );
  for (const { name, minified, parts } of sizes) {
    if (!parts) continue;
    lines.push(
      '',
      `Where the ${name}'s minified bytes come from (gzip compresses the files together, so only the whole has a gzip ` +
        'size):',
      '',
      markdownTable(
        ['Source', 'Minified (bytes)', 'Share'],
        parts.map((part) => [
          part.source,
          String(part.minified),
          `${((100 * part.minified) / minified).toFixed(1)}%`,
        ]),
      ),
    );
  }
  return lines.join('\n');
}

const START = '<!-- bench:start -->';
const END = '<!-- bench:end -->';

/**
 * Puts `markdown` between the bench markers of README.md, changing nothing else; appends a Benchmarks section with
 * the markers when there is none. The section is formatted with the project's Prettier settings, as the lint expects.
 * @param {string} readmePath
 * @param {string} markdown
 */
export async function writeReadme(readmePath, markdown) {
  const options = { ...(await resolveConfig(readmePath)), parser: 'markdown' };
  const body = (await format(markdown, options)).trim();
  let readme = await readFile(readmePath, 'utf8');
  if (!readme.includes(START) || !readme.includes(END)) {
    readme = `${readme.trimEnd()}\n\n## Benchmarks\n\n${START}\n${END}\n`;
  }
  const before = readme.slice(0, readme.indexOf(START) + START.length);
  const after = readme.slice(readme.indexOf(END));
  await writeFile(readmePath, `${before}\n\n${body}\n\n${after}`);
}
