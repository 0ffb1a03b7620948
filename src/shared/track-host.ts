import type { PeerSession } from '../session/peer-session.js';
import type { RoomPeer } from '../signaling/room.js';
import type { AttachedTrack, ConnectionHost } from './connection-context.js';

/** The longest a new track waits for the captures of other tracks to finish (see TrackHost). */
const CAPTURE_WAIT_MS = 1000;

/**
 * The {@link ConnectionHost} of an element that owns one or more sessions: the attached tracks are sent on every
 * session, now and on sessions made later, and stream observers are told of changes.
 *
 * While another attached track is still being captured, a new track waits for it (for at most a second), so that
 * tracks captured together are negotiated together: sixteen cameras made sixteen captures finishing one by one, and
 * up to seven offer/answer rounds, which slowed the captures still under way. Stopping a track never waits.
 */
export class TrackHost implements ConnectionHost {
  readonly #attached = new Set<AttachedTrack>();
  readonly #observers = new Set<() => void>();
  #captureWait?: ReturnType<typeof setTimeout>;

  readonly #sessions: () => Iterable<PeerSession>;

  constructor(
    sessions: () => Iterable<PeerSession>,
    readonly streams: () => readonly MediaStream[],
    readonly peerOf: (stream: MediaStream) => RoomPeer | undefined = () => undefined,
  ) {
    this.#sessions = sessions;
  }

  attach(track: AttachedTrack): void {
    this.#attached.add(track);
    this.update(track);
  }

  update(track: AttachedTrack): void {
    if (!this.#attached.has(track)) return;
    if (!this.#capturing()) this.#flush();
    else if (!track.track) this.#send(track);
    else this.#captureWait ??= setTimeout(() => this.#flush(), CAPTURE_WAIT_MS);
  }

  detach(track: AttachedTrack): void {
    this.#attached.delete(track);
    for (const session of this.#sessions()) session.senders.remove(track);
    if (this.#captureWait && !this.#capturing()) this.#flush();
  }

  #capturing(): boolean {
    return [...this.#attached].some((track) => track.capturing);
  }

  /** Sends every attached track as it now is, the ones held back included. */
  #flush(): void {
    clearTimeout(this.#captureWait);
    this.#captureWait = undefined;
    for (const track of this.#attached) this.#send(track);
  }

  #send(track: AttachedTrack): void {
    for (const session of this.#sessions()) session.senders.sync(track);
  }

  /** Sends every attached track on a new session. */
  sendAll(session: PeerSession): void {
    for (const track of this.#attached) session.senders.sync(track);
  }

  observeStreams(listener: () => void): () => void {
    this.#observers.add(listener);
    return () => this.#observers.delete(listener);
  }

  /** Tells the observers that streams or peers changed. */
  changed(): void {
    for (const listener of this.#observers) listener();
  }
}
