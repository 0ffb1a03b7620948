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
  /**
   * Replace the connection with a new one, instead of a restart: ICE failed before it ever connected, which a restart
   * does not mend in Firefox (see the class). `downSince` is when the path was found lost, for the new connection's
   * recovery. Asked again at each try, as restarts are, until the connection is replaced or given up.
   */
  renew(downSince: number): void;
  /** The connection stayed down for `GIVE_UP_MS` despite restarts. */
  gaveUp(downForMs: number): void;
  /** The page closed the connection itself (`RTCPeerConnection.close()` fires no event): nothing to recover. */
  closedOutside(): void;
}

/**
 * Restarts ICE when the media path is lost (a network change, a dropped link, lost candidates), again every few
 * seconds while it stays lost, and gives up after a bound. Either side may restart; perfect negotiation sorts out
 * two restarts at once. Without this a connection that failed stays failed, as the browser never restarts by itself.
 *
 * A connection whose ICE failed before it ever connected is replaced instead (see renew): after such a failure,
 * Firefox 153 brings a restarted ICE and DTLS to `connected` but sends no media on it, either way (plain
 * `RTCPeerConnection` code too), and no state tells. Nothing was flowing yet, so a new connection loses nothing.
 */
export class IceRecovery {
  #downSince?: number;
  #timer?: ReturnType<typeof setTimeout>;
  /** Whether the connection ever connected. */
  #connected = false;
  /** The state last seen (see assess). */
  #state?: string;
  readonly #pc: RTCPeerConnection;
  readonly #callbacks: IceRecoveryCallbacks;

  /**
   * `downSince`: for the connection that replaces one whose path was lost, when it was lost. The bound runs on from
   * then, and the new connection is given the time to connect that checks are (then restarts, as for checks).
   */
  constructor(pc: RTCPeerConnection, callbacks: IceRecoveryCallbacks, downSince?: number) {
    this.#pc = pc;
    this.#callbacks = callbacks;
    pc.addEventListener('connectionstatechange', this.#watch);
    pc.addEventListener('iceconnectionstatechange', this.#watch);
    if (downSince === undefined) return;
    this.#downSince = downSince;
    this.#restartIn(Math.max(0, Math.min(CONNECTING_GRACE_MS, downSince + GIVE_UP_MS - Date.now())));
  }

  /** Whether the connection ever connected. */
  get connectedOnce(): boolean {
    return this.#connected;
  }

  /** When the media path was found lost, while it is; `undefined` while the connection is up or still to connect. */
  get downSince(): number | undefined {
    return this.#downSince;
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
      iceConnectionState === 'failed' && connectionState !== 'closed'
        ? 'failed'
        : connectionState === 'connected' && iceConnectionState === 'disconnected'
          ? 'disconnected'
          : connectionState;
    const newlyFailed = state === 'failed' && this.#state !== 'failed';
    this.#state = state;
    if (state === 'connected' || state === 'closed') {
      clearTimeout(this.#timer);
      this.#timer = this.#downSince = undefined;
      if (state === 'connected') this.#connected = true;
      return;
    }
    if (this.#downSince !== undefined) {
      // Already recovering, the schedule goes on through the states each restart passes (Firefox goes back to `new`).
      // A failure before the connection ever connected cuts the wait short: it is replaced, not restarted.
      if (newlyFailed && !this.#connected) {
        clearTimeout(this.#timer);
        this.#restartIn(0);
      }
      return;
    }
    // Before an exchange with media, `new` is a call still waiting for its far side.
    if (state === 'new' && !(newIsDown && hasMedia(this.#pc))) return;
    this.#downSince = Date.now();
    this.#restartIn(
      state === 'failed' ? 0 : state === 'disconnected' ? DISCONNECTED_GRACE_MS : CONNECTING_GRACE_MS,
    );
  }

  #restartIn(delay: number): void {
    this.#timer = setTimeout(() => {
      // The owner's close() stops this timer; a connection closed anyway was closed by the page. Restarted or replaced,
      // the call it hung up would start again.
      if (this.#pc.signalingState === 'closed') {
        this.dispose();
        this.#callbacks.closedOutside();
        return;
      }
      const downSince = this.#downSince ?? Date.now();
      const down = Date.now() - downSince;
      if (down >= GIVE_UP_MS) {
        this.dispose();
        this.#callbacks.gaveUp(down);
        return;
      }
      // The next try is planned first, so a restart that throws cannot end the schedule.
      this.#restartIn(RESTART_EVERY_MS);
      // A connection that never connected is replaced, not restarted (see the class), whatever its state: restarted
      // while the far side's ICE has failed, it would bring the Firefox case about on that side.
      if (this.#connected) this.#callbacks.restart();
      else this.#callbacks.renew(downSince);
    }, delay);
  }
}

/** Whether the connection has negotiated media: with none there is no ICE transport, and `new` is all it can be. */
function hasMedia(pc: RTCPeerConnection): boolean {
  return pc
    .getTransceivers()
    .some(({ mid, currentDirection }) => mid !== null && currentDirection !== 'stopped');
}
