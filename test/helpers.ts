import { fixture, html } from '@open-wc/testing';
import type { TemplateResult } from 'lit';
import '../src/define.js';
import type { NegotiationMessage, PeerConnection } from '../src/index.js';

let counter = 0;
/** A loopback name no other test uses. */
export const uniqueName = (): string => `test-${Date.now()}-${counter++}`;

/** The tracks tests captured with `capture`, stopped after each test (see below). */
const captured: MediaStreamTrack[] = [];

/**
 * `getUserMedia` for a test: every track it gives is stopped after the test, whether it passed or failed, so a failing
 * test leaves no camera running into the tests after it. Stopping a track twice is harmless, so tests that stop their
 * tracks themselves (to end them on purpose) may still do so.
 */
export async function capture(constraints: MediaStreamConstraints): Promise<MediaStream> {
  const stream = await navigator.mediaDevices.getUserMedia(constraints);
  captured.push(...stream.getTracks());
  return stream;
}

afterEach(() => {
  for (const track of captured.splice(0)) track.stop();
});

/** How many times each value occurs, as a plain object for comparing. */
export function tally(values: Iterable<string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

/** Counts as text, for a summary line: `a 1, b 2` (empty for none). */
export function list(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([key, n]) => `${key} ${n}`)
    .join(', ');
}

/** Resolves once `predicate` holds; fails with `what` if it does not within `timeout` ms. */
export async function until(predicate: () => boolean, what: string, timeout = 10000): Promise<void> {
  const deadline = performance.now() + timeout;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The next event of this type on `target`; fails with a message if none comes within `timeout` ms. */
export function nextEvent<E extends Event = Event>(
  target: EventTarget,
  type: string,
  timeout = 10000,
): Promise<E> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${type}" event within ${timeout} ms`)), timeout);
    target.addEventListener(
      type,
      (event) => {
        clearTimeout(timer);
        resolve(event as E);
      },
      { once: true },
    );
  });
}

/**
 * Resolves when the connection of `pc` next has a local offer, however the offer started: the kit offers at once after
 * its own changes, so the browser's `negotiationneeded` may never fire for them.
 */
export function nextOffer(pc: PeerConnection, timeout = 10000): Promise<void> {
  const connection = pc.connection!;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no offer within ${timeout} ms`)), timeout);
    connection.addEventListener('signalingstatechange', function offered() {
      if (connection.signalingState !== 'have-local-offer') return;
      clearTimeout(timer);
      connection.removeEventListener('signalingstatechange', offered);
      resolve();
    });
  });
}

/** Every event of these types on `target`, collected as they come. */
export function record<E extends Event = Event>(target: EventTarget, ...types: string[]): E[] {
  const seen: E[] = [];
  for (const type of types) target.addEventListener(type, (event) => seen.push(event as E));
  return seen;
}

/**
 * Waits until the stream's video shows a decoded frame in a real `<video>` element. Headless Chromium now and then
 * never starts a new player for a remote stream (it stays at HAVE_NOTHING while the track is live and frames are
 * decoded); a fresh element then plays at once, so each try gets its own element.
 */
export async function decodedFrame(stream: MediaStream, timeout = 10000): Promise<void> {
  const tries = 3;
  for (let attempt = 1; ; attempt++) {
    const video = document.createElement('video');
    video.muted = true;
    video.playsInline = true;
    video.srcObject = stream;
    // In view: Chrome pauses muted videos that play without a gesture while they are off screen.
    video.style.cssText = 'position: fixed; inset: 0 auto auto 0; width: 160px; height: 120px';
    document.body.append(video);
    try {
      // play() settles only when playback starts; the wait below has the deadline.
      video.play().catch(() => {});
      await until(
        () => video.videoWidth > 0 && video.currentTime > 0,
        'a decoded video frame',
        timeout / tries,
      );
      return;
    } catch (error) {
      if (attempt === tries) throw error;
    } finally {
      video.srcObject = null;
      video.remove();
    }
  }
}

/** Waits until the receiver of `track` on `connection` decodes `frames` more video frames. */
export async function framesDecoded(
  connection: RTCPeerConnection,
  track: MediaStreamTrack,
  frames = 5,
): Promise<void> {
  const receiver = connection.getReceivers().find((r) => r.track === track);
  if (!receiver) throw new Error('no receiver for that track');
  const count = async (): Promise<number> => {
    let decoded = 0;
    (await receiver.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp') decoded = s.framesDecoded ?? 0;
    });
    return decoded;
  };
  const start = await count();
  let now = start;
  const deadline = performance.now() + 10000;
  while (now < start + frames) {
    if (performance.now() > deadline) throw new Error(`only ${now - start} frames decoded in 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    now = await count();
  }
}

