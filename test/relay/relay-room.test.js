// @ts-check
/**
 * The page's side of the relay, `RelayRoom` (src/signaling/relay-room.ts), against the real relay: built by esbuild
 * as the browser would get it, over Node's `ws` client, which speaks the browser's WebSocket API (Node 20 has none).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, it } from 'node:test';
import { build } from 'esbuild';
import { WebSocket, WebSocketServer } from 'ws';
import { startRelayServer } from '../../server/http.js';
import { MAX_MESSAGE_BYTES, MAX_META_CHARS } from '../../server/relay.js';
import { TestClient, until } from './client.js';

/** @type {Awaited<ReturnType<typeof startRelayServer>>} */
let server;
/**
 * The class as this test uses it (its own types need the DOM's, which Node's type check does not have).
 * @type {new (url: string) => {
 *   selfId: string,
 *   join(listener: object, meta: object): void,
 *   send(to: string, data: unknown): void,
 *   setMeta(meta: object): void,
 *   leave(): void,
 * }}
 */
let RelayRoom;
/** The relay's limits as the client knows them. */
let client = { MAX_FRAME_BYTES: 0, MAX_META_CHARS: 0 };
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
  const module = await import(pathToFileURL(file).href);
  ({ RelayRoom } = module);
  client = module;
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
  server.relay['rooms'].get(room)?.get(self.selfId)?.socket.terminate();
  await until(() => !!server.relay['rooms'].get(room)?.get(self.selfId)?.graceTimer, 'the place kept');
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
  assert.equal(server.relay['rooms'].get(room)?.has(self.selfId) ?? false, false);
  assert.deepEqual(second.heard, []);
  other.close();
});

it('knows the relay limits', () => {
  assert.equal(client.MAX_FRAME_BYTES, MAX_MESSAGE_BYTES);
  assert.equal(client.MAX_META_CHARS, MAX_META_CHARS);
});

it('tells frames that are not of the relay protocol as errors, never throwing, and goes on', async () => {
  const malformed = [
    'null',
    '[]',
    '"welcome"',
    '{"type":"welcome","peers":{}}',
    '{"type":"welcome","peers":[{"id":7,"meta":{}}]}',
    '{"type":"joined"}',
    '{"type":"joined","peer":{}}',
    '{"type":"updated","peer":{"id":"p","meta":[]}}',
    '{"type":"left","id":{"toString":1}}',
    '{"type":"signal","from":{"toString":1},"data":{}}',
    '{"type":"error","code":{"toString":1},"message":"x"}',
  ];
  // A relay that is not the kit's: it sends the frames above, then a welcome and a message from a peer it names.
  const fake = new WebSocketServer({ port: 0 });
  fake.on('connection', (socket) => {
    for (const frame of malformed) socket.send(frame);
    socket.send(JSON.stringify({ type: 'welcome', peers: [{ id: 'real-peer', meta: {} }] }));
    socket.send(JSON.stringify({ type: 'signal', from: 'real-peer', data: { hello: 1 } }));
  });
  await new Promise((resolve) => fake.once('listening', resolve));
  const { heard, listener } = listening();
  const self = new RelayRoom(`ws://127.0.0.1:${/** @type {any} */ (fake.address()).port}/?room=r`);
  try {
    self.join(listener, {});
    await until(() => heard.includes('message real-peer {"hello":1}'), 'the welcome and message after them');
    const errors = heard.filter((line) => line.startsWith('error'));
    assert.equal(errors.length, malformed.length, heard.join('\n'));
    for (const error of errors)
      assert.match(error, /^error bad-message: the relay sent a frame that is not of its protocol$/);
    assert.deepEqual(
      heard.filter((line) => !line.startsWith('error')),
      ['joined real-peer', 'message real-peer {"hello":1}'],
    );
  } finally {
    self.leave();
    await new Promise((resolve) => fake.close(resolve));
  }
});

