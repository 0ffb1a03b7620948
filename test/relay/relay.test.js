// @ts-check
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startRelayServer } from '../../server/http.js';
import {
  CLOSE_WAIT_MS,
  CloseCode,
  MAX_BUFFERED_BYTES,
  MAX_HELD_BYTES,
  MAX_MESSAGE_BYTES,
} from '../../server/relay.js';
import { TestClient, until } from './client.js';

/** @type {Awaited<ReturnType<typeof startRelayServer>>} */
let server;
const clients = /** @type {TestClient[]} */ ([]);
let counter = 0;

/** @param {string} room @param {Record<string, string>} [query] @param {import('ws').ClientOptions} [options] */
function join(room, query = {}, options = {}, url = server.url) {
  const params = new URLSearchParams({ room, id: `peer-${process.pid}-${counter++}`, ...query });
  const client = new TestClient(`${url}?${params}`, options);
  clients.push(client);
  return client;
}

/**
 * Sends a raw upgrade request for `target` and resolves with all that is read until the server closes the connection;
 * nothing is sent back (not even a close frame). Fails if the server sends nothing for `idleMs`.
 */
const rawUpgrade = (/** @type {string} */ target, idleMs = 3000) =>
  /** @type {Promise<string>} */ (
    new Promise((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1', () =>
        socket.write(
          `GET ${target} HTTP/1.1\r\nHost: relay\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
        ),
      );
      let answer = '';
      socket.on('data', (data) => (answer += data.toString('latin1')));
      socket.on('close', () => resolve(answer));
      socket.on('error', reject);
      socket.setTimeout(idleMs, () => reject(new Error(`the connection for ${target} was kept open`)));
    })
  );

const uniqueRoom = () => `room-${counter++}`;

before(async () => {
  server = await startRelayServer({
    port: 0,
    pingIntervalMs: 300,
    ratePerSecond: 100,
    burst: 50,
    maxPeersPerRoom: 4,
    graceMs: 300,
  });
});
after(async () => {
  for (const client of clients) client.socket.terminate();
  await server.close();
});

describe('rooms', () => {
  it('welcomes a peer with the others in the room and announces joins and leaves', async () => {
    const room = uniqueRoom();
    const a = join(room);
    const welcomeA = await a.welcomed();
    assert.deepEqual(welcomeA.peers, []);
    const b = join(room, {}, {});
    const welcomeB = await b.welcomed();
    assert.deepEqual(welcomeB.peers, [{ id: welcomeA.id, meta: {} }]);
    const joined = await a.next((m) => m.type === 'joined', 'joined');
    assert.equal(joined.peer.id, welcomeB.id);
    b.send({ type: 'leave' });
    const left = await a.next((m) => m.type === 'left', 'left');
    assert.deepEqual(left, { type: 'left', id: welcomeB.id, reason: 'leave' });
    assert.equal((await b.closing()).code, 1000);
  });

  it('tells each peer its heartbeat interval, and sends it a heartbeat frame that often', async () => {
    const a = join(uniqueRoom());
    const welcome = await a.welcomed();
    assert.equal(welcome.heartbeatMs, 300);
    assert.equal(welcome.maxMessageBytes, MAX_MESSAGE_BYTES);
    await a.until(
      () => (a.messages.filter((m) => m.type === 'ping').length >= 2 ? true : undefined),
      'two heartbeats',
      2000,
    );
    assert.deepEqual(
      a.messages.find((m) => m.type === 'ping'),
      { type: 'ping' },
    );
  });

  it('says "gone" for a peer whose socket just closed', async () => {
    const room = uniqueRoom();
    const a = join(room);
    await a.welcomed();
    const b = join(room);
    const { id } = await b.welcomed();
    b.socket.terminate();
    const left = await a.next((m) => m.type === 'left', 'left');
    assert.deepEqual(left, { type: 'left', id, reason: 'gone' });
  });

  it('keeps the place of a peer whose socket dropped: messages wait, and nobody hears it left', async () => {
    const room = uniqueRoom();
    const a = join(room);
    await a.welcomed();
    const b = join(room, { id: 'blinking-peer-1' });
    await b.welcomed();
    b.send({ type: 'meta', meta: { name: 'Blink' } });
    await a.next((m) => m.type === 'updated', 'the name');
    b.socket.terminate();
    // Once the relay has seen the socket go, messages for the peer are held.
    while (!server.relay['rooms'].get(room)?.get('blinking-peer-1')?.held)
      await new Promise((r) => setTimeout(r, 10));
    a.send({ type: 'signal', to: 'blinking-peer-1', data: 'while you were away' });
    const back = join(room, { id: 'blinking-peer-1' });
    const welcome = await back.welcomed();
    assert.deepEqual(
      welcome.peers.map((/** @type {{id: string}} */ p) => p.id),
      [(await a.welcomed()).id],
    );
    const held = await back.next((m) => m.type === 'signal', 'the held message');
    assert.equal(held.data, 'while you were away');
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(a.messages.filter((m) => m.type === 'left').length, 0);
    assert.deepEqual(a.messages.filter((m) => m.type === 'joined').at(-1).peer, {
      id: 'blinking-peer-1',
      meta: { name: 'Blink' },
    });
  });

  it('holds nothing for a peer after a signal for it was lost to its closing socket', async () => {
    // Its own relay: a grace long enough for the peer to come back on a loaded machine, and no ping to cut it first.
    const own = await startRelayServer({ port: 0, graceMs: 5000, pingIntervalMs: 60_000 });
    const url = own.url;
    const room = uniqueRoom();
    const opened = [];
    try {
      const a = join(room, {}, {}, url);
      const b = join(room, { id: 'closing-peer-1' }, {}, url);
      opened.push(a, b);
      await a.welcomed();
      await b.welcomed();
      // The peer starts to close and then stops reading: the relay has answered its close, but the connection stays
      // up, so the relay's socket is closing and not yet found closed.
      const raw = /** @type {any} */ (b.socket)._socket;
      raw.pause();
      b.socket.close();
      const onRelay = () => own.relay['rooms'].get(room)?.get('closing-peer-1');
      await until(() => onRelay()?.socket.readyState === 2, 'the socket closing');
      a.send({ type: 'signal', to: 'closing-peer-1', data: 'lost' });
      await new Promise((r) => setTimeout(r, 50));
      raw.destroy();
      await until(() => !!onRelay()?.held, 'the socket found gone');
      // Held, this one would reach the peer without the one before it.
      a.send({ type: 'signal', to: 'closing-peer-1', data: 'after the lost one' });
      await new Promise((r) => setTimeout(r, 50));
      const back = join(room, { id: 'closing-peer-1' }, {}, url);
      opened.push(back);
      await back.welcomed();
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(
        back.messages.filter((m) => m.type === 'signal').map((m) => m.data),
        [],
      );
      // Back within its grace, not a newcomer: nobody heard it left.
      assert.equal(a.messages.filter((m) => m.type === 'left').length, 0);
    } finally {
      for (const client of opened) client.socket.terminate();
      await own.close();
    }
  });

  it('holds at most 512 KiB for a peer that is away: the first messages, in order, with no gap', async () => {
    // The default grace (5 s): 20 large messages take longer than this file's 300 ms.
    const own = await startRelayServer({ port: 0 });
    try {
      const room = uniqueRoom();
      const a = join(room, {}, {}, own.url);
      const { id } = await a.welcomed();
      const b = join(room, { id: 'heavy-blinking-peer' }, {}, own.url);
      await b.welcomed();
      const witness = join(room, {}, {}, own.url);
      const { id: witnessId } = await witness.welcomed();
      b.socket.terminate();
      while (!own.relay['rooms'].get(room)?.get('heavy-blinking-peer')?.held)
        await new Promise((r) => setTimeout(r, 10));
      // Large messages, then small ones that would fit after the first large one left out: none of those is held.
      const large = 'x'.repeat(MAX_MESSAGE_BYTES - 1024);
      for (let n = 0; n < 20; n++) a.send({ type: 'signal', to: 'heavy-blinking-peer', data: { n, large } });
      for (let n = 20; n < 25; n++) a.send({ type: 'signal', to: 'heavy-blinking-peer', data: { n } });
      // The relay handles one socket's messages in order: once the witness has this, it has handled all of them.
      a.send({ type: 'signal', to: witnessId, data: 'after them' });
      await witness.next((m) => m.data === 'after them', 'the message after them');
      let fit = 0;
      for (let total = 0; ; fit++) {
        total += Buffer.byteLength(JSON.stringify({ type: 'signal', from: id, data: { n: fit, large } }));
        if (total > MAX_HELD_BYTES) break;
      }
      const back = join(room, { id: 'heavy-blinking-peer' }, {}, own.url);
      await back.welcomed();
      const signals = () => back.messages.filter((m) => m.type === 'signal');
      await back.until(() => (signals().length >= fit ? true : undefined), `${fit} held messages`);
      await new Promise((r) => setTimeout(r, 100)); // anything extra would have arrived by now
      assert.deepEqual(
        signals().map((m) => m.data.n),
        Array.from({ length: fit }, (_, n) => n),
      );
      assert.deepEqual(
        a.messages.filter((m) => m.type === 'error' || m.type === 'left'),
        [],
      );
    } finally {
      await own.close();
    }
  });

  it('shares metadata such as a display name', async () => {
    const room = uniqueRoom();
    const a = join(room);
    await a.welcomed();
    a.send({ type: 'meta', meta: { name: 'Front desk' } });
    const b = join(room);
    const welcome = await b.welcomed();
    assert.deepEqual(welcome.peers[0].meta, { name: 'Front desk' });
    b.send({ type: 'meta', meta: { name: 'Guest' } });
    const updated = await a.next((m) => m.type === 'updated', 'updated');
    assert.deepEqual(updated.peer, { id: welcome.id, meta: { name: 'Guest' } });
  });

  it('refuses metadata of more than 2048 characters of JSON, as in the join URL', async () => {
    const room = uniqueRoom();
    const a = join(room);
    await a.welcomed();
    a.send({ type: 'meta', meta: { name: 'x'.repeat(2048) } });
    const refused = await a.next((m) => m.type === 'error', 'the refusal');
    assert.equal(refused.code, 'bad-message');
    assert.deepEqual(server.relay['rooms'].get(room)?.values().next().value?.meta, {});
  });

  it('takes metadata with the join, so the room meets the newcomer with its name', async () => {
    const room = uniqueRoom();
    const a = join(room);
    await a.welcomed();
    const b = join(room, { meta: JSON.stringify({ name: 'Guest' }) });
    const { id } = await b.welcomed();
    const joined = await a.next((m) => m.type === 'joined', 'joined');
    assert.deepEqual(joined.peer, { id, meta: { name: 'Guest' } });
    // The last is within the limit as written, and over it once parsed: 1e20 is stored as 21 characters.
    for (const meta of [
      '[1]',
      'not json',
      JSON.stringify({ name: 'x'.repeat(3000) }),
      `{"n":[${Array(400).fill('1e20').join(',')}]}`,
    ]) {
      const bad = join(room, { meta });
      const refusal = await bad.next((m) => m.type === 'error', 'the refusal');
      assert.equal(refusal.code, 'bad-meta');
      assert.equal((await bad.closing()).code, CloseCode.badRequest);
    }
  });

  it('delivers a message only to the peer it names', async () => {
    const room = uniqueRoom();
    const [a, b, c] = [join(room), join(room), join(room)];
    const [wa, wb] = [await a.welcomed(), await b.welcomed(), await c.welcomed()];
    a.send({ type: 'signal', to: wb.id, data: { hello: 'b' } });
    const got = await b.next((m) => m.type === 'signal', 'signal');
    assert.deepEqual(got, { type: 'signal', from: wa.id, data: { hello: 'b' } });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(c.messages.filter((m) => m.type === 'signal').length, 0);
    assert.equal(a.messages.filter((m) => m.type === 'signal').length, 0);
  });

  it('refuses a target outside the room', async () => {
    const [a, outsider] = [join(uniqueRoom()), join(uniqueRoom())];
    await a.welcomed();
    const { id } = await outsider.welcomed();
    a.send({ type: 'signal', to: id, data: 'psst' });
    const error = await a.next((m) => m.type === 'error', 'error');
    assert.equal(error.code, 'unknown-peer');
    // Which message it was: one to a peer that left as it was sent is the sender's to ignore.
    assert.equal(error.to, id);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(outsider.messages.filter((m) => m.type === 'signal').length, 0);
  });

  it('lets a peer come back with its id: the old socket is replaced and nobody is told it left', async () => {
    const room = uniqueRoom();
    const a = join(room);
    await a.welcomed();
    const b = join(room, { id: 'returning-peer-1' });
    await b.welcomed();
    const again = join(room, { id: 'returning-peer-1' });
    await again.welcomed();
    assert.equal((await b.closing()).code, CloseCode.replaced);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(a.messages.filter((m) => m.type === 'left').length, 0);
    assert.equal(a.messages.filter((m) => m.type === 'joined').length, 2);
  });

  it('tells the room a peer left when it says goodbye and joins again at once under its id', async () => {
    const room = uniqueRoom();
    const a = join(room);
    await a.welcomed();
    const key = 'a-secret-of-sixteen-or-more';
    const b = join(room, { id: 'rejoining-peer-1', key });
    await b.welcomed();
    await a.next((m) => m.type === 'joined', 'the first join');
    // As RelayRoom.leave() then join() in one task does: the old socket is still closing as the new one comes.
    b.send({ type: 'leave' });
    const again = join(room, { id: 'rejoining-peer-1', key });
    await again.welcomed();
    await a.next(() => a.messages.filter((n) => n.type === 'joined').length === 2, 'the second join');
    assert.deepEqual(
      a.messages.filter((m) => m.type === 'left' || m.type === 'joined').map((m) => m.type),
      ['joined', 'left', 'joined'],
    );
    assert.equal(a.messages.find((m) => m.type === 'left')?.reason, 'leave');
  });

  it('lets only the holder of its key take an id again: another naming it is refused, the peer is not touched', async () => {
    const room = uniqueRoom();
    const key = 'a-secret-of-sixteen-or-more';
    const owner = join(room, { id: 'keyed-peer-1', key });
    await owner.welcomed();
    const other = join(room);
    await other.welcomed();
    const impostor = join(room, { id: 'keyed-peer-1', meta: JSON.stringify({ name: 'Not me' }) });
    const refused = await impostor.closing();
    assert.equal(refused.code, CloseCode.idTaken);
    const wrongKey = join(room, { id: 'keyed-peer-1', key: 'another-secret-of-sixteen' });
    assert.equal((await wrongKey.closing()).code, CloseCode.idTaken);
    assert.equal(owner.closed, undefined);
    assert.equal(other.messages.filter((m) => m.type === 'joined' && m.peer.id === 'keyed-peer-1').length, 0);
    // The holder of the key comes back as itself.
    const again = join(room, { id: 'keyed-peer-1', key });
    await again.welcomed();
    assert.equal((await owner.closing()).code, CloseCode.replaced);
  });

  it('finds dead clients by ping and pong and tells the room', async () => {
    const room = uniqueRoom();
    const a = join(room);
    await a.welcomed();
    const silent = join(room, {}, { autoPong: false });
    const { id } = await silent.welcomed();
    const left = await a.next((m) => m.type === 'left', 'the silent peer removed', 3000);
    assert.deepEqual(left, { type: 'left', id, reason: 'gone' });
  });
});

describe('bad input', () => {
  /** @param {TestClient} client */
  const errorOf = (client) => client.next((m) => m.type === 'error', 'an error reply');

  it('answers non-JSON, non-objects, binary and unknown types with an error, and keeps the connection', async () => {
    const a = join(uniqueRoom());
    await a.welcomed();
    for (const [input, code] of /** @type {const} */ ([
      ['{not json', 'bad-json'],
      ['[1,2]', 'bad-message'],
      ['"text"', 'bad-message'],
      [JSON.stringify({ type: 'dance' }), 'unknown-type'],
      [JSON.stringify({ type: 'signal' }), 'bad-message'],
      [JSON.stringify({ type: 'meta', meta: 'x' }), 'bad-message'],
    ])) {
      a.messages.length = 0;
      a.send(input);
      assert.equal((await errorOf(a)).code, code, input);
    }
    a.messages.length = 0;
    a.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    assert.equal((await errorOf(a)).code, 'bad-message');
    assert.equal(a.closed, undefined);
  });

  it('closes a connection that sends more than 128 KiB in one message', async () => {
    const room = uniqueRoom();
    const a = join(room);
    const b = join(room);
    await a.welcomed();
    const { id } = await b.welcomed();
    a.send({ type: 'signal', to: id, data: 'x'.repeat(MAX_MESSAGE_BYTES) });
    assert.equal((await a.closing()).code, 1009);
    assert.equal(b.messages.filter((m) => m.type === 'signal').length, 0);
  });

  it('rate-limits a flood with one error, then disconnects; other clients are not touched', async () => {
    const room = uniqueRoom();
    const [flooder, bystander] = [join(room), join(room)];
    await flooder.welcomed();
    const { id } = await bystander.welcomed();
    for (let i = 0; i < 500; i++) flooder.send({ type: 'signal', to: id, data: i });
    assert.equal((await flooder.closing()).code, CloseCode.rateLimited);
    assert.equal(flooder.messages.filter((m) => m.code === 'rate-limited').length, 1);
    const delivered = bystander.messages.filter((m) => m.type === 'signal').length;
    assert.ok(delivered >= 50 && delivered < 500, `delivered ${delivered}`);
    const other = join(room);
    await other.welcomed();
    other.send({ type: 'signal', to: id, data: 'still here' });
    await bystander.next((m) => m.data === 'still here', 'delivery after the flood');
  });

  it('disconnects a client that keeps sending over the rate, a little at a time, with one error', async () => {
    const room = uniqueRoom();
    const [flooder, bystander] = [join(room), join(room)];
    await flooder.welcomed();
    const { id } = await bystander.welcomed();
    // 10 every 20 ms (500 a second, 5 times the test relay's rate): a token comes between each burst of sends.
    for (let i = 0; i < 200 && !flooder.closed; i++) {
      for (let j = 0; j < 10; j++) flooder.send({ type: 'signal', to: id, data: i });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal((await flooder.closing()).code, CloseCode.rateLimited);
    // Told once, not for each of the hundreds dropped; again each time a late timer here (a loaded machine) let the
    // client fall back under the rate between two bursts, as the relay then tells it anew.
    const told = flooder.messages.filter((m) => m.code === 'rate-limited').length;
    assert.ok(told >= 1 && told <= 3, `told ${told} times`);
    // Back at once under its id, it has the bucket it left, not a full one: 95 messages, which a full bucket (50)
    // would take with 45 dropped and no cut-off, end the connection again.
    const { id: flooderId } = await flooder.welcomed();
    const again = join(room, { id: flooderId });
    await again.welcomed();
    for (let i = 0; i < 95; i++) again.send({ type: 'signal', to: id, data: i });
    assert.equal((await again.closing()).code, CloseCode.rateLimited);
  });

  it('only slows a client a little over the rate, a mesh busy through an outage, and does not cut it off', async () => {
    const room = uniqueRoom();
    const [busy, bystander] = [join(room), join(room)];
    await busy.welcomed();
    const { id } = await bystander.welcomed();
    // 12 every 100 ms for 5 s: 120 a second, a fifth over the test relay's rate of 100; 100 drops in all, past its
    // burst of 50 had they been counted up.
    for (let i = 0; i < 50; i++) {
      for (let j = 0; j < 12; j++) busy.send({ type: 'signal', to: id, data: i });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(busy.closed, undefined);
    assert.ok(
      busy.messages.some((m) => m.code === 'rate-limited'),
      'it was told it is over the rate',
    );
  });

  it('cuts off a peer that reads slower than it is sent to, and keeps serving the others', async () => {
    /** @type {string[]} */
    const log = [];
    // No rate limit or ping to end the test first: the cut-off is what is tested (the reader never answers a ping).
    const own = await startRelayServer({
      port: 0,
      ratePerSecond: 1e6,
      burst: 1e6,
      pingIntervalMs: 60_000,
      log: (line) => log.push(line),
    });
    try {
      const room = uniqueRoom();
      const [sender, reader, bystander] = [
        join(room, {}, {}, own.url),
        join(room, {}, {}, own.url),
        join(room, {}, {}, own.url),
      ];
      await sender.welcomed();
      const { id: readerId } = await reader.welcomed();
      const { id: bystanderId } = await bystander.welcomed();
      const readerOnRelay = own.relay['rooms'].get(room)?.get(readerId);
      assert.ok(readerOnRelay);
      // The reader stops reading; the sender sends it large messages, 40 a second (a little under the default limit).
      reader.socket.pause();
      const large = 'x'.repeat(MAX_MESSAGE_BYTES - 1024);
      let sent = 0;
      let mostWaiting = 0;
      const open = () => readerOnRelay.socket.readyState === readerOnRelay.socket.OPEN;
      const deadline = Date.now() + 20_000;
      while (open() && Date.now() < deadline) {
        sender.send({ type: 'signal', to: readerId, data: { n: sent++, large } });
        await new Promise((resolve) => setTimeout(resolve, 25));
        if (open()) mostWaiting = Math.max(mostWaiting, readerOnRelay.socket.bufferedAmount);
      }
      console.log(
        `slow reader: ${sent} messages of ${large.length} B sent to it; at most ${mostWaiting} B waited on the relay`,
      );
      assert.ok(!open(), `the slow reader was cut off (${sent} messages sent)`);
      assert.ok(
        mostWaiting > MAX_BUFFERED_BYTES / 2,
        `${mostWaiting} B waited: the backlog was seen growing`,
      );
      assert.ok(mostWaiting <= MAX_BUFFERED_BYTES + MAX_MESSAGE_BYTES, `${mostWaiting} B waited`);
      assert.deepEqual(
        log.filter((line) => line.includes(readerId)),
        [`disconnected ${readerId} in ${room}: too slow`],
      );
      // The reader keeps its place, as a dropped socket does, and nobody hears it left. What comes for it now is not
      // held: what waited for it went with its socket, and a later message without those before it would mislead it
      // (a candidate without its offer). The kit sends again what matters.
      sender.send({ type: 'signal', to: readerId, data: 'while you were cut off' });
      sender.send({ type: 'signal', to: bystanderId, data: 'still here' });
      await bystander.next((m) => m.data === 'still here', 'delivery after the cut');
      assert.deepEqual(readerOnRelay.held, []);
      assert.deepEqual(
        bystander.messages.filter((m) => m.type === 'left'),
        [],
      );
      // The sender was never refused.
      assert.deepEqual(
        sender.messages.filter((m) => m.type === 'error'),
        [],
      );
      assert.equal(sender.closed, undefined);
    } finally {
      await own.close();
    }
  });

  it('refuses a peer beyond the room limit', async () => {
    const room = uniqueRoom();
    const members = [join(room), join(room), join(room), join(room)];
    await Promise.all(members.map((m) => m.welcomed()));
    const extra = join(room);
    assert.equal((await extra.closing()).code, CloseCode.roomFull);
    assert.equal((await errorOf(extra)).code, 'room-full');
  });

  it('asks a new peer to try again while a full room keeps a place for a peer whose socket dropped', async () => {
    const own = await startRelayServer({
      port: 0,
      maxPeersPerRoom: 2,
      graceMs: 3000,
      pingIntervalMs: 60_000,
    });
    try {
      const room = uniqueRoom();
      const a = join(room, {}, {}, own.url);
      const b = join(room, { id: 'dropped-peer-1' }, {}, own.url);
      await Promise.all([a.welcomed(), b.welcomed()]);
      // B's page is reloaded: its old socket dropped, the new page comes with a new id within the grace.
      b.socket.terminate();
      while (!own.relay['rooms'].get(room)?.get('dropped-peer-1')?.graceTimer)
        await new Promise((r) => setTimeout(r, 10));
      const reloaded = join(room, {}, {}, own.url);
      assert.equal((await reloaded.closing()).code, 1013, 'Try Again Later');
      assert.deepEqual(await errorOf(reloaded), {
        type: 'error',
        code: 'room-full',
        message: `room ${room} has 2 peers, some of them away for a few seconds; try again`,
      });
      // Once the grace is over the place is free.
      await new Promise((r) => setTimeout(r, 3200));
      await join(room, {}, {}, own.url).welcomed();
      // Full with nobody away, the refusal is for good.
      const extra = join(room, {}, {}, own.url);
      assert.equal((await extra.closing()).code, CloseCode.roomFull);
    } finally {
      await own.close();
    }
  });

  it('refuses a new peer beyond the limit of all rooms together, but not one coming back to its place', async () => {
    const own = await startRelayServer({ port: 0, maxPeers: 3, graceMs: 5000, pingIntervalMs: 60_000 });
    try {
      const [first, second] = [uniqueRoom(), uniqueRoom()];
      const a = join(first, {}, {}, own.url);
      const b = join(first, { id: 'returning-peer-1' }, {}, own.url);
      const c = join(second, {}, {}, own.url);
      await Promise.all([a, b, c].map((m) => m.welcomed()));
      const extra = join(uniqueRoom(), {}, {}, own.url);
      const refused = await extra.closing();
      assert.equal(refused.code, CloseCode.relayFull);
      assert.equal(refused.code, 1013, 'Try Again Later');
      assert.deepEqual(await errorOf(extra), {
        type: 'error',
        code: 'relay-full',
        message: 'the relay already has 3 peers; try again later',
      });
      // A peer whose socket dropped keeps its place through its grace: it comes back though the relay is full.
      b.socket.terminate();
      while (!own.relay['rooms'].get(first)?.get('returning-peer-1')?.held)
        await new Promise((r) => setTimeout(r, 10));
      const back = join(first, { id: 'returning-peer-1' }, {}, own.url);
      await back.welcomed();
      // One leaving makes room for a new one.
      c.send({ type: 'leave' });
      await c.closing();
      const next = join(second, {}, {}, own.url);
      await next.welcomed();
      assert.deepEqual(own.relay.stats(), { rooms: 2, peers: 3 });
    } finally {
      await own.close();
    }
  });

  it('refuses a bad room name and a bad id', async () => {
    const badRoom = new TestClient(`${server.url}?room=${encodeURIComponent('no spaces')}`);
    clients.push(badRoom);
    assert.equal((await badRoom.closing()).code, CloseCode.badRequest);
    const badId = join(uniqueRoom(), { id: 'x' });
    assert.equal((await badId.closing()).code, CloseCode.badRequest);
  });

  it('cuts a refused client that never answers the close, instead of keeping its socket 30 s', async () => {
    const answer = await rawUpgrade(`${server.relay.options.path}?room=no%20spaces`, CLOSE_WAIT_MS + 5000);
    assert.match(answer, /^HTTP\/1\.1 101 /);
    assert.match(answer, /"code":"bad-room"/);
  });

  it('survives a refused client that sends more than 128 KiB as it is refused, and goes on serving', async () => {
    const refused = new TestClient(`${server.url}?room=${encodeURIComponent('no spaces')}`);
    clients.push(refused);
    refused.socket.on('open', () => refused.socket.send('x'.repeat(MAX_MESSAGE_BYTES + 1024)));
    await refused.closing();
    const next = join(uniqueRoom());
    assert.ok((await next.welcomed()).id, 'the next client welcomed');
  });
});

describe('upgrades that are not for the relay', () => {
  /** Sends a raw upgrade request for `target` and resolves with the first line of the answer. */
  const upgrade = async (/** @type {string} */ target) => (await rawUpgrade(target)).split('\r\n')[0];

  it('answers one for another path, or a target that is no URL, with 404, and goes on serving', async () => {
    assert.equal(await upgrade('/elsewhere?room=r'), 'HTTP/1.1 404 Not Found');
    // Node's parser lets this through; reading it as a URL threw inside the server's upgrade event.
    assert.equal(await upgrade('//['), 'HTTP/1.1 404 Not Found');
    await join(uniqueRoom()).welcomed();
  });

  it('survives clients that reset the connection as the 404 goes out', async () => {
    for (let i = 0; i < 100; i++)
      await new Promise((resolve) => {
        const socket = connect(server.port, '127.0.0.1', () => {
          socket.write(
            'GET /elsewhere HTTP/1.1\r\nHost: relay\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
          );
          setImmediate(() => resolve(socket.resetAndDestroy()));
        });
        socket.on('error', () => {});
      });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await join(uniqueRoom()).welcomed();
  });
  it('lets go a 404 answered socket that the client keeps half open, so the server closes', async () => {
    const own = await startRelayServer({ port: 0 });
    let closed = false;
    const socket = connect({ port: own.port, host: '127.0.0.1', allowHalfOpen: true }, () =>
      socket.write(
        'GET /elsewhere HTTP/1.1\r\nHost: relay\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
      ),
    );
    try {
      socket.on('error', () => {});
      socket.resume();
      // The client reads the answer to its end and never closes its own side.
      await Promise.race([
        new Promise((resolve) => socket.once('end', resolve)),
        new Promise((_, reject) => setTimeout(() => reject(new Error('no end of the 404 within 3 s')), 3000)),
      ]);
      const closing = own.close().then(() => (closed = true));
      await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, 3000))]);
      assert.ok(closed, 'the server closed within 3 s');
    } finally {
      socket.destroy();
      if (!closed) await own.close();
    }
  });
});

describe('closing', () => {
  it('answers an upgrade for the relay that comes while it closes, and closes all the same', async () => {
    const own = await startRelayServer({ port: 0 });
    // A client that stops reading: the relay waits out its 2 s for it to answer the goodbye.
    const stuck = new TestClient(`${own.url}?room=closing`);
    await stuck.welcomed();
    /** @type {any} */ (stuck.socket)._socket.pause();
    let closed = false;
    const closing = own.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    // A client reconnecting as the relay goes away.
    const socket = connect(own.port, '127.0.0.1', () =>
      socket.write(
        'GET /signal?room=closing HTTP/1.1\r\nHost: relay\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      ),
    );
    socket.on('error', () => {});
    let answer = '';
    socket.on('data', (data) => (answer += data.toString('latin1')));
    try {
      await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, 5000))]);
      assert.ok(closed, 'closed within 5 s');
      assert.match(answer, /^HTTP\/1\.1 \d{3}/, 'the upgrade answered');
    } finally {
      socket.destroy();
      stuck.socket.terminate();
      // Hung: the process must still end, to report the failure.
      if (!closed) own.server.unref();
    }
  });
});

describe('plain requests', () => {
  it('answers a health probe, also with a query, and asks anything else to upgrade', async () => {
    for (const path of ['/health', '/health?from=probe', '/health#top']) {
      const response = await fetch(`http://127.0.0.1:${server.port}${path}`);
      assert.equal(response.status, 200, path);
      assert.match(await response.text(), /^webrtc-elements relay: \d+ rooms, \d+ peers\./);
    }
    const other = await fetch(`http://127.0.0.1:${server.port}/signal`);
    assert.equal(other.status, 426);
    assert.equal(other.headers.get('upgrade'), 'websocket');
    await other.text();
  });
});

