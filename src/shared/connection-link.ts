import type { ReactiveController, ReactiveControllerHost } from 'lit';
import {
  hostById,
  HOST_READY_EVENT,
  requestConnectionHost,
  type ConnectionHost,
} from './connection-context.js';

/** An element with a `for` property (reflected to its attribute at its next update, so read the property). */
type LinkedElement = ReactiveControllerHost & HTMLElement & { readonly htmlFor: string | null };

/**
 * Finds the `<peer-connection>` an element belongs to: the one named by its `for` property, else the nearest one
 * around it (through context). It looks again each time the element is connected, after an update that changed
 * `for`, and when a connection element connects in the same root; unlinking on removal is left to the element
 * (`release`): at once for a `<local-track>`, after the {@link DisconnectGrace} for the others.
 */
export class ConnectionLink implements ReactiveController {
  /** The linked connection's host, if any. */
  current?: ConnectionHost;
  /** The root listened to for connection elements that connect later (see resolve). */
  #readyRoot?: Node;
  /** The `for` of the last look-up. */
  #lookedFor?: string | null;

  readonly #element: LinkedElement;
  readonly #onChange: (next: ConnectionHost | undefined, previous: ConnectionHost | undefined) => void;

  constructor(
    element: LinkedElement,
    onChange: (next: ConnectionHost | undefined, previous: ConnectionHost | undefined) => void,
  ) {
    this.#element = element;
    this.#onChange = onChange;
    element.addController(this);
  }

  hostConnected(): void {
    this.#resolve();
  }

  hostDisconnected(): void {
    this.#stopListening();
  }

  hostUpdated(): void {
    if (this.#element.htmlFor !== this.#lookedFor) this.#resolve();
  }

  /**
   * Looks the connection up again (on connect, or when `for` changed). A connection element that connects later in
   * the same root may be the one: the one named by `for`, added or upgraded after this element, or one around it that
   * is upgraded after it (a page that registers the elements in another order than the kit's define module).
   */
  #resolve(): void {
    this.#stopListening();
    if (!this.#element.isConnected) return;
    const id = this.#element.htmlFor;
    this.#lookedFor = id;
    const root = this.#element.getRootNode();
    this.#readyRoot = root;
    root.addEventListener(HOST_READY_EVENT, this.#onHostReady);
    this.#set(id ? hostById(root, id) : requestConnectionHost(this.#element));
  }

  /** Leaves the connection (the element is gone for good). */
  release(): void {
    this.#stopListening();
    this.#set(undefined);
  }

  #set(next: ConnectionHost | undefined): void {
    const previous = this.current;
    if (next === previous) return;
    this.current = next;
    this.#onChange(next, previous);
  }

  #stopListening(): void {
    this.#readyRoot?.removeEventListener(HOST_READY_EVENT, this.#onHostReady);
    this.#readyRoot = undefined;
  }

  readonly #onHostReady = (): void => this.#resolve();
}
