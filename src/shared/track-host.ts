import type { PeerSession } from '../session/peer-session.js';
import type { RoomPeer } from '../signaling/room.js';
import type { AttachedTrack, ConnectionHost } from './connection-context.js';

/**
 * The {@link ConnectionHost} of an element that owns one or more sessions: the attached tracks are sent on every
 * session, now and on sessions made later, and stream observers are told of changes.
 */
export class TrackHost implements ConnectionHost {
  private readonly attached = new Set<AttachedTrack>();
  private readonly observers = new Set<() => void>();

  constructor(
    private readonly sessions: () => Iterable<PeerSession>,
    readonly streams: () => readonly MediaStream[],
    readonly peerOf: (stream: MediaStream) => RoomPeer | undefined = () => undefined,
  ) {}

  attach(track: AttachedTrack): void {
    this.attached.add(track);
    for (const session of this.sessions()) session.senders.sync(track);
  }

  update(track: AttachedTrack): void {
    if (!this.attached.has(track)) return;
    for (const session of this.sessions()) session.senders.sync(track);
  }

  detach(track: AttachedTrack): void {
    this.attached.delete(track);
    for (const session of this.sessions()) session.senders.remove(track);
  }

  /** Sends every attached track on a new session. */
  sendAll(session: PeerSession): void {
    for (const track of this.attached) session.senders.sync(track);
  }

  observeStreams(listener: () => void): () => void {
    this.observers.add(listener);
    return () => this.observers.delete(listener);
  }

  /** Tells the observers that streams or peers changed. */
  changed(): void {
    for (const listener of this.observers) listener();
  }
}