/** Renders two connections that call each other over a fresh loopback name. */
export async function callPair(
  left: (name: string) => TemplateResult,
  right: (name: string) => TemplateResult,
): Promise<[PeerConnection, PeerConnection]> {
  const name = uniqueName();
  const root = await fixture<HTMLElement>(html`<div>${left(name)}${right(name)}</div>`);
  const [a, b] = root.querySelectorAll('peer-connection');
  return [a, b];
}

/** A call whose first side sends its camera and microphone in one stream to a second side that sends nothing. */
export const liveCall = (): Promise<PeerConnection[]> =>
  callPair(
    (name) =>
      html`<peer-connection signaling="loopback:${name}">
        <local-track kind="video" stream="cam"></local-track>
        <local-track kind="audio" stream="cam"></local-track>
      </peer-connection>`,
    (name) => html`<peer-connection signaling="loopback:${name}"></peer-connection>`,
  );

/** Counts the m-lines of a session description. */
export const mLines = (description: RTCSessionDescription | null): number =>
  (description?.sdp.match(/^m=/gm) ?? []).length;

/** Whether the connection is settled: stable signaling and nothing left to negotiate soon. */
export async function settled(...connections: PeerConnection[]): Promise<void> {
  await until(
    () => connections.every((pc) => pc.signalingState === 'stable'),
    'stable signaling on both sides',
  );
}

/** The kinds of the live tracks of each remote stream, e.g. `audio+video,video`: what a connection receives. */
export const receivedKinds = (pc: PeerConnection): string =>
  pc.remoteStreams
    .map((stream) =>
      stream
        .getTracks()
        .filter((track) => track.readyState === 'live')
        .map((track) => track.kind)
        .sort()
        .join('+'),
    )
    .sort()
    .join(',');

/**
 * Runs `body` with every getUserMedia request of the page listed in `asked`; the browser's own capture still answers
 * each one.
 */
export async function withCapturesCounted(
  body: (asked: MediaStreamConstraints[]) => Promise<void>,
): Promise<void> {
  const media = navigator.mediaDevices;
  const getUserMedia = media.getUserMedia;
  const asked: MediaStreamConstraints[] = [];
  media.getUserMedia = (constraints) => {
    asked.push(constraints!);
    return getUserMedia.call(media, constraints);
  };
  try {
    await body(asked);
  } finally {
    delete (media as Partial<MediaDevices>).getUserMedia;
  }
}

/** Runs `body` with each RTCPeerConnection the page makes noted in `log` (as `connection`); the browser still makes it. */
export async function withConnectionsLogged(log: string[], body: () => Promise<void>): Promise<void> {
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(configuration?: RTCConfiguration) {
      super(configuration);
      log.push('connection');
    }
  };
  try {
    await body();
  } finally {
    window.RTCPeerConnection = Native;
  }
}

/**
 * A tap for a test channel (see `sent` of tappedLoopback) that loses every ICE candidate for the first `ms` after the
 * first message, as a network that has no path yet would: candidate messages are lost, and descriptions lose the
 * `a=candidate` lines a description made after gathering lists. One tap serves both sides, so both lose the same time.
 */
export function candidatesLostAtFirst(ms: number): {
  lost: number;
  sent(message: NegotiationMessage): unknown;
} {
  let since: number | undefined;
  return {
    lost: 0,
    sent(message) {
      since ??= performance.now();
      if (performance.now() - since >= ms) return undefined;
      if ('candidate' in message) {
        this.lost++;
        return null;
      }
      if ('description' in message) {
        const { type, sdp } = message.description;
        return { description: { type, sdp: sdp?.replace(/^a=candidate:.*\r\n/gm, '') } };
      }
      return undefined;
    },
  };
}
