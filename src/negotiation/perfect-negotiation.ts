import { MAX_WANTED_PER_KIND, parseNegotiationMessage } from '../signaling/message.js';
import type { NegotiationMessage, OfferWanted, SignalingChannel } from '../signaling/signaling.js';
import type { ErrorOperation } from '../events.js';
import { malformedMLine, origin, sameNegotiation, shares, type Origin } from './description-text.js';

/** A bound on candidates kept for a description still to come, so a flood cannot grow memory. */
const MAX_EARLY_CANDIDATES = 256;
/** A bound on candidates kept to send again with their description; a browser gathers a few per network interface. */
const MAX_GATHERED_CANDIDATES = 64;
/** The session ids a connection replacing others keeps of theirs (see leftBehind): so many renewals do not grow it. */
const MAX_LEFT_BEHIND_SESSIONS = 32;
/** The far side's session ids whose last description is kept (see appliedBySession): aiortc's latest seconds. */
const MAX_APPLIED_SESSIONS = 8;

/**
 * How long the polite side waits for the offer it asked for before making its own (see requestOffer): longer than two
 * resends of a kit's offer (see OFFER_RESEND_MS), so that a lost one is not taken for a far side that ignores requests.
 * At 3 s, an offer lost twice let the polite side's own offer meet the third in a glare, and Chromium's bug after the
 * rollback (see the class) left that side with no video and no error.
 */
const OFFER_REQUEST_TIMEOUT_MS = 5000;
/** How long an offer waits for its answer before it is sent again: a lossy channel may have dropped either. */
const OFFER_RESEND_MS = 2000;
/** How long applying one incoming message may take before it is reported as stuck. */
const OPERATION_BOUND_MS = 10_000;
/** After this many sends of one offer without an answer, the far side is reported unreachable (sending goes on). */
const OFFER_SENDS_BEFORE_ERROR = 5;
/** Requests for an offer (see requestOffer) sent with no offer coming before that is told. */
const REQUESTS_BEFORE_ERROR = 3;
/**
 * How long ICE may stay unconnected after an exchange before this side sends its candidates again, and how many times
 * it does: a lossy channel may have dropped the ones that would connect. Firefox gives ICE up about 5 s after the
 * exchange when no candidate of the far side can be reached, and media may then flow one way only after the restart.
 */
const CANDIDATE_RESEND_MS = 1500;
const CANDIDATE_RESENDS = 3;

export interface NegotiatorCallbacks {
  /** Whether this side yields on glare; asked as offers are made and when they collide. */
  polite(): boolean;
  /** A description was applied (either side): the remote streams may have changed. */
  descriptionApplied(): void;
  /**
   * The browser is done with an offer of the far side (see settingRemoteOffer): applied, refused, or given up on (see
   * withinBound). Not told on a closed connection.
   */
  remoteOfferSet(): void;
  /** This side is about to make a description (an offer or an answer). */
  describing(): void;
  /** An offer/answer exchange completed and signaling is stable again. */
  negotiated(offered: boolean): void;
  /** Something failed; negotiation goes on with the next message. */
  error(error: unknown, operation: ErrorOperation): void;
  /** The channel says the far side left for good. */
  peerLeft(): void;
  /** A message came for a closed connection: the owner tells whether the page closed it itself (see PeerSession). */
  closedOutside(): void;
  /** Whether media with the far side flows now (see SignalingListener.connected). */
  connected(): boolean;
  /**
   * This connection is to be replaced by a new one (see IceRecovery, and applyDescription): the far side replaced its
   * own and offers from the new one (`message` is that offer, for the new one to take with the messages `following`
   * it), or asked this side to replace it first, or answered from a new one (`message` is a request to replace it).
   */
  renew(message: NegotiationMessage, following?: readonly NegotiationMessage[]): void;
  /**
   * Whether the connection may be replaced at once: only one that never connected, or whose ICE is down (see
   * IceRecovery). Once it connected, a request to replace it is a late one, and an offer from a new connection of the
   * far side replaces it only once the browser took that offer (see applyDescription).
   */
  renewable(): boolean;
}

/** What the negotiator of a connection that replaces another starts with (see PeerSession). */
export interface Renewal {
  /** Session ids (`o=` lines) of the far side's connections left behind: their late descriptions are dropped. */
  readonly farSessions: readonly string[];
  /** Whether the far side answered requests for offers (see requestOffer): it still does. */
  readonly requestsAnswered: boolean;
  /**
   * The far side's offer that started the renewal on this side, and the messages of the far side that came after it
   * and were still waiting (its candidates, sent right after it): applied first, in order.
   */
  readonly messages?: readonly NegotiationMessage[];
  /**
   * Set on the side that replaces its connection first (the impolite one): the m-lines, by kind, of the connection
   * replaced. The new one offers as many, receive-only where no track of this side takes one, so that the far side
   * can send what it sent before even if this side sends nothing.
   */
  readonly offer?: OfferWanted;
}

