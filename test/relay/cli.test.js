// @ts-check
/** The relay's command line: bad options and a port it cannot have are told in a line, with no stack. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startRelayServer } from '../../server/http.js';
import { Relay } from '../../server/relay.js';
import { WebSocket } from 'ws';
import { TestClient } from './client.js';

const cli = fileURLToPath(new URL('../../server/cli.js', import.meta.url));

/** Runs the command line with `args` until it exits (it exits at once for every case here). */
const run = (/** @type {string[]} */ ...args) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 10_000 });

describe('the relay command line', () => {
  it('refuses a path with no leading slash, a room limit under 2, a port out of range and empty values, with the usage', () => {
    for (const [args, said] of /** @type {const} */ ([
      [['--path', 'signal'], 'the path must start with "/", got "signal"'],
      // Requests come percent-encoded: this path would have matched none of them.
      [
        ['--path', '/my signal'],
        'the path must be written as browsers send it, "/my%20signal", got "/my signal"',
      ],
      [['--max-peers', '0'], '--max-peers must be a whole number of at least 2, got "0"'],
      [['--max-peers-total', '1'], '--max-peers-total must be a whole number of at least 2, got "1"'],
      [['--port', '70000'], '--port must be a whole number from 0 to 65535, got "70000"'],
      [['--port', ''], '--port must be a whole number from 0 to 65535, got ""'],
      // An unset variable in a script: each would have opened the relay up (any origin, every address, no token).
      [['--allowed-origins', ''], '--allowed-origins must not be empty'],
      [['--allowed-origins', ' , '], '--allowed-origins must not be empty'],
      [['--host', ''], '--host must not be empty'],
      [['--token', ''], '--token must not be empty'],
      // Base64: its `+` would reach the relay as a space, and the right token be refused.
      [['--token', 'ab+cd/ef=='], 'the token must not be empty nor hold spaces or + & # %'],
    ])) {
      const { status, stderr } = run(...args);
      assert.equal(status, 2, args.join(' '));
      assert.ok(stderr.includes(said), stderr);
      assert.ok(stderr.includes('Usage:'), stderr);
      assert.ok(!stderr.includes('    at '), `no stack: ${stderr}`);
    }
  });

  it('listens on a host given with spaces around it, and shuts down on SIGTERM', async () => {
    const child = spawn(process.execPath, [cli, '--host', ' 127.0.0.1 ', '--port', '0']);
    let out = '';
    let err = '';
    child.stdout.on('data', (data) => (out += data));
    child.stderr.on('data', (data) => (err += data));
    const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const url = await new Promise((/** @type {(url: string) => void} */ resolve, reject) => {
        child.stdout.on('data', () => {
          const listening = /relay listening on (\S+)/.exec(out);
          if (listening) resolve(listening[1]);
        });
        void exited.then((code) => reject(new Error(`exited ${code}: ${err}`)));
      });
      assert.match(url, /^ws:\/\/127\.0\.0\.1:\d+\/signal$/);
      const socket = new WebSocket(`${url}?room=cli`);
      const welcome = await new Promise(
        (/** @type {(message: { type: string }) => void} */ resolve, reject) => {
          socket.once('message', (data) => resolve(JSON.parse(String(data))));
          socket.once('error', reject);
        },
      );
      assert.equal(welcome.type, 'welcome');
      socket.close();
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.match(out, /shutting down/);
    } finally {
      child.kill();
    }
  });

  it('says so in one line when its port is taken', async () => {
    const taken = await startRelayServer({ port: 0 });
    try {
      const { status, stderr } = run('--port', String(taken.port));
      assert.equal(status, 1);
      assert.match(stderr, /^cannot start the relay: listen EADDRINUSE/);
      assert.ok(!stderr.includes('    at '), `no stack: ${stderr}`);
    } finally {
      await taken.close();
    }
  });

  it('a server error once listening is logged, and the relay goes on serving', async () => {
    /** @type {string[]} */
    const logged = [];
    const running = await startRelayServer({ port: 0, log: (line) => logged.push(line) });
    try {
      running.server.emit('error', new Error('accept EMFILE'));
      assert.deepEqual(logged, ['server error: accept EMFILE']);
      const client = new TestClient(`${running.url}?room=after-error`);
      assert.ok((await client.welcomed()).id);
      client.socket.terminate();
    } finally {
      await running.close();
    }
  });

  it('the Relay class refuses the same options', () => {
    assert.throws(() => new Relay({ path: 'signal' }), /the path must start with "\/"/);
    assert.throws(
      () => new Relay({ path: '/a/../signal' }),
      /as browsers send it, "\/signal", got "\/a\/..\/signal"/,
    );
    assert.throws(() => new Relay({ maxPeersPerRoom: 1 }), /from 2, got 1/);
    assert.throws(
      () => new Relay({ token: 'a&b' }),
      /the token must not be empty nor hold spaces or \+ & # %/,
    );
    // What survives an address as it is (base64 with no +) is taken.
    void new Relay({ token: 'a/b=c:d@e' }).close();
    assert.throws(() => new Relay({ token: '' }), /the token must not be empty nor hold spaces or \+ & # %/);
    assert.throws(() => new Relay({ maxPeers: 1.5 }), /in all must be a whole number from 2, got 1.5/);
  });

  it('a Relay attaches to one server once, and one attached after it closed serves there', async () => {
    const running = await startRelayServer({ port: 0 });
    const next = new Relay();
    try {
      assert.throws(() => running.relay.attach(running.server), /attached to that server already/);
      await running.relay.close();
      next.attach(running.server);
      const client = new TestClient(`${running.url}?room=after-close`);
      assert.ok((await client.welcomed()).id, 'welcomed by the relay attached after');
      client.socket.terminate();
    } finally {
      await next.close();
      await running.close();
    }
  });

  it("a Relay attached to a server of the site's answers upgrades for other paths 404, unless another listener takes them", async () => {
    const server = createServer();
    // Let go at the end, also when the test fails: an upgrade left unanswered would hold the server's close() for good.
    /** @type {import('node:net').Socket[]} */
    const connections = [];
    server.on('connection', (socket) => connections.push(socket));
    const relay = new Relay().attach(server);
    await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
    const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
    /** The status of the answer to an upgrade for `path`, or `open` if the socket is upgraded. */
    const upgrade = (/** @type {string} */ path) =>
      /** @type {Promise<number | 'open'>} */ (
        new Promise((resolve, reject) => {
          const socket = new WebSocket(`ws://127.0.0.1:${port}${path}`);
          const timer = setTimeout(() => reject(new Error(`no answer for ${path} within 3 s`)), 3000);
          socket.on('unexpected-response', (_request, response) => {
            clearTimeout(timer);
            resolve(response.statusCode ?? 0);
            socket.terminate();
          });
          socket.on('open', () => {
            clearTimeout(timer);
            resolve('open');
            socket.terminate();
          });
          socket.on('error', () => {});
        })
      );
    try {
      assert.equal(await upgrade('/other'), 404);
      // The site's own socket server, say: its upgrades are its own.
      server.on('upgrade', (request, socket) => {
        if (request.url === '/own') socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
      });
      assert.equal(await upgrade('/own'), 403);
      assert.equal(await upgrade('/signal?room=still-served'), 'open');
    } finally {
      await relay.close();
      for (const socket of connections) socket.destroy();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
    }
  });
});
