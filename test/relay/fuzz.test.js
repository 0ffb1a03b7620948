// @ts-check
/**
 * Fuzz of the relay: clients send thousands of malformed frames (test/support/malformed-messages.js), one in the room
 * of two well-behaved peers that keep talking, one in a room of its own. The relay must stay up, answer bad frames
 * with its documented errors and close codes, deliver every message of the well-behaved peers exactly once, and keep
 * its memory and its rooms bounded. `FUZZ_SEED=n` picks other frames; each run prints a summary line.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startRelayServer } from '../../server/http.js';
import { CloseCode, MAX_MESSAGE_BYTES, MAX_NESTING } from '../../server/relay.js';
import {
  MAX_RELAY_MESSAGE_BYTES,
  malformedRelayFrames,
  RELAY_FRAME_CATEGORIES,
} from '../support/malformed-messages.js';
import { TestClient } from './client.js';

/** @typedef {import('../support/malformed-messages.js').MalformedRelayFrame} MalformedRelayFrame */
/** @typedef {{ close: number } | { error: string } | { forward: unknown }} Outcome */

setFlagsFromString('--expose-gc');
const gc = /** @type {() => void} */ (runInNewContext('gc'));

const FRAMES = 5000;
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);
/** The well-behaved peers send one message per interval: 40 a second, under the default limit of 50. */
const CHATTER_MS = 25;
/** Messages each well-behaved peer sends once the fuzz is over. */
const AFTER = 50;
const HEAP_GROWTH_BOUND_MB = 20;
/** Frames sent in one go, without waiting: more than the default burst of the rate limit (200) and as many again. */
const BURST = 500;
/** The error codes of the relay's protocol for a message it refuses. */
const ERROR_CODES = new Set(['bad-json', 'bad-message', 'unknown-type', 'unknown-peer', 'rate-limited']);

let counter = 0;

it('makes frames of every category, sized to the relay limit', () => {
  assert.equal(MAX_RELAY_MESSAGE_BYTES, MAX_MESSAGE_BYTES);
  const categories = new Set();
  for (const { category } of malformedRelayFrames(SEED, FRAMES)) categories.add(category);
  assert.deepEqual([...categories].sort(), [...RELAY_FRAME_CATEGORIES].sort());
});

it(
  `survives ${FRAMES} malformed frames per client with the default rate limit`,
  { timeout: 50_000 },
  async () => {
    await fuzzRelay('default limits', {}, false);
  },
);

it(
  `answers each of ${FRAMES} malformed frames per client as its protocol says, with a raised rate limit`,
  { timeout: 50_000 },
  async () => {
    await fuzzRelay('raised limit', { ratePerSecond: 1e7, burst: 1e7 }, true);
  },
);

/**
 * @param {string} label
 * @param {import('../../server/relay.js').RelayOptions} limits
 * @param {boolean} exact whether every frame is answered (no rate limit): then each answer is checked in order
 */
