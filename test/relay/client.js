// @ts-check
/** A test client of the relay: connects, collects every message, and waits for the ones a test expects. */
import { WebSocket } from 'ws';

export class TestClient {
  /**
   * @param {string} url relay URL with query
   * @param {import('ws').ClientOptions} [options]
   */
  constructor(url, options) {
    this.socket = new WebSocket(url, options);
    /** @type {any[]} */
    this.messages = [];
    /** @type {{ code: number, reason: string } | undefined} */
    this.closed = undefined;
    /** @type {Set<() => void>} */
    this.waiters = new Set();
    this.socket.on('message', (data) => {
      this.messages.push(JSON.parse(data.toString()));
      this.wake();
    });
    this.socket.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
    this.socket.on('error', () => {});
  }

  wake() {
    for (const waiter of this.waiters) waiter();
  }

  /**
   * Resolves with the first message matching `predicate` (including ones already received).
   * @param {(message: any) => boolean} predicate
   * @param {string} what
   */
  next(predicate, what, timeout = 5000) {
    return this.until(() => this.messages.find(predicate), what, timeout);
  }

  /** Resolves once the socket is closed. */
  closing(timeout = 5000) {
    return this.until(() => this.closed, 'the socket to close', timeout);
  }

  /**
   * @template T
   * @param {() => T | undefined} probe
   * @param {string} what
   * @returns {Promise<T>}
   */
  until(probe, what, timeout = 5000) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = probe();
        if (found === undefined) return;
        cleanup();
        resolve(found);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}`));
      }, timeout);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  async welcomed() {
    return this.next((m) => m.type === 'welcome', 'welcome');
  }

  /** @param {object | string} message */
  send(message) {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  close() {
    this.socket.close();
  }
}

/** Resolves once `done` holds, looked at every 10 ms; fails naming `what` after `timeout`. */
export async function until(/** @type {() => boolean} */ done, /** @type {string} */ what, timeout = 5000) {
  const deadline = Date.now() + timeout;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
