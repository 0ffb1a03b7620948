/**
 * The benchmark scenarios, each twice: with the kit's elements (only their public markup and properties, signaling
 * over `loopback:` with a fresh name per round) and as plain hand-written `RTCPeerConnection` code. `bench/run.js`
 * loads this page in a browser and calls `window.bench`.
 *
 * Where the clock starts, in both arms: when the page decides to act. For the kit that is the moment the elements
 * are made and go into (or leave) the document, which is all a page using the kit does; the `<local-track>`s then ask for the
 * camera and microphone. For plain code it is the first line of the hand-written setup, its own `getUserMedia`.
 * Capture is inside the time of both arms. The kit's `<peer-connection>`s and `<local-track>`s are made on the clock,
 * as the plain arm's connections are; the far side's `<remote-stream>`s are in the page and rendered before it, as
 * the plain arm's `<video>`s are.
 *
 * In every scenario the side that adds or removes tracks is the one that offers: in plain code the caller offers,
 * and in the kit the first connection to join a loopback pair is the impolite one, which offers its new tracks itself
 * (the polite side would first ask the other side for an offer).
 */
import '../src/define.js';
import type { LocalTrack, PeerConnection, RemoteStream } from '../src/index.js';
import {
  capture,
  firstFrame,
  frameMethod,
  h,
  installRecorder,
  leftovers,
  mLines,
  plainCall,
  plainVideo,
  remoteStreamFrame,
  runRound,
  settle,
  showIn,
  stage,
  trackLeaves,
  uniqueName,
  until,
  usedHeap,
  within,
  type PlainCall,
  type Round,
} from './helpers.js';

installRecorder();

// ---- The kit's markup ----

const peer = (name: string, ...children: Node[]): PeerConnection =>
  h('peer-connection', { signaling: `loopback:${name}` }, ...children);
const camera = (stream: string) => h('local-track', { kind: 'video', stream });
const microphone = (stream: string) => h('local-track', { kind: 'audio', stream });
const remote = (index = 0): RemoteStream => h('remote-stream', { index: String(index), muted: '' });

/**
 * The far side's `<remote-stream>`s, put in the page and rendered before the clock starts, as the plain arm's
 * `<video>`s are made before it: a `<remote-stream>` makes its `<video>` when it first renders, which takes Firefox
 * 1-2 ms apiece. They find their connection by `for` when it joins the page (see `farPeer`).
 */
async function remotesFor(name: string, count: number): Promise<RemoteStream[]> {
  const remotes = Array.from({ length: count }, (_, i) => remote(i));
  for (const element of remotes) element.htmlFor = name;
  stage().append(...remotes);
  await Promise.all(remotes.map((element) => element.updateComplete));
  return remotes;
}

/** The far connection that the `<remote-stream>`s of `remotesFor(name)` play from. */
function farPeer(name: string): PeerConnection {
  const element = peer(name);
  element.id = name;
  return element;
}

/** When the connection is connected, told by its `connectionstatechange` event (the same way in both arms). */
function connected(pc: PeerConnection | RTCPeerConnection): Promise<void> {
  const state = () => (pc instanceof RTCPeerConnection ? pc.connectionState : pc.state);
  return new Promise((resolve) => {
    if (state() === 'connected') resolve();
    pc.addEventListener('connectionstatechange', () => {
      if (state() === 'connected') resolve();
    });
  });
}

/** Both sides stable, then a pause, so no negotiation of the setup overlaps the measured step. */
async function quietKit(...pcs: PeerConnection[]): Promise<void> {
  await until(() => pcs.every((pc) => pc.signalingState === 'stable'), 'stable signaling');
  await new Promise((resolve) => setTimeout(resolve, 100));
}

async function quietPlain({ a, b }: PlainCall): Promise<void> {
  await until(() => a.signalingState === 'stable' && b.signalingState === 'stable', 'stable signaling');
  await new Promise((resolve) => setTimeout(resolve, 100));
}

/** Runs `change`, then waits for the offer/answer exchange it starts on `pc` and for both sides to be stable. */
async function negotiatedAfter(pc: PeerConnection, far: PeerConnection, change: () => void): Promise<void> {
  const done = new Promise((resolve) => pc.addEventListener('negotiated', resolve, { once: true }));
  change();
  await within(done, 'the negotiation after the change');
  await until(() => pc.signalingState === 'stable' && far.signalingState === 'stable', 'stable signaling');
}

// ---- 1. Connect to the first decoded remote video frame (camera and microphone, one stream) ----

async function connectKit(): Promise<number> {
  const name = uniqueName();
  const [far] = await remotesFor(name, 1);
  // The elements are made on the clock, as the plain arm makes its connections on it; the far side's
  // `<remote-stream>` is made before, as the plain arm's `<video>` is.
  const start = performance.now();
  const sides = [peer(name, camera('cam'), microphone('cam')), farPeer(name)];
  stage().append(...sides);
  return (await within(remoteStreamFrame(far), "the far side's first video frame")) - start;
}

