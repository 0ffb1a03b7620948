import { roomAdapters, signalingAdapters } from './adapters.js';
import { BroadcastRoom, broadcastSignaling } from './broadcast.js';
import { RelayRoom, relaySignaling } from './relay-room.js';

/**
 * Adds the adapters that reach beyond the page: `broadcast:NAME` (tabs of one browser) and `ws:`/`wss:` (the kit's
 * relay), for both `<peer-connection>` and `<call-room>`. A scheme that has an adapter already keeps it: a site's own
 * `wss` adapter, set after the `define` module ran, must survive each `<call-room>` joining (which calls this again).
 */
export function registerNetworkAdapters(): void {
  signalingAdapters.broadcast ??= broadcastSignaling;
  signalingAdapters.ws ??= relaySignaling('ws');
  signalingAdapters.wss ??= relaySignaling('wss');
  roomAdapters.broadcast ??= (name) => new BroadcastRoom(name);
  roomAdapters.ws ??= (rest) => new RelayRoom(`ws:${rest}`);
  roomAdapters.wss ??= (rest) => new RelayRoom(`wss:${rest}`);
}
