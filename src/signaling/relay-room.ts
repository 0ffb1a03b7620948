import {
  FirstPeerChannel,
  randomId,
  type LeaveReason,
  type Room,
  type RoomListener,
  type RoomPeer,
} from './room.js';
import { queueForFarSide, type SignalingChannel } from './signaling.js';

/** Something the relay refused, with its code (`room-full`, `unauthorized`, `unknown-peer`, …). */
export class RelayError extends Error {
  // A getter on the prototype rather than a field: the class needs no constructor.
  override get name(): 'RelayError' {
    return 'RelayError';
  }
  constructor(
    readonly code: string,
    /** The relay's words, without the code. */
    readonly reason: string,
  ) {
    super(`${code}: ${reason}`);
  }
}

/** The largest frame the relay takes (`MAX_MESSAGE_BYTES` in server/relay.js): it closes a socket that sends more. */
export const MAX_FRAME_BYTES = 128 * 1024;
/** What a relay that does not say its limit in its welcome takes: an earlier version's. */
const UNSAID_FRAME_BYTES = 64 * 1024;
/** The most characters of metadata JSON the relay takes (`MAX_META_CHARS` in server/relay.js). */
export const MAX_META_CHARS = 2048;

/** A frame from the relay, checked (see parseFrame); `other`: a type this client does not know, ignored. */
type Frame =
  | { type: 'welcome'; peers: RoomPeer[]; heartbeatMs?: number; maxMessageBytes?: number }
  | { type: 'joined' | 'updated'; peer: RoomPeer }
  | { type: 'left'; id: string; reason: unknown }
  | { type: 'signal'; from: string; data: unknown }
  | { type: 'error'; code: string; message: string; to?: string }
  | { type: 'other' };

/** Close codes after which trying again cannot help (see server/relay.js). */
const FINAL_CLOSE_CODES = new Set([4000, 4001, 4003, 4008, 4009]);
/**
 * Messages kept while the socket is down, sent at once when it is back: fewer than the relay takes at once (200, its
 * `burst`), past which it drops them and then closes the socket.
 */
const MAX_QUEUED = 150;
/**
 * Metadata longer than this, percent-encoded, goes in a `meta` message after the welcome rather than in the join's
 * address: an address over the server's header limit (16 KiB in Node) is refused before the relay sees it, at every
 * try, and that looked like a relay out of reach.
 */
const MAX_META_IN_ADDRESS = 4096;
/**
 * How long the relay may stay out of reach before that is told (once; trying goes on): longer than a relay's restart,
 * which calls ride out, and short enough for a page that names a relay that is not there to learn it.
 */
const UNREACHABLE_TOLD_AFTER_MS = 5000;
/**
 * How many of the relay's heartbeats (a frame every `heartbeatMs`, 10 s by default) may be missed before its socket is
 * taken for dead and replaced. A path that dies without a word (a NAT or firewall forgetting the connection, a laptop
 * asleep) leaves the socket open for minutes: the relay finds it dead and reports this peer gone, its partners let the
 * call go, and a peer waiting alone is left out of the room for good, while the page has no ping of its own to see.
 */
const MISSED_HEARTBEATS = 2.5;

/**
 * A room on the kit's WebSocket relay (`ws://host/signal?room=NAME`). A dropped socket reconnects with exponential
 * backoff and rejoins under the same peer id, so the calls it signals for go on: the relay keeps messages for a
 * peer that vanished for a moment, and only says it is gone when it does not come back.
 */
