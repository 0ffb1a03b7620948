import type { PeerSession } from '../session/peer-session.js';
import type { RoomPeer } from '../signaling/room.js';
import type { AttachedTrack, ConnectionHost } from './connection-context.js';

/** The longest a new track waits for the captures of other tracks to finish (see TrackHost). */
const CAPTURE_WAIT_MS = 1000;

/**
 * The {@link ConnectionHost} of an element that owns one or more sessions: the attached tracks are sent on every
 * session, now and on sessions made later, and stream observers are told of changes.
 *
 * While another attached track is still being captured, a track that starts sending waits for it (for at most a
 * second), so that tracks captured together are negotiated together: sixteen cameras made sixteen captures finishing
 * one by one, and up to seven offer/answer rounds, which slowed the captures still under way. Only a track that is not
 * sent yet waits: a swapped track (another device) needs no negotiation, a track attached with its track (a move)
 * keeps its transceiver, and stopping to send never waits.
 */
export class TrackHost implements ConnectionHost {
  readonly #attached = new Set<AttachedTrack>();
  readonly #observers = new Set<() => void>();
  /** The attached tracks sent with a track on the sessions (as far as this host asked). */
  readonly #sending = new Set<AttachedTrack>();
  /** Tracks that wait for other captures, and the timer that ends the wait. */
  readonly #held = new Set<AttachedTrack>();
  #heldTimer?: ReturnType<typeof setTimeout>;

  /** The sessions to send on; `toSend` says a track is to be sent, which may make a session (see PeerConnection). */
  readonly #sessions: (toSend: boolean) => Iterable<PeerSession>;

  constructor(
    sessions: (toSend: boolean) => Iterable<PeerSession>,
    readonly streams: () => readonly MediaStream[],
    readonly peerOf: (stream: MediaStream) => RoomPeer | undefined = () => undefined,
  ) {
    this.#sessions = sessions;
  }

  attach(track: AttachedTrack): void {
    this.#attached.add(track);
    this.#send(track);
  }

  update(track: AttachedTrack): void {
    if (!this.#attached.has(track)) return;
    if (track.track && !this.#sending.has(track) && this.#capturing()) {
      this.#held.add(track);
      this.#heldTimer ??= setTimeout(() => this.#sendHeld(), CAPTURE_WAIT_MS);
      return;
    }
    this.#held.delete(track);
    this.#send(track);
    if (!this.#capturing()) this.#sendHeld();
  }

  detach(track: AttachedTrack): Promise<void> {
    this.#attached.delete(track);
    this.#held.delete(track);
    this.#sending.delete(track);
    const negotiated: Promise<void>[] = [];
    for (const session of this.#sessions(false)) {
      if (session.senders.remove(track)) negotiated.push(session.whenNegotiated());
    }
    if (!this.#capturing()) this.#sendHeld();
    return Promise.all(negotiated).then(() => {});
  }

  #capturing(): boolean {
    return [...this.#attached].some((track) => track.capturing);
  }

  #sendHeld(): void {
    clearTimeout(this.#heldTimer);
    this.#heldTimer = undefined;
    const held = [...this.#held];
    this.#held.clear();
    for (const track of held) this.#send(track);
  }

  #send(track: AttachedTrack): void {
    if (track.track) this.#sending.add(track);
    else this.#sending.delete(track);
    for (const session of this.#sessions(track.track !== null)) session.senders.sync(track);
  }

  /** Whether any attached track is to be sent (a new session is then needed at once). */
  get sendsTracks(): boolean {
    return this.#sending.size > 0;
  }

  /** Sends every attached track on a new session, but those held for other captures: they follow together. */
  sendAll(session: PeerSession): void {
    for (const track of this.#attached) if (!this.#held.has(track)) session.senders.sync(track);
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