/**
 * The perfect-negotiation pattern of the WebRTC specification: either side may change its tracks at any
 * moment; when both offer at once (glare), the polite side rolls its offer back and answers, the impolite
 * side ignores the colliding offer. Incoming messages are applied one at a time, in arrival order (a candidate is
 * handed to the connection in its turn, not waited for).
 *
 * One refinement: the polite side does not offer; it asks the impolite side for an offer (`offerWanted`, with the
 * m-lines its new tracks need) and makes its other changes in its answer. Two kits therefore never glare. Chromium
 * needs this: after the polite side's offer is rolled back on glare, it may go on decoding the far side's video but
 * never again deliver a frame to its tracks (seen with offers that add m-lines and with ones that change nothing).
 * A far side whose offers do not say that it takes requests (another implementation) gets the polite side's own offer
 * after 5 s.
 *
 * Messages may be lost, repeated or reordered: an offer is sent again until answered, and a description already
 * applied is recognised by its `o=` line and not applied twice.
 */
export class PerfectNegotiator {
  #makingOffer = false;
  #ignoreOffer = false;
  /**
   * Candidates that came before any remote description; added once one is set. They come from a reordering channel,
   * or from the far side's first offer that this side ignored on glare: a browser may keep that offer's ICE
   * credentials for the answer it makes after rolling back, and then never gathers these candidates again.
   */
  #earlyCandidates: { candidate: RTCIceCandidateInit; mayFail: boolean }[] = [];
  /**
   * Whether the connection has a description of the far side; until it has, candidates wait in `#earlyCandidates`.
   * Kept here once known, not read from `remoteDescription` for each candidate: in Firefox each read builds a new
   * description (78 us).
   */
  #remoteDescribed = false;
  #incoming: Promise<void> = Promise.resolve();
  /** Messages queued in `#incoming` whose turn has not ended: not yet done, nor given up on (see withinBound). */
  #queued = 0;
  /** Messages queued in `#incoming` whose turn has not begun; handed over to a connection that replaces this one. */
  #waiting: NegotiationMessage[] = [];
  /** Where an offer from a new connection of the far side is tried before it replaces this one (see tryApart). */
  #trial?: RTCPeerConnection;
  /** Set once the far side gave a description a new session id and its old credentials (see fromNewConnection). */
  #farRewritesSessionIds = false;
  /**
   * The offer of the far side that the browser is applying, while it does (see settingRemoteOffer): an offer given up
   * on (see withinBound) that settles later must not end the wait for the next one.
   */
  #offerBeingSet?: RTCSessionDescriptionInit;
  /** Set while a description from the far side is being applied, up to this side's answer (see offerNow). */
  #applyingDescription = false;
  /** Set while the polite side waits for the offer it asked for. */
  #offerRequest?: ReturnType<typeof setTimeout>;
  /** Set when an asked-for offer did not come: the next offer is this side's own. */
  #offerAnyway = false;
  /**
   * Set once an offer of the far side said that it makes offers when asked (`takesRequests`): a request that goes
   * unanswered was lost, and is made again. Plain code's offers do not say so: one that merely comes while a request
   * is open is no answer to it.
   */
  #requestsAnswered = false;
  /** Set by `restartIce()` until this side's ICE credentials change: the polite side's request asks for a restart. */
  #restartWanted = false;
  /** Requests for an offer sent since the far side's last offer, where it takes requests (see requestOffer). */
  #requestsUnanswered = 0;
  /** The timers of incoming work still running (see withinBound). */
  readonly #bounds = new Set<() => void>();
  /** Set while this side's offer waits for its answer. */
  #answerWait?: ReturnType<typeof setTimeout>;
  /** How many times the offer now waiting was sent (see awaitAnswer and repeatedDescription). */
  #offerSends = 0;
  /**
   * The candidates of the latest gathering (one set of ICE credentials), sent again with a description sent again (when
   * the description was lost, they came before it and the far side refused them: "unknown ufrag" after an ICE restart),
   * and while ICE does not connect (see resendCandidates).
   */
  #gathered: RTCIceCandidateInit[] = [];
  /** Set while the candidates wait to be sent again (see resendCandidates). */
  #candidateResend?: ReturnType<typeof setTimeout>;
  /**
   * The `o=` line of the current remote description (see repeatedDescription), kept as it is set: in Firefox each read
   * of `currentRemoteDescription` builds a new description, about 60 us on the path of every incoming description.
   */
  #remoteOrigin?: Origin;
  /**
   * The far side's description last applied under each of its latest session ids (see repeatedDescription): one for a
   * far side that keeps its session id, as browsers do; one a second for aiortc, the latest few kept.
   */
  readonly #appliedBySession = new Map<string, string>();

