// @ts-check
import { createServer } from 'node:http';
import { parseTarget, Relay } from './relay.js';

/**
 * A standalone relay: an HTTP server that answers upgrades on the relay's path (and refuses others, 404) and plain
 * requests with a short status line. Resolves once listening.
 * @param {import('./relay.js').RelayOptions & { port?: number, host?: string }} options
 */
export async function startRelayServer(options = {}) {
  const server = createServer((request, response) => {
    const { rooms, peers } = relay.stats();
    // A probe may add a query (`/health?from=lb`). Anything else asks for the WebSocket, which a 426 must name.
    const health = parseTarget(request)?.pathname === '/health';
    response.writeHead(health ? 200 : 426, {
      'content-type': 'text/plain',
      ...(!health && { upgrade: 'websocket', connection: 'upgrade' }),
    });
    response.end(
      `webrtc-elements relay: ${rooms} rooms, ${peers} peers. Connect with a WebSocket to ${relay.options.path}\n`,
    );
  });
  const relay = new Relay(options).attach(server);
  // Nothing else here takes upgrades: the relay answers one for another path 404 (see Relay.attach).
  await new Promise((resolve, reject) => {
    // Only a failure to listen closes the relay; the listener goes once listening.
    const failed = (/** @type {Error} */ error) => {
      void relay.close();
      reject(error);
    };
    server.once('error', failed);
    server.listen(options.port ?? 8787, options.host ?? '127.0.0.1', () => {
      server.off('error', failed);
      // Once listening, a server error (too many open files as a connection is accepted) is logged, and the relay
      // serves on: unheard, it would end the process.
      server.on('error', (error) => relay.options.log(`server error: ${error.message}`));
      resolve(undefined);
    });
  });
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    relay,
    server,
    port: address.port,
    url: `ws://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}${relay.options.path}`,
    /** Graceful: clients are told, then the server stops. */
    async close() {
      await relay.close();
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}
