/** Where a remote track that names no stream goes (the two patterns of the addTrack reference page). */
export type StreamlessPolicy = 'shared' | 'separate';

/** The error for a `streamless` attribute that is neither policy, or undefined for one that is. */
export function streamlessError(value: unknown): TypeError | undefined {
  if (value === 'shared' || value === 'separate') return undefined;
  return new TypeError(`streamless="${String(value)}" is not "shared" or "separate"; using "shared"`);
}

export interface StreamAssemblerCallbacks {
  added(stream: MediaStream): void;
  removed(stream: MediaStream): void;
}

/**
 * Turns `track` events into a live list of remote streams, in arrival order. Tracks that name streams join those
 * streams (the browser keeps them, with the sender's ids); streamless tracks join one shared inbound stream or get
 * a stream each. A stream leaves the list when its last track is gone, seen by `sync` once the description that took
 * the track is applied, not in the stream's `removetrack`: the browser fires those in a burst while it applies the
 * description, and work inside the burst held it up (and every other listener of the stream, and the answer).
 */
export class StreamAssembler {
  readonly #list: MediaStream[] = [];
  /** Streams the kit made for streamless tracks: the browser does not maintain these, `sync` does. */
  readonly #made = new Set<MediaStream>();
  #shared?: MediaStream;
  readonly #receiving = new Map<MediaStreamTrack, RTCRtpTransceiver>();

  readonly #policy: () => StreamlessPolicy;
  readonly #callbacks: StreamAssemblerCallbacks;

  constructor(policy: () => StreamlessPolicy, callbacks: StreamAssemblerCallbacks) {
    this.#policy = policy;
    this.#callbacks = callbacks;
  }

  /** The remote streams, in the order they arrived. */
  get streams(): readonly MediaStream[] {
    return this.#list;
  }

  /** Takes one `track` event. */
  handleTrack({ track, streams, transceiver }: RTCTrackEvent): void {
    this.#receiving.set(track, transceiver);
    // The same listener object is only added once, however often the track comes back.
    track.addEventListener('ended', this.#onEnded);
    if (streams.length > 0) {
      // A track that was streamless before (the far side set streams since) leaves the kit's own streams.
      for (const made of this.#made) removeFrom(made, track);
      for (const stream of streams) this.#admit(stream);
      this.sync();
      return;
    }
    this.#homeStreamless(track);
  }

  #homeStreamless(track: MediaStreamTrack): void {
    const stream = this.#streamlessHome();
    addTo(stream, track);
    this.#admit(stream);
  }

  /**
   * Brings the list up to date after a description was applied: a remote track whose transceiver no longer
   * receives leaves the kit's own streams (the browser takes it out of the far side's named streams itself),
   * streams left with no track leave the list, and once an exchange completed, a receiving track left in no stream
   * joins the streamless ones. `negotiated`: an exchange just completed (signaling is stable).
   */
  sync(negotiated = false): void {
    for (const [track, transceiver] of this.#receiving) {
      // Directions are only final once an exchange completed; mid-exchange only ended tracks count.
      const stopped = track.readyState !== 'live' || (negotiated && !isReceiving(transceiver));
      if (!stopped) continue;
      this.#receiving.delete(track);
      track.removeEventListener('ended', this.#onEnded);
      for (const stream of this.#made) removeFrom(stream, track);
    }
    const held = new Set<MediaStreamTrack>();
    for (const stream of [...this.#list]) {
      const tracks = stream.getTracks();
      if (tracks.length === 0) this.#drop(stream);
      for (const track of tracks) held.add(track);
    }
    if (!negotiated) return;
    // A track whose sender stopped naming streams is taken out of them (Firefox), and no `track` event tells: it is
    // streamless now, and goes where streamless tracks go rather than out of sight.
    for (const track of this.#receiving.keys()) if (!held.has(track)) this.#homeStreamless(track);
  }

  /** Empties the list (the connection closed), telling about each stream that goes. */
  clear(): void {
    for (const stream of [...this.#list]) this.#drop(stream);
    // A page may keep a remote track after the call; its listener would keep this connection's objects alive.
    for (const track of this.#receiving.keys()) track.removeEventListener('ended', this.#onEnded);
    this.#receiving.clear();
  }

  #streamlessHome(): MediaStream {
    if (this.#policy() === 'separate') {
      const own = new MediaStream();
      this.#made.add(own);
      return own;
    }
    if (!this.#shared || !this.#list.includes(this.#shared)) {
      this.#shared = new MediaStream();
      this.#made.add(this.#shared);
    }
    return this.#shared;
  }

  #admit(stream: MediaStream): void {
    if (this.#list.includes(stream)) return;
    this.#list.push(stream);
    this.#callbacks.added(stream);
  }

  #drop(stream: MediaStream): void {
    const index = this.#list.indexOf(stream);
    // Dropped already: a `removed` listener that closed the connection cleared the list mid-sync.
    if (index < 0) return;
    this.#list.splice(index, 1);
    this.#made.delete(stream);
    this.#callbacks.removed(stream);
  }

  readonly #onEnded = (): void => this.sync();
}

/**
 * Adds a track to a stream the kit made, and tells its listeners as the browser tells those of its own streams: a
 * script's `addTrack` fires no `addtrack`, and a `<remote-stream>` playing the shared stream would not see a video
 * that joins it mid-call.
 */
function addTo(stream: MediaStream, track: MediaStreamTrack): void {
  if (stream.getTracks().includes(track)) return;
  stream.addTrack(track);
  stream.dispatchEvent(new MediaStreamTrackEvent('addtrack', { track }));
}

/** Takes a track out of a stream the kit made, with the `removetrack` the browser would fire (see addTo). */
function removeFrom(stream: MediaStream, track: MediaStreamTrack): void {
  if (!stream.getTracks().includes(track)) return;
  stream.removeTrack(track);
  stream.dispatchEvent(new MediaStreamTrackEvent('removetrack', { track }));
}

/** Whether the far side currently sends on this transceiver, as last negotiated. */
function isReceiving(transceiver: RTCRtpTransceiver): boolean {
  const direction = transceiver.currentDirection;
  // Not yet negotiated to the end (an offer in flight): keep what the track event said.
  return direction === null || direction === 'sendrecv' || direction === 'recvonly';
}
