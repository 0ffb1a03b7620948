/**
 * In-page helpers shared by both arms of every scenario: elements, waits with deadlines, the moment a video shows
 * its first decoded frame, a hand-written two-connection call, and a recorder of connections and captured tracks.
 */
import { CallErrorEvent } from '../src/index.js';

/** How long any one wait may take before the round fails (`?timeout=` in the page address). */
const TIMEOUT = Number(new URLSearchParams(location.search).get('timeout') ?? 20000);

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Lets a removed element's teardown run (the kit tears down one task after removal) and the browser settle. Where
 * the page may collect garbage (Chromium here), it does so now: what one round left is then not collected during the
 * next, which is of the other arm.
 */
export async function settle(): Promise<void> {
  await sleep(0);
  await sleep(0);
  (globalThis as { gc?: () => void }).gc?.();
  await sleep(100);
}

let names = 0;
/** A loopback name no other round uses. */
export const uniqueName = (): string => `bench-${Date.now()}-${names++}`;

/** Where every round puts its elements: in view (see index.html). */
export const stage = (): HTMLElement => document.getElementById('stage')!;

/** An element with attributes and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: Node[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

/** `promise`, or a readable failure naming what did not happen within the deadline. */
export function within<T>(promise: Promise<T>, what: string, ms = TIMEOUT): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Resolves once `predicate` holds (checked every 10 ms); fails naming `what` after the deadline. */
export function until(predicate: () => boolean, what: string): Promise<void> {
  return within(
    new Promise<void>((resolve) => {
      const check = (): void => {
        if (predicate()) resolve();
        else setTimeout(check, 10);
      };
      check();
    }),
    what,
  );
}

/** Whether the browser has video frame callbacks; both arms use the same method either way. */
export const frameMethod =
  'requestVideoFrameCallback' in HTMLVideoElement.prototype
    ? 'requestVideoFrameCallback'
    : 'videoWidth polled per animation frame';

/** The time at which `video` presents its first decoded frame. Start watching before the video can have one. */
export function firstFrame(video: HTMLVideoElement): Promise<number> {
  return new Promise((resolve) => {
    if (frameMethod === 'requestVideoFrameCallback') {
      video.requestVideoFrameCallback(() => resolve(performance.now()));
      return;
    }
    const poll = (): void => {
      if (video.videoWidth > 0) resolve(performance.now());
      else requestAnimationFrame(poll);
    };
    poll();
  });
}

/**
 * The time of the first frame presented by any `<video>` that a `<remote-stream>` renders in its shadow root: the one
 * it renders from the start, or any inserted later, which a mutation observer sees before it can have a frame. Call
 * this once the element is in the document (it then has its root).
 */
export function remoteStreamFrame(element: HTMLElement): Promise<number> {
  const root = element.shadowRoot;
  if (!root) throw new Error(`<${element.localName}> has no shadow root yet: is it in the document?`);
  return new Promise((resolve) => {
    const watched = new Set<HTMLVideoElement>();
    const observer = new MutationObserver(() => look());
    const look = (): void => {
      for (const video of root.querySelectorAll('video')) {
        if (watched.has(video)) continue;
        watched.add(video);
        void firstFrame(video).then((time) => {
          observer.disconnect();
          resolve(time);
        });
      }
    };
    observer.observe(root, { childList: true, subtree: true });
    look();
  });
}

/** The time at which `stream` no longer holds `track` (its `removetrack` event, or a 5 ms look if none comes). */
export function trackLeaves(stream: MediaStream, track: MediaStreamTrack): Promise<number> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (stream.getTracks().includes(track)) return;
      stream.removeEventListener('removetrack', check);
      clearInterval(timer);
      resolve(performance.now());
    };
    const timer = setInterval(check, 5);
    stream.addEventListener('removetrack', check);
    check();
  });
}

/** What a scenario may ask of the round that runs it. */
export interface Round {
  /** Runs `cleanup` when the round ends, however it ends (last deferred, first run). */
  defer(cleanup: () => void): void;
  /** Ends the round with this error. */
  fail(error: unknown): void;
}

/**
 * Runs one round of a scenario: fails it on the kit's first `error` event (they do not bubble, but a capturing
 * listener on the stage sees them) or the plain code's first failure; then ends everything the round started and
 * empties the stage, and waits for teardown to finish, so rounds never overlap.
 */
