import { loopbackSignaling } from './loopback.js';
import type { Room } from './room.js';
import type { SignalingFactory } from './signaling.js';

/** Makes the room a `<call-room>`'s `signaling` address names (the part after the scheme). */
export type RoomFactory = (rest: string) => Room;

/**
 * The adapters a `<peer-connection>`'s `signaling` attribute can name, by scheme. The core knows only `loopback:`;
 * `registerNetworkAdapters()` (called by the `define` module and by `<call-room>`) adds `broadcast:`, `ws:` and
 * `wss:`, so a page that needs none of them does not load them. A site may add its own scheme here.
 */
export const signalingAdapters: Record<string, SignalingFactory> = { loopback: loopbackSignaling };

/** The rooms a `<call-room>`'s `signaling` attribute can name, by scheme; filled like `signalingAdapters`. */
export const roomAdapters: Record<string, RoomFactory> = {};
