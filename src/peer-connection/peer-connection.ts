import { html, LitElement, type PropertyDeclarations, type PropertyValues } from 'lit';
import {
  CallErrorEvent,
  ConnectionStateChangeEvent,
  NegotiatedEvent,
  StreamAddedEvent,
  StreamRemovedEvent,
  type ErrorOperation,
} from '../events.js';
import { PeerSession, type SessionHandoff } from '../session/peer-session.js';
import {
  provideConnectionHost,
  announceConnectionHost,
  type AttachedTrack,
} from '../shared/connection-context.js';
import { TrackHost } from '../shared/track-host.js';
import { DisconnectGrace } from '../shared/disconnect-grace.js';
import { addState, swapState } from '../shared/custom-states.js';
import { signalingAdapters } from '../signaling/adapters.js';
import { EarlyMessages } from '../signaling/early-messages.js';
import { inertSignaling } from '../signaling/inert.js';
import { LoopbackFullError } from '../signaling/loopback.js';
import { createSignaling, signalingObject, type SignalingChannel } from '../signaling/signaling.js';
import { streamlessError, type StreamlessPolicy } from '../streams/stream-assembler.js';
import { styles } from './peer-connection.styles.js';

/** `state` before the first connection exists, and the browser's `connectionState` after (see `state`). */
export type PeerConnectionState = RTCPeerConnectionState;

/** What a page's own channel, given as `signaling`, must have (see SignalingChannel). */
const CHANNEL_METHODS = ['start', 'send', 'close'];

/**
 * A WebRTC connection to one far side. The `<local-track>` elements inside it (or naming it with `for`) are what it
 * sends; the far side's tracks are assembled into `remoteStreams`, which `<remote-stream>` elements render.
 * Negotiation follows the perfect-negotiation pattern, so both sides may add and remove tracks at any time.
 *
 * @tagname peer-connection
 * @summary A WebRTC connection that sends its `<local-track>`s and assembles remote streams.
 *
 * @slot - Local tracks, remote streams and any other content.
 *
 * @fires {RTCTrackEvent} track - The browser's `track` event, re-dispatched from the element.
 * @fires {StreamAddedEvent} streamadded - A remote stream joined `remoteStreams` (`event.stream`).
 * @fires {StreamRemovedEvent} streamremoved - A remote stream left `remoteStreams` (`event.stream`).
 * @fires {ConnectionStateChangeEvent} connectionstatechange - `state` changed (`event.state`); not for `closed` by
 *   `close()` or removal, as `RTCPeerConnection.close()` fires none.
 * @fires {NegotiatedEvent} negotiated - An offer/answer exchange completed; signaling is stable again.
 * @fires {CallErrorEvent} error - Something failed and the call goes on (`event.error`, `event.operation`).
 *   Does not bubble.
 *
 * @cssstate new - No media path yet.
 * @cssstate connecting - ICE and DTLS are being established: at the start, or while a lost path recovers.
 * @cssstate connected - Media can flow.
 * @cssstate disconnected - Connectivity was lost; it may come back.
 * @cssstate failed - Connectivity failed. The kit restarts ICE while the path is lost, and after 30 s without one
 *   it closes the connection, goes to `failed`, and reports an `error` (operation `connection`). It stays `failed`
 *   until the far side leaves (then `new`, ready for the next call), `signaling` changes or the element is inserted
 *   again.
 * @cssstate closed - The connection is closed.
 *
 * @cssprop [--peer-connection-display=block] - The element's `display`.
 */
export class PeerConnection extends LitElement {
  static override styles = styles;

  // A getter, not a static field: lit-analyzer reads attributes only from this form, so markup in stories and tests is
  // checked against them.
  static override get properties(): PropertyDeclarations {
    return {
      signaling: {},
      polite: { type: Boolean, reflect: true },
      // The attribute removed is the default again, not a bad value.
      streamless: { converter: (value: string | null) => value ?? 'shared' },
      configuration: { attribute: false },
      iceServers: { attribute: 'ice-servers' },
      state: { reflect: true },
    };
  }