describe('access', () => {
  it('refuses a wrong token and a disallowed origin with a reason', async () => {
    const guarded = await startRelayServer({
      port: 0,
      token: 'sesame',
      allowedOrigins: ['http://good.test'],
    });
    try {
      const origin = { origin: 'http://good.test' };
      const noToken = join('r', {}, origin, guarded.url);
      const closed = await noToken.closing();
      assert.equal(closed.code, CloseCode.unauthorized);
      assert.equal(closed.reason, 'wrong or missing token');
      const badOrigin = join('r', { token: 'sesame' }, { origin: 'http://evil.test' }, guarded.url);
      assert.equal((await badOrigin.closing()).code, CloseCode.forbiddenOrigin);
      // An origin too long to quote in a close reason (123 bytes at most) is cut, not a crash of the relay.
      const longOrigin = join(
        'r',
        { token: 'sesame' },
        { origin: `http://${'x'.repeat(200)}.test` },
        guarded.url,
      );
      const refused = await longOrigin.closing();
      assert.equal(refused.code, CloseCode.forbiddenOrigin);
      assert.match(refused.reason, /^origin "http:\/\/x+" is not allowed$/);
      const good = join('r', { token: 'sesame' }, origin, guarded.url);
      await good.welcomed();
    } finally {
      await guarded.close();
    }
  });

  it('shuts down gracefully: every client is told (1001)', async () => {
    const own = await startRelayServer({ port: 0 });
    const a = join('r', {}, {}, own.url);
    await a.welcomed();
    await own.close();
    assert.equal((await a.closing()).code, 1001);
  });
});
