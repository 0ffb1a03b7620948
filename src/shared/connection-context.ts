import { createContext } from '@lit/context';
import type { TrackSource } from '../senders/sender-reconciler.js';
import type { ErrorOperation } from '../events.js';
import type { RoomPeer } from '../signaling/room.js';

/** A `<local-track>` as the connection sees it: what to send, and where to report a failure to send it. */
export interface AttachedTrack extends TrackSource {
  /** Whether a capture for it is under way (its connection holds other new tracks back for it, briefly). */
  readonly capturing: boolean;
  reportError(error: unknown, operation: ErrorOperation): void;
}

/**
 * What a `<peer-connection>` or `<call-room>` offers the elements inside it (through context) or naming it
 * (`for="id"`).
 * One stable object for the element's life: it outlives the `RTCPeerConnection`s the element makes.
 */
export interface ConnectionHost {
  /** Starts sending the track's `track` (when it has one), now and on every later connection. */
  attach(track: AttachedTrack): void;
  /** Its track, streams or capture changed. */
  update(track: AttachedTrack): void;
  /** Stops sending it; resolves once each connection that sent it completed its next exchange (see PeerSession). */
  detach(track: AttachedTrack): Promise<void>;
  /** The remote streams, in arrival order. */
  streams(): readonly MediaStream[];
  /** Calls `listener` whenever the streams (or what is known of their peers) change; returns the function that stops it. */
  observeStreams(listener: () => void): () => void;
  /** The room peer a remote stream comes from, where there are peers. */
  peerOf(stream: MediaStream): RoomPeer | undefined;
}

export const connectionContext = createContext<ConnectionHost>(Symbol('peer-connection'));

/** Fired on a connection element's root when it connects, so `for="id"` children that came first find it. */
export const HOST_READY_EVENT = 'peer-connection-ready';

/** The host of the element with this id in the same root, if that element is an upgraded connection element. */
export function hostById(root: Node, id: string): ConnectionHost | undefined {
  const target = (root as Document | ShadowRoot).getElementById?.(id);
  return (target as { connectionHost?: ConnectionHost } | null)?.connectionHost;
}
