import type { ReactiveController, ReactiveControllerHost } from 'lit';

/**
 * Runs `teardown` when the element has been out of the document for a whole task. A move (removed and
 * inserted again in the same task, as frameworks do when they reorder a list) therefore never ends a call
 * or stops a camera.
 */
export class DisconnectGrace implements ReactiveController {
  #timer?: ReturnType<typeof setTimeout>;

  readonly #element: ReactiveControllerHost & Element;
  readonly #teardown: () => void;

  constructor(element: ReactiveControllerHost & Element, teardown: () => void) {
    this.#element = element;
    this.#teardown = teardown;
    element.addController(this);
  }

  hostConnected(): void {
    clearTimeout(this.#timer);
  }

  hostDisconnected(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      if (!this.#element.isConnected) this.#teardown();
    });
  }
}