it('tells a message over the relay limit, or metadata it would refuse, and keeps its socket and metadata', async () => {
  const room = `limits-${process.pid}`;
  const url = `${server.url}?room=${room}`;
  const other = new TestClient(`${url}&id=other-peer-2`);
  await other.welcomed();
  const { heard, listener } = listening();
  const self = new RelayRoom(url);
  self.join(listener, { name: 'Ana' });
  await until(() => heard.includes('joined other-peer-2'), 'the other peer met');
  self.send('other-peer-2', { sdp: 'x'.repeat(MAX_MESSAGE_BYTES) });
  self.setMeta({ name: 'y'.repeat(MAX_META_CHARS) });
  self.send('other-peer-2', { small: true });
  await other.next((/** @type {any} */ m) => m.type === 'signal', 'the small message');
  assert.deepEqual(
    other.messages.filter((m) => m.type === 'signal').map((m) => m.data),
    [{ small: true }],
  );
  assert.deepEqual(
    heard.filter((line) => line.startsWith('error')).map((line) => line.split(':')[0]),
    ['error too-large', 'error bad-meta'],
  );
  // The same socket all along (joined once), and the metadata the relay took.
  assert.equal(other.messages.filter((m) => m.type === 'joined').length, 1);
  assert.deepEqual(server.relay['rooms'].get(room)?.get(self.selfId)?.meta, { name: 'Ana' });
  self.leave();
  other.close();
});

it('joins without metadata the relay would refuse, and tells it, rather than be refused for good', async () => {
  const room = `long-name-${process.pid}`;
  const other = new TestClient(`${server.url}?room=${room}&id=other-peer-3`);
  await other.welcomed();
  const { heard, listener } = listening();
  const self = new RelayRoom(`${server.url}?room=${room}`);
  try {
    self.join(listener, { name: 'y'.repeat(MAX_META_CHARS) });
    await until(() => heard.includes('joined other-peer-3'), 'the other peer met');
    assert.deepEqual(
      heard.filter((line) => line.startsWith('error')).map((line) => line.split(':')[0]),
      ['error bad-meta'],
    );
    assert.deepEqual(server.relay['rooms'].get(room)?.get(self.selfId)?.meta, {});
    // Joined, it can still name itself.
    self.setMeta({ name: 'Ana' });
    await other.next((/** @type {any} */ m) => m.type === 'updated', 'the name');
  } finally {
    self.leave();
    other.close();
  }
});

it('sends metadata set before its welcome once welcomed', async () => {
  const room = `late-meta-${process.pid}`;
  const url = `${server.url}?room=${room}`;
  const other = new TestClient(`${url}&id=other-peer-3`);
  await other.welcomed();
  const self = new RelayRoom(url);
  self.join(listening().listener, { name: 'Ana' });
  self.setMeta({ name: 'Ana B.' });
  await other.next(
    (/** @type {any} */ m) => m.type === 'updated' && m.peer.meta.name === 'Ana B.',
    'the new name',
  );
  self.leave();
  other.close();
});

/** Cuts this side's socket on the relay, and resolves once the page's side has seen it drop (its reconnection is due in 125 ms or more). */
async function cutSocket(/** @type {string} */ room, /** @type {{ selfId: string }} */ self) {
  server.relay['rooms'].get(room)?.get(self.selfId)?.socket.terminate();
  await until(() => !!server.relay['rooms'].get(room)?.get(self.selfId)?.graceTimer, 'the place kept');
  await until(() => /** @type {any} */ (self).socket.readyState === WebSocket.CLOSED, 'the drop seen');
}

