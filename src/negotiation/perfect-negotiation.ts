import { parseNegotiationMessage } from '../signaling/message.js';
import type { SignalingChannel } from '../signaling/signaling.js';
import type { ErrorOperation } from '../events.js';

/** A bound on candidates kept for a description still to come, so a flood cannot grow memory. */
const MAX_EARLY_CANDIDATES = 256;

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
  /** Candidates that came before any remote description (a reordering channel); added once one is set. */
  private earlyCandidates: RTCIceCandidateInit[] = [];
  private incoming: Promise<void> = Promise.resolve();

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
    this.pc.removeEventListener('negotiationneeded', this.offer);
    this.pc.removeEventListener('icecandidate', this.sendCandidate);
  }

  private readonly offer = async (): Promise<void> => {
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
    else await this.addCandidate(message.candidate);
  }

  private async applyDescription(description: RTCSessionDescriptionInit): Promise<void> {
    const { pc } = this;
    // Messages are applied one at a time, so no remote answer is ever being set while an offer arrives.
    const readyForOffer = !this.makingOffer && pc.signalingState === 'stable';
    const collision = description.type === 'offer' && !readyForOffer;
    this.ignoreOffer = !this.callbacks.polite() && collision;
    if (this.ignoreOffer) return;
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

  private async addCandidate(candidate: RTCIceCandidateInit): Promise<void> {
    if (!this.pc.remoteDescription) {
      // Candidates of an offer this side ignored would only fail later.
      if (this.ignoreOffer) return;
      if (this.earlyCandidates.length < MAX_EARLY_CANDIDATES) this.earlyCandidates.push(candidate);
      else
        this.callbacks.error(
          new Error('too many ICE candidates before any session description'),
          'ice-candidate',
        );
      return;
    }
    try {
      await this.pc.addIceCandidate(candidate);
    } catch (error) {
      // Candidates for an offer this side ignored are expected to fail.
      if (!this.ignoreOffer && this.pc.signalingState !== 'closed') {
        this.callbacks.error(error, 'ice-candidate');
      }
    }
  }

  private async addEarlyCandidates(): Promise<void> {
    for (const candidate of this.earlyCandidates.splice(0)) await this.addCandidate(candidate);
  }
}