  /**
   * Where negotiation messages go: `loopback:NAME` pairs two connections of one page. Set the property to an
   * object implementing `SignalingChannel` to use any other transport. Changing it starts a new connection.
   */
  signaling: string | SignalingChannel | null = null;

  /**
   * This side yields when both sides offer at once. A channel that assigns roles decides: `loopback:` gives the far
   * side the other role, and a room (`broadcast:`, `ws:`) assigns them by peer id, which the far side sees too. It
   * decides for a page's channel object that assigns none.
   */
  polite = false;

  /**
   * Where a remote track that names no stream goes: `shared` puts them all in one stream, `separate` gives
   * each its own.
   */
  streamless: StreamlessPolicy = 'shared';

  /** The `RTCConfiguration` of the connection. */
  configuration: RTCConfiguration = {};

  /** ICE servers as a JSON array of `RTCIceServer`; when set, it replaces `configuration.iceServers`. */
  iceServers: string | null = null;

  /**
   * The connection's `connectionState`; `closed` once the element closed it. Once `connected`, it stays so while the
   * browser checks ICE again with media flowing (`connecting` in Firefox on every renegotiation); once ICE reported
   * the path lost, the states of its recovery show.
   */
  state: PeerConnectionState = 'new';

  #session?: PeerSession;
  /** Set while a session is being made: what it reports may lead a listener to ask for the connection again. */
  #makingSession = false;
  /** The signaling channel, listened to from the start; its messages are kept until a session takes them. */
  #channel?: EarlyMessages;
  /** Whether the kit made `channel` from an address (and so closes it), or the page handed it over. */
  #ownsChannel = false;
  /** The property values the current session was built with, to tell what later changed. */
  #builtWith?: Pick<PeerConnection, 'signaling' | 'configuration' | 'iceServers'>;
  /** `configuration` with `iceServers` applied, worked out (and its errors told) when the properties are taken. */
  #effectiveConfiguration: RTCConfiguration = {};
  /** The last `ice-servers` that parsed (see takeProperties). */
  #goodIceServers?: RTCIceServer[];
  readonly #internals = this.attachInternals();
  /** `state` as the element set it (the property is the page's to read, and could be written). */
  #state: PeerConnectionState = 'new';
  /** Set while connectedCallback runs (see reportError). */
  #connecting = false;
  /** Set by `close()` until `signaling` changes or a removal's teardown: a move does not start the call again. */
  #hungUp = false;
  /** Set while a loopback pair found full is tried once more (see openChannel). */
  #retryingFull = false;
  /**
   * The tracks the page sends through `addTrack()`, by the sender it was given, with the sender that sends each now.
   * A track whose connection ended (the far side left, `signaling` changed, or ICE recovery replaced it) waits in
   * `waiting` until the next connection sends it (see keepPageTracks), as `<local-track>`s are sent again.
   */
  readonly #pageTracks = new Map<
    RTCRtpSender,
    { streams: MediaStream[]; sender: RTCRtpSender; waiting?: MediaStreamTrack }
  >();

  /**
   * What the elements inside (or naming this one) use to attach themselves.
   * @internal
   */
  readonly connectionHost = new TrackHost(
    (toSend) => {
      const session = toSend ? this.#ensureSession() : this.#session;
      return session ? [session] : [];
    },
    () => this.remoteStreams,
  );

