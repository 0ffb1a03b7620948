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
 * around it (through context). It looks again each time the element is connected, and after an update that changed
 * `for`; unlinking on removal is left to the element (`release`): at once for a `<local-track>`, after the
 * {@link DisconnectGrace} for the others.
 */
export class ConnectionLink implements ReactiveController {
  /** The linked connection's host, if any. */
  current?: ConnectionHost;
  #waitingRoot?: Node;
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

  /** Looks the connection up again (on connect, or when `for` changed). */
  #resolve(): void {
    this.#stopListening();
    if (!this.#element.isConnected) return;
    const id = this.#element.htmlFor;
    this.#lookedFor = id;
    if (id) {
      const root = this.#element.getRootNode();
      const host = hostById(root, id);
      // The named connection may come later in the document, or be added later.
      if (!host) this.#waitFor(root);
      this.#set(host);
      return;
    }
    this.#set(requestConnectionHost(this.#element));
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

  #waitFor(root: Node): void {
    this.#waitingRoot = root;
    root.addEventListener(HOST_READY_EVENT, this.#onHostReady);
  }

  #stopListening(): void {
    this.#waitingRoot?.removeEventListener(HOST_READY_EVENT, this.#onHostReady);
    this.#waitingRoot = undefined;
  }

  readonly #onHostReady = (): void => this.#resolve();
}
