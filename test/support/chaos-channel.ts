import type { NegotiationMessage, SignalingChannel, SignalingListener } from '../../src/index.js';
// Seeded (mulberry32), so a failing run can be replayed from its seed.
import { random } from './malformed-messages.js';

/** How often each fault happens to an outgoing message, from 0 to 1. */
export interface Faults {
  drop?: number;
  duplicate?: number;
  /**
   * The message waits and goes out after the next one (or after `maxDelayMs`, if none follows: a delay). One message
   * waits at a time; a message drawn for this while one waits goes out at once, overtaking it, as reordering would.
   */
  reorder?: number;
  /** The message goes out after a random wait of up to `maxDelayMs`. */
  delay?: number;
  maxDelayMs?: number;
}

/** What a chaos channel did, by fault: each message counts once, by what happened to it. */
export interface FaultCounts {
  sent: number;
  dropped: number;
  duplicated: number;
  /** Messages that went out after one sent later. */
  reordered: number;
  /** Messages that went out late with nothing overtaking them (a held one that no other followed, too). */
  delayed: number;
}

/**
 * Wraps any signaling channel and does to its outgoing messages what a bad network does: drops, duplicates,
 * reorders and delays them, each with its own probability, from a seeded generator. `inject` hands a message to the
 * connection as if it came from the far side, for tests that feed it garbage.
 */
export class ChaosChannel implements SignalingChannel {
  readonly counts: FaultCounts = { sent: 0, dropped: 0, duplicated: 0, reordered: 0, delayed: 0 };
  /** One line per outgoing message and what happened to it, to read a failing run. */
  readonly log: string[] = [];
  private readonly started = performance.now();
  private readonly random: () => number;
  private held?: { message: NegotiationMessage; timer: ReturnType<typeof setTimeout> };
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private listener?: SignalingListener;

  constructor(
    private readonly inner: SignalingChannel,
    private readonly faults: Faults = {},
    seed = 1,
  ) {
    this.random = random(seed);
  }

  get polite(): boolean | undefined {
    return this.inner.polite;
  }

  start(listener: SignalingListener): void {
    this.listener = listener;
    this.inner.start(listener);
  }

  inject(message: unknown): void {
    this.listener?.message(message);
  }

  send(message: NegotiationMessage): void {
    this.counts.sent++;
    const { drop = 0, duplicate = 0, reorder = 0, delay = 0, maxDelayMs = 300 } = this.faults;
    const held = this.held;
    // One draw picks at most one fault, so each happens with its own probability.
    const draw = this.random();
    const fault =
      draw < drop
        ? 'dropped'
        : draw < drop + duplicate
          ? 'duplicated'
          : draw < drop + duplicate + reorder
            ? held
              ? 'sent'
              : 'held'
            : draw < drop + duplicate + reorder + delay
              ? 'delayed'
              : 'sent';
    this.log.push(`${Math.round(performance.now() - this.started)} ${describe(message)} ${fault}`);
    if (fault === 'dropped') {
      this.counts.dropped++;
    } else if (fault === 'duplicated') {
      this.counts.duplicated++;
      this.inner.send(message);
      this.later(message, this.random() * maxDelayMs);
    } else if (fault === 'held') {
      const timer = setTimeout(() => this.release(false), maxDelayMs);
      this.held = { message, timer };
      return;
    } else if (fault === 'delayed') {
      this.counts.delayed++;
      this.later(message, this.random() * maxDelayMs);
    } else {
      this.inner.send(message);
    }
    // A held message goes out now: after the one that overtook it, or next in line if this one was dropped or delayed.
    if (held) this.release(fault === 'sent' || fault === 'duplicated');
  }

  close(): void {
    if (this.held) clearTimeout(this.held.timer);
    this.held = undefined;
    for (const timer of this.timers) clearTimeout(timer);
    this.inner.close();
  }

  /** Sends the held message: `overtaken` by one sent after it, or let go when none followed in time. */
  private release(overtaken: boolean): void {
    if (!this.held) return;
    if (overtaken) this.counts.reordered++;
    else this.counts.delayed++;
    clearTimeout(this.held.timer);
    const { message } = this.held;
    this.held = undefined;
    this.inner.send(message);
  }

  private later(message: NegotiationMessage, ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.inner.send(message);
    }, ms);
    this.timers.add(timer);
  }
}

/** A message in a few words: its kind, and for a description its type and `o=` version. */
function describe(message: NegotiationMessage): string {
  if ('description' in message) {
    const version = /^o=\S* \d+ (\d+)/m.exec(message.description.sdp ?? '')?.[1];
    return `${message.description.type} v${version}`;
  }
  if ('renew' in message) return `renew ${message.renew}`;
  return 'candidate' in message ? 'candidate' : `offerWanted ${JSON.stringify(message.offerWanted)}`;
}
