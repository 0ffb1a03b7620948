import { MAX_WANTED_PER_KIND, parseNegotiationMessage } from '../signaling/message.js';
import type { OfferWanted, SignalingChannel } from '../signaling/signaling.js';
import type { ErrorOperation } from '../events.js';

/** A bound on candidates kept for a description still to come, so a flood cannot grow memory. */
const MAX_EARLY_CANDIDATES = 256;

/** How long the polite side waits for the offer it asked for before making its own (see requestOffer). */
const OFFER_REQUEST_TIMEOUT_MS = 3000;

export interface NegotiatorCallbacks {
  /** Whether this side yields on glare; asked only when offers collide. */
  polite(): boolean;
  /** A description was applied (either side): the remote streams may have changed. */
  descriptionApplied(): void;
  /** An offer/answer exchange completed and signaling is stable again. */
  negotiated(offered: boolean): void;
  /** Something failed; negotiation goes on with the next message. */
  error(error: unknown, operation: ErrorOperation): void;
  /** The channel says the far side left for good. */
  peerLeft(): void;
}

/**
 * The perfect-negotiation pattern of the WebRTC specification: either side may change its tracks at any
 * moment; when both offer at once (glare), the polite side rolls its offer back and answers, the impolite
 * side ignores the colliding offer. Incoming messages are applied one at a time, in arrival order.
 */
export class PerfectNegotiator {
  private makingOffer = false;
  private ignoreOffer = false;
  /**
   * Candidates that came before any remote description; added once one is set. They come from a reordering channel,
   * or from the far side's first offer that this side ignored on glare: a browser may keep that offer's ICE
   * credentials for the answer it makes after rolling back, and then never gathers these candidates again.
   */
  private earlyCandidates: { candidate: RTCIceCandidateInit; mayFail: boolean }[] = [];
  private incoming: Promise<void> = Promise.resolve();
  /** Set while the polite side waits for the offer it asked for. */
  private offerRequest?: ReturnType<typeof setTimeout>;
  /** Set when an asked-for offer did not come: the next offer is this side's own. */
  private offerAnyway = false;

  constructor(
    private readonly pc: RTCPeerConnection,
    private readonly channel: SignalingChannel,
    private readonly callbacks: NegotiatorCallbacks,
  ) {
    pc.addEventListener('negotiationneeded', this.offer);
    pc.addEventListener('icecandidate', this.sendCandidate);
    try {
      channel.start({
        message: (message) => {
          this.incoming = this.incoming
            .then(() => this.receive(message))
            .catch((error: unknown) => this.callbacks.error(error, 'signaling'));
        },
        peerLeft: () => callbacks.peerLeft(),
      });
    } catch (error) {
      callbacks.error(error, 'signaling');
    }
  }

  /** Detaches from the connection; the caller closes the connection and the channel. */
  dispose(): void {
    clearTimeout(this.offerRequest);
    this.pc.removeEventListener('negotiationneeded', this.offer);
    this.pc.removeEventListener('icecandidate', this.sendCandidate);
  }

  private readonly offer = async (): Promise<void> => {
    const wanted = this.callbacks.polite() && !this.offerAnyway ? this.newMediaSections() : {};
    if (Object.keys(wanted).length > 0) {
      this.requestOffer(wanted);
      return;
    }
    this.offerAnyway = false;
    try {
      this.makingOffer = true;
      await this.pc.setLocalDescription();
      // The offer may have been superseded by a remote offer while it was being made.
      if (this.pc.signalingState !== 'have-local-offer' || !this.pc.localDescription) return;
      this.channel.send({ description: this.pc.localDescription.toJSON() });
    } catch (error) {
      if (this.pc.signalingState !== 'closed') this.callbacks.error(error, 'negotiation');
    } finally {
      this.makingOffer = false;
    }
  };

  private readonly sendCandidate = ({ candidate }: RTCPeerConnectionIceEvent): void => {
    // The null "end of candidates" marker needs no message: both browsers do without it.
    if (!candidate) return;
    try {
      this.channel.send({ candidate: candidate.toJSON() });
    } catch (error) {
      this.callbacks.error(error, 'signaling');
    }
  };

  private async receive(raw: unknown): Promise<void> {
    if (this.pc.signalingState === 'closed') return;
    let message;
    try {
      message = parseNegotiationMessage(raw);
    } catch (error) {
      this.callbacks.error(error, 'signaling');
      return;
    }
    if ('description' in message) await this.applyDescription(message.description);
    else if ('candidate' in message) await this.addCandidate(message.candidate);
    else this.offerWith(message.offerWanted);
  }

