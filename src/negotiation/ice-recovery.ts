/** How long `disconnected` may last before ICE is restarted: a short outage often heals by itself. */
const DISCONNECTED_GRACE_MS = 2000;
/** How long ICE checks may go on without a media path (lost candidates, say) before ICE is restarted. */
const CONNECTING_GRACE_MS = 10_000;
/**
 * How often ICE is restarted again while the connection stays down. A restart while the network is gone gathers
 * nothing, so the one after the network is back is what reconnects: this bounds the time to recover.
 */
const RESTART_EVERY_MS = 3000;
/** How long the connection may stay down, through restarts, before it is given up as failed. */
const GIVE_UP_MS = 30_000;

export interface IceRecoveryCallbacks {
  /** Restart ICE now (through negotiation, which makes or asks for the offer). */
  restart(): void;
  /** The connection stayed down for `GIVE_UP_MS` despite restarts. */
  gaveUp(downForMs: number): void;
}

/**
 * Restarts ICE when the media path is lost (a network change, a dropped link, lost candidates), again every few
 * seconds while it stays lost, and gives up after a bound. Either side may restart; perfect negotiation sorts out
 * two restarts at once. Without this a connection that failed stays failed, as the browser never restarts by itself.
 */
export class IceRecovery {
  #downSince?: number;
  #timer?: ReturnType<typeof setTimeout>;
  readonly #pc: RTCPeerConnection;
  readonly #callbacks: IceRecoveryCallbacks;

  constructor(pc: RTCPeerConnection, callbacks: IceRecoveryCallbacks) {
    this.#pc = pc;
    this.#callbacks = callbacks;
    pc.addEventListener('connectionstatechange', this.#watch);
    pc.addEventListener('iceconnectionstatechange', this.#watch);
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#pc.removeEventListener('connectionstatechange', this.#watch);
    this.#pc.removeEventListener('iceconnectionstatechange', this.#watch);
  }

  /**
   * An offer/answer exchange completed. A connection still `new` then is one whose ICE has nothing to check: no
   * candidate of the far side came (a channel that loses them). Chromium stays `new` so for ever, with no event; the
   * wait for a media path starts here, as for checks that find none.
   */
  negotiated(): void {
    this.#assess(true);
  }

  readonly #watch = (): void => this.#assess(false);

  /** Starts, keeps or ends the recovery for the state the connection is in; `new` may count as down after an exchange. */
  #assess(newIsDown: boolean): void {
    // Firefox reports a lost path only in `iceConnectionState` until it gives the whole connection up, much later.
    const { connectionState, iceConnectionState } = this.#pc;
    const state =
      connectionState === 'connected' && iceConnectionState === 'disconnected'
        ? 'disconnected'
        : connectionState;
    if (state === 'connected' || state === 'closed') {
      clearTimeout(this.#timer);
      this.#timer = this.#downSince = undefined;
      return;
    }
    // Already recovering, the schedule goes on through the states each restart passes (Firefox goes back to `new`).
    // Before an exchange with media, `new` is a call still waiting for its far side.
    if (this.#downSince !== undefined || (state === 'new' && !(newIsDown && hasMedia(this.#pc)))) return;
    this.#downSince = Date.now();
    this.#restartIn(
      state === 'failed' ? 0 : state === 'disconnected' ? DISCONNECTED_GRACE_MS : CONNECTING_GRACE_MS,
    );
  }

  #restartIn(delay: number): void {
    this.#timer = setTimeout(() => {
      const down = Date.now() - (this.#downSince ?? Date.now());
      if (down >= GIVE_UP_MS) {
        this.dispose();
        this.#callbacks.gaveUp(down);
        return;
      }
      // The next try is planned first, so a restart that throws cannot end the schedule.
      this.#restartIn(RESTART_EVERY_MS);
      this.#callbacks.restart();
    }, delay);
  }
}

/** Whether the connection has negotiated media: with none there is no ICE transport, and `new` is all it can be. */
function hasMedia(pc: RTCPeerConnection): boolean {
  return pc.getTransceivers().some((transceiver) => transceiver.mid !== null);
}
