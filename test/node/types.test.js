// @ts-check
/**
 * The published types (`dist/`, made by `npm run build`) as a TypeScript project that installed the kit sees them:
 * strict, an ES module, checking libraries too (`skipLibCheck: false`), with the repository's packages beside it but
 * only the type packages an install of the kit brings. A page's code needs no Node types, and a server's needs Node's
 * but not those of `ws`, which the relay uses inside.
 */
import assert from 'node:assert/strict';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../../', import.meta.url));
/** @type {string} */
let project;

before(() => {
  assert.ok(existsSync(join(root, 'dist/index.d.ts')), 'dist/ is missing: run npm run build first');
  project = mkdtempSync(join(tmpdir(), 'kit-types-'));
  const modules = join(project, 'node_modules');
  // The kit as npm installs it: its own folder, so nothing resolves through the repository's node_modules.
  const kit = join(modules, 'webrtc-elements');
  mkdirSync(kit, { recursive: true });
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  for (const entry of ['package.json', 'dist', 'server', 'src'])
    cpSync(join(root, entry), join(kit, entry), { recursive: true });
  // The packages, linked from the repository's. Of type packages only those an install of the kit brings (lit's
  // @types/trusted-types, not development ones in the lockfile): the others are those a test asks for.
  for (const name of readdirSync(join(root, 'node_modules'))) {
    if (name !== '@types' && !name.startsWith('.'))
      symlinkSync(join(root, 'node_modules', name), join(modules, name));
  }
  mkdirSync(join(modules, '@types'));
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  for (const [path, { dev }] of Object.entries(lock.packages)) {
    if (path.startsWith('node_modules/@types/') && !dev) symlinkSync(join(root, path), join(project, path));
  }
});

after(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

/**
 * Type-checks one file of a consumer's code; returns the problems found, as text.
 * @param {string} code @param {{ lib: string[], types: string[] }} options the consumer's libs and installed @types
 */
function check(code, { lib, types }) {
  for (const name of types) {
    const link = join(project, 'node_modules/@types', name);
    if (!existsSync(link)) symlinkSync(join(root, 'node_modules/@types', name), link);
  }
  const file = join(project, `consumer-${lib.join('-')}.ts`);
  writeFileSync(file, code);
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: lib.map((name) => `lib.${name}.d.ts`),
    types,
    // Symlinked packages resolve their own imports from where they are linked, as installed ones would.
    preserveSymlinks: true,
  });
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`)
    .join('\n');
}

it("checks a page's use of the elements with the DOM's types alone", () => {
  const problems = check(
    `import { PeerConnection, LocalTrack, RemoteStream, CallErrorEvent } from 'webrtc-elements';
import 'webrtc-elements/define';
const call: PeerConnection = document.createElement('peer-connection');
const camera: LocalTrack = document.createElement('local-track');
const tile: RemoteStream = document.createElement('remote-stream');
call.addEventListener('error', (event) => console.log(event instanceof CallErrorEvent && event.operation));
camera.kind = 'video';
tile.sinkId = '';
console.log(call.state, camera.track, tile.stream);
`,
    { lib: ['es2022', 'dom', 'dom.iterable'], types: [] },
  );
  assert.equal(problems, '');
});

it("checks a server's use of the relay and the Vite plugin with Node's types and none of ws", () => {
  const problems = check(
    `import { createServer } from 'node:http';
import { Relay } from 'webrtc-elements/server/relay';
import { startRelayServer } from 'webrtc-elements/server';
import { relayPlugin } from 'webrtc-elements/server/vite-plugin';
import { defineConfig } from 'vite';
const relay: Relay = new Relay({ maxPeersPerRoom: 4 }).attach(createServer());
const { rooms, peers }: { rooms: number; peers: number } = relay.stats();
void relay.close();
void startRelayServer({ port: 0 }).then((server) => server.close());
console.log(rooms, peers, defineConfig({ plugins: [relayPlugin({ path: '/signal' })] }));
`,
    { lib: ['es2022'], types: ['node'] },
  );
  assert.equal(problems, '');
  assert.ok(!existsSync(join(project, 'node_modules/@types/ws')));
});
