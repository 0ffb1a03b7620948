// @ts-check
/**
 * The page's side of the relay, `RelayRoom` (src/signaling/relay-room.ts), against the real relay: built by esbuild
 * as the browser would get it, over Node's `ws` client, which speaks the browser's WebSocket API (Node 20 has none).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, it } from 'node:test';
import { build } from 'esbuild';
import { WebSocket } from 'ws';
import { startRelayServer } from '../../server/http.js';
import { TestClient } from './client.js';

/** @type {Awaited<ReturnType<typeof startRelayServer>>} */
let server;
/**
 * The class as this test uses it (its own types need the DOM's, which Node's type check does not have).
 * @type {new (url: string) => { selfId: string, join(listener: object, meta: object): void, leave(): void }}
 */
let RelayRoom;
const dir = mkdtempSync(join(tmpdir(), 'relay-room-'));

before(async () => {
  // A browser's socket that fails fires an error event nobody need hear; ws throws one that has no listener.
  class BrowserLikeWebSocket extends WebSocket {
    /** @param {ConstructorParameters<typeof WebSocket>} args */
    constructor(...args) {
      super(...args);
      this.on('error', () => {});
    }
  }
  globalThis.WebSocket ??= /** @type {any} */ (BrowserLikeWebSocket);
  const { outputFiles } = await build({
    entryPoints: [new URL('../../src/signaling/relay-room.ts', import.meta.url).pathname],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    write: false,
  });
  const file = join(dir, 'relay-room.js');
  writeFileSync(file, outputFiles[0].text);
  ({ RelayRoom } = await import(pathToFileURL(file).href));
  server = await startRelayServer({ port: 0, graceMs: 5000 });
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true });
});

/** A room listener that writes down what it hears. */
function listening() {
  /** @type {string[]} */
  const heard = [];
  return {
    heard,
    listener: {
      joined: (/** @type {{ id: string }} */ peer) => heard.push(`joined ${peer.id}`),
      left: (/** @type {{ id: string }} */ peer) => heard.push(`left ${peer.id}`),
      updated: (/** @type {{ id: string }} */ peer) => heard.push(`updated ${peer.id}`),
      message: (/** @type {string} */ from, /** @type {unknown} */ data) =>
        heard.push(`message ${from} ${JSON.stringify(data)}`),
      error: (/** @type {Error} */ error) => heard.push(`error ${error.message}`),
    },
  };
}

const until = async (/** @type {() => boolean} */ done, /** @type {string} */ what, timeout = 5000) => {
  const deadline = Date.now() + timeout;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

it('drops what the relay held for it from a peer that left while its socket was down', async () => {
  const room = `held-${process.pid}`;
  const url = `${server.url}?room=${room}`;
  const { heard, listener } = listening();
  const self = new RelayRoom(url);
  self.join(listener, {});
  const gone = new TestClient(`${url}&id=gone-peer-1`);
  await gone.welcomed();
  await until(() => heard.includes('joined gone-peer-1'), 'the other peer met');
  // The socket drops; while it is down, the other peer writes and then leaves. The relay holds the message.
  server.relay.rooms.get(room)?.get(self.selfId)?.socket.terminate();
  await until(() => !!server.relay.rooms.get(room)?.get(self.selfId)?.graceTimer, 'the place kept');
  gone.send({ type: 'signal', to: self.selfId, data: { candidate: 'held' } });
  gone.send({ type: 'leave' });
  await gone.closing();
  await until(() => heard.includes('left gone-peer-1'), 'the other peer gone, once back');
  // A peer that comes now is met, and its messages are heard.
  const next = new TestClient(`${url}&id=next-peer-1`);
  await next.welcomed();
  next.send({ type: 'signal', to: self.selfId, data: { candidate: 'fresh' } });
  await until(() => heard.some((line) => line.startsWith('message next-peer-1')), 'the next peer heard');
  assert.deepEqual(
    heard.filter((line) => line.startsWith('message')),
    ['message next-peer-1 {"candidate":"fresh"}'],
  );
  self.leave();
  next.close();
});

it('leaves cleanly when left, joined and left again in one task', async () => {
  const room = `rejoin-${process.pid}`;
  const url = `${server.url}?room=${room}`;
  const other = new TestClient(`${url}&id=other-peer-1`);
  await other.welcomed();
  const first = listening();
  const self = new RelayRoom(url);
  self.join(first.listener, {});
  await until(() => first.heard.includes('joined other-peer-1'), 'the other peer met');
  const second = listening();
  // The second join's socket is still connecting when it is left: that leave threw, and the room stayed joined.
  self.leave();
  self.join(second.listener, {});
  self.leave();
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(server.relay.rooms.get(room)?.has(self.selfId) ?? false, false);
  assert.deepEqual(second.heard, []);
  other.close();
});