export async function runRound<T>(what: string, scenario: (round: Round) => Promise<T>): Promise<T> {
  const cleanups: (() => void)[] = [];
  let fail!: (error: unknown) => void;
  const failed = new Promise<never>((_, reject) => {
    fail = (error) => reject(error instanceof Error ? error : new Error(String(error)));
  });
  const onKitError = (event: Event): void => {
    if (event instanceof CallErrorEvent)
      fail(new Error(`the kit reported an error (${event.operation}): ${event.message}`));
  };
  stage().addEventListener('error', onKitError, true);
  try {
    return await Promise.race([scenario({ defer: (cleanup) => cleanups.push(cleanup), fail }), failed]);
  } catch (error) {
    throw new Error(`${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  } finally {
    stage().removeEventListener('error', onKitError, true);
    for (const cleanup of cleanups.reverse()) cleanup();
    stage().replaceChildren();
    await settle();
  }
}

/** A small muted autoplaying `<video>` on the stage for the plain arm; emptied when the round ends. */
export function plainVideo(round: Round): HTMLVideoElement {
  const video = h('video', { autoplay: '', playsinline: '' });
  video.muted = true;
  stage().append(video);
  round.defer(() => (video.srcObject = null));
  return video;
}

/** Plays `stream` in the first of `videos` that plays nothing yet, unless one already plays it. */
export function showIn(videos: HTMLVideoElement[], stream: MediaStream): void {
  if (videos.some((video) => video.srcObject === stream)) return;
  const free = videos.find((video) => !video.srcObject);
  if (free) free.srcObject = stream;
}

/** Camera and/or microphone, stopped when the round ends. */
export async function capture(round: Round, constraints: MediaStreamConstraints): Promise<MediaStream> {
  const stream = await navigator.mediaDevices.getUserMedia(constraints);
  round.defer(() => stream.getTracks().forEach((track) => track.stop()));
  return stream;
}

export interface PlainCall {
  readonly a: RTCPeerConnection;
  readonly b: RTCPeerConnection;
  /** The end of the next offer/answer exchange. */
  negotiated(): Promise<void>;
}

/**
 * Two `RTCPeerConnection`s in one page, written the usual way: `a` (the caller) offers whenever its tracks change
 * and `b` answers; `b` adds the tracks of `answerWith` when an offer comes in, so its answer carries them (a callee
 * picks up with its camera). Descriptions and candidates are handed straight to the other side, each a microtask
 * later, as the kit's loopback channel delivers its messages. Only `a` changes tracks mid-call, so no glare.
 */
export function plainCall(round: Round, answerWith?: MediaStream): PlainCall {
  const a = new RTCPeerConnection();
  const b = new RTCPeerConnection();
  round.defer(() => {
    a.close();
    b.close();
  });
  const hop = (): Promise<void> => new Promise((resolve) => queueMicrotask(resolve));
  // A failure after the round closed the connections is the round's own teardown, not the code's.
  const fail = (error: unknown): void => {
    if (a.signalingState !== 'closed' && b.signalingState !== 'closed') round.fail(error);
  };
  a.onicecandidate = ({ candidate }) => {
    if (candidate) void hop().then(() => b.addIceCandidate(candidate).catch(fail));
  };
  b.onicecandidate = ({ candidate }) => {
    if (candidate) void hop().then(() => a.addIceCandidate(candidate).catch(fail));
  };
  const exchanges = new EventTarget();
  a.onnegotiationneeded = async () => {
    try {
      await a.setLocalDescription();
      await hop();
      await b.setRemoteDescription(a.localDescription!);
      for (const track of answerWith?.getTracks() ?? []) {
        if (!b.getSenders().some((sender) => sender.track === track)) b.addTrack(track, answerWith!);
      }
      await b.setLocalDescription();
      await hop();
      await a.setRemoteDescription(b.localDescription!);
      exchanges.dispatchEvent(new Event('negotiated'));
    } catch (error) {
      fail(error);
    }
  };
  return {
    a,
    b,
    negotiated: () =>
      new Promise((resolve) => exchanges.addEventListener('negotiated', () => resolve(), { once: true })),
  };
}

/** Counts the m-lines of a session description. */
export const mLines = (description: RTCSessionDescription | null | undefined): number =>
  (description?.sdp.match(/^m=/gm) ?? []).length;

/**
 * A transparent recorder of every `RTCPeerConnection` made and every track `getUserMedia` captured in this page,
 * by the kit or by plain code. It holds them weakly, so it hides no leak: what is left is what the page keeps. One
 * garbage-collected before it was closed or ended counts as left too (see collectedOpen): held weakly, it would
 * otherwise drop out of the count as if it had been let go.
 */
const connections = new Set<WeakRef<RTCPeerConnection>>();
const tracks = new Set<WeakRef<MediaStreamTrack>>();
type Kind = 'connections' | 'tracks';
/** Set once a recorded connection is closed, or a recorded track stopped or ended. */
const endings = new WeakMap<object, { ended: boolean }>();
/** Recorded connections and tracks collected before they were closed or ended. */
const collectedOpen: Record<Kind, number> = { connections: 0, tracks: 0 };
const collection = new FinalizationRegistry<{ kind: Kind; ending: { ended: boolean } }>(
  ({ kind, ending }) => {
    if (!ending.ended) collectedOpen[kind]++;
  },
);

function record(target: RTCPeerConnection | MediaStreamTrack): { ended: boolean } {
  const ending = { ended: false };
  endings.set(target, ending);
  let kind: Kind = 'connections';
  if (target instanceof MediaStreamTrack) {
    kind = 'tracks';
    tracks.add(new WeakRef(target));
  } else connections.add(new WeakRef(target));
  collection.register(target, { kind, ending });
  return ending;
}

export function installRecorder(): void {
  const Native = globalThis.RTCPeerConnection;
  // A subclass, so `instanceof`, every method and every event behave as before; it only remembers the instance.
  class Recorded extends Native {
    constructor(configuration?: RTCConfiguration) {
      super(configuration);
      record(this);
    }

    // Only close() closes a connection.
    override close(): void {
      const ending = endings.get(this);
      if (ending) ending.ended = true;
      super.close();
    }
  }
  globalThis.RTCPeerConnection = Recorded;
  // stop() ends a track without its ended event.
  const stop = MediaStreamTrack.prototype.stop;
  MediaStreamTrack.prototype.stop = function (this: MediaStreamTrack) {
    const ending = endings.get(this);
    if (ending) ending.ended = true;
    stop.call(this);
  };
  const media = navigator.mediaDevices;
  const getUserMedia = media.getUserMedia.bind(media);
  media.getUserMedia = async (constraints) => {
    const stream = await getUserMedia(constraints);
    for (const track of stream.getTracks()) {
      const ending = record(track);
      // The source ending it (a device lost), which fires ended.
      track.addEventListener('ended', () => (ending.ended = true));
    }
    return stream;
  };
}

/**
 * Connections not closed and captured tracks still live, those collected so included. Closed connections and ended
 * tracks cannot come back, so they are dropped from the record here, which keeps the recorder's own memory flat over
 * a long churn.
 */
export function leftovers(): { connections: number; tracks: number } {
  for (const ref of connections) {
    const pc = ref.deref();
    if (!pc || pc.signalingState === 'closed' || pc.connectionState === 'closed') connections.delete(ref);
  }
  for (const ref of tracks) {
    const track = ref.deref();
    if (!track || track.readyState === 'ended') tracks.delete(ref);
  }
  return {
    connections: connections.size + collectedOpen.connections,
    tracks: tracks.size + collectedOpen.tracks,
  };
}

/**
 * The JS heap in use after full garbage collections, where the browser tells it (Chromium, started with
 * `--js-flags=--expose-gc --enable-precise-memory-info`); `null` elsewhere.
 */
export async function usedHeap(): Promise<number | null> {
  const gc = (globalThis as { gc?: () => void }).gc;
  // `performance.memory` is a snapshot taken when it is read: read it again after collecting.
  const used = (): number | undefined =>
    (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize;
  if (!gc || used() === undefined) return null;
  // Collections a task apart: weak references and finalizers only let go between tasks.
  for (let i = 0; i < 5; i++) {
    gc();
    await sleep(20);
  }
  return used()!;
}
