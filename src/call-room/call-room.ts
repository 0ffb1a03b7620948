import { html, LitElement, type PropertyDeclarations, type PropertyValues } from 'lit';
import {
  CallErrorEvent,
  PeerJoinedEvent,
  PeerLeftEvent,
  PeerUpdatedEvent,
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
import { DisconnectGrace } from '../shared/disconnect-grace.js';
import { addState, swapState } from '../shared/custom-states.js';
import { TrackHost } from '../shared/track-host.js';
import { roomAdapters } from '../signaling/adapters.js';
import { registerNetworkAdapters } from '../signaling/network-adapters.js';
import { AWAY_GRACE_MS, PeerChannel, type LeaveReason, type Room, type RoomPeer } from '../signaling/room.js';
import { createSignaling, signalingObject } from '../signaling/signaling.js';
import { streamlessError, type StreamlessPolicy } from '../streams/stream-assembler.js';
import { styles } from './call-room.styles.js';

/** One remote peer of the room and the connection to it. */
export interface RoomMember {
  readonly peer: RoomPeer;
  readonly connection: RTCPeerConnection;
  readonly state: RTCPeerConnectionState;
  readonly streams: readonly MediaStream[];
}

export type CallRoomState = 'idle' | 'joined' | 'error' | 'left';

/** What a page's own room, given as `signaling`, must have (see Room). */
const ROOM_METHODS = ['join', 'send', 'setMeta', 'leave'];

interface Member {
  peer: RoomPeer;
  readonly channel: PeerChannel;
  session: PeerSession;
  /** Set while the room says the peer is gone but media still flows: the connection is kept for a while. */
  awayTimer?: ReturnType<typeof setTimeout>;
  /** Set while it is let go (see drop). */
  dropping?: boolean;
}

/**
 * A call among everyone in a room: one connection per remote peer (a mesh). Every `<local-track>` inside the room
 * (or naming it with `for`) is sent to every peer; remote streams from all peers are listed in arrival order, and a
 * `<remote-streams>` inside renders a tile for each. Roles for perfect negotiation come from the peer ids.
 *
 * @tagname call-room
 * @summary A multi-party call: one connection per peer of a signaling room.
 *
 * @slot - Local tracks, remote stream tiles and any other content.
 *
 * @fires {PeerJoinedEvent} peerjoined - A peer joined (`event.peer`: `id` and `meta`).
 * @fires {PeerLeftEvent} peerleft - A peer left and its connection closed (`event.peer`, `event.reason`).
 * @fires {PeerUpdatedEvent} peerupdated - A peer changed its metadata, such as its name (`event.peer`, as it is now).
 * @fires {StreamAddedEvent} streamadded - A remote stream arrived (`event.stream`, `event.peer`).
 * @fires {StreamRemovedEvent} streamremoved - A remote stream went away (`event.stream`, `event.peer`).
 * @fires {CallErrorEvent} error - Something failed and the call goes on (`event.error`, `event.operation`).
 *   Does not bubble.
 *
 * @cssstate idle - Not in a room.
 * @cssstate joined - In the room.
 * @cssstate error - A bad address, or the room refused this peer (full, a wrong token). A relay out of reach is an
 *   `error` event, and the state stays `joined` while the room tries again.
 * @cssstate left - Left the room.
 *
 * @cssprop [--call-room-display=block] - The element's `display`.
 */
export class CallRoom extends LitElement {
  static override styles = styles;

  // A getter, not a static field: lit-analyzer reads attributes only from this form, so markup in stories and tests is
  // checked against them.
  static override get properties(): PropertyDeclarations {
    return {
      signaling: {},
      name: {},
      streamless: { converter: (value: string | null) => value ?? 'shared' },
      configuration: { attribute: false },
      state: { reflect: true },
    };
  }

  /** The room: `ws://host/signal?room=NAME` (the kit's relay) or `broadcast:NAME` (tabs of this browser). */
  signaling: string | Room | null = null;

  /** The display name the other peers see. */
  name = '';

  /** Where a remote track that names no stream goes: one shared stream per peer, or one stream each. */
  streamless: StreamlessPolicy = 'shared';

  /** The `RTCConfiguration` of every connection. */
  configuration: RTCConfiguration = {};

  /** Where the room stands. */
  state: CallRoomState = 'idle';

  private room?: Room;
  private joinedWith?: string | Room | null;
  private readonly members = new Map<string, Member>();
  /** Remote streams of all peers, in arrival order. */
  private readonly arrivals: { stream: MediaStream; peerId: string }[] = [];
  private readonly internals = this.attachInternals();
  /** Set while connectedCallback runs (see reportError). */
  private connecting = false;
  /** Set by the page's `leave()` until it joins again or a removal's teardown: a move does not join again. */
  private leftByPage = false;
  /** Set while the page is hidden in the back/forward cache after the element left for it (see onPageHide). */
  private leftForCache = false;
  /** The name the room was last told (see tellName). */
  private toldName?: string | null;
  /** Who the room says is there now, member or not (see the room's `message`). */
  private readonly present = new Map<string, RoomPeer>();

  /**
   * What the elements inside (or naming this one) use to attach themselves.
   * @internal
   */
  readonly connectionHost = new TrackHost(
    () => [...this.members.values()].map((m) => m.session),
    () => this.remoteStreams,
    (stream) => this.members.get(this.arrivals.find((a) => a.stream === stream)?.peerId ?? '')?.peer,
  );

  constructor() {
    super();
    // The first state too: `:state(idle)` matches from the start, as the `state` attribute says.
    addState(this.internals.states, this.state);
    provideConnectionHost(this, this.connectionHost);
    new DisconnectGrace(this, () => {
      this.leave();
      // Inserted again after this, the element joins again, also after the page's leave() or a bad address.
      this.leftByPage = false;
      this.joinedWith = undefined;
    });
  }

  /** This peer's id in the room. */
  get selfId(): string | undefined {
    return this.room?.selfId;
  }

  /** The other peers, with their connections and streams. */
  get peers(): readonly RoomMember[] {
    return [...this.members.values()].map(({ peer, session }) => ({
      peer,
      connection: session.pc,
      state: session.pc.connectionState,
      streams: [...session.remote.streams],
    }));
  }

  /** The remote streams of all peers, in the order they arrived. */
  get remoteStreams(): readonly MediaStream[] {
    return this.arrivals.map((a) => a.stream);
  }

  /**
   * Says goodbye to the room and closes every connection. `join()` (or a new `signaling`, or an insertion after a
   * removal) joins again; a move (out and back in within a task) does not.
   */
  leave(): void {
    this.leftByPage = true;
    this.leftForCache = false;
    this.exit();
    if (this.state === 'joined') this.setState('left');
  }

  /** Out of the room: every call ended, the room left, nothing listened to for it. */
  private exit(): void {
    window.removeEventListener('pagehide', this.onPageHide);
    window.removeEventListener('pageshow', this.onPageShow);
    for (const id of [...this.members.keys()]) this.drop(id, 'leave');
    // A room the page gave is left too: the element joined it, and a room still joined would keep telling the element
    // of peers, each a new connection, after it was removed. One that throws (its join may have thrown too) is told.
    try {
      this.room?.leave();
    } catch (error) {
      this.reportError(error, 'signaling');
    }
    this.room = undefined;
    this.present.clear();
  }

  /**
   * Refused for good by the room (a full room, a wrong token), or it could not be joined: out of it as after a bad
   * address, which a move does not try again (see connectedCallback), with its calls ended at once, as the others end
   * theirs. The state before the error, so that a listener of the error reads the state it leaves.
   */
  private refused(error: unknown): void {
    this.exit();
    this.setState('error');
    this.reportError(error, 'signaling');
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.connecting = true;
    try {
      // A move (out and back in within a task) keeps the room, or stays out of it after leave() or a bad address (a
      // new error at each move, else); an address or name changed while it was out applies now (updates out of the
      // document skip them).
      const badAddress = !this.room && this.state === 'error';
      if (this.signaling !== this.joinedWith || (!this.room && !this.leftByPage && !badAddress)) this.join();
      else this.tellName();
    } finally {
      this.connecting = false;
    }
    announceConnectionHost(this);
  }

  // Before rendering, so the state a join sets is part of this update rather than a second one.
  protected override willUpdate(changed: PropertyValues<this>): void {
    if (!this.isConnected) return;
    // A new address joins anew, also when the element had none before or had left.
    if (changed.has('signaling') && this.signaling !== this.joinedWith) this.join();
    else this.tellName();
    const badStreamless = changed.has('streamless') && streamlessError(this.streamless);
    if (badStreamless) this.reportError(badStreamless, 'attribute');
    if (changed.has('configuration') && changed.get('configuration') !== undefined) {
      for (const { session } of this.members.values())
        try {
          session.pc.setConfiguration(this.configuration);
        } catch (error) {
          this.reportError(error, 'attribute');
        }
    }
  }

  /** Joins the room `signaling` names, leaving the current one first. Joining happens by itself on connection. */
  join(): void {
    this.leave();
    this.leftByPage = false;
    const { signaling } = this;
    this.joinedWith = signaling;
    // Also undefined, as a framework may bind an unset value.
    if (signaling == null || signaling === '') return;
    let room: Room;
    try {
      registerNetworkAdapters();
      room =
        typeof signaling === 'string'
          ? createSignaling(signaling, roomAdapters)
          : signalingObject(signaling, ROOM_METHODS);
    } catch (error) {
      this.setState('error');
      this.reportError(error, 'attribute');
      return;
    }
    this.room = room;
    // Joined before the room is asked, so that a refusal it tells at once is the state that stays.
    this.setState('joined');
    this.toldName = this.name;
    try {
      this.joinRoom(room);
    } catch (error) {
      // A page's own room that throws, or a BroadcastChannel the browser does not give.
      this.refused(error);
      return;
    }
    // Refused at once (while joining), it is out already.
    if (this.room !== room) return;
    // Closing the tab says goodbye at once, so the others remove this peer's tiles without waiting.
    window.addEventListener('pagehide', this.onPageHide);
  }

  private joinRoom(room: Room): void {
    room.join(
      {
        joined: (peer) => {
          this.present.set(peer.id, peer);
          this.meet(room, peer);
        },
        updated: (peer) => {
          this.present.set(peer.id, peer);
          const member = this.members.get(peer.id);
          // One this side has no connection to (it gave up on it, or joined again): met, as the far side meets it.
          if (!member) return this.meet(room, peer);
          // Its new metadata, or itself announced again. Its connection is left as it is (one recovering from a lost
          // path goes on recovering).
          this.stillHere(member, peer);
        },
        left: (peer, reason) => {
          this.present.delete(peer.id);
          this.handleLeft(peer.id, reason);
        },
        message: (from, data) => {
          // One this side let go (its connection failed or was closed, or the room said it was gone) and that calls
          // again: met, so that the call can start again. The room tells the other peers of a change, never the peer
          // itself, so only this way do both sides meet again. Only by what starts a call: an answer or candidate of
          // the call let go would be an error on the new connection.
          const peer = this.present.get(from);
          if (!this.members.has(from) && peer && startsCall(data)) this.meet(room, peer);
          this.members.get(from)?.channel.deliver(data);
        },
        error: (error, final) => {
          if (final && this.room === room) this.refused(error);
          else this.reportError(error, 'signaling');
        },
      },
      this.meta(),
    );
  }

  private meta(): Record<string, unknown> {
    return this.name ? { name: this.name } : {};
  }

  /**
   * Tells the room the name, if it changed since it was told: also one set after the join and before the first
   * update (a framework's binding, set just after insertion), which Lit reports as a change from `undefined`.
   */
  private tellName(): void {
    if (!this.room || this.name === this.toldName) return;
    this.toldName = this.name;
    this.room.setMeta(this.meta());
  }

  /**
   * A member announced again, or with new metadata: back, if the room had said it was gone; a new name is told
   * (`peerupdated`), and the tiles show it.
   */
  private stillHere(member: Member, peer: RoomPeer): void {
    clearTimeout(member.awayTimer);
    member.awayTimer = undefined;
    const renamed = JSON.stringify(peer.meta) !== JSON.stringify(member.peer.meta);
    member.peer = peer;
    this.connectionHost.changed();
    if (renamed) this.emit(new PeerUpdatedEvent(peer));
  }

  /** A peer is there: connect to it, or keep the connection it already has (it came back). */
  private meet(room: Room, peer: RoomPeer): void {
    const known = this.members.get(peer.id);
    if (known && !known.session.closed && known.session.pc.connectionState !== 'failed') {
      this.stillHere(known, peer);
      return;
    }
    if (known) this.drop(peer.id, 'gone');
    const channel = new PeerChannel(room, peer.id);
    this.members.set(peer.id, { peer, channel, session: this.connect(peer, channel) });
    this.emit(new PeerJoinedEvent(peer));
  }

  /** A connection to a peer, over its channel, sending the room's tracks; `handoff` when it replaces one. */
  private connect(peer: RoomPeer, channel: PeerChannel, handoff?: SessionHandoff): PeerSession {
    const session: PeerSession = new PeerSession(
      {
        configuration: this.configuration,
        channel,
        polite: () => channel.polite,
        streamless: () => (this.streamless === 'separate' ? 'separate' : 'shared'),
        handoff,
      },
      {
        track: () => {},
        streamAdded: (stream) => {
          this.arrivals.push({ stream, peerId: peer.id });
          this.streamsChanged(new StreamAddedEvent(stream, this.members.get(peer.id)?.peer ?? peer));
        },
        streamRemoved: (stream) => {
          const at = this.arrivals.findIndex((a) => a.stream === stream && a.peerId === peer.id);
          if (at >= 0) this.arrivals.splice(at, 1);
          this.streamsChanged(new StreamRemovedEvent(stream, this.members.get(peer.id)?.peer ?? peer));
        },
        connectionStateChange: (state) => {
          const member = this.members.get(peer.id);
          // A peer the room reported gone is let go as soon as its media stops too.
          if (member?.awayTimer && state !== 'connected') this.drop(peer.id, 'gone');
        },
        negotiated: () => {},
        error: (error, operation) => this.reportError(error, operation),
        sourceError: (source, error, operation) => (source as AttachedTrack).reportError(error, operation),
        peerLeft: () => {},
        // The peer is let go; should the room announce it again, a new connection is made.
        failed: () => this.drop(peer.id, 'gone'),
        // The page closed this peer's connection itself: let go as one that failed (and met again if it calls again:
        // a room hangs up on a peer only by leaving).
        closedOutside: () => {
          if (this.members.get(peer.id)?.session === session) this.drop(peer.id, 'gone');
        },
        renew: (next) => {
          const member = this.members.get(peer.id);
          if (member?.session === session) member.session = this.connect(member.peer, channel, next);
        },
      },
    );
    this.connectionHost.sendAll(session);
    return session;
  }

  /** The room says a peer left. One that said goodbye goes now; one that vanished goes unless media still flows. */
  private handleLeft(id: string, reason: LeaveReason): void {
    const member = this.members.get(id);
    if (!member) return;
    // As told: Firefox's re-checks on each renegotiation are not a loss of media.
    if (reason === 'leave' || member.session.state !== 'connected') {
      this.drop(id, reason);
      return;
    }
    clearTimeout(member.awayTimer);
    member.awayTimer = setTimeout(() => this.drop(id, 'gone'), AWAY_GRACE_MS);
  }

  private drop(id: string, reason: LeaveReason): void {
    const member = this.members.get(id);
    if (!member || member.dropping) return;
    // Its streams are told removed while it is still a member, with the peer as it is now (its latest name); a
    // listener that leaves the room then does not drop it twice.
    member.dropping = true;
    clearTimeout(member.awayTimer);
    member.session.close();
    if (this.members.get(id) === member) this.members.delete(id);
    member.channel.close();
    this.emit(new PeerLeftEvent(member.peer, reason));
  }

  /** A page kept in the back/forward cache joins again when shown again: the others let it go meanwhile. */
  private readonly onPageHide = (event: PageTransitionEvent): void => {
    this.leave();
    if (!event.persisted) return;
    this.leftForCache = true;
    window.addEventListener('pageshow', this.onPageShow);
  };

  private readonly onPageShow = (event: PageTransitionEvent): void => {
    // Left by the page meanwhile (a framework that unmounts on pagehide), it stays out.
    if (this.leftForCache && event.persisted && this.isConnected) this.join();
  };

  private streamsChanged(event: StreamAddedEvent | StreamRemovedEvent): void {
    this.connectionHost.changed();
    this.emit(event);
  }

  /**
   * Dispatches one of the element's events (all listed under `@fires` above); one place, so that the manifest's
   * analyzer does not take a constructor's argument (`new PeerJoinedEvent(peer)`) for an event named `peer`.
   */
  private emit(event: Event): void {
    this.dispatchEvent(event);
  }

  private reportError(error: unknown, operation: ErrorOperation): void {
    const event = new CallErrorEvent(error, operation);
    // As <peer-connection>'s: told a microtask later when found during an upgrade by customElements.define().
    if (this.connecting) queueMicrotask(() => this.dispatchEvent(event));
    else this.dispatchEvent(event);
  }

  private setState(state: CallRoomState): void {
    swapState(this.internals.states, this.state, state);
    this.state = state;
  }

  override render() {
    return html`<slot></slot>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'call-room': CallRoom;
  }
}

/** Whether a signal starts a call: an offer, or a request for one (`offerWanted`, `renew`). */
function startsCall(data: unknown): boolean {
  if (typeof data !== 'object' || data === null) return false;
  const { description } = data as { description?: { type?: unknown } };
  return 'offerWanted' in data || 'renew' in data || description?.type === 'offer';
}
