// @ts-check
/**
 * Load on loopback: 200 clients in 50 rooms; every client sends one message to every other peer of its room, and
 * every message must reach exactly its addressee. Prints the figures.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { startRelayServer } from '../../server/http.js';
import { TestClient } from './client.js';

const ROOMS = 50;
const PER_ROOM = 4;

it(`delivers every message to exactly the right peer: ${ROOMS * PER_ROOM} clients in ${ROOMS} rooms`, async () => {
  const server = await startRelayServer({ port: 0, maxPeersPerRoom: PER_ROOM });
  const clients = /** @type {TestClient[][]} */ ([]);
  try {
    const started = performance.now();
    for (let r = 0; r < ROOMS; r++) {
      clients.push(
        Array.from(
          { length: PER_ROOM },
          (_, p) => new TestClient(`${server.url}?room=load-${r}&id=load-${r}-peer-${p}`),
        ),
      );
    }
    const all = clients.flat();
    await Promise.all(all.map((c) => c.welcomed()));
    const joinedMs = performance.now() - started;
    assert.deepEqual(server.relay.stats(), { rooms: ROOMS, peers: ROOMS * PER_ROOM });

    const sendStarted = performance.now();
    for (const [r, room] of clients.entries()) {
      for (const [p, client] of room.entries()) {
        for (let q = 0; q < PER_ROOM; q++) {
          if (q !== p)
            client.send({ type: 'signal', to: `load-${r}-peer-${q}`, data: { from: p, to: q, room: r } });
        }
      }
    }
    const expected = PER_ROOM - 1;
    await Promise.all(
      all.map((c) =>
        c.until(
          () => (c.messages.filter((m) => m.type === 'signal').length >= expected ? true : undefined),
          'all messages',
          20000,
        ),
      ),
    );
    const deliveredMs = performance.now() - sendStarted;
    await new Promise((r) => setTimeout(r, 200)); // anything extra would have arrived by now

    let total = 0;
    for (const [r, room] of clients.entries()) {
      for (const [q, client] of room.entries()) {
        const signals = client.messages.filter((m) => m.type === 'signal');
        assert.equal(signals.length, expected, `room ${r} peer ${q} got ${signals.length}`);
        for (const { from, data } of signals) {
          assert.deepEqual(data.to, q);
          assert.equal(data.room, r);
          assert.equal(from, `load-${r}-peer-${data.from}`);
        }
        assert.deepEqual(new Set(signals.map((s) => s.data.from)).size, expected);
        total += signals.length;
      }
    }
    console.log(
      `relay load: ${all.length} clients in ${ROOMS} rooms joined in ${joinedMs.toFixed(0)} ms; ` +
        `${total} addressed messages delivered exactly once in ${deliveredMs.toFixed(0)} ms`,
    );
  } finally {
    for (const c of clients.flat()) c.socket.terminate();
    await server.close();
  }
});