async function connectPlain(round: Round): Promise<number> {
  const video = plainVideo(round);
  const frame = firstFrame(video);
  const start = performance.now();
  const stream = await capture(round, { video: true, audio: true });
  const call = plainCall(round);
  call.b.ontrack = ({ streams: [received] }) => showIn([video], received);
  for (const track of stream.getTracks()) call.a.addTrack(track, stream);
  return (await within(frame, "the far side's first video frame")) - start;
}

// ---- 2. Live add: a second camera on a call whose camera and microphone already flow ----

async function liveAddKit(): Promise<number> {
  const name = uniqueName();
  const [first, second] = [remote(0), remote(1)];
  const near = peer(name, camera('cam'), microphone('cam'));
  const far = peer(name, first, second);
  stage().append(near, far);
  await within(remoteStreamFrame(first), "the first camera's first frame on the far side");
  await quietKit(near, far);
  const frame = remoteStreamFrame(second);
  const start = performance.now();
  near.append(camera('second'));
  return (await within(frame, "the second camera's first frame on the far side")) - start;
}

async function liveAddPlain(round: Round): Promise<number> {
  const videos = [plainVideo(round), plainVideo(round)];
  const stream = await capture(round, { video: true, audio: true });
  const call = plainCall(round);
  call.b.ontrack = ({ streams: [received] }) => showIn(videos, received);
  for (const track of stream.getTracks()) call.a.addTrack(track, stream);
  await within(firstFrame(videos[0]), "the first camera's first frame on the far side");
  await quietPlain(call);
  const frame = firstFrame(videos[1]);
  const start = performance.now();
  const second = await capture(round, { video: true });
  call.a.addTrack(second.getVideoTracks()[0], second);
  return (await within(frame, "the second camera's first frame on the far side")) - start;
}

// ---- 3. Live remove: the second camera goes; the far side's stream lets its track go ----

/**
 * Where the far side receives a `<local-track>`'s track: the receiver of the transceiver with the sender's mid, and
 * the remote stream holding its track. (Remote streams are listed in arrival order, and which of two cameras asked
 * for at once arrives first depends on which capture the browser finishes first.)
 */
function receivedFrom(near: PeerConnection, far: PeerConnection, element: LocalTrack) {
  const mid = near.connection?.getTransceivers().find((t) => t.sender.track === element.track)?.mid;
  const track = far.connection?.getTransceivers().find((t) => t.mid === mid)?.receiver.track;
  const stream = far.remoteStreams.find((s) => track && s.getTracks().includes(track));
  if (!track || !stream) throw new Error('the far side receives no stream with the second camera');
  return { stream, track };
}

async function liveRemoveKit(): Promise<number> {
  const name = uniqueName();
  const [first, second] = [remote(0), remote(1)];
  const removed = camera('second');
  const near = peer(name, camera('cam'), microphone('cam'), removed);
  const far = peer(name, first, second);
  stage().append(near, far);
  await within(
    Promise.all([remoteStreamFrame(first), remoteStreamFrame(second)]),
    'both cameras on the far side',
  );
  await quietKit(near, far);
  const { stream, track } = receivedFrom(near, far, removed);
  const left = trackLeaves(stream, track);
  const start = performance.now();
  removed.remove();
  return (await within(left, "the far side's stream to let the removed track go")) - start;
}

async function liveRemovePlain(round: Round): Promise<number> {
  const videos = [plainVideo(round), plainVideo(round)];
  const [stream, second] = await Promise.all([
    capture(round, { video: true, audio: true }),
    capture(round, { video: true }),
  ]);
  const call = plainCall(round);
  call.b.ontrack = ({ streams: [received] }) => showIn(videos, received);
  for (const track of stream.getTracks()) call.a.addTrack(track, stream);
  const [removedTrack] = second.getVideoTracks();
  const sender = call.a.addTrack(removedTrack, second);
  await within(Promise.all(videos.map(firstFrame)), 'both cameras on the far side');
  await quietPlain(call);
  // The far side's receiver of the sender's mid, and the stream that holds its track, as for the kit.
  const mid = call.a.getTransceivers().find((t) => t.sender === sender)?.mid;
  const track = call.b.getTransceivers().find((t) => t.mid === mid)!.receiver.track;
  const received = videos.map((v) => v.srcObject as MediaStream).find((s) => s.getTracks().includes(track))!;
  const left = trackLeaves(received, track);
  const start = performance.now();
  call.a.removeTrack(sender);
  removedTrack.stop();
  return (await within(left, "the far side's stream to let the removed track go")) - start;
}

// ---- 4. Sixteen cameras, each in its own stream, over one connection ----

const SIXTEEN = Array.from({ length: 16 }, (_, i) => i);

async function sixteenKit(): Promise<number> {
  const name = uniqueName();
  const remotes = await remotesFor(name, SIXTEEN.length);
  const start = performance.now();
  const sides = [peer(name, ...SIXTEEN.map((i) => camera(`s${i + 1}`))), farPeer(name)];
  stage().append(...sides);
  const frames = await within(Promise.all(remotes.map(remoteStreamFrame)), 'sixteen streams with a frame');
  return Math.max(...frames) - start;
}

