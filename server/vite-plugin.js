// @ts-check
import { Relay } from './relay.js';

/**
 * Serves the relay from the Vite dev (and preview) server, on the same port: `ws://localhost:5173/signal?room=…`,
 * so the demo needs no second process. The dev server's own hot-reload socket is left alone.
 * @param {import('./relay.js').RelayOptions} [options]
 * @returns {import('vite').Plugin}
 */
export function relayPlugin(options = {}) {
  /** @param {{ httpServer: import('node:http').Server | import('node:http2').Http2SecureServer | null }} server */
  const attach = ({ httpServer }) => {
    if (!httpServer) return;
    const relay = new Relay(options).attach(/** @type {import('node:http').Server} */ (httpServer));
    httpServer.once('close', () => void relay.close());
  };
  return { name: 'webrtc-elements-relay', configureServer: attach, configurePreviewServer: attach };
}