export class RelayRoom implements Room {
  readonly selfId = randomId();
  /** Proves to the relay that a reconnection is this peer, not another naming its id (which every peer learns). */
  private readonly key = randomId();
  private socket?: WebSocket;
  private listener?: RoomListener;
  private meta: Record<string, unknown> = {};
  private readonly peers = new Map<string, RoomPeer>();
  /** Signals waiting for the socket, with the peer each is for (see send). */
  private readonly queue: { to: string; data: unknown; text: string; bytes: number }[] = [];
  /** The largest frame the relay takes, as its welcome said (see frameTooLarge); the kit's own before one came. */
  private maxFrameBytes = MAX_FRAME_BYTES;
  private open = false;
  private closed = false;
  private attempts = 0;
  private retryTimer?: ReturnType<typeof setTimeout>;
  /** Runs while no socket is welcomed, to tell an outage once it lasts (see awaitWelcome); and whether it was told. */
  private unreachableTimer?: ReturnType<typeof setTimeout>;
  private unreachableTold = false;
  /** What the relay refused before it welcomed this socket: told with the close that follows, which says if it is final. */
  private refusal?: RelayError;
  /**
   * The last socket's refusal for want of a place (relay-full, or room-full while a place is kept for a peer away),
   * which asks to try again: what an outage then tells.
   */
  private retryRefusal?: RelayError;
  /** Set while what an outage tells waits for the end of the try under way (see awaitWelcome). */
  private tellAtClose = false;
  /** Set when metadata changed after the last socket's address was made: sent once that socket is welcomed. */
  private metaUnsent = false;
  /** Whether a socket of this join was welcomed (see connect). */
  private welcomedOnce = false;
  /** The relay's heartbeat interval, from its welcome; undefined for a relay that sends none. */
  private heartbeatMs?: number;
  /** Runs out when the relay has been silent past its heartbeats (see MISSED_HEARTBEATS). */
  private silenceTimer?: ReturnType<typeof setTimeout>;

  constructor(private readonly url: string) {}

  /** Joins, also again after `leave()`: the peers then present are met anew. */
  join(listener: RoomListener, meta: Record<string, unknown>): void {
    this.listener = listener;
    // Metadata the relay refuses would refuse the join itself, for good: told as setMeta tells it, and joined without.
    this.meta = this.metaRefused(meta) ? {} : meta;
    this.closed = false;
    this.open = false;
    this.welcomedOnce = false;
    this.attempts = 0;
    this.refusal = undefined;
    this.retryRefusal = undefined;
    this.stopAwaitingWelcome();
    this.awaitWelcome();
    this.connect();
  }

  send(to: string, data: unknown): void {
    const text = JSON.stringify({ type: 'signal', to, data });
    const bytes = text.length > this.maxFrameBytes / 3 ? new TextEncoder().encode(text).length : text.length;
    if (this.frameTooLarge(bytes)) return;
    if (this.open && this.socket?.readyState === WebSocket.OPEN) {
      // Not to a peer the room has let go (gone past the relay's grace, while its media may still flow and its call is
      // kept a while): the relay would answer each with an error. The call sends its offer again every 2 s, so one that
      // comes back hears it then.
      if (this.peers.has(to)) this.socket.send(text);
    }
    // Through an outage each call sends its offer again every 2 s with its candidates: only the latest of each peer's
    // is kept, as for a far side not there yet.
    else
      queueForFarSide(this.queue, { to, data, text, bytes }, MAX_QUEUED, (q) =>
        q.to === to ? q.data : undefined,
      );
  }

  /**
   * Tells a message larger than the relay takes: sent, it would close the socket, and each resend of it close the next
   * one.
   */
  private frameTooLarge(bytes: number): boolean {
    if (bytes <= this.maxFrameBytes) return false;
    this.listener?.error(
      new RelayError(
        'too-large',
        `a message of ${bytes} bytes is over the relay's limit of ${this.maxFrameBytes}`,
      ),
      false,
    );
    return true;
  }

  setMeta(meta: Record<string, unknown>): void {
    // Kept, metadata the relay refuses would go in the address of the next reconnection, refused there for good.
    if (this.metaRefused(meta)) return;
    this.meta = meta;
    if (this.open && this.socket?.readyState === WebSocket.OPEN)
      this.socket.send(JSON.stringify({ type: 'meta', meta }));
    else this.metaUnsent = true;
  }