async function fuzzRelay(label, limits, exact) {
  const started = performance.now();
  /** @type {string[]} */
  const log = [];
  const server = await startRelayServer({ port: 0, ...limits, log: (line) => log.push(line) });
  /** @type {TestClient[]} */
  const clients = [];
  /** @type {ReturnType<typeof chatter>[]} */
  let talk = [];
  try {
    const room = `fuzz-${counter++}`;
    const ids = { a: `good-a-${counter}`, b: `good-b-${counter}`, near: `fuzz-near-${counter}` };
    const farId = `fuzz-far-${counter}`;
    const a = join(server.url, room, ids.a, clients);
    const b = join(server.url, room, ids.b, clients);
    await Promise.all([a.welcomed(), b.welcomed()]);
    const baseline = server.relay.stats();
    assert.deepEqual(baseline, { rooms: 1, peers: 2 });
    const heapBefore = heapUsed();

    talk = [chatter(a, ids.b, 'a'), chatter(b, ids.a, 'b')];
    const [near, far] = await Promise.all([
      drive({
        url: server.url,
        room,
        id: ids.near,
        frames: () => malformedRelayFrames(SEED, FRAMES, { peer: ids.b, self: ids.near }),
        peers: new Set(Object.values(ids)),
        exact,
        clients,
      }),
      drive({
        url: server.url,
        room: `fuzz-elsewhere-${counter}`,
        id: farId,
        frames: () => malformedRelayFrames(SEED + 1, FRAMES, { peer: ids.b, self: farId }),
        peers: new Set([farId]),
        exact,
        clients,
      }),
    ]);
    const sent = talk.map((t) => t.stop());
    for (const t of talk) t.burst(AFTER);

    // Every message of the well-behaved peers arrives exactly once, in order.
    for (const [receiver, from, name, count] of /** @type {const} */ ([
      [b, ids.a, 'a', sent[0] + AFTER],
      [a, ids.b, 'b', sent[1] + AFTER],
    ])) {
      const chat = () =>
        receiver.messages.filter((m) => m.type === 'signal' && m.from === from && m.data?.chat === name);
      await receiver.until(() => (chat().length >= count ? true : undefined), `${count} messages`, 10000);
      await new Promise((r) => setTimeout(r, 100)); // anything extra would have arrived by now
      const seqs = chat().map((m) => m.data.seq);
      assert.deepEqual(
        seqs,
        Array.from({ length: count }, (_, i) => i),
      );
    }

    const deliveredFromNear = checkForwarded({ a, b, ids, farId, forwarded: near.forwarded, exact });

    // The relay is up, has forgotten the fuzzing clients, and holds nothing for anyone.
    const health = await fetch(`http://127.0.0.1:${server.port}/health`);
    assert.equal(health.status, 200);
    await health.text();
    await a.until(
      () => (isDeepStrictEqual(server.relay.stats(), baseline) ? true : undefined),
      `the relay back to ${JSON.stringify(baseline)}, at ${JSON.stringify(server.relay.stats())}`,
    );
    assert.equal(server.relay['wss'].clients.size, 2);
    for (const members of server.relay['rooms'].values()) {
      for (const client of members.values()) {
        assert.equal(client.held, undefined);
        assert.equal(client.graceTimer, undefined);
      }
    }
    // No message failed, and a flood is logged once per connection, not once per frame.
    assert.deepEqual(
      log.filter((line) => line.includes('failed')),
      [],
    );
    assert.ok(log.length <= near.connections + far.connections, `${log.length} log lines`);

    for (const client of [a, b]) client.messages.length = 0;
    near.forwarded.length = 0;
    const heapAfter = heapUsed();
    const growthMb = (heapAfter - heapBefore) / 2 ** 20;

    const errors = sum(near.errors, far.errors);
    const closes = sum(near.closes, far.closes);
    console.log(
      `relay fuzz, ${label} (seed ${SEED}): ${near.sent + far.sent} frames sent by 2 clients ` +
        `over ${near.connections + far.connections} connections; errors ${format(errors)}; ` +
        `closes ${format(closes)}; ${deliveredFromNear} forwarded to a peer; ` +
        `heap ${mb(heapBefore)} -> ${mb(heapAfter)} MB; ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    assert.ok(growthMb < HEAP_GROWTH_BOUND_MB, `the heap grew by ${growthMb.toFixed(1)} MB`);
    if (exact) assert.equal(errors.get('rate-limited') ?? 0, 0);
  } finally {
    // Also after a failed check: a timer or socket left running would keep the test process from ending.
    for (const t of talk) t.stop();
    for (const client of clients) client.socket.terminate();
    await server.close();
  }
}

/**
 * What the fuzzing client in the room sent to a peer arrived as it was sent: all of it, or with the rate limit some
 * of it, in order, never twice, always from its real sender; nothing came from the other room. A function of its own,
 * so that nothing it looks at is still referenced when the heap is measured.
 * @param {object} o
 * @param {TestClient} o.a
 * @param {TestClient} o.b
 * @param {{ a: string, b: string, near: string }} o.ids
 * @param {string} o.farId
 * @param {unknown[]} o.forwarded what the fuzzing client in the room sent to `b` that the relay must forward
 * @param {boolean} o.exact
 * @returns {number} how many messages arrived
 */
function checkForwarded({ a, b, ids, farId, forwarded, exact }) {
  const fromNear = b.messages.filter((m) => m.type === 'signal' && m.from === ids.near);
  assertSubsequence(
    fromNear.map((m) => m.data),
    forwarded,
    exact,
  );
  assert.equal(b.messages.filter((m) => m.type === 'signal' && m.from === farId).length, 0);
  assert.ok(
    b.messages.every((m) => m.type !== 'signal' || m.from === ids.a || m.from === ids.near),
    'a forged sender',
  );
  assert.equal(a.messages.filter((m) => m.type === 'signal' && m.from !== ids.b).length, 0);
  return fromNear.length;
}

/**
 * @param {string} url
 * @param {string} room
 * @param {string} id
 * @param {TestClient[]} clients
 */
function join(url, room, id, clients) {
  const client = new TestClient(`${url}?${new URLSearchParams({ room, id })}`);
  clients.push(client);
  return client;
}

/**
 * A well-behaved peer: numbered messages to the other, on a timer, then a burst at the end.
 * @param {TestClient} from
 * @param {string} to
 * @param {string} chat
 */
function chatter(from, to, chat) {
  let seq = 0;
  const say = () => from.send({ type: 'signal', to, data: { chat, seq: seq++ } });
  const timer = setInterval(say, CHATTER_MS);
  return {
    stop() {
      clearInterval(timer);
      return seq;
    },
    /** @param {number} count */
    burst(count) {
      for (let i = 0; i < count; i++) say();
    },
  };
}

/**
 * Sends the frames from one client, answering for every frame what the relay must do with it. The client comes back
 * under its id whenever the relay closes it. Each connection starts with a full rate-limit bucket, so with the rate
 * limit the frames that close the connection go last: the others come fast enough, on few connections, to meet it.
 * @param {object} options
 * @param {string} options.url
 * @param {string} options.room
 * @param {string} options.id
 * @param {() => Iterable<MalformedRelayFrame>} options.frames makes the same frames each time
 * @param {Set<string>} options.peers ids of the peers in the room, the client's own included
 * @param {boolean} options.exact whether every frame is answered: then every answer is checked, in order
 * @param {TestClient[]} options.clients where each connection is noted, for the run to close them all
 */
async function drive({ url, room, id, frames, peers, exact, clients }) {
  const address = `${url}?${new URLSearchParams({ room, id })}`;
  const tally = {
    sent: 0,
    connections: 0,
    /** @type {Map<string, number>} */
    errors: new Map(),
    /** @type {Map<number, number>} */
    closes: new Map(),
    /** What the relay must have forwarded to the peer, in order. @type {unknown[]} */
    forwarded: [],
  };
  /** Error codes the current connection must answer with, in order. @type {string[]} */
  let expected = [];

  const errorsOf = (/** @type {TestClient} */ c) => c.messages.filter((m) => m.type === 'error');
  const connect = async () => {
    const client = new TestClient(address);
    clients.push(client);
    tally.connections++;
    expected = [];
    await client.welcomed();
    return client;
  };
  /** Waits until every frame sent on the connection that must be answered is, and checks the answers. */
  const settle = async (/** @type {TestClient} */ c) => {
    if (!exact) return;
    const answers = await c.until(
      () => (errorsOf(c).length >= expected.length || c.closed ? errorsOf(c) : undefined),
      `${expected.length} answers`,
      10000,
    );
    assert.deepEqual(
      answers.map((m) => m.code),
      expected,
    );
  };
  /** Counts the answers of a connection that is over, and checks their form. */
  const retire = (/** @type {TestClient} */ c) => {
    for (const error of errorsOf(c)) {
      assert.ok(ERROR_CODES.has(error.code), `unknown error ${JSON.stringify(error).slice(0, 200)}`);
      assert.equal(typeof error.message, 'string');
      // An unknown peer's error also says which id it was sent to.
      const keys =
        error.code === 'unknown-peer' ? ['code', 'message', 'to', 'type'] : ['code', 'message', 'type'];
      assert.deepEqual(Object.keys(error).sort(), keys);
      tally.errors.set(error.code, (tally.errors.get(error.code) ?? 0) + 1);
    }
    c.messages.length = 0;
  };
  /** @param {TestClient} c @param {number[]} allowed */
  const closed = async (c, allowed) => {
    const { code } = await c.closing(10000);
    assert.ok(allowed.includes(code), `closed with ${code}, expected ${allowed}`);
    tally.closes.set(code, (tally.closes.get(code) ?? 0) + 1);
    retire(c);
  };

  let current = await connect();
  const ordered = exact ? frames() : closingLast(frames, (item) => closeOf(item) !== undefined);
  for (const item of ordered) {
    if (current.socket.readyState !== current.socket.OPEN) {
      // Only the rate limit closes a client unannounced.
      await closed(current, exact ? [] : [CloseCode.rateLimited]);
      current = await connect();
    }
    const outcome = predict(item, peers, id);
    if ('close' in outcome) await settle(current); // before a reset can lose an answer
    current.socket.send(item.frame, { binary: typeof item.frame !== 'string' && !item.text });
    tally.sent++;
    if ('close' in outcome) {
      await closed(current, exact ? [outcome.close, 1006] : [outcome.close, 1006, CloseCode.rateLimited]);
      current = await connect();
    } else if ('error' in outcome) expected.push(outcome.error);
    else tally.forwarded.push(outcome.forward);
    // Bursts: the relay disconnects a client only for more than `burst` frames refused in a row.
    if (tally.sent % BURST === 0) await new Promise((r) => setImmediate(r));
    const { socket } = current;
    while (socket.readyState === socket.OPEN && socket.bufferedAmount > 2 ** 23)
      await new Promise((r) => setTimeout(r, 1));
  }
  await settle(current);
  if (current.socket.readyState !== current.socket.OPEN) {
    await closed(current, exact ? [] : [CloseCode.rateLimited]);
    current = await connect();
  }
  current.send({ type: 'leave' });
  const { code } = await current.closing();
  assert.equal(code, 1000);
  retire(current);
  return tally;
}

/**
 * The items that do not close the connection, then those that do; made twice rather than kept.
 * @template T
 * @param {() => Iterable<T>} make
 * @param {(item: T) => boolean} closes
 */
function* closingLast(make, closes) {
  for (const item of make()) if (!closes(item)) yield item;
  for (const item of make()) if (closes(item)) yield item;
}

/**
 * The code of the close a frame brings, before the relay reads it: too big, or text that is not UTF-8.
 * @param {MalformedRelayFrame} item
 */
function closeOf({ frame, text }) {
  const bytes = typeof frame === 'string' ? Buffer.byteLength(frame) : frame.byteLength;
  if (bytes > MAX_MESSAGE_BYTES) return 1009;
  if (typeof frame !== 'string' && text) return 1007;
  return undefined;
}

/**
 * What the relay must do with one frame, from its protocol (see server/relay.js): close the connection, answer with
 * an error, or forward the data to the peer named. The generator never makes a goodbye or good metadata.
 * @param {MalformedRelayFrame} item
 * @param {Set<string>} peers ids of the peers in the sender's room
 * @param {string} self the sender's id
 * @returns {Outcome}
 */
function predict(item, peers, self) {
  const close = closeOf(item);
  if (close !== undefined) return { close };
  const { frame } = item;
  if (typeof frame !== 'string') return { error: 'bad-message' };
  let message;
  try {
    message = JSON.parse(frame);
  } catch {
    return { error: 'bad-json' };
  }
  if (
    typeof message !== 'object' ||
    message === null ||
    Array.isArray(message) ||
    depthOf(frame) > MAX_NESTING
  )
    return { error: 'bad-message' };
  switch (message.type) {
    case 'signal':
      if (typeof message.to !== 'string') return { error: 'bad-message' };
      return peers.has(message.to) && message.to !== self
        ? { forward: message.data }
        : { error: 'unknown-peer' };
    case 'meta': {
      const { meta } = message;
      if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) return { error: 'bad-message' };
      throw new Error(`the generator made good metadata: ${frame.slice(0, 100)}`);
    }
    case 'leave':
      throw new Error('the generator made a goodbye');
    default:
      return { error: 'unknown-type' };
  }
}

/**
 * How deep the arrays and objects of JSON text nest, read from the text (the relay looks at the parsed value).
 * @param {string} json valid JSON text
 */
function depthOf(json) {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') deepest = Math.max(deepest, ++depth);
    else if (c === ']' || c === '}') depth--;
  }
  return deepest;
}

/**
 * Checks that what arrived is what was sent, in order and never twice: all of it, or, when the rate limit dropped
 * some, part of it.
 * @param {unknown[]} received
 * @param {unknown[]} sent
 * @param {boolean} all
 */
function assertSubsequence(received, sent, all) {
  if (all) assert.equal(received.length, sent.length, 'forwarded messages');
  let at = 0;
  for (const [i, item] of received.entries()) {
    while (at < sent.length && !isDeepStrictEqual(item, sent[at])) {
      assert.ok(!all, `forwarded message ${i} differs from what was sent`);
      at++;
    }
    assert.ok(at < sent.length, `forwarded message ${i} was never sent, or came twice or out of order`);
    at++;
  }
}

function heapUsed() {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** @param {number} bytes */
const mb = (bytes) => (bytes / 2 ** 20).toFixed(1);

/**
 * @template K
 * @param {...Map<K, number>} maps
 */
function sum(...maps) {
  /** @type {Map<K, number>} */
  const total = new Map();
  for (const map of maps) for (const [key, n] of map) total.set(key, (total.get(key) ?? 0) + n);
  return total;
}

/** @param {Map<unknown, number>} counts */
const format = (counts) =>
  counts.size === 0
    ? 'none'
    : [...counts]
        .sort(([a], [b]) => String(a).localeCompare(String(b)))
        .map(([key, n]) => `${key}: ${n}`)
        .join(', ');
