import { roomAdapters, signalingAdapters } from './adapters.js';
import { BroadcastRoom, broadcastSignaling } from './broadcast.js';
import { RelayRoom, relaySignaling } from './relay-room.js';

/**
 * Adds the adapters that reach beyond the page: `broadcast:NAME` (tabs of one browser) and `ws:`/`wss:` (the kit's
 * relay), for both `<peer-connection>` and `<call-room>`. Calling it again changes nothing.
 */
export function registerNetworkAdapters(): void {
  Object.assign(signalingAdapters, {
    broadcast: broadcastSignaling,
    ws: relaySignaling('ws'),
    wss: relaySignaling('wss'),
  });
  Object.assign(roomAdapters, {
    broadcast: (name: string) => new BroadcastRoom(name),
    ws: (rest: string) => new RelayRoom(`ws:${rest}`),
    wss: (rest: string) => new RelayRoom(`wss:${rest}`),
  });
}