  /** Tells metadata the relay would refuse (too long), and says so. */
  private metaRefused(meta: Record<string, unknown>): boolean {
    const { length } = JSON.stringify(meta);
    if (length <= MAX_META_CHARS) return false;
    this.listener?.error(
      new RelayError('bad-meta', `metadata of ${length} characters of JSON is over ${MAX_META_CHARS}`),
      false,
    );
    return true;
  }

  leave(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.silenceTimer);
    this.stopAwaitingWelcome();
    // Said also before the welcome: the relay admits a socket as it opens, before it reads anything, and a socket
    // closed then without a goodbye stays in the room for its grace, then is reported gone. One still connecting is
    // closed at once: waiting for it to open, to say goodbye, would keep a socket to a relay out of reach open until
    // the browser gives it up.
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ type: 'leave' }));
    this.socket?.close(1000, 'left');
    this.open = false;
    this.listener = undefined;
    this.peers.clear();
    this.queue.length = 0;
  }

  private connect(): void {
    let url: URL;
    try {
      url = new URL(this.url);
      url.searchParams.set('id', this.selfId);
      url.searchParams.set('key', this.key);
      // The metadata travels with the join, so the others meet this peer with its name.
      const meta = JSON.stringify(this.meta);
      const inAddress =
        Object.keys(this.meta).length > 0 && encodeURIComponent(meta).length <= MAX_META_IN_ADDRESS;
      if (inAddress) url.searchParams.set('meta', meta);
      else url.searchParams.delete('meta');
      // Also empty metadata, once welcomed before: the relay keeps what a peer back within its grace had (a name
      // cleared while the socket was down would stay).
      this.metaUnsent = !inAddress && (Object.keys(this.meta).length > 0 || this.welcomedOnce);
      this.socket = new WebSocket(url);
    } catch (error) {
      this.closed = true;
      this.stopAwaitingWelcome();
      this.listener?.error(error as Error, true);
      return;
    }
    const socket = this.socket;
    socket.onmessage = (event) => this.receive(event.data);
    socket.onclose = (event) => {
      if (socket === this.socket) this.lost(event.code, event.reason);
    };
  }

  /** The socket closed, or was given up as dead: told if that is final, else tried again after a backoff. */
  private lost(code: number, reason: string): void {
    this.open = false;
    clearTimeout(this.silenceTimer);
    const refusal = this.refusal;
    this.refusal = undefined;
    if (this.closed) return;
    if (FINAL_CLOSE_CODES.has(code)) {
      this.closed = true;
      this.stopAwaitingWelcome();
      this.listener?.error(
        refusal ?? new RelayError('closed', reason || `the relay closed the connection (${code})`),
        true,
      );
      return;
    }
    // For want of a place (a final refusal returned above): the relay's, or the room's while one is kept for a peer away.
    this.retryRefusal = refusal?.code === 'relay-full' || refusal?.code === 'room-full' ? refusal : undefined;
    if (this.tellAtClose) this.tellNotLetIn(UNREACHABLE_TOLD_AFTER_MS / 1000, this.retryRefusal);
    this.awaitWelcome();
    const delay = Math.min(10_000, 250 * 2 ** this.attempts++) * (0.5 + Math.random() / 2);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  /**
   * Heard from the relay: its socket is alive. Silent past its heartbeats, the socket is given up (closed, its close
   * no longer waited for: over a dead path the closing handshake would wait as long) and a new one joins.
   */
  private heard(): void {
    clearTimeout(this.silenceTimer);
    if (this.heartbeatMs === undefined || !this.open) return;
    this.awaitHeartbeat(this.heartbeatMs * MISSED_HEARTBEATS, this.heartbeatMs);
  }

  private awaitHeartbeat(ms: number, heartbeatMs: number): void {
    const due = Date.now() + ms;
    this.silenceTimer = setTimeout(() => {
      // Run late, the page's main thread was busy or suspended: what the relay sent meanwhile may wait to be read.
      if (Date.now() - due > heartbeatMs) return this.awaitHeartbeat(heartbeatMs, heartbeatMs);
      const dead = this.socket;
      this.socket = undefined;
      if (dead) {
        // Nothing more from it counts, should it come after all.
        dead.onmessage = null;
        dead.close(1000, 'no heartbeat from the relay');
      }
      this.lost(1006, '');
    }, ms);
  }

  /**
   * Tells, once, that no socket was welcomed for 5 s from now (a join, or the loss of the open socket), unless that is
   * being waited for or was told already. Timed rather than counted in failed tries: a host that drops packets takes
   * far longer than that to fail one. After a refusal for want of a place, a try under way when the 5 s are up
   * decides what is told: refused again, as the relay answers within a round trip, the refusal is told as it closes;
   * still under way 5 s later, the relay is out of reach (the network went down after the refusal).
   */
  private awaitWelcome(): void {
    if (this.unreachableTimer !== undefined || this.unreachableTold) return;
    this.unreachableTimer = setTimeout(() => {
      const state = this.socket?.readyState;
      if (this.retryRefusal && (state === WebSocket.CONNECTING || state === WebSocket.OPEN)) {
        this.tellAtClose = true;
        // No refusal came for it: the relay is out of reach now.
        this.unreachableTimer = setTimeout(
          () => this.tellNotLetIn((2 * UNREACHABLE_TOLD_AFTER_MS) / 1000, undefined),
          UNREACHABLE_TOLD_AFTER_MS,
        );
      } else this.tellNotLetIn(UNREACHABLE_TOLD_AFTER_MS / 1000, this.retryRefusal);
    }, UNREACHABLE_TOLD_AFTER_MS);
  }

  /** Tells that no socket was welcomed for `seconds` (see awaitWelcome): `refused`, the relay's refusal for want of a place, or no relay. */
  private tellNotLetIn(seconds: number, refused: RelayError | undefined): void {
    this.stopAwaitingWelcome();
    this.unreachableTold = true;
    // Not the whole address: its query may hold a token, and error messages end up in logs.
    const { origin, pathname } = new URL(this.url);
    const where = `${origin}${pathname}`;
    // The relay answered, and asked to be tried again: its reason, not a relay out of reach.
    this.listener?.error(
      refused
        ? new RelayError(
            refused.code,
            `the relay at ${where} has not let this side in for ${seconds} s (${refused.reason}); still trying`,
          )
        : new RelayError(
            'unreachable',
            `no connection to the relay at ${where} for ${seconds} s; still trying`,
          ),
      false,
    );
  }

  /** Stops waiting for a welcome (see awaitWelcome): one came, this side joins anew, left, or was refused for good. */
  private stopAwaitingWelcome(): void {
    clearTimeout(this.unreachableTimer);
    this.unreachableTimer = undefined;
    this.unreachableTold = false;
    this.tellAtClose = false;
  }

  private receive(text: unknown): void {
    const listener = this.listener;
    if (!listener) return;
    // Whatever it is, it came: the relay is there (see heard); the welcome, which says the interval, restarts it below.
    this.heard();
    let frame: Frame | undefined;
    try {
      frame = parseFrame(JSON.parse(String(text)));
    } catch {
      listener.error(new RelayError('bad-message', 'the relay sent something that is not JSON'), false);
      return;
    }
    if (!frame) {
      listener.error(
        new RelayError('bad-message', 'the relay sent a frame that is not of its protocol'),
        false,
      );
      return;
    }
    switch (frame.type) {
      case 'welcome': {
        this.open = true;
        this.heartbeatMs = frame.heartbeatMs;
        this.maxFrameBytes = Math.min(MAX_FRAME_BYTES, frame.maxMessageBytes ?? UNSAID_FRAME_BYTES);
        this.welcomedOnce = true;
        this.attempts = 0;
        this.stopAwaitingWelcome();
        const present = new Map(frame.peers.map((peer) => [peer.id, peer]));
        // Peers not back yet after the relay restarted are reported gone; the room decides what that means.
        for (const [id, peer] of this.peers) if (!present.has(id)) this.forget(peer, 'gone');
        for (const peer of present.values()) this.learn(peer);
        this.heard();
        if (this.metaUnsent) this.socket?.send(JSON.stringify({ type: 'meta', meta: this.meta }));
        this.metaUnsent = false;
        // Not to peers that did not come back (after a relay restart): the relay would answer each with an error.
        for (const { to, text, bytes } of this.queue.splice(0))
          if (present.has(to) && !this.frameTooLarge(bytes)) this.socket?.send(text);
        return;
      }
      case 'joined':
      case 'updated':
        this.learn(frame.peer);
        return;
      case 'left': {
        const peer = this.peers.get(frame.id);
        if (peer) this.forget(peer, frame.reason === 'leave' ? 'leave' : 'gone');
        return;
      }
      case 'signal':
        // Only from a peer present now: the relay announces each peer before anything it sends, and what it held
        // for this peer while its socket was down may come from one that has left since (it would be taken for the
        // next far side, and the real next one never heard).
        if (this.peers.has(frame.from)) listener.message(frame.from, frame.data);
        return;
      case 'error': {
        // A message to a peer that left while it was on its way: nothing failed that the room has not told.
        if (frame.code === 'unknown-peer' && frame.to !== undefined && !this.peers.has(frame.to)) return;
        const error = new RelayError(frame.code, frame.message);
        if (this.open) listener.error(error, false);
        else this.refusal = error;
        return;
      }
    }
  }

  private learn(peer: RoomPeer): void {
    const known = this.peers.has(peer.id);
    this.peers.set(peer.id, peer);
    if (known) this.listener?.updated(peer);
    else this.listener?.joined(peer);
  }

  private forget(peer: RoomPeer, reason: LeaveReason): void {
    this.peers.delete(peer.id);
    this.listener?.left(peer, reason);
  }
}