it('sends, once back, only the latest description for each peer and what came after it, within the relay rate', async () => {
  const room = `queue-${process.pid}`;
  const url = `${server.url}?room=${room}`;
  const other = new TestClient(`${url}&id=other-peer-4`);
  await other.welcomed();
  const { heard, listener } = listening();
  const self = new RelayRoom(url);
  self.join(listener, {});
  await until(() => heard.includes('joined other-peer-4'), 'the other peer met');
  await cutSocket(room, self);
  // An offer sent again every 2 s with its candidates, through a long outage: 300 times, 4 messages each.
  for (let i = 0; i < 300; i++) {
    self.send('other-peer-4', { description: { type: 'offer', sdp: `v=${i}` } });
    for (let c = 0; c < 3; c++) self.send('other-peer-4', { candidate: { candidate: `${i}-${c}` } });
  }
  await other.next((/** @type {any} */ m) => m.data?.candidate?.candidate === '299-2', 'the last candidate');
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual(
    other.messages
      .filter((m) => m.type === 'signal')
      .map((m) => m.data.description?.sdp ?? m.data.candidate.candidate),
    ['v=299', '299-0', '299-1', '299-2'],
  );
  assert.deepEqual(
    heard.filter((line) => line.startsWith('error')),
    [],
  );
  self.leave();
  other.close();
});

it('sends nothing queued to a peer that the relay, restarted, no longer has', async () => {
  const own = await startRelayServer({ port: 0, graceMs: 5000 });
  const url = `${own.url}?room=restart`;
  const other = new TestClient(`${url}&id=other-peer-5`);
  await other.welcomed();
  const { heard, listener } = listening();
  const self = new RelayRoom(url);
  self.join(listener, {});
  await until(() => heard.includes('joined other-peer-5'), 'the other peer met');
  await own.close();
  await until(() => /** @type {any} */ (self).socket.readyState === WebSocket.CLOSED, 'the relay gone');
  for (let i = 0; i < 5; i++) self.send('other-peer-5', { candidate: { candidate: `${i}` } });
  // The relay back on its port, without the other peer (a test client, which does not reconnect).
  const again = await startRelayServer({ port: own.port, graceMs: 5000 });
  try {
    await until(() => heard.includes('left other-peer-5'), 'the welcome without the other peer');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(
      heard.filter((line) => line.startsWith('error')),
      [],
    );
  } finally {
    self.leave();
    await again.close();
  }
});

it('says goodbye when left as its socket opens, before the welcome, so the room does not wait out its grace', async () => {
  const room = `early-leave-${process.pid}`;
  const url = `${server.url}?room=${room}`;
  const other = new TestClient(`${url}&id=other-peer-6`);
  await other.welcomed();
  const self = new RelayRoom(url);
  self.join(listening().listener, {});
  /** @type {any} */ (self).socket.addEventListener('open', () => self.leave(), { once: true });
  await other.next((/** @type {any} */ m) => m.type === 'left', 'the goodbye');
  assert.equal(other.messages.find((m) => m.type === 'left')?.reason, 'leave');
  assert.equal(server.relay['rooms'].get(room)?.has(self.selfId), false);
  other.close();
});

it('joins with metadata too long for the join address, and sends it once welcomed', async () => {
  const room = `long-meta-${process.pid}`;
  const url = `${server.url}?room=${room}`;
  const other = new TestClient(`${url}&id=other-peer-7`);
  await other.welcomed();
  // 1,911 characters of JSON, within the limit; 17 KiB percent-encoded, over Node's 16 KiB of headers.
  const name = '中'.repeat(1900);
  const { heard, listener } = listening();
  const self = new RelayRoom(url);
  self.join(listener, { name });
  await other.next(
    (/** @type {any} */ m) => m.type === 'updated' && m.peer.meta.name === name,
    'the name, after the join',
  );
  assert.deepEqual(
    heard.filter((line) => line.startsWith('error')),
    [],
  );
  self.leave();
  other.close();
});

it('tells metadata cleared while its socket was down once back, though the relay kept the old', async () => {
  const room = `cleared-meta-${process.pid}`;
  const url = `${server.url}?room=${room}`;
  const other = new TestClient(`${url}&id=other-peer-8`);
  await other.welcomed();
  const self = new RelayRoom(url);
  self.join(listening().listener, { name: 'Ana' });
  await other.next((/** @type {any} */ m) => m.type === 'joined' && m.peer.meta.name === 'Ana', 'Ana');
  await cutSocket(room, self);
  self.setMeta({});
  await other.next(
    (/** @type {any} */ m) => m.type === 'updated' && Object.keys(m.peer.meta).length === 0,
    'the name cleared',
  );
  self.leave();
  other.close();
});

