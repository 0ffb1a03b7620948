import type { SignalingChannel } from './signaling.js';

/** A channel to nowhere, for a connection with no (or no usable) `signaling`: local work still goes on. */
export const inertSignaling = (): SignalingChannel => ({
  start() {},
  send() {},
  close() {},
});
