import type { SignalingChannel, SignalingListener } from './signaling.js';

/** A bound on messages kept for a listener that is not there yet, so a flood cannot grow memory. */
const MAX_EARLY_MESSAGES = 1000;

/**
 * Starts `channel` now, before anything listens: the far side's messages are kept, and the first one calls
 * `arrived`, which is expected to make the listener (a `<peer-connection>` makes its `RTCPeerConnection` only once it
 * is needed). The channel returned is the same channel, whose `start` takes the kept messages first.
 */
export function keepEarlyMessages(channel: SignalingChannel, arrived: () => void): SignalingChannel {
  let listener: SignalingListener | undefined;
  const early: unknown[] = [];
  channel.start({
    message(message) {
      if (listener) return listener.message(message);
      if (early.length < MAX_EARLY_MESSAGES) early.push(message);
      arrived();
    },
    peerLeft() {
      // What a far side that left sent is of no use to the next one.
      if (listener) listener.peerLeft?.();
      else early.length = 0;
    },
  });
  return {
    start(next) {
      listener = next;
      for (const message of early.splice(0)) next.message(message);
    },
    send: (message) => channel.send(message),
    close: () => channel.close(),
    get polite() {
      return channel.polite;
    },
  };
}
