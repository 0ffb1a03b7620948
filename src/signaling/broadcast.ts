import { FirstPeerChannel, randomId, type Room, type RoomListener, type RoomPeer } from './room.js';
import type { SignalingChannel } from './signaling.js';

type Wire =
  | { type: 'hello' | 'here' | 'meta' | 'alive'; from: string; to?: string; meta: Record<string, unknown> }
  | { type: 'bye'; from: string }
  | { type: 'signal'; from: string; to: string; data: unknown };

/** Thrown (as a room error) for a message on the channel that is not one of this protocol's. */
export class BroadcastMessageError extends Error {
  // A getter on the prototype rather than a field: the class needs no constructor.
  override get name(): 'BroadcastMessageError' {
    return 'BroadcastMessageError';
  }
}

/**
 * How often each member says it is alive, and after how long without a word from a peer it is taken for gone. A tab
 * that crashed or was killed says no goodbye, and a BroadcastChannel cannot tell it is gone: without this, it stayed
 * the partner of a `<peer-connection>` for good, which then ignored every newcomer. Generous, as a hidden tab's timers
 * may run as rarely as once a minute.
 */
export interface BroadcastTiming {
  aliveEveryMs: number;
  goneAfterMs: number;
}
const TIMING: BroadcastTiming = { aliveEveryMs: 10_000, goneAfterMs: 75_000 };

/**
 * A room among the tabs (and elements) of one browser and origin, over a BroadcastChannel: no server. A newcomer
 * says hello, the others answer "here"; each says now and then that it is alive; messages carry their addressee.
 */
export class BroadcastRoom implements Room {
  readonly selfId = randomId();
  private channel?: BroadcastChannel;
  private listener?: RoomListener;
  private meta: Record<string, unknown> = {};
  private readonly peers = new Map<string, RoomPeer>();
  /** When each peer was last heard from. */
  private readonly heard = new Map<string, number>();
  private aliveTimer?: ReturnType<typeof setInterval>;
  private lastBeat = 0;

  constructor(
    private readonly name: string,
    private readonly timing: BroadcastTiming = TIMING,
  ) {}

  join(listener: RoomListener, meta: Record<string, unknown>): void {
    // Joined twice, the first channel would go on delivering every message a second time.
    if (this.channel) this.leave();
    this.listener = listener;
    this.meta = meta;
    this.channel = new BroadcastChannel(`webrtc-elements:${this.name}`);
    this.channel.onmessage = (event) => this.receive(event.data);
    this.post({ type: 'hello', from: this.selfId, meta });
    this.lastBeat = Date.now();
    this.aliveTimer = setInterval(() => this.beat(), this.timing.aliveEveryMs);
  }

  send(to: string, data: unknown): void {
    this.post({ type: 'signal', from: this.selfId, to, data });
  }

  setMeta(meta: Record<string, unknown>): void {
    this.meta = meta;
    this.post({ type: 'meta', from: this.selfId, meta });
  }

  leave(): void {
    this.post({ type: 'bye', from: this.selfId });
    this.channel?.close();
    this.channel = undefined;
    clearInterval(this.aliveTimer);
    // Met anew if this room is joined again.
    this.peers.clear();
    this.heard.clear();
    this.listener = undefined;
  }

  /** Says this side is alive, and lets go the peers not heard from for too long. */
  private beat(): void {
    const now = Date.now();
    // This side's own timer ran late (its tab was frozen or throttled): the silence was its own, not the others'.
    const late = now - this.lastBeat > this.timing.goneAfterMs / 2;
    this.lastBeat = now;
    this.post({ type: 'alive', from: this.selfId, meta: this.meta });
    for (const [id, peer] of this.peers) {
      if (late) this.heard.set(id, now);
      else if (now - (this.heard.get(id) ?? now) > this.timing.goneAfterMs) {
        this.peers.delete(id);
        this.heard.delete(id);
        this.listener?.left(peer, 'gone');
      }
    }
  }

  private post(message: Wire): void {
    this.channel?.postMessage(message);
  }

  private receive(message: unknown): void {
    const listener = this.listener;
    if (!listener) return;
    if (!isWire(message)) {
      listener.error(new BroadcastMessageError('a message on the room channel is not a room message'), false);
      return;
    }
    if ('to' in message && message.to !== undefined && message.to !== this.selfId) return;
    const { from } = message;
    const known = this.peers.has(from);
    if (known || message.type !== 'signal') this.heard.set(from, Date.now());
    // Only news if the peer is not known: one taken for gone, or whose hello this side missed.
    if (message.type === 'alive' && known) return;
    switch (message.type) {
      case 'alive':
      case 'hello':
      case 'here':
      case 'meta': {
        const peer = { id: from, meta: message.meta };
        this.peers.set(from, peer);
        if (message.type === 'hello')
          this.post({ type: 'here', from: this.selfId, to: from, meta: this.meta });
        if (known) listener.updated(peer);
        else listener.joined(peer);
        return;
      }
      case 'bye': {
        const peer = this.peers.get(from);
        this.peers.delete(from);
        this.heard.delete(from);
        if (peer) listener.left(peer, 'leave');
        return;
      }
      case 'signal':
        if (this.peers.has(from)) listener.message(from, message.data);
    }
  }
}

function isWire(value: unknown): value is Wire {
  if (typeof value !== 'object' || value === null) return false;
  const { type, from, to, meta } = value as Record<string, unknown>;
  if (typeof from !== 'string' || (to !== undefined && typeof to !== 'string')) return false;
  if (type === 'bye' || type === 'signal') return true;
  return (
    (type === 'hello' || type === 'here' || type === 'meta' || type === 'alive') &&
    typeof meta === 'object' &&
    meta !== null
  );
}

/** `broadcast:NAME` for a `<peer-connection>`: the first other tab in the room NAME. */
export const broadcastSignaling = (name: string): SignalingChannel =>
  new FirstPeerChannel(new BroadcastRoom(name));
