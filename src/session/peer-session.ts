import type { ErrorOperation } from '../events.js';
import { IceRecovery } from '../negotiation/ice-recovery.js';
import { mediaSections, PerfectNegotiator, type Renewal } from '../negotiation/perfect-negotiation.js';
import { SenderReconciler, type TrackSource } from '../senders/sender-reconciler.js';
import type { SignalingChannel } from '../signaling/signaling.js';
import { StreamAssembler, type StreamlessPolicy } from '../streams/stream-assembler.js';
import type { LocalStreams } from '../streams/local-streams.js';

/** The longest `whenNegotiated` waits for an exchange: a far side may not answer at all. */
const NEGOTIATION_WAIT_MS = 1000;

export interface PeerSessionOptions {
  readonly configuration: RTCConfiguration;
  readonly channel: SignalingChannel;
  readonly polite: () => boolean;
  /** Read for each streamless remote track, so a change applies to the tracks that come next. */
  readonly streamless: () => StreamlessPolicy;
  /** For a session that replaces another (see PeerSessionEvents.renew): what that one handed over. */
  readonly handoff?: SessionHandoff;
}

/** What a session hands to the one that replaces it. */
export interface SessionHandoff extends Renewal {
  /** When the media path was found lost: the bound on its recovery runs on from then. */
  readonly downSince: number;
  /** The track each sender of the connection replaced was sending as it was replaced (`null`: none). */
  readonly senderTracks: ReadonlyMap<RTCRtpSender, MediaStreamTrack | null>;
  /**
   * The local streams by name, kept: the far side receives them with the same ids from the new connection, so a
   * `<remote-stream stream-id>` there still finds its stream.
   */
  readonly localStreams: LocalStreams;
}

/** What a session tells its owner. */
export interface PeerSessionEvents {
  track(event: RTCTrackEvent): void;
  streamAdded(stream: MediaStream): void;
  streamRemoved(stream: MediaStream): void;
  /**
   * The connection state changed. Once `connected`, it stays so while the browser checks ICE again with media flowing
   * (Firefox goes to `connecting` on every renegotiation); once ICE reported the path lost, its recovery shows.
   */
  connectionStateChange(state: RTCPeerConnectionState): void;
  negotiated(offered: boolean): void;
  error(error: unknown, operation: ErrorOperation): void;
  sourceError(source: TrackSource, error: unknown, operation: ErrorOperation): void;
  /** The far side left for good (the channel said so); the owner starts a fresh session for the next one. */
  peerLeft(): void;
  /** The media path stayed lost through ICE restarts; the session has reported the error and closed itself. */
  failed(): void;
  /**
   * The page closed the connection itself (`RTCPeerConnection.close()`, which fires no event), found as a message came
   * or a recovery was due: the owner ends the call as its own close() would.
   */
  closedOutside(): void;
  /**
   * The connection is replaced by a new one (ICE failed before it ever connected, on this side or the far side, or the
   * far side started over from a new connection: see PerfectNegotiator.applyDescription): the session closed itself,
   * and the owner makes a new one on the same channel, with this handoff, and attaches its tracks to it.
   */
  renew(handoff: SessionHandoff): void;
}

/**
 * One `RTCPeerConnection` with everything around it: perfect negotiation over a signaling channel, senders kept
 * equal to the attached sources, and remote streams assembled from `track` events. No DOM, no Lit: the
 * `<peer-connection>` element owns one session at a time and forwards what happens as events.
 */
/** A connection with the configuration asked for; one with the defaults (and an error) if the browser refuses it. */
function openConnection(configuration: RTCConfiguration, events: PeerSessionEvents): RTCPeerConnection {
  try {
    return new RTCPeerConnection(configuration);
  } catch (error) {
    events.error(error, 'attribute');
    return new RTCPeerConnection();
  }
}

