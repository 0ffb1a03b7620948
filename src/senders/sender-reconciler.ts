import type { ErrorOperation } from '../events.js';
import { LocalStreams } from '../streams/local-streams.js';

/** What one `<local-track>` (or any other source) wants sent. */
export interface TrackSource {
  readonly track: MediaStreamTrack | null;
  readonly streamNames: readonly string[];
}

interface Sending {
  readonly track: MediaStreamTrack;
  readonly streamNames: readonly string[];
  readonly transceiver: RTCRtpTransceiver;
  /** The streams set on the sender after it was made, if they were (see reassertStreams). */
  readonly setStreams?: readonly MediaStream[];
}

/**
 * Keeps a connection's senders equal to the set of sources attached to it. A new track is added, a vanished one
 * removed, a changed one swapped in place with `replaceTrack` (no renegotiation), and a track that comes back takes
 * an idle transceiver of its kind instead of a new one, so the session description does not grow with every
 * remove/add cycle.
 *
 * It also says when its changes need an offer, in a microtask, without waiting for the browser's `negotiationneeded`
 * task: in Chromium that came 0.5 to 1 ms after the change, and the far side let a removed track go about
 * 10% later than with plain code. Changes made in one go (one DOM operation, one synchronous run of page code) make
 * one offer, and changes that undo each other (a move: a track removed and sent again on its transceiver) ask for
 * nothing. A change undone only after an `await` has had its offer by then, and its undoing takes an exchange of its
 * own. Whatever this misses, the browser's own event still brings.
 */
export class SenderReconciler {
  readonly #sending = new Map<TrackSource, Sending>();
  /** The stream names each transceiver last sent with, so a returning track prefers its old transceiver. */
  readonly #lastStreams = new WeakMap<RTCRtpTransceiver, string>();
  /**
   * The transceivers that were used to send (a description made their current direction send): addTrack never takes
   * these again, so a track coming back is put on one here (see start); any other is left to addTrack.
   */
  readonly #usedToSend = new WeakSet<RTCRtpTransceiver>();
  /**
   * The last replaceTrack call not settled yet of each sender, with the track it puts on it (null: the sender lets
   * its track go, see #stop): until it lands `sender.track` still shows the track before.
   */
  readonly #replacing = new Map<RTCRtpSender, { done: Promise<void>; track: MediaStreamTrack | null }>();
  readonly localStreams: LocalStreams;
  /**
   * The transceivers changed since the microtask that looks at them was queued (see the class), each with its direction
   * before the first change; `undefined` for a change that needs an offer whatever the direction (a new sender, other
   * streams).
   */
  #changes?: Map<RTCRtpTransceiver, RTCRtpTransceiverDirection | undefined>;

  /** Sources whose sending waits for the browser to finish applying an offer (see holdAdds), in arrival order. */
  readonly #held = new Set<TrackSource>();
  /** Sources refused a track another source sends: tried again once that one lets the track go. */
  readonly #refused = new Set<TrackSource>();
  /**
   * Sources whose new track another sender of this connection still has while it switches away from it: addTrack
   * would refuse it until then (see #conflict). Tried again whenever a sender lets a track go.
   */
  readonly #waiting = new Set<TrackSource>();

  readonly #pc: RTCPeerConnection;
  readonly #onError: (source: TrackSource, error: unknown, operation: ErrorOperation) => void;
  readonly #onOfferNeeded: () => void;
  readonly #holdAdds: () => boolean;

  constructor(
    pc: RTCPeerConnection,
    onError: (source: TrackSource, error: unknown, operation: ErrorOperation) => void,
    onOfferNeeded: () => void = () => {},
    /** Those of a connection this one replaces, so that each name keeps its stream id. */
    localStreams = new LocalStreams(),
    /**
     * Whether a new sender must wait for now: Chromium (156) fires no `track` event for the far side's track on a
     * transceiver that `addTrack` made while `setRemoteDescription` of an offer was under way and that the offer then
     * took up, and the far side's media came with no stream, in silence. Held, the track is sent once the offer is
     * applied (see sendHeld): in the answer where the offer has an m-line of its kind free for it, else by the next
     * exchange. Firefox is not affected; plain code is, and so are tracks the page adds itself (see addSender).
     */
    holdAdds: () => boolean = () => false,
  ) {
    this.localStreams = localStreams;
    this.#pc = pc;
    this.#onError = onError;
    this.#onOfferNeeded = onOfferNeeded;
    this.#holdAdds = holdAdds;
  }

