import { loopbackSignaling } from './loopback.js';
import type { SignalingFactory } from './signaling.js';

/** The adapters a `signaling` attribute can name, by scheme. */
export const signalingAdapters: Readonly<Record<string, SignalingFactory>> = {
  loopback: loopbackSignaling,
};
