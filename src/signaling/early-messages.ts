import type { NegotiationMessage, SignalingChannel, SignalingListener } from './signaling.js';

/** A bound on messages kept for a listener that is not there yet, so a flood cannot grow memory. */
const MAX_EARLY_MESSAGES = 1000;

/**
 * A channel listened to before anything uses it: the far side's messages are kept until `start` (again after the far
 * side left), and each one that is kept calls `arrived`, which is expected to make the listener (a `<peer-connection>`
 * makes its `RTCPeerConnection` only once it is needed). The channel underneath is started once, by `listen`.
 */
export class EarlyMessages implements SignalingChannel {
  #listener?: SignalingListener;
  readonly #early: unknown[] = [];
  /** Whether messages past the bound were told lost (see listen), since the kept ones were last handed over. */
  #overflowTold = false;
  readonly #channel: SignalingChannel;
  readonly #arrived: () => void;
  readonly #failed: (error: Error) => void;

  /** `failed` hears the channel's own errors (see SignalingListener), with or without a listener. */
  constructor(channel: SignalingChannel, arrived: () => void, failed: (error: Error) => void = () => {}) {
    this.#channel = channel;
    this.#arrived = arrived;
    this.#failed = failed;
  }

  /**
   * Starts the channel underneath. Separate from the constructor, so that the owner can keep this object first: a
   * channel may hand over messages waiting for it inside its `start`.
   */
  listen(): void {
    this.#channel.start({
      message: (message) => {
        if (this.#listener) return this.#listener.message(message);
        if (this.#early.length < MAX_EARLY_MESSAGES) this.#early.push(message);
        // The first ones are kept, so that none comes after a gap; the loss is told once per batch kept.
        else if (this.#early.length === MAX_EARLY_MESSAGES && !this.#overflowTold) {
          this.#overflowTold = true;
          this.#failed(
            new Error(
              `more than ${MAX_EARLY_MESSAGES} messages came before the connection was made; later ones were dropped`,
            ),
          );
        }
        this.#arrived();
      },
      peerLeft: () => {
        // What a far side that left sent is of no use to the next one, nor is the listener (a session) that it talked
        // to: the next far side's messages are kept, and call `arrived`, as the first one's did.
        const listener = this.#listener;
        this.#listener = undefined;
        this.#early.length = 0;
        this.#overflowTold = false;
        listener?.peerLeft?.();
      },
      connected: () => this.#listener?.connected?.() ?? false,
      error: (error) => this.#failed(error),
    });
  }

  /** Whether messages are kept, waiting for a listener. */
  get waiting(): boolean {
    return this.#early.length > 0;
  }

  start(listener: SignalingListener): void {
    this.#listener = listener;
    this.#overflowTold = false;
    for (const message of this.#early.splice(0)) listener.message(message);
  }

  send(message: NegotiationMessage): void {
    this.#channel.send(message);
  }

  close(): void {
    this.#channel.close();
  }

  get polite(): boolean | undefined {
    return this.#channel.polite;
  }

  get farSidePresent(): boolean | undefined {
    return this.#channel.farSidePresent;
  }
}
