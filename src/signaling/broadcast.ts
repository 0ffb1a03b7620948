import { FirstPeerChannel, randomId, type Room, type RoomListener, type RoomPeer } from './room.js';
import type { SignalingChannel } from './signaling.js';

type Wire =
  | { type: 'hello' | 'here' | 'meta'; from: string; to?: string; meta: Record<string, unknown> }
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
 * A room among the tabs (and elements) of one browser and origin, over a BroadcastChannel: no server. A newcomer
 * says hello, the others answer "here"; messages carry their addressee.
 */
export class BroadcastRoom implements Room {
  readonly selfId = randomId();
  private channel?: BroadcastChannel;
  private listener?: RoomListener;
  private meta: Record<string, unknown> = {};
  private readonly peers = new Map<string, RoomPeer>();

  constructor(private readonly name: string) {}

  join(listener: RoomListener, meta: Record<string, unknown>): void {
    // Joined twice, the first channel would go on delivering every message a second time.
    if (this.channel) this.leave();
    this.listener = listener;
    this.meta = meta;
    this.channel = new BroadcastChannel(`webrtc-elements:${this.name}`);
    this.channel.onmessage = (event) => this.receive(event.data);
    this.post({ type: 'hello', from: this.selfId, meta });
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
    // Met anew if this room is joined again.
    this.peers.clear();
    this.listener = undefined;
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
    switch (message.type) {
      case 'hello':
      case 'here':
      case 'meta': {
        const peer = { id: from, meta: message.meta };
        const known = this.peers.has(from);
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
    (type === 'hello' || type === 'here' || type === 'meta') && typeof meta === 'object' && meta !== null
  );
}

/** `broadcast:NAME` for a `<peer-connection>`: the first other tab in the room NAME. */
export const broadcastSignaling = (name: string): SignalingChannel =>
  new FirstPeerChannel(new BroadcastRoom(name));
