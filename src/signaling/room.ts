import {
  queueForFarSide,
  type NegotiationMessage,
  type SignalingChannel,
  type SignalingListener,
} from './signaling.js';

/** A member of a room as the others see it. */
export interface RoomPeer {
  readonly id: string;
  /** What the peer shares about itself, such as `{ name: 'Front desk' }`. */
  readonly meta: Readonly<Record<string, unknown>>;
}

/** `leave`: the peer said goodbye. `gone`: it vanished (closed tab, lost network) and did not come back in time. */
export type LeaveReason = 'leave' | 'gone';

export interface RoomListener {
  joined(peer: RoomPeer): void;
  left(peer: RoomPeer, reason: LeaveReason): void;
  updated(peer: RoomPeer): void;
  /** A message addressed to this peer; untrusted data. */
  message(from: string, data: unknown): void;
  /**
   * The room refused something, or cannot be reached. `final`: this peer is out of the room for good (refused at the
   * door, say, a full room or a wrong token); otherwise the room goes on, or keeps trying to reach its service.
   */
  error(error: Error, final: boolean): void;
}

/**
 * Presence and addressed messages among the peers of one room: what a mesh of connections needs from a signaling
 * service. Adapters: tabs of one browser (BroadcastChannel) and the kit's WebSocket relay.
 */
export interface Room {
  /** This peer's id, stable for the room's life (also across reconnections). */
  readonly selfId: string;
  /** Enters the room; `listener` hears about the others from now on. */
  join(listener: RoomListener, meta: Record<string, unknown>): void;
  /** Sends `data` to one peer of the room. */
  send(to: string, data: unknown): void;
  /** Changes what this peer shares about itself. */
  setMeta(meta: Record<string, unknown>): void;
  /** Says goodbye and leaves. */
  leave(): void;
}

/** Messages for a far side whose connection has not started listening yet; a bound, so a flood cannot grow memory. */
const MAX_PENDING = 1000;

/**
 * A random id. `crypto.randomUUID` exists in secure contexts only; a page served over plain HTTP to another machine
 * (a viewer that captures nothing needs no secure context) still gets one.
 */
export function randomId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) =>
    byte.toString(16).padStart(2, '0'),
  ).join('');
}

/** How long a peer reported gone keeps its connection while media still flows (a relay restart, a blip). */
export const AWAY_GRACE_MS = 15_000;
/** How often a partner reported gone is checked for media still flowing (see FirstPeerChannel). */
const AWAY_CHECK_MS = 1000;

/**
 * The signaling channel between this peer and one other peer of a room. Roles come from the ids, so the two ends
 * agree without talking: the greater id is polite.
 */
export class PeerChannel implements SignalingChannel {
  private listener?: SignalingListener;
  private readonly pending: unknown[] = [];

  constructor(
    private readonly room: Room,
    readonly peerId: string,
  ) {}

  get polite(): boolean {
    return this.room.selfId > this.peerId;
  }

  start(listener: SignalingListener): void {
    this.listener = listener;
    for (const data of this.pending.splice(0)) listener.message(data);
  }

  send(message: NegotiationMessage): void {
    this.room.send(this.peerId, message);
  }

  /** A message from the peer, handed on by whoever routes the room's messages. */
  deliver(data: unknown): void {
    if (this.listener) this.listener.message(data);
    else if (this.pending.length < MAX_PENDING) this.pending.push(data);
  }

  /** The peer left for good. */
  peerLeft(): void {
    this.pending.length = 0;
    this.listener?.peerLeft?.();
  }

  close(): void {
    this.listener = undefined;
  }
}

/**
 * A one-to-one channel over a room, for a `<peer-connection>`: it talks to the first other peer it meets, and to
 * the next one when that peer leaves. What this side sends before anyone is there waits for the first peer.
 */
export class FirstPeerChannel implements SignalingChannel {
  private partner?: PeerChannel;
  private listener?: SignalingListener;
  private readonly early: NegotiationMessage[] = [];
  /**
   * The other peers in the room, in the order this side heard of them: when the partner leaves, the next one is met.
   * The partner may be one whose place the room keeps for a while after it vanished (a reloaded page comes back as
   * a new peer): the peer that stayed must still find the new one when the old one's place ends.
   */
  private readonly present = new Set<string>();
  /** Set while the partner is reported gone but media with it still flows (see keepAway). */
  private awayCheck?: ReturnType<typeof setInterval>;
  /** Whether this side is in the room: from the first start to close. */
  private joined = false;
  /** Set while the page is hidden in the back/forward cache after this side left for it (see onPageHide). */
  private cached = false;

