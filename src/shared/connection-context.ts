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

/**
 * The key of the connection in requests of the Web Components Community Group's context protocol (`context-request`
 * events): requests for other keys pass through the kit's elements, and the kit's pass through other providers.
 */
// From the global registry: a second copy of the kit on the page (a bundle of its own) asks and answers with the same key.
export const connectionContext = Symbol.for('webrtc-elements:connection');

/** What the protocol's `context-request` event carries (the kit only asks for, and answers, `connectionContext`). */
interface ContextRequest extends Event {
  readonly context: unknown;
  readonly contextTarget?: Element;
  readonly callback: (value: ConnectionHost) => void;
}

/**
 * Asks the nearest connection element around `element` for its host. The protocol's providers answer synchronously,
 * so `undefined` means none is there. A host never changes for its element's life, so there is nothing to subscribe
 * to: the protocol's subscriptions (and `@lit/context`, 1 kB gzipped) would only add weight. A connection element
 * upgraded later says so with `HOST_READY_EVENT`, and the elements ask again (see ConnectionLink).
 */
export function requestConnectionHost(element: Element): ConnectionHost | undefined {
  let host: ConnectionHost | undefined;
  const request = Object.assign(new Event('context-request', { bubbles: true, composed: true }), {
    context: connectionContext,
    contextTarget: element,
    callback: (value: ConnectionHost) => (host = value),
    subscribe: false,
  });
  element.dispatchEvent(request);
  return host;
}

/**
 * Makes `element` answer requests for `connectionContext` from the elements inside it with `host`, and tell its root
 * when its `id` changes: elements naming it with `for` then find it, and those naming its old id let it go.
 */
export function provideConnectionHost(element: Element, host: ConnectionHost): void {
  new MutationObserver(() => {
    if (element.isConnected) announceConnectionHost(element);
  }).observe(element, { attributes: true, attributeFilter: ['id'] });
  element.addEventListener('context-request', (event) => {
    const request = event as ContextRequest;
    if (request.context !== connectionContext || request.contextTarget === element) return;
    // The nearest connection answers; those further out must not.
    event.stopPropagation();
    request.callback(host);
  });
}

/**
 * Fired on a connection element's root when it connects or its `id` changes, so elements that came first find it:
 * those naming it with `for="id"`, and those inside it when it is registered after them.
 */
export const HOST_READY_EVENT = 'peer-connection-ready';

/**
 * Fires `HOST_READY_EVENT` for a connection element, on its root and on each root around that one: a wrapper (a
 * design system's `<my-call>`) may render the connection element in its shadow root around a slot, and the page's
 * elements slotted in from outside, connected before that render, listen on their own root.
 */
export function announceConnectionHost(element: Element): void {
  for (let root = element.getRootNode(); ; root = (root as ShadowRoot).host.getRootNode()) {
    root.dispatchEvent(new Event(HOST_READY_EVENT));
    if (!(root instanceof ShadowRoot)) return;
  }
}

/** The host of the element with this id in the same root, if that element is an upgraded connection element. */
export function hostById(root: Node, id: string): ConnectionHost | undefined {
  const target = (root as Document | ShadowRoot).getElementById?.(id);
  return (target as { connectionHost?: ConnectionHost } | null)?.connectionHost;
}