async function sixteenPlain(round: Round): Promise<number> {
  const videos = SIXTEEN.map(() => plainVideo(round));
  const frames = Promise.all(videos.map(firstFrame));
  const start = performance.now();
  const streams = await Promise.all(SIXTEEN.map(() => capture(round, { video: true })));
  const call = plainCall(round);
  call.b.ontrack = ({ streams: [received] }) => showIn(videos, received);
  for (const stream of streams) call.a.addTrack(stream.getVideoTracks()[0], stream);
  return Math.max(...(await within(frames, 'sixteen streams with a frame'))) - start;
}

// ---- 5. SDP growth over remove/add cycles of one camera (m-lines of the sender's local description) ----

type MLineCounts = Record<number, number>;
const isSample = (cycle: number, cycles: number): boolean => cycle === cycles || cycle === cycles / 2;

async function sdpGrowthKit(cycles: number): Promise<MLineCounts> {
  const name = uniqueName();
  const track = camera('cam');
  const far = remote();
  const near = peer(name, track);
  const farPeer = peer(name, far);
  stage().append(near, farPeer);
  await within(remoteStreamFrame(far), "the camera's first frame on the far side");
  await quietKit(near, farPeer);
  const counts: MLineCounts = { 0: mLines(near.connection?.localDescription) };
  for (let cycle = 1; cycle <= cycles; cycle++) {
    await negotiatedAfter(near, farPeer, () => track.remove());
    await negotiatedAfter(near, farPeer, () => near.append(track));
    if (isSample(cycle, cycles)) counts[cycle] = mLines(near.connection?.localDescription);
  }
  return counts;
}

async function sdpGrowthPlain(round: Round, cycles: number): Promise<MLineCounts> {
  const video = plainVideo(round);
  const stream = await capture(round, { video: true });
  const [track] = stream.getVideoTracks();
  const call = plainCall(round);
  call.b.ontrack = ({ streams: [received] }) => showIn([video], received);
  let sender = call.a.addTrack(track, stream);
  await within(firstFrame(video), "the camera's first frame on the far side");
  await quietPlain(call);
  const counts: MLineCounts = { 0: mLines(call.a.localDescription) };
  for (let cycle = 1; cycle <= cycles; cycle++) {
    let done = call.negotiated();
    call.a.removeTrack(sender);
    await within(done, 'the negotiation after removeTrack');
    done = call.negotiated();
    sender = call.a.addTrack(track, stream);
    await within(done, 'the negotiation after addTrack');
    if (isSample(cycle, cycles)) counts[cycle] = mLines(call.a.localDescription);
  }
  return counts;
}

// ---- 6. Churn: a connected pair, each side sending camera and microphone and showing the other, mounted and removed ----

async function churnKit(): Promise<number> {
  const name = uniqueName();
  const side = (): PeerConnection => peer(name, camera('cam'), microphone('cam'), remote());
  const sides = [side(), side()];
  const start = performance.now();
  stage().append(...sides);
  await within(Promise.all(sides.map(connected)), 'both sides connected');
  // The round then removes both elements, and waits for the kit's teardown.
  return performance.now() - start;
}

async function churnPlain(round: Round): Promise<number> {
  const videos = [plainVideo(round), plainVideo(round)];
  const start = performance.now();
  const [near, far] = await Promise.all([0, 1].map(() => capture(round, { video: true, audio: true })));
  const call = plainCall(round, far);
  call.a.ontrack = ({ streams: [received] }) => showIn([videos[0]], received);
  call.b.ontrack = ({ streams: [received] }) => showIn([videos[1]], received);
  for (const track of near.getTracks()) call.a.addTrack(track, near);
  await within(Promise.all([connected(call.a), connected(call.b)]), 'both sides connected');
  // The round then closes both connections and stops all four tracks.
  return performance.now() - start;
}

// ---- What run.js calls ----

type Arm = 'kit' | 'plain';
const timed = {
  connect: { kit: connectKit, plain: connectPlain },
  'live-add': { kit: liveAddKit, plain: liveAddPlain },
  'live-remove': { kit: liveRemoveKit, plain: liveRemovePlain },
  sixteen: { kit: sixteenKit, plain: sixteenPlain },
  churn: { kit: churnKit, plain: churnPlain },
} satisfies Record<string, Record<Arm, (round: Round) => Promise<number>>>;

const bench = {
  frameMethod,
  /** One round of a timed scenario: milliseconds. */
  round: (figure: keyof typeof timed, arm: Arm): Promise<number> =>
    runRound(`${figure}/${arm}`, timed[figure][arm]),
  sdpGrowth: (arm: Arm, cycles: number): Promise<MLineCounts> =>
    runRound(`sdp-growth/${arm}`, (round) =>
      arm === 'kit' ? sdpGrowthKit(cycles) : sdpGrowthPlain(round, cycles),
    ),
  /** After teardown has settled: what is left open or live, and the JS heap (Chromium only). */
  async sample(): Promise<{ connections: number; tracks: number; heap: number | null }> {
    await settle();
    const left = leftovers();
    const heap = await usedHeap();
    return { ...left, heap };
  },
};

declare global {
  interface Window {
    bench: typeof bench;
  }
}

window.bench = bench;
