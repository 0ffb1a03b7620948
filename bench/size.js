// @ts-check
/**
 * What the kit weighs: each bundle built by esbuild (bundled, minified, ES module, ES2022, with the project's
 * tsconfig, whose `useDefineForClassFields: false` Lit's declared properties need), measured raw and gzipped at
 * level 9. Lit is the page's to provide once, so it is external to the kit's bundles and measured on its own, with the
 * modules of it that the kit imports. Nothing else is external: any other package the kit came to import would count
 * in its bundles.
 */
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const LIT = ['lit', 'lit/*'];

/**
 * `parts`: for a bundle marked `byFile` (the core), its minified bytes by the source file they come from, largest
 * first: where its weight lies, for deciding what it should hold.
 * @typedef {{ name: string, what: string, minified: number, gzip: number, parts?: Part[] }} Size
 * @typedef {{ source: string, minified: number }} Part
 */

/**
 * The bundles measured; `byFile`: report the bundle's bytes by source file too (see Size).
 * @type {{ name: string, what: string, contents: string, external: string[], byFile?: boolean }[]}
 */
const BUNDLES = [
  {
    name: 'core',
    what: '<peer-connection>, <local-track>, <remote-stream> and loopback signaling (lit external)',
    contents: [
      "export { PeerConnection } from './src/peer-connection/peer-connection.js';",
      "export { LocalTrack } from './src/local-track/local-track.js';",
      "export { RemoteStream } from './src/remote-stream/remote-stream.js';",
      "export { LoopbackChannel } from './src/signaling/loopback.js';",
    ].join('\n'),
    external: LIT,
    byFile: true,
  },
  {
    name: 'everything',
    what: 'src/define.ts: every element registered (lit external)',
    contents: "export * from './src/define.js';",
    external: LIT,
  },
  {
    name: 'lit',
    what: 'lit, with the directives the kit imports (live, repeat)',
    contents: [
      "export * from 'lit';",
      "export * from 'lit/directives/live.js';",
      "export * from 'lit/directives/repeat.js';",
    ].join('\n'),
    external: [],
  },
];

/** @returns {Promise<Size[]>} */
export async function measureSizes() {
  return Promise.all(
    BUNDLES.map(async ({ name, what, contents, external, byFile }) => {
      const result = await build({
        stdin: { contents, resolveDir: root, sourcefile: `${name}-entry.ts`, loader: 'ts' },
        absWorkingDir: root,
        bundle: true,
        minify: true,
        format: 'esm',
        target: 'es2022',
        tsconfig: 'tsconfig.json',
        external,
        write: false,
        metafile: true,
        logLevel: 'silent',
      });
      const code = result.outputFiles[0].contents;
      const size = { name, what, minified: code.byteLength, gzip: gzipSync(code, { level: 9 }).byteLength };
      return byFile ? { ...size, parts: partsOf(result.metafile) } : size;
    }),
  );
}

/** @param {import('esbuild').Metafile} metafile @returns {Part[]} */
function partsOf(metafile) {
  const [output] = Object.values(metafile.outputs);
  return Object.entries(output.inputs)
    .filter(([, { bytesInOutput }]) => bytesInOutput > 0)
    .map(([source, { bytesInOutput }]) => ({ source, minified: bytesInOutput }))
    .sort((a, b) => b.minified - a.minified);
}