it('closes at once, on leave(), a socket still connecting to a relay that does not answer', async () => {
  // A relay out of reach: the connection is taken, and the upgrade never answered.
  /** @type {import('node:net').Socket[]} */
  const accepted = [];
  const silent = createServer((socket) => {
    accepted.push(socket);
    // Read (and drop) the request, so that the far side's end of the connection is seen.
    socket.resume();
  });
  await new Promise((resolve) => silent.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (silent.address());
  /** @type {InstanceType<typeof RelayRoom> | undefined} */
  let self;
  try {
    self = new RelayRoom(`ws://127.0.0.1:${port}/?room=silent`);
    self.join(listening().listener, {});
    await until(() => accepted.length === 1, 'the connection to the silent relay');
    const closed = new Promise((resolve) => accepted[0].once('close', resolve));
    self.leave();
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    const late = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('the socket was still open 2 s after leave()')), 2000);
    });
    await Promise.race([closed, late]).finally(() => clearTimeout(timer));
  } finally {
    // Left also when the test failed early: a room still joined retries on timers that keep the process alive.
    self?.leave();
    for (const socket of accepted) socket.destroy();
    silent.close();
  }
});

/**
 * A room joined through a port of the test's own, in front of a relay for two peers, both taken: the first try goes
 * through at once and is refused for want of a place; later ones go through once `release()` is called, or, with
 * `never`, are taken and never answered, as over a network gone down. Resolves once a try after the refusal is under
 * way, with the room, what it heard, and a function that ends it all.
 * @param {'held' | 'never'} later
 */