export class PeerSession {
  readonly pc: RTCPeerConnection;
  readonly senders: SenderReconciler;
  readonly remote: StreamAssembler;
  readonly #negotiator: PerfectNegotiator;
  readonly #recovery: IceRecovery;
  /** Whether an offer/answer exchange ever completed. */
  #negotiatedOnce = false;
  /** Whether ICE reported the media path lost (`disconnected` or `failed`) since it last connected. */
  #pathLost = false;
  /** The connection state last told (see connectionStateChange). */
  #reported: RTCPeerConnectionState;
  /** Those waiting in `whenNegotiated`. */
  readonly #waiting = new Set<() => void>();
  readonly #polite: () => boolean;
  readonly #events: PeerSessionEvents;

  constructor(options: PeerSessionOptions, events: PeerSessionEvents) {
    this.#polite = options.polite;
    this.#events = events;
    const pc = (this.pc = openConnection(options.configuration, events));
    this.senders = new SenderReconciler(
      pc,
      events.sourceError,
      () => this.#negotiator.offerNow(),
      options.handoff?.localStreams,
      () => this.#negotiator.settingRemoteOffer,
    );
    this.remote = new StreamAssembler(options.streamless, {
      added: events.streamAdded,
      removed: events.streamRemoved,
    });
    pc.addEventListener('track', (event) => {
      this.remote.handleTrack(event);
      events.track(event);
    });
    pc.addEventListener('iceconnectionstatechange', () => {
      const ice = pc.iceConnectionState;
      if (ice === 'disconnected' || ice === 'failed') this.#pathLost = true;
      else if (ice === 'connected' || ice === 'completed') this.#pathLost = false;
    });
    this.#reported = pc.connectionState;
    pc.addEventListener('connectionstatechange', () => {
      const state = pc.connectionState;
      // A UI would flash "connecting" each time a track came or went in Firefox, and the owner's restyling held each
      // renegotiation up by 0.3 ms.
      const recheck = state === 'connecting' && this.#reported === 'connected' && !this.#pathLost;
      if (state === this.#reported || recheck) return;
      this.#reported = state;
      events.connectionStateChange(state);
    });
    this.#negotiator = new PerfectNegotiator(
      pc,
      options.channel,
      {
        polite: options.polite,
        descriptionApplied: () => {
          this.senders.descriptionApplied();
          this.remote.sync(pc.signalingState === 'stable');
        },
        remoteOfferSet: () => this.senders.sendHeld(),
        describing: () => this.senders.reassertStreams(),
        negotiated: (offered) => {
          this.#negotiatedOnce = true;
          this.#settle();
          this.#recovery.negotiated();
          events.negotiated(offered);
        },
        error: events.error,
        peerLeft: events.peerLeft,
        closedOutside: () => this.#tellClosedOutside(),
        // As told: Firefox's ICE re-checks on each renegotiation are not a loss of media.
        connected: () => this.state === 'connected',
        // Also one that connected but whose ICE is down now: the far side may never have connected (DTLS done on
        // one side only), and replaces its own.
        renewable: () => !this.#recovery.connectedOnce || /failed|disconnected/.test(pc.iceConnectionState),
        renew: (message, following = []) => {
          const downSince = this.#recovery.downSince ?? Date.now();
          // An offer from the far side's new connection is for this side's new one; asked, this side goes first, and
          // the asking connection is left behind even if its answer never came.
          if ('renew' in message) this.#replaceFirst(downSince, message.from);
          else this.#renew({ messages: [message, ...following], downSince });
        },
      },
      options.handoff,
    );
    this.#recovery = new IceRecovery(
      pc,
      {
        restart: () => this.restartIce(),
        // The impolite side goes first; the polite side asks it to (see askRenewal).
        renew: (downSince) => this.#recoveryRenew(downSince),
        // Closed and told `failed` before the error: its listeners see where the call stands, and what they do (close
        // the element, call again) is not undone after them.
        gaveUp: (downForMs) => {
          this.close();
          events.failed();
          events.error(
            new Error(
              `connection lost; ICE restarts did not restore it within ${Math.round(downForMs / 1000)} s`,
            ),
            'connection',
          );
        },
        closedOutside: () => this.#tellClosedOutside(),
      },
      options.handoff?.downSince,
    );
  }

  /** Replaces the connection: the impolite side goes first; the polite side asks it to (see askRenewal). */
  #recoveryRenew(downSince: number): void {
    if (this.#polite()) this.#negotiator.askRenewal();
    else this.#replaceFirst(downSince);
  }

  /** Replaces the connection ahead of the far side: the new one offers as many m-lines (see Renewal.offer). */
  #replaceFirst(downSince: number, farSession?: string): void {
    this.#renew({ downSince, offer: mediaSections(this.pc, true) }, farSession);
  }

  /** Hands over to the owner, who makes the session that replaces this one, and closes this one. */
  #renew(handoff: Pick<SessionHandoff, 'downSince' | 'messages' | 'offer'>, farSession?: string): void {
    const { senderTracks } = this;
    // The owner takes the new one first, so that the remote streams this one removes as it closes are told with the
    // new connection in place.
    const { localStreams } = this.senders;
    this.#events.renew({
      ...this.#negotiator.leftBehind(farSession),
      ...handoff,
      senderTracks,
      localStreams,
    });
    this.close();
  }

  /**
   * Resolves at the end of the next offer/answer exchange (usually the one that carries what changed until now, or
   * one already under way), when the connection closes, or after a second without an exchange (a far side that does
   * not answer). At once when nothing was ever negotiated: there is no far side to tell.
   */
  whenNegotiated(): Promise<void> {
    if (!this.#negotiatedOnce || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(done, NEGOTIATION_WAIT_MS);
      this.#waiting.add(done);
    });
  }

  #settle(): void {
    for (const done of this.#waiting) done();
  }

  /**
   * Restarts ICE; on the polite side, by asking the far side for an offer that restarts it. A connection whose ICE
   * failed before it ever connected is replaced instead, as the recovery does.
   */
  restartIce(): void {
    if (this.#recovery.connectedOnce || this.pc.iceConnectionState !== 'failed')
      this.#negotiator.restartIce();
    else this.#recoveryRenew(this.#recovery.downSince ?? Date.now());
  }

  get closed(): boolean {
    return this.pc.signalingState === 'closed';
  }

  /** Whether the page closed the connection itself (`RTCPeerConnection.close()`), not this session's close(). */
  get closedOutside(): boolean {
    return this.closed && !this.#closedHere;
  }
  #closedHere = false;

  /** Tells the owner of a connection found closed, unless this session closed it (its channel may still deliver). */
  #tellClosedOutside(): void {
    if (this.closedOutside) this.#events.closedOutside();
  }

  /**
   * The connection state as told (see PeerSessionEvents.connectionStateChange): Firefox's re-checks are not in it.
   * `closed` once closed, which the browser does not tell.
   */
  get state(): RTCPeerConnectionState {
    return this.closed ? 'closed' : this.#reported;
  }

  /**
   * Each sender's track; once the connection is closed, as they were as it closed: a closed connection's transceivers
   * are stopped, and `getSenders()` lists none of them.
   */
  get senderTracks(): ReadonlyMap<RTCRtpSender, MediaStreamTrack | null> {
    return this.#closedSenderTracks ?? new Map(this.pc.getSenders().map((sender) => [sender, sender.track]));
  }
  #closedSenderTracks?: ReadonlyMap<RTCRtpSender, MediaStreamTrack | null>;

  /** Closes the connection; remote streams are reported removed. The channel stays with its owner. */
  close(): void {
    if (!this.closed) this.#closedSenderTracks = this.senderTracks;
    this.#closedHere = true;
    this.#negotiator.dispose();
    this.#recovery.dispose();
    this.pc.close();
    this.remote.clear();
    this.#settle();
  }
}