  /**
   * Transceivers that no description covers yet, by kind: an offer from this side would add m-lines for them.
   * The polite side leaves adding m-lines to the other side: if an offer of its own that adds an m-line is rolled
   * back on glare, and the other side's offer adds one with the same mid, Chromium goes on decoding the
   * connection's incoming video but no longer delivers any frame to its tracks. Changing existing m-lines is safe.
   */
  private newMediaSections(): OfferWanted {
    const counts: OfferWanted = {};
    for (const transceiver of this.pc.getTransceivers()) {
      const kind = transceiver.receiver.track.kind;
      if (transceiver.mid !== null || transceiver.direction === 'stopped' || !isMediaKind(kind)) continue;
      counts[kind] = Math.min(MAX_WANTED_PER_KIND, (counts[kind] ?? 0) + 1);
    }
    return counts;
  }

  /** Asks the other side for an offer with room for new tracks; makes one itself if none comes. */
  private requestOffer(wanted: OfferWanted): void {
    try {
      this.channel.send({ offerWanted: wanted });
    } catch (error) {
      this.callbacks.error(error, 'signaling');
    }
    // A far side that does not take requests (another implementation) gets this side's own offer after a while.
    this.offerRequest ??= setTimeout(() => {
      this.offerRequest = undefined;
      this.offerAnyway = true;
      if (this.pc.signalingState === 'stable') void this.offer();
    }, OFFER_REQUEST_TIMEOUT_MS);
  }

  /** The polite side asked for an offer with room for its new tracks: add receive-only m-lines and offer. */
  private offerWith(wanted: OfferWanted): void {
    const { pc } = this;
    // An offer already on its way is answered first; the far side asks again for what it still needs.
    if (this.callbacks.polite() || this.makingOffer || pc.signalingState !== 'stable') return;
    // Transceivers of this side that no description covers yet go in its next offer anyway.
    const pending = this.newMediaSections();
    let added = false;
    for (const kind of ['audio', 'video'] as const) {
      for (let i = pending[kind] ?? 0; i < (wanted[kind] ?? 0); i++) {
        pc.addTransceiver(kind, { direction: 'recvonly' });
        added = true;
      }
    }
    // Added m-lines make the browser ask for negotiation; otherwise the pending ones go in an offer made now.
    if (!added) void this.offer();
  }

  private async applyDescription(description: RTCSessionDescriptionInit): Promise<void> {
    const { pc } = this;
    // Messages are applied one at a time, so no remote answer is ever being set while an offer arrives.
    const readyForOffer = !this.makingOffer && pc.signalingState === 'stable';
    const collision = description.type === 'offer' && !readyForOffer;
    this.ignoreOffer = !this.callbacks.polite() && collision;
    if (this.ignoreOffer) return;
    if (description.type === 'offer') {
      clearTimeout(this.offerRequest);
      this.offerRequest = undefined;
    }
    try {
      // On glare the polite side's setRemoteDescription rolls its own offer back implicitly.
      await pc.setRemoteDescription(description);
    } catch (error) {
      if (pc.signalingState !== 'closed') this.callbacks.error(error, 'negotiation');
      return;
    }
    await this.addEarlyCandidates();
    this.callbacks.descriptionApplied();
    if (description.type === 'offer') {
      try {
        await pc.setLocalDescription();
        if (pc.localDescription) this.channel.send({ description: pc.localDescription.toJSON() });
      } catch (error) {
        if (pc.signalingState !== 'closed') this.callbacks.error(error, 'negotiation');
        return;
      }
      this.callbacks.descriptionApplied();
    }
    if (pc.signalingState === 'stable') this.callbacks.negotiated(description.type === 'answer');
  }

  private async addCandidate(candidate: RTCIceCandidateInit, mayFail = this.ignoreOffer): Promise<void> {
    if (!this.pc.remoteDescription) {
      if (this.earlyCandidates.length < MAX_EARLY_CANDIDATES)
        this.earlyCandidates.push({ candidate, mayFail });
      else if (!mayFail)
        this.callbacks.error(
          new Error('too many ICE candidates before any session description'),
          'ice-candidate',
        );
      return;
    }
    try {
      await this.pc.addIceCandidate(candidate);
    } catch (error) {
      // Candidates for an offer this side ignored are expected to fail when the answer brings new credentials.
      if (!mayFail && this.pc.signalingState !== 'closed') this.callbacks.error(error, 'ice-candidate');
    }
  }

  private async addEarlyCandidates(): Promise<void> {
    for (const { candidate, mayFail } of this.earlyCandidates.splice(0))
      await this.addCandidate(candidate, mayFail);
  }
}

const isMediaKind = (kind: string): kind is 'audio' | 'video' => kind === 'audio' || kind === 'video';