/**
 * Checks a frame from the relay: a relay that is not the kit's, or a broken one, must not make this client throw in
 * its socket's handler (an uncaught error in the page) or take a malformed peer for one.
 */
function parseFrame(value: unknown): Frame | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const frame = value as Record<string, unknown>;
  const { type } = frame;
  switch (type) {
    case 'welcome':
      return Array.isArray(frame.peers) && frame.peers.every(isPeer)
        ? {
            type,
            peers: frame.peers,
            heartbeatMs: positive(frame.heartbeatMs),
            maxMessageBytes: positive(frame.maxMessageBytes),
          }
        : undefined;
    case 'joined':
    case 'updated':
      return isPeer(frame.peer) ? { type, peer: frame.peer } : undefined;
    case 'left':
      return typeof frame.id === 'string' ? { type, id: frame.id, reason: frame.reason } : undefined;
    case 'signal':
      return typeof frame.from === 'string' ? { type, from: frame.from, data: frame.data } : undefined;
    case 'error':
      return typeof frame.code === 'string' && typeof frame.message === 'string'
        ? {
            type,
            code: frame.code,
            message: frame.message,
            to: typeof frame.to === 'string' ? frame.to : undefined,
          }
        : undefined;
    default:
      return { type: 'other' };
  }
}

/** A number a relay's welcome gave (an interval, a limit): positive, else none (a relay that does not say it). */
const positive = (value: unknown): number | undefined =>
  typeof value === 'number' && value > 0 && Number.isFinite(value) ? value : undefined;

function isPeer(value: unknown): value is RoomPeer {
  if (typeof value !== 'object' || value === null) return false;
  const { id, meta } = value as Record<string, unknown>;
  return typeof id === 'string' && typeof meta === 'object' && meta !== null && !Array.isArray(meta);
}

/** `ws://…` / `wss://…` for a `<peer-connection>`: the first other peer in the relay room. */
export const relaySignaling =
  (scheme: 'ws' | 'wss') =>
  (rest: string): SignalingChannel =>
    new FirstPeerChannel(new RelayRoom(`${scheme}:${rest}`));