  /** Makes what is sent for `source` match its current track and streams. */
  sync(source: TrackSource): void {
    // A held, refused or waiting source starts over with what it wants now.
    this.#held.delete(source);
    this.#refused.delete(source);
    this.#waiting.delete(source);
    const current = this.#sending.get(source);
    const { track, streamNames } = source;
    if (!current) {
      if (track) this.#guard(source, 'add-track', () => this.#start(source, track, streamNames));
    } else if (!track) {
      this.#stop(source);
    } else if (track !== current.track && track.kind !== current.track.kind) {
      this.#stop(source);
      this.#guard(source, 'add-track', () => this.#start(source, track, streamNames));
    } else if (track !== current.track) {
      this.#guard(source, 'replace-track', () => this.#replace(source, current, track, streamNames));
    } else if (key(streamNames) !== key(current.streamNames)) {
      this.#guard(source, 'add-track', () => this.#restream(source, current, streamNames));
    }
  }

  /** Stops sending for `source` (its element left); says whether it was being sent. Safe on a closed connection. */
  remove(source: TrackSource): boolean {
    this.#held.delete(source);
    this.#refused.delete(source);
    this.#waiting.delete(source);
    const sent = this.#sending.has(source);
    this.#stop(source);
    return sent;
  }

  /** Starts sending the sources held while an offer was applied (see holdAdds). */
  sendHeld(): void {
    const held = [...this.#held];
    this.#held.clear();
    for (const source of held) this.sync(source);
  }

  #start(source: TrackSource, track: MediaStreamTrack, names: readonly string[]): void {
    this.#assertOpen();
    if (this.#conflict(track, source) === 'leaving' && !this.#idleTransceiver(track.kind, key(names))) {
      // addTrack would refuse a track still on a sender that switches away from it; a reused transceiver would not.
      this.#waiting.add(source);
      return;
    }
    if (this.#holdAdds()) {
      this.#held.add(source);
      return;
    }
    const streams = this.localStreams.place(track, names);
    // Only a transceiver that was used to send is taken here: addTrack would make a new m-line instead. One that never
    // sent (one that only received, or whose track went before any exchange) is left to addTrack, which takes it at
    // once. Claimed here, with replaceTrack, its sender's track stayed null until that landed, and an addTrack in the
    // meantime (a second camera in the same task) took it too in Firefox: the first track then replaced the second,
    // which was never sent.
    const reused = this.#idleTransceiver(track.kind, key(names));
    let transceiver: RTCRtpTransceiver;
    if (reused) {
      // Sending again on a transceiver that sent before: the same m-line, no new one.
      this.#changed(reused, reused.direction);
      reused.direction = reused.direction === 'inactive' ? 'sendonly' : 'sendrecv';
      reused.sender.setStreams(...streams);
      this.#watch(source, 'add-track', reused.sender, track);
      transceiver = reused;
    } else {
      const sender = this.#pc.addTrack(track, ...streams);
      // addTrack's sender always belongs to one of the connection's transceivers (it makes or reuses one).
      transceiver = this.#pc.getTransceivers().find((t) => t.sender === sender) as RTCRtpTransceiver;
      this.#changed(transceiver);
    }
    this.#lastStreams.set(transceiver, key(names));
    this.#sending.set(source, {
      track,
      streamNames: [...names],
      transceiver,
      ...(reused && { setStreams: streams }),
    });
  }

  /** Notes the transceivers a description just applied made send (see usedToSend). */
  descriptionApplied(): void {
    const transceivers = this.#pc.getTransceivers();
    for (const transceiver of transceivers) {
      const direction = transceiver.currentDirection;
      if (direction === 'sendrecv' || direction === 'sendonly') this.#usedToSend.add(transceiver);
    }
    // A transceiver the far side stopped (plain code's stop(), a server rejecting the m-line) sends nothing ever again,
    // and takes no other track. Its source is told and let go: its next change (another device) or a re-insertion sends
    // it on a new one. Not at once, which against a far side that rejects every m-line would offer again for ever.
    for (const [source, { track, transceiver }] of this.#sending) {
      if (transceivers.includes(transceiver) && transceiver.currentDirection !== 'stopped') continue;
      this.#sending.delete(source);
      this.localStreams.remove(track);
      this.#onError(source, new FarSideStoppedError(), 'add-track');
      // Another source refused this track (a duplicate) may have it now: it is sent on a new m-line, as a change is.
      this.#retryRefused(track);
    }
  }

  /**
   * Adds a sender for a track of the page's own, as `addTrack` does: at once, as it returns the sender, so not held
   * while an offer is applied (see holdAdds).
   * @throws InvalidAccessError for a track sent already, or about to be (its `replaceTrack` not landed yet).
   */
  addSender(track: MediaStreamTrack, streams: readonly MediaStream[]): RTCRtpSender {
    // A sender letting the track go (its element just left, see #stop) lets it go at once here, as removeTrack would
    // have: the page may send the track itself in the same task.
    for (const sender of this.#pc.getSenders())
      if (sender.track === track && !this.#trackOf(sender)) this.#pc.removeTrack(sender);
    if (this.#conflict(track) === 'leaving') throw alreadySent();
    return this.#pc.addTrack(track, ...streams);
  }

  #stop(source: TrackSource): void {
    const sending = this.#sending.get(source);
    if (!sending) return;
    const { track, transceiver } = sending;
    this.#sending.delete(source);
    this.localStreams.remove(track);
    if (this.#pc.signalingState === 'closed') return;
    const { direction, sender } = transceiver;
    const next = direction === 'sendrecv' ? 'recvonly' : direction === 'sendonly' ? 'inactive' : undefined;
    this.#changed(transceiver, direction);
    try {
      // On a transceiver that sent (the usual removal, mid-call), what removeTrack does in two steps that hold the page
      // less: removeTrack blocks the page's main thread while the browser's WebRTC thread takes the track off (0.8-0.9
      // ms in Chromium 156), and the offer waited for it. The new direction makes the next description stop the
      // sending, and replaceTrack(null) takes the track off in the connection's operations chain, before that offer;
      // the sender shows its track until then (see #replacing), and a track coming back takes the transceiver again
      // (see idleTransceiver). Also right behind a replaceTrack not landed yet, which a removeTrack would see undone
      // when it lands. Otherwise removeTrack: addTrack takes a transceiver that never sent again at once only once
      // its sender is empty, and it empties a sender whatever its direction.
      if (next && (this.#usedToSend.has(transceiver) || this.#replacing.has(sender))) {
        transceiver.direction = next;
        this.#watch(source, 'remove-track', sender, null);
      } else {
        this.#pc.removeTrack(sender);
        this.#retryWaiting();
      }
    } catch (error) {
      this.#onError(source, error, 'remove-track');
    }
    this.#retryRefused(track);
  }

  #replace(source: TrackSource, current: Sending, track: MediaStreamTrack, names: readonly string[]): void {
    // Told here: replaceTrack's own refusal on a closed connection is not told, as it may be a call that close() cut off.
    this.#assertOpen();
    // replaceTrack, unlike addTrack, takes a track another sender still has.
    this.#conflict(track, source);
    this.localStreams.remove(current.track);
    const streams = this.localStreams.place(track, names);
    const restreamed = key(names) !== key(current.streamNames);
    if (restreamed) current.transceiver.sender.setStreams(...streams);
    this.#lastStreams.set(current.transceiver, key(names));
    this.#sending.set(source, {
      ...current,
      track,
      streamNames: [...names],
      ...(restreamed && { setStreams: streams }),
    });
    this.#watch(source, 'replace-track', current.transceiver.sender, track);
    this.#retryRefused(current.track);
  }

  #restream(source: TrackSource, current: Sending, names: readonly string[]): void {
    const streams = this.localStreams.place(current.track, names);
    current.transceiver.sender.setStreams(...streams);
    this.#changed(current.transceiver);
    this.#lastStreams.set(current.transceiver, key(names));
    this.#sending.set(source, { ...current, streamNames: [...names], setStreams: streams });
  }

  /**
   * Sets the streams again on each sender whose streams were set after it was made; called before each local
   * description. Chromium (156) describes such a sender with the streams it was made with in every description but the
   * first after the change (plain code too: after `setStreams(s2)`, offers name s2, then s1, s1), so the far side put
   * the track back in its old stream. Set again just before, the description names the right ones; where the browser
   * has them already, setting them again changes nothing.
   */
  reassertStreams(): void {
    for (const { transceiver, setStreams } of this.#sending.values())
      if (setStreams && transceiver.sender.track) transceiver.sender.setStreams(...setStreams);
  }

  /**
   * Notes a change of a transceiver, with its direction before it (see #changes); the first change arranges to tell, in
   * a microtask, whether the changes until then need an offer.
   */
  #changed(transceiver: RTCRtpTransceiver, before?: RTCRtpTransceiverDirection): void {
    if (!this.#changes) {
      const changes = (this.#changes = new Map());
      queueMicrotask(() => {
        this.#changes = undefined;
        if ([...changes].some(([t, first]) => t.direction !== first)) this.#onOfferNeeded();
      });
    }
    if (!before || !this.#changes.has(transceiver)) this.#changes.set(transceiver, before);
  }

  /**
   * An idle transceiver of this kind that was used to send: not stopped, sending nothing, and not claimed by another
   * source.
   * One that last sent with the same streams is preferred, so the far side's stream sees the track return.
   */
  #idleTransceiver(kind: string, streamsKey: string): RTCRtpTransceiver | undefined {
    const claimed = new Set([...this.#sending.values()].map((s) => s.transceiver));
    const idle = this.#pc
      .getTransceivers()
      .filter(
        (t) =>
          !claimed.has(t) &&
          this.#usedToSend.has(t) &&
          t.currentDirection !== 'stopped' &&
          t.direction !== 'stopped' &&
          !this.#trackOf(t.sender) &&
          t.receiver.track.kind === kind &&
          (t.direction === 'recvonly' || t.direction === 'inactive'),
      );
    return idle.find((t) => this.#lastStreams.get(t) === streamsKey) ?? idle[0];
  }

  #assertOpen(): void {
    if (this.#pc.signalingState === 'closed')
      throw new DOMException('The RTCPeerConnection is closed.', 'InvalidStateError');
  }

  /**
   * Throws InvalidAccessError if another source sends `track` and still wants it, or a sender this reconciler does not
   * manage (one the page added) has it. Says `leaving` if only a sender of this reconciler's has it, whose source has
   * moved on to another track (its replaceTrack not landed yet, or the source not synced yet): a list re-rendered
   * without keys, two elements swapping tracks; or whose source left (see #stop).
   */
  #conflict(track: MediaStreamTrack, source?: TrackSource): 'leaving' | undefined {
    const wanted = this.#wantedByAnother(track, source);
    const holders = this.#pc.getSenders().filter((sender) => sender.track === track);
    const managed = new Set([...this.#sending.values()].map((s) => s.transceiver.sender));
    if (wanted || holders.some((sender) => !managed.has(sender) && !this.#replacing.has(sender))) {
      if (source) this.#refused.add(source);
      throw alreadySent();
    }
    return holders.length > 0 ? 'leaving' : undefined;
  }

  /** Whether a source other than `source` sends `track` (or is held to, or waits to) and still wants it. */
  #wantedByAnother(track: MediaStreamTrack, source?: TrackSource): boolean {
    return (
      [...this.#sending].some(
        ([s, sending]) => s !== source && s.track === track && sending.track === track,
      ) || [...this.#held, ...this.#waiting].some((s) => s !== source && s.track === track)
    );
  }

  /**
   * Tries again the sources refused `track`, which a source just let go: the first takes it, and the others stay
   * refused without being told again.
   */
  #retryRefused(track: MediaStreamTrack): void {
    for (const source of [...this.#refused])
      if (source.track === track && !this.#wantedByAnother(track, source)) this.sync(source);
  }

  /** Tries again the sources waiting for a sender to let their track go. */
  #retryWaiting(): void {
    // Closed meanwhile, there is nothing to send on (and nothing to report: close() ended the call).
    if (this.#pc.signalingState === 'closed') return;
    for (const source of [...this.#waiting]) this.sync(source);
  }

  #guard(source: TrackSource, operation: ErrorOperation, work: () => void): void {
    try {
      work();
    } catch (error) {
      this.#onError(source, error, operation);
    }
  }

  /** Swaps the sender's track, remembering the call until it settles. */
  #watch(
    source: TrackSource,
    operation: ErrorOperation,
    sender: RTCRtpSender,
    track: MediaStreamTrack | null,
  ): void {
    const done: Promise<void> = sender
      .replaceTrack(track)
      .catch((error: unknown) => {
        if (this.#pc.signalingState !== 'closed') this.#onError(source, error, operation);
      })
      .finally(() => {
        if (this.#replacing.get(sender)?.done === done) this.#replacing.delete(sender);
        this.#retryWaiting();
      });
    this.#replacing.set(sender, { done, track });
  }

  /** The track a sender has once its replaceTrack calls land. */
  #trackOf(sender: RTCRtpSender): MediaStreamTrack | null {
    const replacing = this.#replacing.get(sender);
    return replacing ? replacing.track : sender.track;
  }
}

/** A track's transceiver was stopped by the far side (see descriptionApplied). */
export class FarSideStoppedError extends Error {
  override get name(): 'FarSideStoppedError' {
    return 'FarSideStoppedError';
  }
  constructor() {
    super('the far side stopped receiving this track; it is sent again when it changes or is inserted again');
  }
}

const alreadySent = (): DOMException =>
  new DOMException('The track is already sent on this connection.', 'InvalidAccessError');

const key = (names: readonly string[]): string => names.join(' ');