  constructor() {
    super();
    // The first state too: `:state(new)` matches from the start, as the `state` attribute says.
    addState(this.#internals.states, this.#state);
    provideConnectionHost(this, this.connectionHost);
    new DisconnectGrace(this, () => this.#teardown());
  }

  /**
   * The `RTCPeerConnection`, made when first needed: a track to send, a message from the far side, this property read
   * or a method called. `null` outside a document; after `close()`, the closed connection. Replaced by a new one if
   * ICE fails before it ever connects (a restart would not bring media back in Firefox).
   */
  get connection(): RTCPeerConnection | null {
    return this.#ensureSession()?.pc ?? null;
  }

  /** The remote streams, in the order they arrived. */
  get remoteStreams(): readonly MediaStream[] {
    return [...(this.#session?.remote.streams ?? [])];
  }

  /** The connection's `signalingState`: `stable` before the connection is needed, `closed` once it is let go. */
  get signalingState(): RTCSignalingState {
    if (!this.#session) return this.#channel ? 'stable' : 'closed';
    return this.#session.pc.signalingState;
  }

  /**
   * Sends a track the page manages itself, as `RTCPeerConnection.addTrack()` does, with its errors. It is sent until
   * taken back (`removeTrack`), also to the next far side and on a new `signaling`, as a `<local-track>` is.
   * @throws InvalidStateError when there is no open connection; InvalidAccessError when the track is already sent.
   */
  addTrack(track: MediaStreamTrack, ...streams: MediaStream[]): RTCRtpSender {
    const sender = this.#openSession().senders.addSender(track, streams);
    this.#pageTracks.set(sender, { streams, sender });
    return sender;
  }

  /**
   * Stops sending a sender's track, as `RTCPeerConnection.removeTrack()` does. A sender this connection does not
   * have is ignored, as the reference page says (the specification would throw InvalidAccessError).
   * @throws InvalidStateError when there is no open connection.
   */
  removeTrack(sender: RTCRtpSender): void {
    const { pc } = this.#openSession();
    // A sender given before the connection was replaced stands for the one that sends its track now.
    const current = this.#pageTracks.get(sender)?.sender ?? sender;
    for (const [given, sent] of this.#pageTracks) if (sent.sender === current) this.#pageTracks.delete(given);
    if (pc.getSenders().includes(current)) pc.removeTrack(current);
  }

  /**
   * Restarts ICE: the next negotiation gathers new candidates (after a network change or a failure). A connection
   * whose ICE failed before it ever connected is replaced by a new one instead (see `connection`). With no open
   * connection (closed, given up as `failed`, or the element not in a document) there is nothing to restart: that is
   * told by an `error` event, not thrown, as the browser's `restartIce()` does not throw either.
   */
  restartIce(): void {
    const session = this.#ensureSession();
    if (session && !session.closed) session.restartIce();
    else
      this.#reportError(
        new DOMException(
          'restartIce() found no open connection to restart; a new one starts when the element is inserted again or signaling changes',
          'InvalidStateError',
        ),
        'connection',
      );
  }

  /**
   * Closes the connection and the signaling channel. The closed connection stays readable in `connection`; later
   * attempts to send report `InvalidStateError`. A new connection starts when `signaling` changes or the element is
   * inserted again after a removal; a move (out and back in within a task) leaves it closed. Before the first insertion,
   * or once a removal ended the call, there is nothing to close.
   */
  close(): void {
    // Out of the document once the removal's teardown ended the call (or never inserted), there is nothing to close,
    // and an insertion starts a call as the removal promised.
    if (!this.isConnected && !this.#channel) return;
    // The page's tracks end with the call it closed; a later one sends only what it is given then.
    this.#pageTracks.clear();
    // Made if it was not yet, so that it is there to read, and attempts to send on it report InvalidStateError.
    this.#ensureSession()?.close();
    this.#closeChannel();
    this.#setState('closed');
    this.#hungUp = true;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.#connecting = true;
    try {
      // A move (out and back in within a task) keeps the channel, and the connection if it was made, or stays closed
      // after close(). Properties changed while it was out apply now: updates out of the document skip them.
      // A connection the page closed itself, and nothing told the element yet, was hung up: as after close().
      if (this.#session?.closedOutside && this.#channel) this.close();
      const moved = this.#hungUp || (this.#channel && !this.#session?.closed);
      if (moved) this.#followProperties();
      else this.#startSession();
      if (this.#channel?.waiting) this.#ensureSession();
    } finally {
      this.#connecting = false;
    }
    announceConnectionHost(this);
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (!this.isConnected) return;
    const badStreamless = changed.has('streamless') && streamlessError(this.streamless);
    if (badStreamless) this.#reportError(badStreamless, 'attribute');
    this.#followProperties();
  }

  /**
   * Starts anew on another channel, or reconfigures the connection, for properties changed since it was made.
   * `streamless` is read when needed, and so is `polite` where the channel assigns no role (a `loopback:` channel takes
   * it when made).
   */
  #followProperties(): void {
    if (!this.#builtWith) return;
    if (this.signaling !== this.#builtWith.signaling) this.#startSession();
    else if (
      this.configuration !== this.#builtWith.configuration ||
      this.iceServers !== this.#builtWith.iceServers
    )
      this.#reconfigure();
  }

  /**
   * A new signaling channel (first connect, or `signaling` changed), and a new connection once one is needed (see
   * ensureSession).
   */
  #startSession(): void {
    this.#hungUp = false;
    this.#endSession();
    this.#takeProperties();
    const channel: EarlyMessages = new EarlyMessages(
      this.#openChannel(),
      () => {
        if (this.#channel === channel) this.#ensureSession();
      },
      (error) => {
        if (this.#channel === channel) this.#reportError(error, 'signaling');
      },
    );
    this.#channel = channel;
    try {
      channel.listen();
    } catch (error) {
      // Sending may still work; the session is made as usual.
      this.#reportError(error, 'signaling');
    }
    this.#awaitSession();
  }

  /**
   * With no session: `new` until one is needed, and one at once if tracks are sent (on a channel before this one). Told
   * as any change of state: after a far side left, or a change of `signaling`, the call shown as connected has ended.
   */
  #awaitSession(): void {
    this.#tellState('new');
    if (this.connectionHost.sendsTracks || this.#pageTracks.size > 0) this.#ensureSession();
  }

  /**
   * The session, made now if the channel is open and there is none. The `RTCPeerConnection` is made only when needed:
   * made before the camera and microphone were asked for, as it was on insertion, it slowed their capture (Firefox took
   * 10 ms instead of 5, Chromium 16 instead of 14), so the kit now captures first, as hand-written code does.
   */
  #ensureSession(handoff?: SessionHandoff): PeerSession | undefined {
    const channel = this.#channel;
    if (this.#session || !channel || !this.isConnected || this.#makingSession) return this.#session;
    this.#makingSession = true;
    try {
      this.#session = this.#makeSession(channel, handoff);
    } finally {
      this.#makingSession = false;
    }
    this.connectionHost.sendAll(this.#session);
    this.#sendPageTracks(this.#session);
    return this.#session;
  }

  /**
   * Notes, for the next connection, the page's tracks that a connection ending now still sends (`senderTracks`: its
   * senders' tracks as it ends): not those the page took back or replaced by none, nor ended ones.
   */
  #keepPageTracks(senderTracks: ReadonlyMap<RTCRtpSender, MediaStreamTrack | null>): void {
    for (const [given, sent] of this.#pageTracks) {
      const track = sent.waiting ?? senderTracks.get(sent.sender);
      if (track?.readyState === 'live') sent.waiting = track;
      else this.#pageTracks.delete(given);
    }
  }

  /** Sends the page's tracks that wait for a connection (see keepPageTracks) on the session's. */
  #sendPageTracks(session: PeerSession): void {
    for (const [given, sent] of this.#pageTracks) {
      if (!sent.waiting) continue;
      try {
        sent.sender = session.senders.addSender(sent.waiting, sent.streams);
        sent.waiting = undefined;
      } catch (error) {
        // A track that a <local-track> sends too, say: it is sent once.
        this.#pageTracks.delete(given);
        this.#reportError(error, 'add-track');
      }
    }
  }

  #makeSession(channel: EarlyMessages, handoff?: SessionHandoff): PeerSession {
    const session: PeerSession = new PeerSession(
      {
        configuration: this.#effectiveConfiguration,
        channel,
        // The channel's role first: a room's far side takes the other role by peer id, whatever this element says,
        // and two polite sides would each wait for the other's offer.
        polite: () => channel.polite ?? this.polite,
        streamless: () => (this.streamless === 'separate' ? 'separate' : 'shared'),
        handoff,
      },
      {
        track: (event) => this.#emit(retargetTrackEvent(event)),
        streamAdded: (stream) => this.#streamsChanged(new StreamAddedEvent(stream)),
        streamRemoved: (stream) => this.#streamsChanged(new StreamRemovedEvent(stream)),
        // Firefox's ICE re-checks on renegotiation are not told (see PeerSessionEvents).
        // A replacing connection's `connecting` was told already (see renew).
        connectionStateChange: (state) => this.#tellState(state),
        negotiated: (offered) => this.#emit(new NegotiatedEvent(offered)),
        error: (error, operation) => this.#reportError(error, operation),
        sourceError: (source, error, operation) => (source as AttachedTrack).reportError(error, operation),
        // The next far side finds this side fresh: a new connection, made when needed; also after the kit gave this
        // one up (`failed`), so that in a room the next peer is called. An element closed (its channel is let go), on
        // its way out (its teardown is one task away) or on another channel makes none.
        peerLeft: () => {
          if (this.#session !== session || this.#channel !== channel) return;
          // The page hung up through the connection itself, and nothing had told the element yet: what close() does.
          if (session.closedOutside) return this.close();
          this.#keepPageTracks(session.senderTracks);
          session.close();
          this.#session = undefined;
          this.#awaitSession();
        },
        // The session closed itself; its replacement takes over at once, with the tracks. Made even out of the
        // document, as the handoff holds the far side's offer; a removal's teardown, a task away, closes it.
        renew: (next) => {
          if (this.#session !== session || this.#channel !== channel) return;
          const renewed = (this.#session = this.#makeSession(channel, next));
          this.connectionHost.sendAll(renewed);
          this.#keepPageTracks(next.senderTracks);
          this.#sendPageTracks(renewed);
          // Not `failed`, which says the kit gave up: the new connection is on its way.
          this.#tellState('connecting');
        },
        // The closed connection stays readable; `failed` stays shown until the far side leaves, `signaling` changes
        // or a re-insertion.
        // Told once: the browser may have said `failed` already, and its `error` says the kit gave up.
        failed: () => {
          if (this.#session === session) this.#tellState('failed');
        },
        // The page hung up through the connection itself: the element ends the call as close() does, rather than
        // stay `connected` with the far side's streams, or have the recovery start the call again.
        closedOutside: () => {
          if (this.#session === session) this.close();
        },
      },
    );
    return session;
  }

  #openChannel(): SignalingChannel {
    const { signaling } = this;
    this.#ownsChannel = typeof signaling === 'string';
    // Also undefined, as a framework may bind an unset value.
    if (signaling == null || signaling === '') return inertSignaling();
    try {
      if (typeof signaling !== 'string') return signalingObject(signaling, CHANNEL_METHODS);
      return createSignaling(signaling, signalingAdapters, this.polite ? { polite: true } : {});
    } catch (error) {
      // An element that replaces one of a loopback pair within one task (a framework re-keying a list) finds the pair
      // full: the one it replaces lets its end go a task later (see DisconnectGrace). Tried once more then.
      if (error instanceof LoopbackFullError && !this.#retryingFull) {
        setTimeout(() => {
          if (!this.isConnected || this.#hungUp || this.signaling !== signaling) return;
          this.#retryingFull = true;
          try {
            this.#startSession();
          } finally {
            this.#retryingFull = false;
          }
        });
        return inertSignaling();
      }
      this.#reportError(error, 'attribute');
      return inertSignaling();
    }
  }

  #endSession(): void {
    // Also from a session that closed itself (it failed): a new `signaling` or a re-insertion sends them again.
    if (this.#session) this.#keepPageTracks(this.#session.senderTracks);
    this.#session?.close();
    this.#session = undefined;
    this.#closeChannel();
  }

  #closeChannel(): void {
    // A channel the page handed over is the page's to close.
    if (this.#ownsChannel) this.#channel?.close();
    this.#channel = undefined;
  }

  #teardown(): void {
    // Inserted again after this, the element starts a new call, also after close().
    this.#hungUp = false;
    // The page's tracks are sent by this element only while it is in the document.
    this.#pageTracks.clear();
    this.#endSession();
    this.#setState('closed');
  }

  #reconfigure(): void {
    this.#takeProperties();
    try {
      this.#session?.pc.setConfiguration(this.#effectiveConfiguration);
    } catch (error) {
      this.#reportError(error, 'attribute');
    }
  }

  /** Notes the properties the connection is made with, and tells a bad `ice-servers` now, not when it is made. */
  #takeProperties(): void {
    const { signaling, configuration, iceServers } = this;
    this.#builtWith = { signaling, configuration, iceServers };
    this.#effectiveConfiguration = configuration;
    if (iceServers === null) {
      this.#goodIceServers = undefined;
      return;
    }
    try {
      const servers: unknown = JSON.parse(iceServers);
      if (!Array.isArray(servers)) throw new TypeError('not an array');
      this.#effectiveConfiguration = { ...configuration, iceServers: servers as RTCIceServer[] };
      this.#goodIceServers = servers as RTCIceServer[];
    } catch (error) {
      // A bad value later (credentials rotated with a typo) keeps the last good one: without its TURN servers, the
      // next ICE restart of a call behind a strict network would find no path.
      const inUse = this.#goodIceServers;
      if (inUse) this.#effectiveConfiguration = { ...configuration, iceServers: inUse };
      const kept = inUse ? '; the element keeps the ICE servers in use' : '';
      this.#reportError(
        new TypeError(`ice-servers is not a JSON array of ICE servers: ${(error as Error).message}${kept}`),
        'attribute',
      );
    }
  }

  #openSession(): PeerSession {
    const session = this.#ensureSession();
    if (!session || session.closed) {
      throw new DOMException('The RTCPeerConnection is closed.', 'InvalidStateError');
    }
    return session;
  }

  #setState(state: PeerConnectionState): void {
    swapState(this.#internals.states, this.#state, state);
    this.state = this.#state = state;
  }

  /** Sets the state and says so with a `connectionstatechange`, unless it is the state already. */
  #tellState(state: PeerConnectionState): void {
    if (state === this.#state) return;
    this.#setState(state);
    this.#emit(new ConnectionStateChangeEvent(state));
  }

  #streamsChanged(event: StreamAddedEvent | StreamRemovedEvent): void {
    this.connectionHost.changed();
    this.dispatchEvent(event);
  }

  #reportError(error: unknown, operation: ErrorOperation): void {
    const event = new CallErrorEvent(error, operation);
    // Markup already in the page is upgraded, and so connected, inside customElements.define(): an error found then
    // is told a microtask later, once the script that registered the element has had its chance to listen.
    if (this.#connecting) queueMicrotask(() => this.#emit(event));
    else this.#emit(event);
  }

  /** Dispatches one of the element's events (all listed under `@fires` above). */
  #emit(event: Event): void {
    this.dispatchEvent(event);
  }

  override render() {
    return html`<slot></slot>`;
  }
}

/** The browser's `track` event cannot be dispatched twice; this is the same event, from the element. */
function retargetTrackEvent({ receiver, track, streams, transceiver }: RTCTrackEvent): RTCTrackEvent {
  return new RTCTrackEvent('track', {
    receiver,
    track,
    streams: [...streams],
    transceiver,
    bubbles: true,
    composed: true,
  });
}

declare global {
  interface HTMLElementTagNameMap {
    'peer-connection': PeerConnection;
  }
}
