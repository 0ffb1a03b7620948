/**
 * The kit's events. Each is a class with typed readonly fields, and the kit's own names are in
 * `GlobalEventHandlersEventMap`, so `addEventListener('streamadded', …)` types its listener's event with no cast.
 * `error` is the exception: the DOM's map types it as `ErrorEvent`, so a listener narrows it to read `operation`
 * (`event instanceof CallErrorEvent`, or `event as CallErrorEvent`).
 * Events bubble and cross shadow roots, except `error`: like the native `error` of `<img>` or `<video>`
 * it stays on its element, because an `error` reaching `window` is reported as an uncaught exception
 * by `window.onerror` handlers (test runners, error trackers).
 */

import type { LeaveReason, RoomPeer } from './signaling/room.js';

// Each `eventName` is a static getter, not a static field: with `useDefineForClassFields: false` a static field
// compiles to a static block, which a bundler must keep, so an event class a page never uses could not be dropped.
const crossing: EventInit = { bubbles: true, composed: true };
/** The longest `message` of an error event, in characters. */
const MAX_MESSAGE = 300;

/**
 * The page's `ErrorEvent`, or where there is none (Node, which has `Event`), `Event`: importing the kit on a server
 * must not throw, and no error event is made there. Named as the global it stands for, so that the manifest shows it.
 */
const ErrorEvent: typeof globalThis.ErrorEvent =
  globalThis.ErrorEvent ?? (Event as unknown as typeof globalThis.ErrorEvent);

/** What failed, on a {@link CallErrorEvent}. */
export type ErrorOperation =
  | 'attribute'
  | 'signaling'
  | 'negotiation'
  | 'ice-candidate'
  | 'connection'
  | 'add-track'
  | 'remove-track'
  | 'replace-track'
  | 'acquire'
  | 'play'
  | 'sink';

/**
 * A failure that the element survived: the call goes on. An `ErrorEvent`, so `message` is readable as is.
 */
export class CallErrorEvent extends ErrorEvent {
  static get eventName(): 'error' {
    return 'error';
  }
  /** What the element was doing when it failed. */
  readonly operation: ErrorOperation;

  constructor(error: unknown, operation: ErrorOperation) {
    const full = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    // Browsers quote the offending input, which may be a megabyte of SDP; `error` keeps all of it.
    const message = full.length > MAX_MESSAGE ? `${full.slice(0, MAX_MESSAGE)}…` : full;
    // Neither bubbles nor composed (the defaults): it stays on its element, as said above.
    super(CallErrorEvent.eventName, { error, message });
    this.operation = operation;
  }
}

/** A remote stream has been assembled and joined `remoteStreams`. */
export class StreamAddedEvent extends Event {
  static get eventName(): 'streamadded' {
    return 'streamadded';
  }
  constructor(
    readonly stream: MediaStream,
    /** The room peer it comes from (on a `<call-room>`). */
    readonly peer?: RoomPeer,
  ) {
    super(StreamAddedEvent.eventName, crossing);
  }
}

/** A remote stream lost its last track (or the call ended) and left `remoteStreams`. */
export class StreamRemovedEvent extends Event {
  static get eventName(): 'streamremoved' {
    return 'streamremoved';
  }
  constructor(
    readonly stream: MediaStream,
    /** The room peer it came from (on a `<call-room>`). */
    readonly peer?: RoomPeer,
  ) {
    super(StreamRemovedEvent.eventName, crossing);
  }
}

/** The connection's `connectionState` changed; the native event carries no state, this one does. */
export class ConnectionStateChangeEvent extends Event {
  static get eventName(): 'connectionstatechange' {
    return 'connectionstatechange';
  }
  constructor(readonly state: RTCPeerConnectionState) {
    super(ConnectionStateChangeEvent.eventName, crossing);
  }
}

/** An offer/answer exchange completed and signaling is `stable` again. */
export class NegotiatedEvent extends Event {
  static get eventName(): 'negotiated' {
    return 'negotiated';
  }
  constructor(
    /** Whether this side made the offer. */
    readonly offered: boolean,
  ) {
    super(NegotiatedEvent.eventName, crossing);
  }
}

/** A `<local-track>` now sends another track, or none (`track` is `null`). */
export class TrackChangeEvent extends Event {
  static get eventName(): 'trackchange' {
    return 'trackchange';
  }
  constructor(readonly track: MediaStreamTrack | null) {
    super(TrackChangeEvent.eventName, crossing);
  }
}

/** A peer joined the room; a connection to it is being made. */
export class PeerJoinedEvent extends Event {
  static get eventName(): 'peerjoined' {
    return 'peerjoined';
  }
  constructor(readonly peer: RoomPeer) {
    super(PeerJoinedEvent.eventName, crossing);
  }
}

/** A peer of the room changed its metadata (a new display name); `peer` is as it is now. */
export class PeerUpdatedEvent extends Event {
  static get eventName(): 'peerupdated' {
    return 'peerupdated';
  }
  constructor(readonly peer: RoomPeer) {
    super(PeerUpdatedEvent.eventName, crossing);
  }
}

/** A peer left the room (`leave`: said goodbye; `gone`: vanished); its connection is closed. */
export class PeerLeftEvent extends Event {
  static get eventName(): 'peerleft' {
    return 'peerleft';
  }
  constructor(
    readonly peer: RoomPeer,
    readonly reason: LeaveReason,
  ) {
    super(PeerLeftEvent.eventName, crossing);
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    connectionstatechange: ConnectionStateChangeEvent;
    track: RTCTrackEvent;
    streamadded: StreamAddedEvent;
    streamremoved: StreamRemovedEvent;
    negotiated: NegotiatedEvent;
    trackchange: TrackChangeEvent;
    peerjoined: PeerJoinedEvent;
    peerleft: PeerLeftEvent;
    peerupdated: PeerUpdatedEvent;
  }
}