async function joinedAfterRefusal(later) {
  const full = await startRelayServer({ port: 0, maxPeers: 2, graceMs: 5000 });
  const fillers = [1, 2].map((i) => new TestClient(`${full.url}?room=filler-${i}`));
  await Promise.all(fillers.map((filler) => filler.welcomed()));
  const relayUrl = new URL(full.url);
  /** @type {() => void} */
  let release = () => {};
  const released = new Promise((resolve) => (release = () => resolve(undefined)));
  /** @type {import('node:net').Socket[]} */
  const sockets = [];
  let tries = 0;
  const front = createServer((socket) => {
    tries++;
    sockets.push(socket);
    socket.pause();
    const pass = () => {
      if (socket.destroyed) return;
      const relay = connect(Number(relayUrl.port), '127.0.0.1');
      sockets.push(relay);
      socket.pipe(relay).pipe(socket);
      socket.resume();
    };
    if (tries === 1) pass();
    else if (later === 'never') socket.resume();
    else void released.then(pass);
  });
  await new Promise((resolve) => front.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (front.address());
  const url = `ws://127.0.0.1:${port}${relayUrl.pathname}`;
  const { heard, listener } = listening();
  const self = new RelayRoom(`${url}?room=after-full`);
  const close = async () => {
    self.leave();
    for (const socket of sockets) socket.destroy();
    for (const filler of fillers) filler.close();
    front.close();
    await full.close();
  };
  try {
    self.join(listener, {});
    await until(() => tries > 1, 'a try after the refusal');
  } catch (error) {
    await close();
    throw error;
  }
  return {
    url,
    heard,
    release,
    /** Frees a place in the relay: a peer that only closes its socket keeps its place through its grace. */
    freePlace: () => fillers[0].send({ type: 'leave' }),
    /** How many peers the relay has in a room. */
    peersIn: (/** @type {string} */ room) => full.relay['rooms'].get(room)?.size ?? 0,
    close,
  };
}

it('tells a relay out of reach, not a full one, when the network goes down after the relay refused it for want of a place', async () => {
  const { url, heard, close } = await joinedAfterRefusal('never');
  try {
    await until(() => heard.length > 0, 'an error', 15000);
    // The refusal's 5 s, then 5 s more that the try under way took without an answer.
    assert.deepEqual(heard, [
      `error unreachable: no connection to the relay at ${url} for 10 s; still trying`,
    ]);
  } finally {
    await close();
  }
});

it('tells a full relay when its refusal ends a try that was under way as the 5 s ran out', async () => {
  const { url, heard, release, close } = await joinedAfterRefusal('held');
  try {
    // Held past the 5 s, the try is then refused as the first was.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    assert.deepEqual(heard, []);
    release();
    await until(() => heard.length > 0, 'an error', 5000);
    assert.deepEqual(heard, [
      `error relay-full: the relay at ${url} has not let this side in for 5 s (the relay already has 2 peers; try again later); still trying`,
    ]);
  } finally {
    await close();
  }
});

it('tells nothing when the try under way as the 5 s ran out, after a refusal for want of a place, is welcomed', async () => {
  const { heard, release, freePlace, peersIn, close } = await joinedAfterRefusal('held');
  try {
    await new Promise((resolve) => setTimeout(resolve, 6000));
    // A place comes free while the try is held: let through, it is welcomed, and the wait for it ends.
    freePlace();
    await until(() => peersIn('filler-1') === 0, 'the place free');
    release();
    await until(() => peersIn('after-full') === 1, 'the held try welcomed', 5000);
    // Past the end of the wait for the held try (5 s after the first 5 s).
    await new Promise((resolve) => setTimeout(resolve, 4500));
    assert.deepEqual(
      heard.filter((line) => line.startsWith('error')),
      [],
    );
  } finally {
    await close();
  }
});

it('joins again through a new socket when the relay goes silent, before the room hears it gone', async () => {
  // A path that dies without a word (a NAT forgetting the connection): the first connection through this port stops
  // carrying anything either way, and nothing of its end reaches the other side; later ones pass.
  const quick = await startRelayServer({ port: 0, pingIntervalMs: 300, graceMs: 5000 });
  const relayUrl = new URL(quick.url);
  /** @type {import('node:net').Socket[]} */
  const sockets = [];
  let tries = 0;
  let cut = false;
  const front = createServer((socket) => {
    const first = ++tries === 1;
    const relay = connect(Number(relayUrl.port), '127.0.0.1');
    sockets.push(socket, relay);
    socket.on('error', () => {});
    relay.on('error', () => {});
    socket.on('data', (data) => (first && cut) || relay.write(data));
    relay.on('data', (data) => (first && cut) || socket.write(data));
    socket.on('close', () => (first && cut) || relay.destroy());
    relay.on('close', () => (first && cut) || socket.destroy());
  });
  await new Promise((resolve) => front.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (front.address());
  const self = new RelayRoom(`ws://127.0.0.1:${port}${relayUrl.pathname}?room=silent-path`);
  const other = new RelayRoom(`${quick.url}?room=silent-path`);
  const mine = listening();
  const theirs = listening();
  try {
    self.join(mine.listener, {});
    other.join(theirs.listener, {});
    await until(() => theirs.heard.includes(`joined ${self.selfId}`), 'the other peer meeting this one');
    cut = true;
    await until(() => tries === 2, 'a new socket after the relay went silent', 5000);
    await until(
      () => quick.relay['rooms'].get('silent-path')?.get(self.selfId)?.socket.readyState === 1,
      'rejoined',
    );
    other.send(self.selfId, 'after');
    self.send(other.selfId, 'back');
    await until(() => mine.heard.includes(`message ${other.selfId} "after"`), 'a message to this side');
    await until(() => theirs.heard.includes(`message ${self.selfId} "back"`), 'a message from this side');
    // Back within its place's grace: the room never heard it left (only that it came back, as `updated`).
    assert.deepEqual(
      theirs.heard.filter((line) => line.startsWith('error') || line.startsWith('left')),
      [],
    );
    assert.deepEqual(
      mine.heard.filter((line) => line.startsWith('error') || line.startsWith('left')),
      [],
    );
  } finally {
    self.leave();
    other.leave();
    for (const socket of sockets) socket.destroy();
    front.close();
    await quick.close();
  }
});

it('keeps its socket when its own thread was busy past the heartbeats, and the relay was there all along', async () => {
  // A relay of a process of its own, so that it goes on sending while this one is busy: its welcome and a heartbeat
  // every 200 ms, and no WebSocket pings (which Node's client, unlike a browser, answers on the busy thread).
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { WebSocketServer } from 'ws';
       const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
       server.on('connection', (socket) => {
         socket.send(JSON.stringify({ type: 'welcome', id: 'x', room: 'busy', peers: [], heartbeatMs: 200 }));
         setInterval(() => socket.send(JSON.stringify({ type: 'ping' })), 200);
       });
       server.on('listening', () => console.log(server.address().port));`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], cwd: new URL('../..', import.meta.url).pathname },
  );
  /** @type {InstanceType<typeof RelayRoom> | undefined} */
  let self;
  const Socket = globalThis.WebSocket;
  try {
    const port = await new Promise((resolve, reject) => {
      child.stdout.once('data', (data) => resolve(String(data).trim()));
      child.once('exit', () => reject(new Error('the relay exited')));
    });
    /** @type {unknown[]} */
    const opened = [];
    // Counts the sockets the room opens.
    globalThis.WebSocket = /** @type {any} */ (
      class extends /** @type {any} */ (Socket) {
        /** @param {unknown[]} args */
        constructor(...args) {
          super(...args);
          opened.push(this);
        }
      }
    );
    const { heard, listener } = listening();
    self = new RelayRoom(`ws://127.0.0.1:${port}/signal?room=busy`);
    self.join(listener, {});
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Busy for three times what 2.5 heartbeats are: the relay's frames wait to be read.
    const busyUntil = Date.now() + 1500;
    while (Date.now() < busyUntil);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(opened.length, 1, 'the same socket all along');
    assert.deepEqual(heard, []);
  } finally {
    globalThis.WebSocket = Socket;
    self?.leave();
    child.kill();
  }
});

it('sends nothing over the limit a relay says, or an earlier relay that says none (64 KiB), and tells it', async () => {
  const fake = new WebSocketServer({ port: 0, host: '127.0.0.1', maxPayload: 64 * 1024 });
  /** @type {unknown[]} */
  const received = [];
  let closes = 0;
  fake.on('connection', (socket) => {
    socket.send(
      JSON.stringify({ type: 'welcome', id: 'x', room: 'old', peers: [{ id: 'other-peer-9', meta: {} }] }),
    );
    socket.on('message', (data) => received.push(JSON.parse(String(data))));
    socket.on('close', () => closes++);
  });
  await new Promise((resolve) => fake.once('listening', resolve));
  const { port } = /** @type {import('node:net').AddressInfo} */ (fake.address());
  const { heard, listener } = listening();
  const self = new RelayRoom(`ws://127.0.0.1:${port}/signal?room=old`);
  try {
    self.join(listener, {});
    await until(() => heard.includes('joined other-peer-9'), 'the welcome');
    self.send('other-peer-9', { sdp: 'x'.repeat(80_000) });
    self.send('other-peer-9', { small: true });
    await until(() => received.length === 1, 'the small message');
    assert.deepEqual(received, [{ type: 'signal', to: 'other-peer-9', data: { small: true } }]);
    const bytes = JSON.stringify({
      type: 'signal',
      to: 'other-peer-9',
      data: { sdp: 'x'.repeat(80_000) },
    }).length;
    assert.deepEqual(
      heard.filter((line) => line.startsWith('error')),
      [`error too-large: a message of ${bytes} bytes is over the relay's limit of ${64 * 1024}`],
    );
    assert.equal(closes, 0);
  } finally {
    self.leave();
    await new Promise((resolve) => fake.close(resolve));
  }
});
