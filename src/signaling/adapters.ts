import { broadcastSignaling, BroadcastRoom } from './broadcast.js';
import { loopbackSignaling } from './loopback.js';
import { RelayRoom, relaySignaling } from './relay-room.js';
import type { Room } from './room.js';
import type { SignalingFactory } from './signaling.js';

/** The adapters a `<peer-connection>`'s `signaling` attribute can name, by scheme. */
export const signalingAdapters: Readonly<Record<string, SignalingFactory>> = {
  loopback: loopbackSignaling,
  broadcast: broadcastSignaling,
  ws: relaySignaling('ws'),
  wss: relaySignaling('wss'),
};

/** The rooms a `<call-room>`'s `signaling` attribute can name, by scheme. */
export const roomAdapters: Readonly<Record<string, (rest: string) => Room>> = {
  broadcast: (name) => new BroadcastRoom(name),
  ws: (rest) => new RelayRoom(`ws:${rest}`),
  wss: (rest) => new RelayRoom(`wss:${rest}`),
};