  constructor(private readonly room: Room) {}

  get polite(): boolean | undefined {
    return this.partner?.polite;
  }

  /** Alone in the room, the offer this side sends waits for the first peer (see send). */
  get farSidePresent(): boolean {
    return this.partner !== undefined;
  }

  start(listener: SignalingListener): void {
    this.listener = listener;
    if (this.partner) {
      this.partner.start(listener);
      return;
    }
    // Started again (a channel of the page's, given to an element inserted anew): in the room already.
    if (this.joined) return;
    this.joined = true;
    window.addEventListener('pagehide', this.onPageHide);
    this.room.join(
      {
        joined: (peer) => this.meet(peer.id),
        // One whose joining this side missed.
        updated: (peer) => this.meet(peer.id),
        left: (peer, reason) => {
          this.present.delete(peer.id);
          if (peer.id !== this.partner?.peerId) return;
          if (reason === 'gone' && (this.awayCheck || this.listener?.connected?.())) this.keepAway();
          else this.partnerLeft();
        },
        message: (from, data) => {
          // Not noted while there is a partner: a late message from a peer that left would make it present again.
          if (!this.partner) this.meet(from);
          if (from !== this.partner?.peerId) return;
          this.partnerBack();
          this.partner.deliver(data);
        },
        error: (error) => this.listener?.error?.(error),
      },
      {},
    );
  }

  send(message: NegotiationMessage): void {
    if (this.partner) {
      this.partner.send(message);
      return;
    }
    queueForFarSide(this.early, message, MAX_PENDING);
  }

  close(): void {
    this.joined = false;
    this.cached = false;
    window.removeEventListener('pagehide', this.onPageHide);
    window.removeEventListener('pageshow', this.onPageShow);
    this.partnerBack();
    this.partner?.close();
    // Started again after this (a channel of the page's), it joins anew and meets whoever is there then.
    this.partner = undefined;
    this.present.clear();
    this.early.length = 0;
    this.room.leave();
  }

  /**
   * Closing or reloading the tab says goodbye at once, as `<call-room>` does: otherwise the far side keeps this peer
   * as its partner (over BroadcastChannel until the tab has been silent for 75 s; for the relay's grace over `ws:`),
   * and ignores the reloaded page. A page kept in the back/forward cache joins again when it is shown again:
   * the others let it go meanwhile, and the listener starts over.
   */
  private readonly onPageHide = (event: PageTransitionEvent): void => {
    this.close();
    if (!event.persisted) return;
    this.cached = true;
    window.addEventListener('pageshow', this.onPageShow);
  };

  private readonly onPageShow = (event: PageTransitionEvent): void => {
    window.removeEventListener('pageshow', this.onPageShow);
    const { listener } = this;
    if (!this.cached || !event.persisted || !listener) return;
    this.cached = false;
    listener.peerLeft?.();
    this.start(listener);
  };

  /**
   * The partner is reported gone while media with it still flows: a relay restart, or its socket down past the relay's
   * grace, says nothing of the call itself. It stays the partner, so that the call goes on and, once it is back in the
   * room, negotiates with it again; it is let go when media stops or it is not back within the grace, as `<call-room>`
   * does. Checked by polling: the channel does not see the connection, only the listener's answer.
   */
  private keepAway(): void {
    if (this.awayCheck) return;
    const since = Date.now();
    this.awayCheck = setInterval(() => {
      if (Date.now() - since >= AWAY_GRACE_MS || !this.listener?.connected?.()) this.partnerLeft();
    }, AWAY_CHECK_MS);
  }

  /** The partner, if it was reported gone, is back. */
  private partnerBack(): void {
    clearInterval(this.awayCheck);
    this.awayCheck = undefined;
  }

  /** The partner left for good: the listener starts over, and the next peer present, if any, is met. */
  private partnerLeft(): void {
    this.partnerBack();
    const gone = this.partner;
    this.partner = undefined;
    gone?.peerLeft();
    const [next] = this.present;
    if (next !== undefined) this.meet(next);
  }

  /** Notes a peer as present, and makes it the partner if there is none; the partner announced again is back. */
  private meet(peerId: string): void {
    this.present.add(peerId);
    if (peerId === this.partner?.peerId) this.partnerBack();
    if (this.partner) return;
    this.partner = new PeerChannel(this.room, peerId);
    if (this.listener) this.partner.start(this.listener);
    for (const message of this.early.splice(0)) this.partner.send(message);
  }
}