  readonly #pc: RTCPeerConnection;
  readonly #channel: SignalingChannel;
  readonly #callbacks: NegotiatorCallbacks;
  readonly #renewal?: Renewal;

  constructor(
    pc: RTCPeerConnection,
    channel: SignalingChannel,
    callbacks: NegotiatorCallbacks,
    renewal?: Renewal,
  ) {
    this.#pc = pc;
    this.#channel = channel;
    this.#callbacks = callbacks;
    this.#renewal = renewal;
    this.#requestsAnswered = renewal?.requestsAnswered ?? false;
    pc.addEventListener('negotiationneeded', this.#offer);
    pc.addEventListener('icecandidate', this.#sendCandidate);
    if (renewal?.offer) {
      // The owner's tracks, added next, take these over (see SenderReconciler).
      for (const kind of ['audio', 'video'] as const)
        for (let i = 0; i < (renewal.offer[kind] ?? 0); i++)
          pc.addTransceiver(kind, { direction: 'recvonly' });
    }
    for (const message of renewal?.messages ?? []) this.#arrive(message);
    try {
      channel.start({
        message: (message) => this.#arrive(message),
        peerLeft: () => this.#callbacks.peerLeft(),
        connected: () => this.#callbacks.connected(),
      });
    } catch (error) {
      this.#callbacks.error(error, 'signaling');
    }
  }

  /** Detaches from the connection; the caller closes the connection and the channel. */
  dispose(): void {
    clearTimeout(this.#offerRequest);
    clearTimeout(this.#answerWait);
    clearTimeout(this.#candidateResend);
    this.#trial?.close();
    // Work cut off by close() may never settle; its timer would keep the closed connection alive for 10 s.
    for (const stop of this.#bounds) stop();
    this.#bounds.clear();
    this.#pc.removeEventListener('negotiationneeded', this.#offer);
    this.#pc.removeEventListener('icecandidate', this.#sendCandidate);
  }

  /**
   * Waits for one incoming message's work, but not for ever: Firefox, now and then, never settles a promise of the
   * connection. That is reported, and the next messages go on, rather than all negotiation hanging in silence.
   */
  async #withinBound(work: Promise<void>): Promise<void> {
    let stop = (): void => {};
    const late = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        // The message is given up on; its flags would otherwise stay set and mislead the next ones.
        this.#applyingDescription = false;
        this.#remoteOfferSettled();
        // A trial that never settles would hold every later one.
        this.#trial?.close();
        this.#trial = undefined;
        if (this.#pc.signalingState !== 'closed')
          this.#callbacks.error(
            new Error(`the browser did not finish applying a message within ${OPERATION_BOUND_MS / 1000} s`),
            'negotiation',
          );
        resolve();
      }, OPERATION_BOUND_MS);
      stop = () => clearTimeout(timer);
    });
    this.#bounds.add(stop);
    try {
      await Promise.race([work, late]);
    } finally {
      // Also when the work threw: left running, the bound would end a later message's work as if it never settled.
      stop();
      this.#bounds.delete(stop);
    }
  }

  /**
   * What a negotiator of a connection that replaces this one must know of the far side's (see Renewal). Its session
   * ids are every one its descriptions were applied under: a far side that writes a new one each second (aiortc) may
   * still deliver a late copy from an earlier second. The latest few renewals' are kept.
   */
  leftBehind(farSession?: string): Pick<Renewal, 'farSessions' | 'requestsAnswered'> {
    const sessions = [...this.#appliedBySession.keys(), farSession].filter((id): id is string => !!id);
    return {
      requestsAnswered: this.#requestsAnswered,
      farSessions: [...(this.#renewal?.farSessions ?? []), ...sessions].slice(-MAX_LEFT_BEHIND_SESSIONS),
    };
  }

  /**
   * Whether the browser is applying an offer of the far side: from `setRemoteDescription` until it settles, told by
   * `remoteOfferSet`. A track added then must wait (see SenderReconciler.holdAdds).
   */
  get settingRemoteOffer(): boolean {
    return !!this.#offerBeingSet;
  }

  /** The browser is done with `offer`, or with whichever offer it applies (the bound is up). */
  #remoteOfferSettled(offer = this.#offerBeingSet): void {
    if (!offer || offer !== this.#offerBeingSet) return;
    this.#offerBeingSet = undefined;
    if (this.#pc.signalingState !== 'closed') this.#callbacks.remoteOfferSet();
  }

  /** Restarts ICE. The polite side asks the other side to restart it in its next offer. */
  restartIce(): void {
    this.#restartWanted = true;
    this.#pc.restartIce();
  }

  /**
   * Offers now, without waiting for the browser's `negotiationneeded` (see SenderReconciler): the offer covers every
   * change so far, and the browser's event, queued for the same changes, then finds nothing to do. Only where nothing
   * else is under way, and otherwise the browser's event comes once it is done:
   * - on the polite side, which asks the far side for an offer instead: a second request would cost a second exchange;
   * - while an offer is made, or an exchange is open;
   * - while a description from the far side is applied: during the `setRemoteDescription` of an offer, signaling is
   *   still `stable`, and an offer made then would come out as the answer to it.
   */
  offerNow(): void {
    const busy = this.#makingOffer || this.#applyingDescription || this.#pc.signalingState !== 'stable';
    if (!busy && !this.#callbacks.polite()) void this.#offer();
  }

  readonly #offer = async (): Promise<void> => {
    if (this.#callbacks.polite() && !this.#offerAnyway) {
      this.#requestOffer();
      return;
    }
    this.#offerAnyway = false;
    try {
      this.#makingOffer = true;
      this.#callbacks.describing();
      await this.#pc.setLocalDescription();
      // The offer may have been superseded by a remote offer while it was being made.
      const offer = this.#pc.localDescription;
      if (this.#pc.signalingState !== 'have-local-offer' || !offer) return;
      // The resend is set up first: an offer whose send threw (a socket not open yet) goes again as a lost one does.
      // Without it, the connection stayed in have-local-offer with nothing to take it out.
      this.#offerSends = 1;
      this.#awaitAnswer();
      this.#send(this.#describe(offer));
    } catch (error) {
      this.#negotiationFailed(error);
    } finally {
      this.#makingOffer = false;
    }
  };

  /**
   * Sends the offer again while no answer comes. The far side applies an offer once: a copy of the one it answered
   * makes it send that answer again (see repeatedDescription), so either message may be lost.
   */
  #awaitAnswer(): void {
    clearTimeout(this.#answerWait);
    this.#answerWait = setTimeout(() => {
      const { localDescription, signalingState } = this.#pc;
      if (signalingState !== 'have-local-offer' || localDescription?.type !== 'offer') return;
      const sends = this.#offerSends;
      // Sends to nobody (alone in a room, the offer waits for the first peer) are not counted as unanswered.
      const present = this.#channel.farSidePresent !== false;
      if (present && sends === OFFER_SENDS_BEFORE_ERROR)
        this.#callbacks.error(
          new Error(`no answer to an offer sent ${sends} times in ${(sends * OFFER_RESEND_MS) / 1000} s`),
          'negotiation',
        );
      this.#sendAgain(localDescription);
      if (present) this.#offerSends++;
      this.#awaitAnswer();
    }, OFFER_RESEND_MS);
  }

  #sendAgain(description: RTCSessionDescription): void {
    this.#send(this.#describe(description));
    for (const candidate of this.#candidatesFor(description.sdp)) this.#send({ candidate });
  }

  /** A description of this side as sent; the impolite side's offers say that it makes offers when asked. */
  #describe(description: RTCSessionDescription): NegotiationMessage {
    const takesRequests = description.type === 'offer' && !this.#callbacks.polite();
    return { description: description.toJSON(), ...(takesRequests && { takesRequests }) };
  }

  #send(message: NegotiationMessage): void {
    try {
      this.#channel.send(message);
    } catch (error) {
      this.#callbacks.error(error, 'signaling');
    }
  }

  readonly #sendCandidate = ({ candidate }: RTCPeerConnectionIceEvent): void => {
    // The null "end of candidates" marker needs no message: both browsers do without it.
    if (!candidate) return;
    const init = candidate.toJSON();
    // A candidate with new credentials starts a new gathering (an ICE restart): the ones before are of no more use.
    if (init.usernameFragment && init.usernameFragment !== this.#gathered[0]?.usernameFragment)
      this.#gathered = [];
    if (this.#gathered.length < MAX_GATHERED_CANDIDATES) this.#gathered.push(init);
    this.#send({ candidate: init });
  };

  /**
   * Queues a message behind those before it. A candidate that nothing is queued ahead of, or only the answer being
   * made, goes to the connection at once, as in the specification's example: the connection's own operations chain
   * keeps it after the offer it belongs to. Handed over only after the answer, candidates were seen in Chromium to wait
   * behind the far side applying that answer (the connections of a page share one WebRTC thread), and ICE checks
   * started that much later than in plain code.
   */
  #arrive(raw: unknown): void {
    if (this.#pc.signalingState === 'closed') {
      this.#callbacks.closedOutside();
      return;
    }
    let message: NegotiationMessage;
    try {
      message = parseNegotiationMessage(raw);
    } catch (error) {
      this.#callbacks.error(error, 'signaling');
      return;
    }
    if (this.#leftBehindSent(message)) return;
    // The end of candidates naming no m-line (`{ candidate: null }`, as the specification's example sends it): both
    // browsers do without it, and the kit sends none. One for an m-line goes to the connection as any candidate.
    if ('candidate' in message && isEndOfAllCandidates(message.candidate)) return;
    // Making the answer: the far side's offer is set.
    const answering = this.#applyingDescription && this.#pc.signalingState === 'have-remote-offer';
    if ('candidate' in message && (this.#queued === 0 || (this.#queued === 1 && answering))) {
      this.#addCandidate(message.candidate);
      return;
    }
    this.#queued++;
    this.#waiting.push(message);
    this.#incoming = this.#incoming
      .then(() => {
        // Gone: handed over with a renewal (see applyDescription).
        if (this.#waiting[0] !== message) return;
        this.#waiting.shift();
        return this.#withinBound(this.#receive(message));
      })
      .catch((error: unknown) => this.#callbacks.error(error, 'signaling'))
      .finally(() => this.#queued--);
  }

  /**
   * Whether a description comes late from a connection of the far side that was replaced (see Renewal). Its
   * candidates fail quietly (see strayBeforeConnecting).
   */
  #leftBehindSent(message: NegotiationMessage): boolean {
    if (!this.#renewal || !('description' in message)) return false;
    const session = origin(message.description.sdp)?.session;
    return !!session && this.#renewal.farSessions.includes(session);
  }

  async #receive(message: NegotiationMessage): Promise<void> {
    if (this.#pc.signalingState === 'closed') return;
    if ('description' in message) {
      if (message.takesRequests) this.#requestsAnswered = true;
      this.#applyingDescription = true;
      try {
        await this.#applyDescription(message.description);
      } finally {
        this.#applyingDescription = false;
      }
    } else if ('candidate' in message) this.#addCandidate(message.candidate);
    else if ('renew' in message) {
      // Only the impolite side replaces its connection first (see askRenewal); a request for one replaced already is
      // late, or repeated.
      if (
        !this.#callbacks.polite() &&
        this.#callbacks.renewable() &&
        message.renew === origin(this.#pc.localDescription?.sdp)?.session
      )
        this.#callbacks.renew(message);
    } else this.#offerWith(message.offerWanted, message.iceRestart);
  }

  /**
   * Asks the far side to replace its connection, and so this one (see IceRecovery). The polite side asks rather than
   * starting, so that only one side ever offers from a new connection: an offer from each, crossing, would leave the
   * polite side's m-lines of its own rolled back and never taken up. Asked again by the recovery while nothing comes.
   */
  askRenewal(): void {
    const session = this.#remoteOrigin?.session;
    const own = origin(this.#pc.localDescription?.sdp)?.session;
    if (session && own) this.#send({ renew: session, from: own });
    else this.restartIce();
  }

  /**
   * Asks the other side for an offer with room for this side's new tracks; this side's other changes go in its answer.
   * If no offer comes, the request was lost (ask again) or the far side does not take requests (another
   * implementation): then this side makes its own offer.
   */
  #requestOffer(): void {
    this.#send({
      offerWanted: mediaSections(this.#pc, false),
      ...(this.#restartWanted && { iceRestart: true as const }),
    });
    this.#offerRequest ??= setTimeout(() => {
      this.#offerRequest = undefined;
      if (this.#pc.signalingState !== 'stable') return;
      if (this.#requestsAnswered) {
        // Told once, as an unanswered offer is (see awaitAnswer), and asked on: a far side that hears nothing of this
        // side (a frozen tab, a route lost one way) would otherwise leave the new tracks unsent with no word.
        const present = this.#channel.farSidePresent !== false;
        if (present && ++this.#requestsUnanswered === REQUESTS_BEFORE_ERROR) {
          const seconds = (REQUESTS_BEFORE_ERROR * OFFER_REQUEST_TIMEOUT_MS) / 1000;
          this.#callbacks.error(
            new Error(`no offer came for a request sent ${REQUESTS_BEFORE_ERROR} times in ${seconds} s`),
            'negotiation',
          );
        }
        this.#requestOffer();
      } else {
        this.#offerAnyway = true;
        void this.#offer();
      }
    }, OFFER_REQUEST_TIMEOUT_MS);
  }

  /** The polite side asked for an offer with room for its new tracks: add receive-only m-lines and offer. */
  #offerWith(wanted: OfferWanted, iceRestart = false): void {
    // An offer already on its way is answered first; the far side asks again for what it still needs.
    if (this.#callbacks.polite() || this.#makingOffer || this.#pc.signalingState !== 'stable') return;
    if (iceRestart) this.#pc.restartIce();
    // Transceivers of this side that no description covers yet go in its next offer anyway.
    const pending = mediaSections(this.#pc, false);
    let added = false;
    for (const kind of ['audio', 'video'] as const) {
      for (let i = pending[kind] ?? 0; i < (wanted[kind] ?? 0); i++) {
        this.#pc.addTransceiver(kind, { direction: 'recvonly' });
        added = true;
      }
    }
    // Added m-lines and restarts make the browser ask for negotiation; otherwise an offer is made now. A restart of a
    // connection that never described itself (the far side's page started over) has no credentials to replace, and the
    // browser asks for nothing.
    if (!added && !(iceRestart && this.#pc.localDescription)) void this.#offer();
  }

  /**
   * Whether a description is one already applied, or older: a channel may deliver a message twice, late or out of
   * order. The `o=` line tells: one session id per side, and a version that grows with each new description.
   * A repeated offer means the answer to it was lost, so that answer goes again, even if this side has moved on to
   * an offer of its own: without it the far side would wait for it forever and ignore this side's offer.
   */
  #repeatedDescription(type: RTCSdpType, incoming: Origin | undefined): boolean {
    const current = this.#remoteOrigin;
    if (!current || !incoming) return false;
    // aiortc writes the time in seconds as both the session id and the version of each description: across seconds
    // the session id changes (see fromNewConnection). An older one is a late copy, to drop (not answer again), when it
    // is the one applied under its session id: a wall clock set back may give a new one an older version.
    if (current.session !== incoming.session) {
      const applied = this.#farRewritesSessionIds && this.#appliedBySession.get(incoming.session);
      return !!applied && incoming.version < current.version && sameNegotiation(incoming.sdp, applied);
    }
    if (type === 'answer' && this.#pc.signalingState === 'stable') return true;
    // So two of aiortc's descriptions within a second share one `o=` line: only their text tells that the second is a
    // new one. A late copy of an earlier one of that second passes for new too: its text is also what a track removed
    // and added back within the second gives, and dropping that would leave a call waiting.
    if (incoming.version === current.version && !sameNegotiation(incoming.sdp, current.sdp)) return false;
    // An answer to an earlier offer, delivered late, must not pass for the answer to the offer now waiting. Browsers
    // give each answer a new version; a far side that keeps the version of an unchanged answer (RFC 3264 allows it)
    // has its answer taken once the offer was sent again.
    if (type === 'answer')
      return (
        incoming.version < current.version || (incoming.version === current.version && this.#offerSends < 2)
      );
    if (incoming.version > current.version) return false;
    const answer = this.#pc.currentLocalDescription;
    if (incoming.version === current.version && answer?.type === 'answer') this.#sendAgain(answer);
    return true;
  }

  /** Notes the far side's description now applied (see remoteOrigin and appliedBySession). */
  #setRemoteOrigin(sdp: string | undefined): void {
    const applied = (this.#remoteOrigin = origin(sdp));
    if (!applied) return;
    // Last in the map's order, then the oldest beyond the bound go.
    this.#appliedBySession.delete(applied.session);
    this.#appliedBySession.set(applied.session, applied.sdp);
    for (const session of this.#appliedBySession.keys())
      if (this.#appliedBySession.size > MAX_APPLIED_SESSIONS) this.#appliedBySession.delete(session);
  }

  async #applyDescription(description: RTCSessionDescriptionInit): Promise<void> {
    const incoming = origin(description.sdp);
    const current = this.#remoteOrigin;
    const fromNewConnection =
      !!incoming && !!current && this.#fromNewConnection(incoming, current, description);
    // An offer from a new connection: the far side replaced the one this side knew (its recovery did, or its page
    // closed it and met this side again), so this side must replace its own. Also while this one is connected: Firefox
    // notices a far side's closed connection only once ICE consent runs out, and answered from this one, the far side's
    // new connection never connected. Such an offer ends a connection that connected only once the browser takes it,
    // tried on a connection of its own: a malformed offer is told and ends nothing. (On this connection it would be
    // refused as well when it has fewer m-lines than the call had, as a new connection's first offer may.)
    if (fromNewConnection && description.type === 'offer') {
      if (!this.#callbacks.renewable()) {
        let taken: boolean;
        try {
          taken = await this.#tryApart(description);
        } catch (error) {
          this.#negotiationFailed(error);
          return;
        }
        // Dropped once the bound was up (see withinBound): that was told, and later messages have gone on.
        if (!taken) return;
      }
      // The far side's new connection sends its candidates right after its offer: they go to the new one too.
      if (this.#pc.signalingState !== 'closed')
        this.#callbacks.renew({ description }, this.#waiting.splice(0));
      return;
    }
    // An answer from a new connection, to this side's offer: the far side answered from a new connection, having let go
    // the one this side knew (its page closed it, or it gave the call up) and met this side again by this offer. This
    // connection cannot go on with it (Firefox refuses the new ICE credentials as a restart it did not offer), so it is
    // replaced and offers first; the far side's new connection, which never connected, takes that offer on a new one.
    if (
      fromNewConnection &&
      description.type === 'answer' &&
      this.#pc.signalingState === 'have-local-offer'
    ) {
      this.#callbacks.renew({ renew: current.session, from: incoming.session });
      return;
    }
    if (this.#repeatedDescription(description.type, incoming)) return;
    // Messages are applied one at a time, so no remote answer is ever being set while an offer arrives.
    const readyForOffer = !this.#makingOffer && this.#pc.signalingState === 'stable';
    const collision = description.type === 'offer' && !readyForOffer;
    this.#ignoreOffer = !this.#callbacks.polite() && collision;
    if (this.#ignoreOffer) return;
    if (description.type === 'offer') {
      // The offer may cover what was asked for; if not, the browser asks for negotiation again once it is answered.
      clearTimeout(this.#offerRequest);
      this.#offerRequest = undefined;
      this.#requestsUnanswered = 0;
    }
    if (description.type === 'offer') this.#offerBeingSet = description;
    try {
      // On glare the polite side's setRemoteDescription rolls its own offer back implicitly.
      await this.#pc.setRemoteDescription(description);
    } catch (error) {
      this.#negotiationFailed(error);
      return;
    } finally {
      // Before the answer is made, so that it carries the tracks held back.
      this.#remoteOfferSettled(description);
    }
    // A far side's rollback of its first offer leaves no description (rare: read it then).
    this.#remoteDescribed = description.type !== 'rollback' || !!this.#pc.remoteDescription;
    // An answer is the current remote description once set; an offer, once answered.
    if (description.type === 'answer') this.#setRemoteOrigin(description.sdp);
    for (const { candidate, mayFail } of this.#earlyCandidates.splice(0))
      this.#addCandidate(candidate, mayFail);
    this.#callbacks.descriptionApplied();
    if (description.type === 'offer') {
      try {
        this.#callbacks.describing();
        // A restart this side wants is done once its credentials change: an answer to an offer that restarts nothing
        // keeps them, and the browser, its restart still pending, asks for negotiation again; its request must then
        // ask for the restart, or each answer keeps them and the two sides renegotiate for ever.
        const credentialsBefore = this.#restartWanted ? (this.#pc.localDescription?.sdp ?? '') : undefined;
        await this.#pc.setLocalDescription();
        this.#setRemoteOrigin(description.sdp);
        // Read once, as for an offer: in Firefox each read builds a new description.
        const answer = this.#pc.localDescription;
        // An answer whose send threw is told, and this side goes on: the far side's offer comes again for it.
        if (answer) this.#send(this.#describe(answer));
        if (credentialsBefore !== undefined && answer && !shares(answer.sdp, credentialsBefore, 'ice-ufrag'))
          this.#restartWanted = false;
      } catch (error) {
        this.#negotiationFailed(error);
        return;
      }
      this.#callbacks.descriptionApplied();
    }
    if (this.#pc.signalingState === 'stable') {
      this.#resendCandidates(CANDIDATE_RESENDS);
      this.#callbacks.negotiated(description.type === 'answer');
    }
  }

  /**
   * Whether a description of another session than the far side's so far comes from a new connection of the far side. A
   * browser keeps one session id for a connection's life; some other implementations (aiortc) write a new one into
   * every description, and of those only another certificate tells a new connection, since an ICE restart changes the
   * ICE credentials too. Otherwise other ICE credentials tell it as well: a page may give each connection the same
   * certificate (`RTCConfiguration.certificates`).
   */
  #fromNewConnection(incoming: Origin, current: Origin, description: RTCSessionDescriptionInit): boolean {
    if (incoming.session === current.session) return false;
    const sdp = description.sdp ?? '';
    const known = this.#pc.remoteDescription?.sdp ?? '';
    const sameCertificate = shares(sdp, known, 'fingerprint');
    const sameIce = shares(sdp, known, 'ice-ufrag');
    if (sameCertificate && sameIce) this.#farRewritesSessionIds = true;
    return !sameCertificate || (!sameIce && !this.#farRewritesSessionIds);
  }

  /**
   * Applies an offer to a connection of its own, kept for the next (a refused offer changes nothing on it), with this
   * one's bundle and RTCP policies, which the browser holds descriptions to: throws as the browser refuses the offer,
   * and says whether the trial still counts (see withinBound). Its m-lines are held to the SDP grammar first, which
   * Firefox 153 does not check on a connection with no description yet (it took `m=audio 9x …`).
   */
  async #tryApart(offer: RTCSessionDescriptionInit): Promise<boolean> {
    const malformed = malformedMLine(offer.sdp ?? '');
    if (malformed) throw new Error(`malformed m-line in offer: ${malformed.slice(0, 80)}`);
    const { bundlePolicy, rtcpMuxPolicy } = this.#pc.getConfiguration();
    const trial = (this.#trial ??= new RTCPeerConnection({ bundlePolicy, rtcpMuxPolicy }));
    try {
      await trial.setRemoteDescription(offer);
    } catch (error) {
      if (trial === this.#trial) throw error;
    }
    return trial === this.#trial;
  }

  /** Tells a step of negotiation that failed, unless the connection closed under it (close() cuts such work off). */
  #negotiationFailed(error: unknown): void {
    if (this.#pc.signalingState !== 'closed') this.#callbacks.error(error, 'negotiation');
  }

  /** The gathered candidates that go with a description of this side: those with its ICE credentials. */
  #candidatesFor(sdp = ''): RTCIceCandidateInit[] {
    const ufrag = /^a=ice-ufrag:(\S+)/m.exec(sdp)?.[1];
    return this.#gathered.filter((c) => !ufrag || !c.usernameFragment || c.usernameFragment === ufrag);
  }

  /**
   * Sends the gathered candidates again, `times` more times at most, while ICE has not connected since an exchange:
   * a channel may lose candidates, and without the far side's reachable ones a browser never connects (Firefox fails
   * after about 5 s, Chromium checks on until the kit restarts ICE). A far side that has them already ignores copies.
   */
  #resendCandidates(times: number): void {
    clearTimeout(this.#candidateResend);
    this.#candidateResend = setTimeout(() => {
      const { iceConnectionState, signalingState } = this.#pc;
      if (signalingState !== 'stable' || (iceConnectionState !== 'new' && iceConnectionState !== 'checking'))
        return;
      for (const candidate of this.#candidatesFor(this.#pc.localDescription?.sdp)) this.#send({ candidate });
      if (times > 1) this.#resendCandidates(times - 1);
    }, CANDIDATE_RESEND_MS);
  }

  /**
   * Whether a candidate that failed is one of credentials the far side's description does not have, before the
   * connection ever connected: one of a connection that replaces the far side's, come ahead of its offer, or of one
   * replaced. It fails without an error: the candidates of a connection come again after its description (see
   * resendCandidates). Asked only on failure: in Firefox each read of `remoteDescription` builds a new description.
   */
  #strayBeforeConnecting({ usernameFragment }: RTCIceCandidateInit): boolean {
    const sdp = this.#pc.remoteDescription?.sdp;
    return (
      !!usernameFragment &&
      !!sdp &&
      this.#callbacks.renewable() &&
      !sdp.includes(`a=ice-ufrag:${usernameFragment}\r`)
    );
  }

  /**
   * Hands a candidate to the connection without waiting for it to be added. The connection's own operations chain
   * keeps it after the descriptions before it and before those after it. Waiting for each (1-14 ms in Chromium) held
   * the next ones back: a far side's four candidates took 11-32 ms to be added one by one, and ICE came up that much
   * later; handed over together they are all added within 3 ms.
   */
  #addCandidate(candidate: RTCIceCandidateInit, mayFail = this.#ignoreOffer): void {
    // Read while not known: a description applied by a call whose promise never settled (see withinBound) counts too.
    this.#remoteDescribed ||= !!this.#pc.remoteDescription;
    if (!this.#remoteDescribed) {
      if (this.#earlyCandidates.length < MAX_EARLY_CANDIDATES)
        this.#earlyCandidates.push({ candidate, mayFail });
      else if (!mayFail)
        this.#callbacks.error(
          new Error('too many ICE candidates before any session description'),
          'ice-candidate',
        );
      return;
    }
    this.#pc.addIceCandidate(candidate).catch((error: unknown) => {
      // Candidates for an offer this side ignored are expected to fail when the answer brings new credentials.
      if (mayFail || this.#pc.signalingState === 'closed' || this.#strayBeforeConnecting(candidate)) return;
      this.#callbacks.error(error, 'ice-candidate');
    });
  }
}

/**
 * The connection's transceivers, by kind, that a description covers (`described`: its m-lines), or that none covers
 * yet (an offer must add m-lines for them).
 */
export function mediaSections(pc: RTCPeerConnection, described: boolean): OfferWanted {
  const counts: OfferWanted = {};
  for (const { mid, direction, receiver } of pc.getTransceivers()) {
    const kind = receiver.track.kind;
    if ((mid !== null) !== described || direction === 'stopped' || (kind !== 'audio' && kind !== 'video'))
      continue;
    counts[kind] = Math.min(MAX_WANTED_PER_KIND, (counts[kind] ?? 0) + 1);
  }
  return counts;
}

function isEndOfAllCandidates({ candidate, sdpMid, sdpMLineIndex }: RTCIceCandidateInit): boolean {
  return !candidate && sdpMid == null && sdpMLineIndex == null;
}
