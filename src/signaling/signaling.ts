/**
 * The signaling interface: how a connection exchanges negotiation messages with exactly one far side.
 * Adapters (loopback, BroadcastChannel, a WebSocket relay, a site's own backend) implement it; a room
 * of many peers hands out one channel per peer.
 */

/**
 * One negotiation message as it travels: a session description (`takesRequests`: sent by a side that makes offers
 * when asked, as this kit's impolite side does), an ICE candidate, the polite side asking the
 * other to make an offer (`offerWanted`: how many new audio and video m-lines it needs; `iceRestart`: restart ICE), or
 * the polite side asking the other to replace its connection when ICE failed before it ever connected (`renew`: the
 * session id, from the `o=` line, of the one to replace; `from`: the asking side's).
 */
export type NegotiationMessage =
  | { description: RTCSessionDescriptionInit; takesRequests?: boolean }
  | { candidate: RTCIceCandidateInit }
  | { offerWanted: OfferWanted; iceRestart?: boolean }
  | { renew: string; from: string };

/** New m-lines, by kind, that the polite side needs in the other side's next offer. */
export type OfferWanted = Partial<Record<'audio' | 'video', number>>;

/** What a channel tells the connection that uses it. */
export interface SignalingListener {
  /** A message from the far side, not yet validated: channels carry untrusted data. */
  message(message: unknown): void;
  /** The far side went away for good; the connection starts over, ready for the next peer. */
  peerLeft?(): void;
  /**
   * Whether media with the far side flows now. A room that reports the far side vanished (a relay restart, or its
   * socket down past the relay's grace) keeps it while media flows, for it to come back, rather than end the call.
   */
  connected?(): boolean;
  /**
   * The channel's service failed in a way no message tells: it refused this side (a full room, a wrong token), or
   * cannot be reached. The channel goes on where it can (a relay that comes back is joined again).
   */
  error?(error: Error): void;
}

export interface SignalingChannel {
  /**
   * Starts delivering the far side's messages, before any `send`. A `<peer-connection>` calls it once, on connecting;
   * a `<call-room>` may call it again, with a new listener, when a peer's connection starts over.
   */
  start(listener: SignalingListener): void;
  /** Sends one message to the far side. Must not throw for a far side that is not there yet. */
  send(message: NegotiationMessage): void;
  /** Stops delivery and releases the channel. */
  close(): void;
  /**
   * The perfect-negotiation role the channel assigns (for instance from join order or peer ids); it decides over the
   * element's `polite`. `undefined` when it has no opinion. Read lazily, when a glare happens.
   */
  readonly polite?: boolean;
  /**
   * `false` while the channel knows no far side is there yet (a room with nobody else in it): an offer waiting for its
   * answer then is not one the far side fails to answer. `undefined` when the channel cannot tell.
   */
  readonly farSidePresent?: boolean;
}

/**
 * Queues a message for a far side that is not there yet, at most `max`. A description makes those before it, and
 * their candidates, of no more use: a lone side sends its offer again every 2 s with its candidates, and the far side
 * that comes would get all of them at once (over the relay, past its rate limit after a minute or two). A queue of
 * other entries (one for several far sides) says with `messageOf` which hold a message for the same far side as `item`.
 */
export function queueForFarSide<T>(
  queue: T[],
  item: T,
  max: number,
  messageOf: (entry: T) => unknown = (entry) => entry,
): void {
  if (carries(messageOf(item), 'description')) {
    const kept = queue.filter((entry) => {
      const message = messageOf(entry);
      return !carries(message, 'description') && !carries(message, 'candidate');
    });
    queue.splice(0, queue.length, ...kept);
  }
  if (queue.length < max) queue.push(item);
}

/** Whether a message (of unknown shape: a room's signals are not checked before they are queued) has this field. */
function carries(message: unknown, field: 'description' | 'candidate'): boolean {
  return typeof message === 'object' && message !== null && field in message;
}

/** What the element knows when it asks for a channel. */
export interface SignalingOptions {
  /** `true` when the element has the `polite` attribute: the channel gives the far side the other role. */
  polite?: boolean;
}

export type SignalingFactory = (address: string, options: SignalingOptions) => SignalingChannel;

/** Schemes of the adapters that `registerNetworkAdapters()` adds (the `define` module calls it). */
const NETWORK_SCHEMES: readonly string[] = ['broadcast', 'ws', 'wss'];

/** Thrown for a `signaling` attribute no adapter understands. */
export class SignalingAddressError extends Error {
  // A getter on the prototype rather than a field: the class needs no constructor.
  override get name(): 'SignalingAddressError' {
    return 'SignalingAddressError';
  }
}

/**
 * Checks a `signaling` property that is not an address: a page's own channel (or room) has these methods. A wrong
 * value is told as it is set, rather than failing later inside negotiation.
 */
export function signalingObject<T>(value: unknown, methods: readonly string[]): T {
  const missing = methods.filter(
    (name) => typeof (value as Record<string, unknown> | null)?.[name] !== 'function',
  );
  if (typeof value === 'object' && value !== null && missing.length === 0) return value as T;
  const got =
    typeof value === 'object' && value ? `an object without ${missing.join('(), ')}()` : typeof value;
  throw new SignalingAddressError(
    `signaling must be an address or an object with ${methods.join('(), ')}(); got ${got}`,
  );
}

/**
 * Turns a `signaling` attribute into a channel (or, for rooms, a room). Adapters are looked up by scheme
 * (`loopback:NAME`), so each stays in its own module.
 */
export function createSignaling<T = SignalingChannel>(
  address: string,
  factories: Readonly<Record<string, (rest: string, options: SignalingOptions) => T>>,
  options: SignalingOptions = {},
): T {
  const match = /^([a-z][a-z0-9+.-]*):(.*)$/i.exec(address.trim());
  const expected = Object.keys(factories)
    .map((scheme) => `"${scheme}:"`)
    .join(', ');
  if (!match) {
    throw new SignalingAddressError(`signaling="${address}" is not an address; expected one of ${expected}`);
  }
  const [, scheme, rest] = match;
  const key = scheme.toLowerCase();
  // Own properties only: `constructor:` or `toString:` must not find Object.prototype's.
  const factory = Object.hasOwn(factories, key) ? factories[key] : undefined;
  if (!factory) {
    throw new SignalingAddressError(
      `signaling="${address}" uses "${scheme}:", which no adapter handles; expected one of ${expected}${NETWORK_SCHEMES.includes(scheme) ? ' (registerNetworkAdapters() adds it)' : ''}`,
    );
  }
  return factory(rest, options);
}
