import {
  queueForFarSide,
  type NegotiationMessage,
  type SignalingChannel,
  type SignalingListener,
  type SignalingOptions,
} from './signaling.js';

/** Thrown when a third connection joins a loopback pair. */
export class LoopbackFullError extends Error {
  // A getter on the prototype rather than a field: the class needs no constructor.
  override get name(): 'LoopbackFullError' {
    return 'LoopbackFullError';
  }
}

/**
 * A pair of connections in the same document, found by name. Each message arrives as a copy, as from a wire, and in
 * a later microtask, as from a network. Messages sent before the far side joins wait for it.
 */
class LoopbackPair {
  readonly ends: LoopbackChannel[] = [];
  constructor(readonly name: string) {}

  join(end: LoopbackChannel): void {
    if (this.ends.length === 2) {
      throw new LoopbackFullError(`loopback:${this.name} already joins two connections`);
    }
    this.ends.push(end);
  }

  leave(end: LoopbackChannel): void {
    this.ends.splice(this.ends.indexOf(end), 1);
    if (this.ends.length === 0) pairs.delete(this.name);
    else this.ends[0].farSideLeft();
  }

  farSideOf(end: LoopbackChannel): LoopbackChannel | undefined {
    return this.ends.find((other) => other !== end);
  }
}

const pairs = new Map<string, LoopbackPair>();
/** Messages kept for a far side that has not joined yet; a bound, so a lone connection cannot grow memory. */
const MAX_PENDING = 1000;

export class LoopbackChannel implements SignalingChannel {
  #listener?: SignalingListener;
  readonly #pending: NegotiationMessage[] = [];
  readonly #pair: LoopbackPair;
  #closed = false;

  readonly #options: SignalingOptions;

  constructor(name: string, options: SignalingOptions = {}) {
    this.#options = options;
    this.#pair = pairs.get(name) ?? new LoopbackPair(name);
    pairs.set(name, this.#pair);
    this.#pair.join(this);
  }

  /** Declared role first; else the far side's declared role decides; else the second to join is polite. */
  get polite(): boolean {
    if (this.#options.polite !== undefined) return this.#options.polite;
    const far = this.#pair.farSideOf(this);
    const farPolite = far && far.#options.polite;
    if (farPolite !== undefined) return !farPolite;
    return this.#pair.ends.indexOf(this) === 1;
  }

  start(listener: SignalingListener): void {
    this.#listener = listener;
    const far = this.#pair.farSideOf(this);
    if (far) far.#flush();
  }

  /** Alone, what this end sends waits for the far side (see send). */
  get farSidePresent(): boolean {
    return this.#pair.farSideOf(this) !== undefined;
  }

  send(message: NegotiationMessage): void {
    if (this.#closed) return;
    // A structured clone, not JSON: a copy all the same, and JSON's escaping of each line end of an SDP made the
    // round trip take 70 to 100 us per description, on the path of every renegotiation.
    queueForFarSide(this.#pending, structuredClone(message), MAX_PENDING);
    this.#flush();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#listener = undefined;
    this.#pair.leave(this);
  }

  /** Hands what this end sent to the far side, once the far side listens. */
  #flush(): void {
    const far = this.#pair.farSideOf(this);
    if (!far || !far.#listener) return;
    for (const message of this.#pending.splice(0)) {
      queueMicrotask(() => far.#listener?.message(message));
    }
  }

  /** @internal */
  farSideLeft(): void {
    this.#pending.length = 0;
    const listener = this.#listener;
    queueMicrotask(() => listener?.peerLeft?.());
  }
}

/** `loopback:NAME`: the two connections of one document that name the same NAME talk to each other. */
export const loopbackSignaling = (name: string, options: SignalingOptions): SignalingChannel =>
  new LoopbackChannel(name, options);
