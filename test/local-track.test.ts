import { expect, fixture, html } from '@open-wc/testing';
import { render } from 'lit';
import { sendMouse } from '@web/test-runner-commands';
import type { LocalTrack, PeerConnection, SignalingChannel, TrackChangeEvent } from '../src/index.js';
import { CallErrorEvent, loopbackSignaling } from '../src/index.js';
import {
  callPair,
  capture,
  decodedFrame,
  liveCall,
  mLines,
  nextEvent,
  nextOffer,
  record,
  settled,
  uniqueName,
  until,
  withCapturesCounted,
} from './helpers.js';

/** A connection pair where the left side sends one `<local-track>` rendered by `track`. */
async function sendingOne(
  track: ReturnType<typeof html>,
): Promise<[PeerConnection, PeerConnection, LocalTrack]> {
  const [a, b] = await callPair(
    (name) => html`<peer-connection signaling="loopback:${name}">${track}</peer-connection>`,
    (name) => html`<peer-connection signaling="loopback:${name}"></peer-connection>`,
  );
  const local = a.querySelector('local-track')!;
  await until(() => local.state === 'live', 'a live local track');
  await until(() => b.remoteStreams[0]?.getTracks().length === 1, 'the track at the far side');
  await settled(a, b);
  return [a, b, local];
}

const senderOf = (pc: PeerConnection, track: MediaStreamTrack | null) =>
  pc.connection!.getSenders().find((s) => s.track === track);

/**
 * Every signaling state change from now on, to show that an operation did not renegotiate: an offer either way
 * changes it, whether the browser's `negotiationneeded` or the kit itself started it.
 */
const renegotiations = (pc: PeerConnection) => record(pc.connection!, 'signalingstatechange');

/** A short real pause, for "nothing happened" checks: events that would come are queued by then. */
const pause = (ms = 300) => new Promise((resolve) => setTimeout(resolve, ms));

/** The next `trackchange`'s track, and the element's state as its listeners see it. */
const stateAtTrackChange = (local: LocalTrack) =>
  new Promise<[MediaStreamTrack | null, string]>((resolve) =>
    local.addEventListener('trackchange', (event) => resolve([event.track, local.state]), { once: true }),
  );

/**
 * A track the browser ends by itself, as it does when a camera is unplugged: one received on a pair of plain
 * connections, which `end()` makes the far side stop sending (both browsers then fire `ended` on it).
 */
async function trackThatCanEnd(): Promise<{ track: MediaStreamTrack; end: () => Promise<void> }> {
  const [sending, receiving] = [new RTCPeerConnection(), new RTCPeerConnection()];
  sending.onicecandidate = ({ candidate }) => candidate && void receiving.addIceCandidate(candidate);
  receiving.onicecandidate = ({ candidate }) => candidate && void sending.addIceCandidate(candidate);
  const negotiate = async () => {
    await sending.setLocalDescription();
    await receiving.setRemoteDescription(sending.localDescription!);
    await receiving.setLocalDescription();
    await sending.setRemoteDescription(receiving.localDescription!);
  };
  const microphone = (await capture({ audio: true })).getAudioTracks()[0];
  sending.addTrack(microphone);
  await negotiate();
  return {
    track: receiving.getTransceivers()[0].receiver.track,
    // Safe to call again (from a test's cleanup).
    end: async () => {
      if (sending.signalingState === 'closed') return;
      sending.getTransceivers()[0].stop();
      await negotiate();
      microphone.stop();
      sending.close();
      receiving.close();
    },
  };
}

/** What `asPhone` gives its body: the cameras it handed out, and the video constraints asked for, in order. */
interface Phone {
  cameras: MediaStreamTrack[];
  asked: MediaStreamConstraints[];
}

/**
 * Runs `body` with the page's getUserMedia acting as a phone's that opens one camera at a time: a camera asked for
 * while one it gave is live, or while it is still opening one, fails as busy (Chromium's NotReadableError on Android).
 * Opening takes `openingMs` more. The camera `held` (a deviceId) is held by another application and always fails so;
 * with `heldAfterStop`, so does every camera once one was stopped. `answered` is called with each camera it hands out.
 */
async function asPhone(
  {
    held,
    heldAfterStop = false,
    openingMs = 0,
    answered,
  }: {
    held?: string;
    heldAfterStop?: boolean;
    openingMs?: number;
    answered?: (camera: MediaStreamTrack) => void;
  },
  body: (phone: Phone) => Promise<void>,
): Promise<void> {
  const media = navigator.mediaDevices;
  const getUserMedia = media.getUserMedia;
  const phone: Phone = { cameras: [], asked: [] };
  let opening = 0;
  const busy = () => Promise.reject(new DOMException('Could not start video source', 'NotReadableError'));
  media.getUserMedia = async (constraints) => {
    const video = constraints?.video;
    if (!video) return getUserMedia.call(media, constraints);
    phone.asked.push(constraints);
    const exact = typeof video === 'object' && (video.deviceId as ConstrainDOMStringParameters)?.exact;
    const stopped = phone.cameras.some((camera) => camera.readyState === 'ended');
    if (opening > 0 || phone.cameras.some((camera) => camera.readyState === 'live')) return busy();
    if (exact === held || (heldAfterStop && stopped)) return busy();
    opening++;
    try {
      await new Promise((resolve) => setTimeout(resolve, openingMs));
      const stream = await getUserMedia.call(media, constraints);
      phone.cameras.push(...stream.getVideoTracks());
      answered?.(stream.getVideoTracks()[0]);
      return stream;
    } finally {
      opening--;
    }
  };
  try {
    await body(phone);
  } finally {
    delete (media as Partial<MediaDevices>).getUserMedia;
  }
}

const liveCameras = ({ cameras }: Phone) => cameras.filter((camera) => camera.readyState === 'live');

describe('<local-track>', () => {
  it('captures the camera, goes live, announces the track and sends it', async () => {
    const local = document.createElement('local-track');
    local.kind = 'video';
    const changed = nextEvent<TrackChangeEvent>(local, 'trackchange');
    const states: string[] = [];
    const [a] = await callPair(
      (name) => html`<peer-connection signaling="loopback:${name}"></peer-connection>`,
      (name) => html`<peer-connection signaling="loopback:${name}"></peer-connection>`,
    );
    new MutationObserver(() => states.push(local.state)).observe(local, { attributeFilter: ['state'] });
    a.append(local);
    const { track } = await changed;
    expect(track).to.equal(local.track);
    expect(track!.kind).to.equal('video');
    expect(local.state).to.equal('live');
    expect(local.matches(':state(live)')).to.equal(true);
    expect(states).to.include('acquiring');
    expect(senderOf(a, track)).to.exist;
  });

  it('properties set just after insertion are part of its one capture', async () => {
    await withCapturesCounted(async (asked) => {
      const local = document.createElement('local-track');
      local.kind = 'video';
      document.body.append(local);
      try {
        local.constraints = { width: 320 };
        await until(() => local.state === 'live', 'a live track');
        expect(asked).to.deep.equal([{ video: { width: 320 } }]);
      } finally {
        local.remove();
      }
    });
  });

  it('a page track set just after insertion is sent with no capture at all', async () => {
    const own = (await capture({ video: true })).getVideoTracks()[0];
    const [a, b] = await callPair(
      (name) => html`<peer-connection signaling="loopback:${name}"></peer-connection>`,
      (name) => html`<peer-connection signaling="loopback:${name}"></peer-connection>`,
    );
    await withCapturesCounted(async (asked) => {
      const local = document.createElement('local-track');
      local.kind = 'video';
      a.append(local);
      try {
        local.track = own;
        await local.updateComplete;
        await until(() => !!senderOf(a, own), 'the page track sent');
        await until(() => b.remoteStreams[0]?.getVideoTracks().length === 1, 'the track at the far side');
        await pause();
        expect(local.track).to.equal(own);
        expect(local.state).to.equal('live');
        expect(asked).to.deep.equal([]);
        expect(a.connection!.getSenders().filter((s) => s.track)).to.have.length(1);
      } finally {
        local.remove();
        own.stop();
      }
    });
  });

  it('a property changed while it is out of the document applies when it comes back', async () => {
    const [a, , local] = await sendingOne(html`<local-track kind="video"></local-track>`);
    local.remove();
    local.kind = 'audio';
    await local.updateComplete;
    a.append(local);
    await until(() => local.track?.kind === 'audio', 'the microphone instead of the camera');
    await until(() => senderOf(a, local.track) !== undefined, 'the microphone sent');
  });

  it('when removed: removes its track from the connection and stops the track it captured', async () => {
    const [a, b, local] = await sendingOne(html`<local-track kind="video"></local-track>`);
    const track = local.track!;
    const sender = senderOf(a, track)!;
    local.remove();
    await until(() => track.readyState === 'ended', 'the captured track stopped');
    expect(sender.track).to.equal(null);
    expect(local.state).to.equal('idle');
    await until(() => b.remoteStreams.length === 0, 'the far side losing the stream');
  });

  it('stops sending as soon as it is removed, before its capture is let go', async () => {
    const [a, , local] = await sendingOne(html`<local-track kind="video"></local-track>`);
    const track = local.track!;
    const sender = senderOf(a, track)!;
    // `a` joined its loopback pair first: it offers the removal.
    const pc = a.connection!;
    const transceiver = pc.getTransceivers().find((t) => t.sender === sender)!;
    const atOffer = new Promise<[boolean, MediaStreamTrackState]>((resolve) =>
      pc.addEventListener('signalingstatechange', () => {
        if (pc.signalingState === 'have-local-offer') resolve([sender.track === null, track.readyState]);
      }),
    );
    local.remove();
    // In the same task the transceiver no longer sends; its sender lets the track go with replaceTrack(null), which
    // the connection's operations chain lands before the offer. The camera stays on meanwhile: a move would keep it,
    // and it is let go once the far side knows.
    expect(transceiver.direction).to.equal('recvonly');
    expect(await atOffer, 'as the removal is offered: sender empty, camera on').to.deep.equal([true, 'live']);
    await until(() => track.readyState === 'ended', 'the captured track stopped');
  });

  it('its removal is offered at once, in one exchange, without waiting for negotiationneeded', async () => {
    // `a` joined its loopback pair first, so it is the impolite side, the one that makes offers.
    const [a, b, local] = await sendingOne(html`<local-track kind="video"></local-track>`);
    const pc = a.connection!;
    const states: RTCSignalingState[] = [];
    pc.addEventListener('signalingstatechange', () => states.push(pc.signalingState));
    const needed = record(pc, 'negotiationneeded');
    local.remove();
    await until(() => b.remoteStreams.length === 0, 'the far side losing the stream');
    await pause();
    // The kit offered before the browser's negotiationneeded task ran; that task then found the change offered.
    expect(needed).to.have.length(0);
    expect(states).to.deep.equal(['have-local-offer', 'stable']);
  });

  it('releases its camera once the connection has negotiated without it, not before', async () => {
    const [a, b, local] = await sendingOne(html`<local-track kind="video"></local-track>`);
    const track = local.track!;
    // Read as the exchange that removes the track completes: the offer went out with the camera still open.
    const whenNegotiated: string[] = [];
    a.addEventListener('negotiated', () => whenNegotiated.push(track.readyState), { once: true });
    local.remove();
    await until(() => track.readyState === 'ended', 'the captured track stopped');
    expect(whenNegotiated).to.deep.equal(['live']);
    expect(local.state).to.equal('idle');
    await until(() => b.remoteStreams.length === 0, 'the far side losing the stream');
  });

  it('releases its camera even when the far side never answers the removal', async () => {
    const name = uniqueName();
    let deaf = false;
    const inner = loopbackSignaling(name, {});
    // The near side's channel, which stops passing messages on: the far side never hears of the removal.
    const channel: SignalingChannel = {
      start: (listener) => inner.start(listener),
      send: (message) => {
        if (!deaf) inner.send(message);
      },
      close: () => inner.close(),
      get polite() {
        return inner.polite;
      },
    };
    const root = await fixture<HTMLElement>(html`<div></div>`);
    const a = document.createElement('peer-connection');
    const b = document.createElement('peer-connection');
    a.signaling = channel;
    b.signaling = `loopback:${name}`;
    const local = document.createElement('local-track');
    local.kind = 'video';
    a.append(local);
    root.append(a, b);
    await until(() => b.remoteStreams[0]?.getTracks().length === 1, 'the track at the far side');
    await settled(a, b);
    const track = local.track!;
    const negotiated = record(a, 'negotiated');
    deaf = true;
    local.remove();
    await until(() => track.readyState === 'ended', 'the captured track stopped', 5000);
    expect(negotiated).to.have.length(0);
    expect(a.signalingState).to.equal('have-local-offer');
  });

  it('a move within its connection keeps its track and transceiver, with nothing to negotiate', async () => {
    const [a, b, local] = await sendingOne(html`<local-track kind="video"></local-track>`);
    const track = local.track!;
    const transceiverOf = () => a.connection!.getTransceivers().find((t) => t.sender.track === track);
    const transceiver = transceiverOf()!;
    const negotiations = renegotiations(a);
    a.append(document.createElement('span'));
    a.insertBefore(local, a.lastChild);
    a.prepend(local);
    await pause();
    expect(local.track).to.equal(track);
    expect(track.readyState).to.equal('live');
    expect(transceiverOf()).to.equal(transceiver);
    expect(transceiver.direction).to.equal('sendrecv');
    expect(negotiations).to.deep.equal([]);
    await decodedFrame(b.remoteStreams[0]);
  });

  it('page tracks rendered in a list without keys are all sent when one is inserted in the middle', async () => {
    const canvases = [0, 1, 2].map(() => document.createElement('canvas').captureStream());
    const [t1, t2, t3] = canvases.map((stream) => stream.getVideoTracks()[0]);
    const [a, b] = await callPair(
      (name) => html`<peer-connection signaling="loopback:${name}"></peer-connection>`,
      (name) => html`<peer-connection signaling="loopback:${name}"></peer-connection>`,
    );
    const errors = record<CallErrorEvent>(a, 'error');
    // Without keys lit reuses the elements in order: the second takes t2 (a replaceTrack, landing a task later) while a
    // new third one takes t3, which the second's sender still has until then.
    const show = (tracks: MediaStreamTrack[]) =>
      render(
        html`${tracks.map((track, i) => html`<local-track stream="s${i}" .track=${track}></local-track>`)}`,
        a,
      );
    try {
      show([t1, t3]);
      await until(() => b.remoteStreams.length === 2, 'two streams at the far side');
      const localErrors = [...a.querySelectorAll('local-track')].map((local) => record(local, 'error'));
      show([t1, t2, t3]);
      localErrors.push(record(a.querySelectorAll('local-track')[2], 'error'));
      await until(() => b.remoteStreams.length === 3, 'three streams at the far side');
      await settled(a, b);
      const sent = a.connection!.getSenders().map((sender) => sender.track);
      expect(new Set(sent)).to.deep.equal(new Set([t1, t2, t3]));
      expect(localErrors.flat().map((e) => (e as CallErrorEvent).message)).to.deep.equal([]);
      expect(errors).to.deep.equal([]);
    } finally {
      for (const stream of canvases) for (const track of stream.getTracks()) track.stop();
    }
  });

  it('a capture given up for the page track it had before leaves it live, holding nothing back', async () => {
    const own = (await capture({ video: true })).getVideoTracks()[0];
    const [a, , local] = await sendingOne(html`<local-track kind="video" .track=${own}></local-track>`);
    local.track = null;
    await local.updateComplete;
    expect(local.state).to.equal('acquiring');
    local.track = own;
    await local.updateComplete;
    expect(local.state).to.equal('live');
    // A track added now is sent at once: nothing waits for a capture that was given up.
    const microphone = document.createElement('local-track');
    microphone.kind = 'audio';
    a.append(microphone);
    await until(() => microphone.state === 'live', 'the microphone');
    expect(a.connection!.getSenders().some((s) => s.track === microphone.track)).to.equal(true);
    await pause();
    expect(local.state).to.equal('live');
    own.stop();
  });

  it('never stops a track the page gave it', async () => {
    const own = (await capture({ video: true })).getVideoTracks()[0];
    const [a, , local] = await sendingOne(html`<local-track .track=${own}></local-track>`);
    expect(senderOf(a, own)).to.exist;
    // A captured track is stopped at the end of the exchange that takes it off the connection: wait past that.
    const negotiated = nextEvent(a, 'negotiated');
    local.remove();
    await until(() => !senderOf(a, own), 'the track removed from the connection');
    await negotiated;
    await pause(200);
    expect(own.readyState).to.equal('live');
    own.stop();
  });

  it('a track its element just left the connection with can be sent by the page itself in the same task', async () => {
    const own = (await capture({ video: true })).getVideoTracks()[0];
    const [a, b, local] = await sendingOne(html`<local-track .track=${own}></local-track>`);
    const elementSender = senderOf(a, own)!;
    local.remove();
    // As after removeTrack: the element's sender lets the track go at once, and addTrack takes it.
    const stream = new MediaStream([own]);
    const sender = a.addTrack(own, stream);
    expect(sender === elementSender, 'a sender of its own').to.equal(false);
    expect(sender.track === own && elementSender.track === null, 'the track on the new sender only').to.equal(
      true,
    );
    const far = () => b.remoteStreams.find((s) => s.id === stream.id);
    await until(
      () => far()?.getVideoTracks().length === 1,
      "the track at the far side, in the page's stream",
    );
    await settled(a, b);
    expect(senderOf(a, own) === sender, "still on the page's sender").to.equal(true);
    own.stop();
  });

  it('muted disables a track the page gave it only while set, and gives it back as it came', async () => {
    const own = (await capture({ video: true })).getVideoTracks()[0];
    const [a, , local] = await sendingOne(html`<local-track muted .track=${own}></local-track>`);
    expect(own.enabled).to.equal(false);
    local.remove();
    await until(() => !senderOf(a, own), 'the track removed from the connection');
    // Once the element's grace for a move is over and the far side told, it lets go of the track.
    await until(() => own.enabled, 'the track enabled again once let go');
    // A track the page disabled itself stays disabled: the element does not turn it on.
    own.enabled = false;
    const other = document.createElement('local-track');
    other.track = own;
    a.append(other);
    await until(() => !!senderOf(a, own), 'the track sent again');
    expect(own.enabled).to.equal(false);
    other.muted = true;
    await other.updateComplete;
    other.muted = false;
    await other.updateComplete;
    expect(own.enabled, 'as the page left it').to.equal(false);
    own.stop();
  });

  it('one page track muted by two elements stays off until both unmute, then comes back as it came', async () => {
    // One microphone sent on two connections, as in a mesh call: `enabled` is the track's, not an element's.
    const own = (await capture({ audio: true })).getAudioTracks()[0];
    const root = await fixture<HTMLElement>(html`
      <div><local-track .track=${own}></local-track><local-track .track=${own}></local-track></div>
    `);
    const [first, second] = root.querySelectorAll('local-track');
    const setMuted = async (element: LocalTrack, muted: boolean) => {
      element.muted = muted;
      await element.updateComplete;
    };
    await setMuted(first, true);
    await setMuted(second, true);
    await setMuted(first, false);
    expect(own.enabled, 'while the second still mutes it').to.equal(false);
    await setMuted(second, false);
    expect(own.enabled, 'once neither mutes it').to.equal(true);
    // The same when they let go of it instead, in either order.
    await setMuted(second, true);
    await setMuted(first, true);
    second.remove();
    await pause(50);
    expect(own.enabled, 'while the first still mutes it').to.equal(false);
    first.remove();
    await until(() => own.enabled, 'the track enabled again once both let go');
    expect(own.readyState, 'a page track is never stopped').to.equal('live');
    own.stop();
  });

  it('a muted camera stays disabled when its element goes, until it is stopped', async () => {
    const [, , local] = await sendingOne(html`<local-track kind="video" muted></local-track>`);
    const captured = local.track!;
    expect(captured.enabled).to.equal(false);
    // The element lets go of its track (trackchange to null) once its grace is over and the exchange done.
    const letGo = nextEvent<TrackChangeEvent>(local, 'trackchange');
    local.remove();
    expect((await letGo).track).to.equal(null);
    expect(captured.enabled, 'when the element lets go').to.equal(false);
    await until(() => captured.readyState === 'ended', 'the camera stopped');
    expect(captured.enabled, 'once stopped').to.equal(false);
  });

  it('removing kind lets the track go, with state idle and no error', async () => {
    const [a, , local] = await sendingOne(html`<local-track kind="video"></local-track>`);
    const captured = local.track!;
    const errors = record(local, 'error');
    const letGo = stateAtTrackChange(local);
    local.removeAttribute('kind');
    expect(await letGo, 'the state its trackchange tells').to.deep.equal([null, 'idle']);
    expect(local.track).to.equal(null);
    await until(() => captured.readyState === 'ended', 'the camera stopped');
    await until(() => !senderOf(a, captured), 'the track removed from the connection');
    expect(errors).to.have.length(0);
    local.kind = 'audio';
    await until(() => local.state === 'live', 'live again with a kind');
    expect(local.track!.kind).to.equal('audio');
  });

  it('muted disables the track without renegotiating', async () => {
    const [a, b, local] = await sendingOne(html`<local-track kind="video"></local-track>`);
    const needed = renegotiations(a);
    local.muted = true;
    await local.updateComplete;
    expect(local.track!.enabled).to.equal(false);
    expect(local.hasAttribute('muted')).to.equal(true);
    local.muted = false;
    await local.updateComplete;
    expect(local.track!.enabled).to.equal(true);
    await pause();
    expect(needed).to.have.length(0);
    await decodedFrame(b.remoteStreams[0]);
  });

  it('a device change swaps the track in the same sender without renegotiating', async () => {
    const [a, b, local] = await sendingOne(html`<local-track kind="video"></local-track>`);
    const before = local.track!;
    const sender = senderOf(a, before)!;
    const needed = renegotiations(a);
    local.device = before.getSettings().deviceId!;
    await until(() => local.track !== before && local.state === 'live', 'the new track');
    await until(() => sender.track === local.track, 'the sender carrying the new track');
    expect(before.readyState).to.equal('ended');
    await pause();
    expect(needed).to.have.length(0);
    await decodedFrame(b.remoteStreams[0]);
  });

  it('a device switch that fails keeps the camera that works, still sent, and says why', async () => {
    const [a, b, local] = await sendingOne(html`<local-track kind="video"></local-track>`);
    const camera = local.track!;
    const needed = renegotiations(a);
    const error = nextEvent<CallErrorEvent>(local, 'error');
    local.device = 'no-such-camera';
    const { operation, message } = await error;
    expect(operation).to.equal('acquire');
    expect(message).to.match(/Overconstrained|NotFound/);
    expect(local.state).to.equal('live');
    expect(local.device, 'back to the device in use').to.equal(null);
    expect(local.track).to.equal(camera);
    expect(camera.readyState).to.equal('live');
    expect(senderOf(a, camera), 'still sent').to.not.equal(undefined);
    await pause();
    expect(needed).to.have.length(0);
    await decodedFrame(b.remoteStreams[0]);
    // A device that works, set next, is switched to.
    local.device = camera.getSettings().deviceId!;
    await until(() => local.track !== camera && local.state === 'live', 'the new track');
    expect(camera.readyState).to.equal('ended');
  });

  it('a phone that opens one camera at a time switches cameras: the one in use stops first, the same sender sends the next', async () => {
    await asPhone({}, async () => {
      const [a, b, local] = await sendingOne(html`<local-track kind="video"></local-track>`);
      const camera = local.track!;
      const sender = senderOf(a, camera)!;
      const needed = renegotiations(a);
      const errors = record<CallErrorEvent>(local, 'error');
      local.device = camera.getSettings().deviceId!;
      await until(() => local.track !== camera && local.state === 'live', 'the other camera');
      expect(camera.readyState).to.equal('ended');
      expect(sender.track).to.equal(local.track);
      await pause();
      expect([errors.length, needed.length], 'errors, renegotiations').to.deep.equal([0, 0]);
      await decodedFrame(b.remoteStreams[0]);
    });
  });

  it('on such a phone, a switch to a camera another application holds opens the one in use again, and says why', async () => {
    await asPhone({ held: 'held-camera' }, async () => {
      const [a, b, local] = await sendingOne(html`<local-track kind="video"></local-track>`);
      const camera = local.track!;
      const sender = senderOf(a, camera)!;
      const error = nextEvent<CallErrorEvent>(local, 'error');
      const changed = new Promise<unknown[]>((resolve) =>
        local.addEventListener('trackchange', () => resolve([local.device, local.state]), { once: true }),
      );
      local.device = 'held-camera';
      expect(await changed, 'device and state as the reopened camera’s trackchange tells').to.deep.equal([
        null,
        'live',
      ]);
      const { operation, error: cause } = await error;
      expect([operation, cause.name]).to.deep.equal(['acquire', 'NotReadableError']);
      expect([local.state, local.device]).to.deep.equal(['live', null]);
      expect(camera.readyState, 'stopped to try again').to.equal('ended');
      expect(local.track!.readyState, 'the camera opened again').to.equal('live');
      await until(() => sender.track === local.track, 'the same sender sending it');
      await decodedFrame(b.remoteStreams[0]);
    });
  });

  it('on such a phone, a switch that fails with the one in use not opened again leaves no track, with state error', async () => {
    await asPhone({ held: 'held-camera', heldAfterStop: true }, async () => {
      const [a, , local] = await sendingOne(html`<local-track kind="video"></local-track>`);
      const camera = local.track!;
      const sender = senderOf(a, camera)!;
      const errors = record<CallErrorEvent>(local, 'error');
      local.device = 'held-camera';
      await until(() => local.state === 'error', 'state error');
      expect(local.track).to.equal(null);
      expect(camera.readyState).to.equal('ended');
      await until(() => sender.track === null, 'nothing sent');
      await pause();
      expect(errors.map((e) => e.error.name)).to.deep.equal(['NotReadableError']);
    });
  });

  it('on such a phone, flipping back while the switch is still opening the other camera ends with one camera, sent', async () => {
    await asPhone({ openingMs: 300 }, async (phone) => {
      const [a, b, local] = await sendingOne(html`<local-track kind="video"></local-track>`);
      const camera = local.track!;
      const sender = senderOf(a, camera)!;
      const errors = record<CallErrorEvent>(local, 'error');
      local.device = camera.getSettings().deviceId!;
      // The first camera, the switch refused as busy, and the switch again with the first camera stopped.
      await until(() => phone.asked.length === 3, 'the switch tried again');
      expect(camera.readyState).to.equal('ended');
      local.device = null;
      await until(() => local.state === 'live' && local.track !== camera, 'a camera again');
      await until(() => sender.track === local.track, 'the camera sent');
      await pause(500);
      expect([errors.length, local.device, liveCameras(phone)]).to.deep.equal([0, null, [local.track]]);
      await decodedFrame(b.remoteStreams[0]);
    });
  });

  it('on such a phone, a change just as the camera in use is opened again leaves no camera on', async () => {
    // The change comes a few microtasks after the browser answers, for each count of them in turn: some fall between
    // the answer and the element taking the track.
    for (let delay = 0; delay < 8; delay++) {
      let local: LocalTrack | undefined;
      let answers = 0;
      const answered = () => {
        // The second camera handed out is the first one opened again.
        if (++answers !== 2) return;
        let wait: Promise<void> = Promise.resolve();
        for (let i = 0; i < delay; i++) wait = wait.then(() => undefined);
        void wait.then(() => (local!.kind = ''));
      };
      await asPhone({ held: 'held-camera', answered }, async (phone) => {
        local = await fixture<LocalTrack>(html`<local-track kind="video"></local-track>`);
        await until(() => local!.state === 'live', 'live');
        local.device = 'held-camera';
        await until(() => answers === 2, 'the camera opened again');
        await until(() => local!.state === 'idle', `idle (${delay} microtasks)`);
        await pause(100);
        expect([local.track, liveCameras(phone)], `${delay} microtasks`).to.deep.equal([null, []]);
        local.remove();
      });
    }
  });

  it('setting another track swaps it in place; switching kind between audio and video renegotiates', async () => {
    const [a, , local] = await sendingOne(html`<local-track kind="video"></local-track>`);
    const sender = senderOf(a, local.track)!;
    const other = (await capture({ video: true })).getVideoTracks()[0];
    local.track = other;
    await until(() => sender.track === other, 'the page track in the same sender');
    const offered = nextOffer(a);
    const microphone = (await capture({ audio: true })).getAudioTracks()[0];
    local.track = microphone;
    await offered;
    expect(sender.track).to.equal(null);
    expect(senderOf(a, microphone)).to.exist;
    other.stop();
    microphone.stop();
  });

  // A camera chosen by `device` too: getDisplayMedia refuses an exact deviceId (TypeError), and a screen has none.
  for (const device of [false, true])
    it(`switches from camera${device ? ' (a chosen device)' : ''} to screen with replaceTrack, or says clearly why it cannot`, async () => {
      const id = device
        ? (await capture({ video: true })).getVideoTracks()[0].getSettings().deviceId
        : undefined;
      const [a, b, local] = await sendingOne(
        html`<local-track kind="video" .device=${id ?? null}></local-track>`,
      );
      if (device) expect(local.track!.getSettings().deviceId).to.equal(id);
      const camera = local.track!;
      const sender = senderOf(a, camera)!;
      const needed = renegotiations(a);
      const errors = record<CallErrorEvent>(local, 'error');
      // Screen capture needs a user gesture in Firefox: a real click first.
      const button = document.createElement('button');
      button.textContent = 'share';
      button.style.cssText = 'position:fixed;left:0;top:0;width:80px;height:40px';
      document.body.append(button);
      await sendMouse({ type: 'click', position: [20, 20] });
      button.remove();
      local.kind = 'screen';
      await local.updateComplete;
      expect(local.state).to.equal('acquiring');
      await until(() => local.track !== camera || errors.length > 0, 'the screen capture to settle');
      if (errors.length === 0) {
        await until(() => sender.track === local.track, 'the screen in the camera’s sender');
        expect(local.track).not.to.equal(camera);
        expect(local.track!.kind).to.equal('video');
        expect(camera.readyState).to.equal('ended');
        await pause();
        expect(needed).to.have.length(0);
        // A camera chosen while sharing asks for no new share.
        const screen = local.track;
        local.device = 'another camera';
        await local.updateComplete;
        expect([local.state, local.track]).to.deep.equal(['live', screen]);
        // New constraints apply to the share in place: the picker does not open again.
        const media = navigator.mediaDevices;
        const getDisplayMedia = media.getDisplayMedia;
        let picked = 0;
        media.getDisplayMedia = (options) => (picked++, getDisplayMedia.call(media, options));
        try {
          local.constraints = { frameRate: 5 };
          await until(() => screen!.getConstraints().frameRate === 5, 'the frame rate applied to the share');
          await pause();
          expect([picked, local.track, local.state]).to.deep.equal([0, screen, 'live']);
        } finally {
          delete (media as Partial<MediaDevices>).getDisplayMedia;
        }
        // A camera that is busy keeps the share on: only a camera is stopped to try a busy camera again.
        await asPhone({ held: 'held-camera' }, async () => {
          const failed = nextEvent<CallErrorEvent>(local, 'error');
          local.kind = 'video';
          local.device = 'held-camera';
          expect((await failed).error.name).to.equal('NotReadableError');
          expect([local.kind, local.track, screen!.readyState]).to.deep.equal(['screen', screen, 'live']);
        });
      } else {
        // Headless Firefox has no screen to capture: a readable error, and the camera goes on being sent.
        expect(navigator.userAgent, errors[0]?.message).to.contain('Firefox');
        expect(errors[0].operation).to.equal('acquire');
        expect(errors[0].message).to.match(/^NotFoundError: /);
        expect([local.state, local.kind]).to.deep.equal(['live', 'video']);
        expect(local.track).to.equal(camera);
        expect(camera.readyState).to.equal('live');
        expect(sender.track).to.equal(camera);
        await until(() => a.state === 'connected' && b.state === 'connected', 'the call still connected');
      }
    });

  it('a switch from camera to screen that fails keeps the camera, and kind goes back to video, as sent', async () => {
    // getDisplayMedia refuses min constraints (TypeError), failing as a cancelled picker does (NotAllowedError), in
    // both browsers; headless Firefox has no screen anyway (NotFoundError).
    const [a, , local] = await sendingOne(
      html`<local-track kind="video" preview .constraints=${{ width: { min: 160 } }}></local-track>`,
    );
    const camera = local.track!;
    const toldWith = new Promise<unknown[]>((resolve) =>
      local.addEventListener(
        'error',
        (event) =>
          resolve([(event as CallErrorEvent).operation, local.kind, local.state, local.track === camera]),
        { once: true },
      ),
    );
    local.kind = 'screen';
    expect(await toldWith, 'operation, kind, state and track as the error listener sees them').to.deep.equal([
      'acquire',
      'video',
      'live',
      true,
    ]);
    await local.updateComplete;
    expect(local.getAttribute('kind')).to.equal('video');
    expect(senderOf(a, camera), 'the camera still sent').to.exist;
    // The preview is still mirrored, as a camera's.
    const preview = local.shadowRoot!.querySelector('video')!;
    expect(getComputedStyle(preview).transform).to.equal('matrix(-1, 0, 0, 1, 0, 0)');
    // A later change of constraints applies to the camera, rather than opening the screen picker; so does a device.
    await withCapturesCounted(async (asked) => {
      local.constraints = { width: { min: 320 } };
      await until(() => camera.getConstraints().width !== undefined, 'the constraints applied to the camera');
      expect([local.track, asked]).to.deep.equal([camera, []]);
      local.device = camera.getSettings().deviceId!;
      await until(() => local.track !== camera && local.state === 'live', 'the new camera');
      expect(asked).to.deep.equal([{ video: { width: { min: 320 }, deviceId: { exact: local.device } } }]);
    });
    // The page's "Share screen" pressed again asks again.
    const again = nextEvent<CallErrorEvent>(local, 'error');
    local.kind = 'screen';
    await local.updateComplete;
    expect(local.state).to.equal('acquiring');
    expect((await again).operation).to.equal('acquire');
    expect([local.kind, local.state]).to.deep.equal(['video', 'live']);
  });

  it('a failed switch leaves the constraints as set, so equal ones in a new object (a render) ask nothing again', async () => {
    const [, , local] = await sendingOne(html`<local-track kind="video"></local-track>`);
    const camera = local.track!;
    const failed = nextEvent<CallErrorEvent>(local, 'error');
    local.constraints = { deviceId: { exact: 'no-such-camera' } };
    expect((await failed).operation).to.equal('acquire');
    expect([local.state, local.track === camera]).to.deep.equal(['live', true]);
    // Set back, a framework's next render of the same constraints would be a change, fail again and re-render: a loop.
    expect(local.constraints).to.deep.equal({ deviceId: { exact: 'no-such-camera' } });
    const errors = record<CallErrorEvent>(local, 'error');
    await withCapturesCounted(async (asked) => {
      local.constraints = { deviceId: { exact: 'no-such-camera' } };
      await local.updateComplete;
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(asked).to.deep.equal([]);
    });
    expect(errors).to.deep.equal([]);
  });

  it('a camera chosen while the screen picker is open is kept when sharing fails, and captured', async () => {
    const [a, , local] = await sendingOne(html`<local-track kind="video"></local-track>`);
    const camera = local.track!;
    const cameraId = camera.getSettings().deviceId!;
    const media = navigator.mediaDevices;
    // The person cancels the picker after a while.
    media.getDisplayMedia = () =>
      new Promise((_, reject) =>
        setTimeout(() => reject(new DOMException('Permission denied', 'NotAllowedError')), 300),
      );
    try {
      await withCapturesCounted(async (asked) => {
        const failed = nextEvent<CallErrorEvent>(local, 'error');
        local.kind = 'screen';
        await local.updateComplete;
        expect(local.state).to.equal('acquiring');
        // Meanwhile the page's device list changes the camera: a screen has no device, so the share goes on.
        local.device = cameraId;
        expect((await failed).error.name).to.equal('NotAllowedError');
        expect([local.kind, local.device], 'kind set back; the device chosen since kept').to.deep.equal([
          'video',
          cameraId,
        ]);
        await until(() => local.track !== camera && local.state === 'live', 'the chosen camera');
        expect(asked).to.deep.equal([{ video: { deviceId: { exact: cameraId } } }]);
        expect(senderOf(a, local.track!), 'the chosen camera sent').to.exist;
      });
    } finally {
      delete (media as Partial<MediaDevices>).getDisplayMedia;
    }
  });

  it('a track that ends is removed from the connection, with state ended', async () => {
    const { track, end } = await trackThatCanEnd();
    try {
      const [a, , local] = await sendingOne(html`<local-track .track=${track}></local-track>`);
      const sender = senderOf(a, track)!;
      const changed = stateAtTrackChange(local);
      await end();
      expect(await changed, 'the state its trackchange tells').to.deep.equal([null, 'ended']);
      expect(local.state).to.equal('ended');
      expect(local.matches(':state(ended)')).to.equal(true);
      expect(local.track).to.equal(null);
      expect(sender.track).to.equal(null);
      expect(track.readyState).to.equal('ended');
    } finally {
      await end();
    }
  });

  it('a microphone that ended is captured again when kind is set again, even to the same value', async () => {
    // The browser gives tracks it can end, as it ends an unplugged microphone's (stop() fires no ended): two, one for the
    // first capture and one for the first try again; then its own.
    const endables = [await trackThatCanEnd(), await trackThatCanEnd()];
    const media = navigator.mediaDevices;
    const getUserMedia = media.getUserMedia;
    const handed = [...endables];
    media.getUserMedia = (constraints) => {
      const next = handed.shift();
      return next ? Promise.resolve(new MediaStream([next.track])) : getUserMedia.call(media, constraints);
    };
    try {
      const [a, , local] = await sendingOne(html`<local-track kind="audio"></local-track>`);
      // Kind set again as a property, then as an attribute.
      const retries: [string, () => void][] = [
        ['property', () => (local.kind = 'audio')],
        ['attribute', () => local.setAttribute('kind', 'audio')],
      ];
      for (const [i, [how, again]] of retries.entries()) {
        const microphone = local.track!;
        expect(microphone, how).to.equal(endables[i].track);
        await endables[i].end();
        await until(() => local.state === 'ended', `the microphone ended (${how})`);
        await until(() => !senderOf(a, microphone), `the ended microphone no longer sent (${how})`);
        again();
        await until(() => local.state === 'live' && local.track !== microphone, `a new microphone (${how})`);
        await until(() => !!senderOf(a, local.track), `the new microphone sent (${how})`);
      }
    } finally {
      delete (media as Partial<MediaDevices>).getUserMedia;
      for (const { end } of endables) await end();
    }
  });

  it('a capture that failed is tried again when kind is set again, even to the same value', async () => {
    // A camera that another application holds: the browser's NotReadableError, until it lets the camera go.
    const media = navigator.mediaDevices;
    const getUserMedia = media.getUserMedia;
    let busy = true;
    const asked: MediaStreamConstraints[] = [];
    media.getUserMedia = (constraints) => {
      asked.push(constraints!);
      return busy
        ? Promise.reject(new DOMException('Could not start video source', 'NotReadableError'))
        : getUserMedia.call(media, constraints);
    };
    try {
      const [a] = await callPair(
        (name) => html`<peer-connection signaling="loopback:${name}"></peer-connection>`,
        (name) => html`<peer-connection signaling="loopback:${name}"></peer-connection>`,
      );
      const local = Object.assign(document.createElement('local-track'), {
        kind: 'video' as const,
        constraints: { width: 320 },
      });
      const errors = record<CallErrorEvent>(local, 'error');
      // A listener of the failure that sets the same kind asks nothing more: a refused camera would be asked for ever.
      local.addEventListener('error', () => (local.kind = 'video'));
      a.append(local);
      await until(() => local.state === 'error', 'the busy camera told');
      // Nor do equal constraints in a new object, as a framework passes at each render (here, of the error).
      local.constraints = { width: 320 };
      await pause();
      expect([asked.length, errors.length]).to.deep.equal([1, 1]);
      // The page's "Start camera" button, pressed again.
      busy = false;
      local.kind = 'video';
      await until(() => local.state === 'live', 'the camera once asked again');
      await until(() => !!senderOf(a, local.track), 'the camera sent');
      expect(asked).to.have.length(2);
    } finally {
      delete (media as Partial<MediaDevices>).getUserMedia;
    }
  });

  it('a capture given up on just after the browser answered leaves no camera on', async () => {
    // The camera and microphone share one getUserMedia call; the microphone's element gets its track first, and its
    // trackchange listener runs after the browser answered the camera too but before the camera's element took its
    // track. There the page moves the camera's element with another device: that capture is given up on. The camera's
    // element is removed at its first trackchange, as a page might, before the newer capture comes.
    const media = navigator.mediaDevices;
    const getUserMedia = media.getUserMedia;
    const captured: MediaStreamTrack[] = [];
    media.getUserMedia = async (constraints) => {
      const stream = await getUserMedia.call(media, constraints);
      captured.push(...stream.getVideoTracks());
      return stream;
    };
    try {
      const devices = await media.enumerateDevices();
      const camera = devices.find((d) => d.kind === 'videoinput')!.deviceId;
      const pc = await fixture<PeerConnection>(html`
        <peer-connection>
          <local-track kind="audio"></local-track>
          <local-track kind="video"></local-track>
        </peer-connection>
      `);
      const [microphone, video] = pc.querySelectorAll('local-track');
      microphone.addEventListener(
        'trackchange',
        () => {
          video.remove();
          video.device = camera;
          pc.append(video);
        },
        { once: true },
      );
      video.addEventListener('trackchange', () => video.remove(), { once: true });
      await until(() => !video.isConnected, 'the camera element removed');
      await until(() => captured.length === 2, 'both camera captures answered');
      await until(() => captured.every((t) => t.readyState === 'ended'), 'every camera stopped');
      expect(video.track).to.equal(null);
      microphone.remove();
    } finally {
      delete (media as Partial<MediaDevices>).getUserMedia;
    }
  });

  it('a bad kind set on a live element lets its track go with state error, told by the time trackchange fires', async () => {
    const [, , local] = await sendingOne(html`<local-track kind="video"></local-track>`);
    const letGo = stateAtTrackChange(local);
    local.setAttribute('kind', 'camera');
    expect(await letGo).to.deep.equal([null, 'error']);
  });

  it('an error listener that sets another kind has it captured: a bad kind falls back to the camera', async () => {
    const [a, , local] = await sendingOne(html`<local-track kind="video"></local-track>`);
    const camera = local.track!;
    const errors = record<CallErrorEvent>(local, 'error');
    // The bad kind is told within the update that found it; the listener's change must not be lost in it.
    local.addEventListener('error', () => (local.kind = 'video'), { once: true });
    local.setAttribute('kind', 'camera');
    await until(() => errors.length === 1, 'the bad kind told');
    await until(() => local.state === 'live', 'live again with the fallback kind');
    expect(local.getAttribute('kind')).to.equal('video');
    expect(local.track).not.to.equal(camera);
    expect(local.track!.kind).to.equal('video');
    await until(() => !!senderOf(a, local.track), 'the new camera sent');
    expect(errors.map((e) => e.operation)).to.deep.equal(['attribute']);
  });

  it('a trackchange listener that sets a kind when the page takes its track has it captured', async () => {
    const own = (await capture({ video: true })).getVideoTracks()[0];
    try {
      const [a, , local] = await sendingOne(html`<local-track .track=${own}></local-track>`);
      // A page that falls back to the camera whenever the element has no track.
      local.addEventListener('trackchange', (event) => {
        if (!event.track) local.kind = 'video';
      });
      local.track = null;
      await until(
        () => local.state === 'live' && !!local.track && local.track !== own,
        'a camera in its place',
      );
      await until(() => !!senderOf(a, local.track), 'the camera sent');
      expect(own.readyState, 'the page track is not stopped').to.equal('live');
    } finally {
      own.stop();
    }
  });

  it('a track changed on a closed connection gives InvalidStateError, as one added there does', async () => {
    const [a, , local] = await sendingOne(html`<local-track kind="video"></local-track>`);
    a.close();
    const error = nextEvent<CallErrorEvent>(local, 'error');
    const other = (await capture({ video: true })).getVideoTracks()[0];
    local.track = other;
    const event = await error;
    expect([event.operation, (event.error as Error).name]).to.deep.equal([
      'replace-track',
      'InvalidStateError',
    ]);
    other.stop();
  });

  it('takes equal constraints in a new object, as a framework passes on each render, as no change', async () => {
    const local = await fixture<LocalTrack>(
      html`<local-track kind="video" .constraints=${{ width: 320 }}></local-track>`,
    );
    await until(() => local.state === 'live', 'live');
    const track = local.track;
    const changes = record<TrackChangeEvent>(local, 'trackchange');
    local.constraints = { width: 320 };
    await local.updateComplete;
    expect([local.state, local.track, changes.length]).to.deep.equal(['live', track, 0]);
    // Other values are a change, which the track in use takes.
    local.constraints = { width: 640 };
    await until(() => track!.getConstraints().width === 640, 'the new constraints applied');
    expect([local.state, local.track, changes.length]).to.deep.equal(['live', track, 0]);
  });

  it('new constraints apply to the camera in use: no new capture, no renegotiation, and the far side gets the new size', async () => {
    const [a, b, local] = await sendingOne(
      html`<local-track kind="video" .constraints=${{ width: 640, height: 480 }}></local-track>`,
    );
    const camera = local.track!;
    const sender = senderOf(a, camera)!;
    // Chromium's encoder may send a busy machine's frames smaller: here the size sent is the camera's.
    await sender.setParameters({
      ...sender.getParameters(),
      degradationPreference: 'maintain-resolution',
    } as RTCRtpSendParameters);
    const needed = renegotiations(a);
    const changes = record<TrackChangeEvent>(local, 'trackchange');
    const errors = record<CallErrorEvent>(local, 'error');
    await withCapturesCounted(async (asked) => {
      local.constraints = { width: 320, height: 240 };
      await until(() => camera.getConstraints().width === 320, 'the camera taking the new constraints');
      // Firefox's fake camera takes constraints without changing its frames (still 640 wide after applyConstraints to
      // 320, checked with a plain track); Chromium's, as a real camera, sends the new size.
      if (!navigator.userAgent.includes('Firefox')) {
        await until(() => camera.getSettings().width === 320, 'the camera at the new width');
        const remote = document.createElement('video');
        remote.muted = true;
        remote.srcObject = b.remoteStreams[0];
        try {
          await remote.play();
          await until(() => remote.videoWidth === 320, 'the far side decoding the new width');
        } finally {
          remote.srcObject = null;
        }
      }
      await pause();
      expect([asked.length, changes.length, errors.length]).to.deep.equal([0, 0, 0]);
    });
    expect([local.track, sender.track, camera.readyState]).to.deep.equal([camera, camera, 'live']);
    expect(needed).to.have.length(0);
  });

  it('constraints that choose a device (also in advanced) or leave one out capture the camera anew', async () => {
    const [, , local] = await sendingOne(
      html`<local-track kind="video" .constraints=${{ width: 320, frameRate: 10 }}></local-track>`,
    );
    const id = local.track!.getSettings().deviceId!;
    // Each from a camera captured with no device chosen, or with another choice.
    const steps: [string, MediaTrackConstraints][] = [
      ['a constraint left out, which the track would keep', { width: 320 }],
      ['a facing mode', { width: 320, facingMode: 'user' }],
      ['no facing mode', { width: 320 }],
      ['a device chosen in advanced', { width: 320, advanced: [{ deviceId: id }] }],
    ];
    for (const [what, constraints] of steps)
      await withCapturesCounted(async (asked) => {
        const before = local.track;
        local.constraints = constraints;
        await until(() => local.track !== before && local.state === 'live', what);
        expect(asked, what).to.deep.equal([{ video: constraints }]);
      });
    // The same choice with a new size applies to the camera in use.
    await withCapturesCounted(async (asked) => {
      const camera = local.track!;
      local.constraints = { width: 240, advanced: [{ deviceId: id }] };
      await until(() => camera.getConstraints().width === 240, 'the new size applied');
      expect([asked, local.track]).to.deep.equal([[], camera]);
    });
  });

  it('constraints the camera cannot meet keep it as it was, sent, with an error; equal ones again ask nothing', async () => {
    const [a, , local] = await sendingOne(html`<local-track kind="video"></local-track>`);
    const camera = local.track!;
    const width = camera.getSettings().width;
    const failed = nextEvent<CallErrorEvent>(local, 'error');
    // A resize mode no camera has: Firefox's fake camera takes any size (even 100,000 wide), not this.
    const impossible = { resizeMode: { exact: 'stretch' } } as MediaTrackConstraints;
    local.constraints = impossible;
    const { operation, error } = await failed;
    expect([operation, (error as Error).name]).to.deep.equal(['acquire', 'OverconstrainedError']);
    expect([local.state, local.track, camera.readyState, camera.getSettings().width]).to.deep.equal([
      'live',
      camera,
      'live',
      width,
    ]);
    expect(senderOf(a, camera)).to.exist;
    const errors = record<CallErrorEvent>(local, 'error');
    local.constraints = { ...impossible };
    await pause();
    expect(errors).to.deep.equal([]);
    // Constraints it can meet apply.
    local.constraints = { width: 320 };
    await until(() => camera.getConstraints().width === 320, 'the new constraints applied');
    expect([local.state, local.track]).to.deep.equal(['live', camera]);
  });

  it('takes values that mean no device or no track ("", undefined) as no change, capturing nothing new', async () => {
    const [a, , local] = await sendingOne(html`<local-track kind="video"></local-track>`);
    const camera = local.track!;
    const changes = record<TrackChangeEvent>(local, 'trackchange');
    await withCapturesCounted(async (asked) => {
      // A <select>'s "Default" option, and a framework passing undefined for none.
      local.device = '';
      await local.updateComplete;
      (local as unknown as { device: undefined }).device = undefined;
      await local.updateComplete;
      (local as unknown as { track: undefined }).track = undefined;
      await local.updateComplete;
      await pause();
      expect(asked).to.deep.equal([]);
    });
    expect([local.state, local.track, camera.readyState, changes.length]).to.deep.equal([
      'live',
      camera,
      'live',
      0,
    ]);
    expect(senderOf(a, camera)).to.exist;
  });

  it('a capture on a closed connection gives InvalidStateError once', async () => {
    const [a, , local] = await sendingOne(html`<local-track kind="video"></local-track>`);
    a.close();
    const errors = record<CallErrorEvent>(local, 'error');
    // A switch the element captures itself: it leaves the acquiring state, then sends the new track.
    local.device = local.track!.getSettings().deviceId!;
    await until(() => local.state === 'live' && errors.length > 0, 'the switch and its error');
    await pause();
    expect(errors.map((e) => [e.operation, (e.error as Error).name])).to.deep.equal([
      ['replace-track', 'InvalidStateError'],
    ]);
  });

  it('a move (out and back in one task, a reordered list) tries no failed capture again', async () => {
    const a = await fixture<PeerConnection>(
      html`<peer-connection signaling="loopback:${uniqueName()}"
        ><local-track kind="camera"></local-track
      ></peer-connection>`,
    );
    const local = a.querySelector('local-track')!;
    await until(() => local.state === 'error', 'the bad kind told');
    const errors = record<CallErrorEvent>(local, 'error');
    a.append(document.createElement('local-track'), local);
    await pause();
    expect([local.state, errors.length]).to.deep.equal(['error', 0]);
    // A change tries again.
    local.kind = 'video';
    await until(() => local.state === 'live', 'the camera once kind is right');
  });

  it('a listener that moves the element as its capture fails tries no capture again', async () => {
    const a = await fixture<PeerConnection>(
      html`<peer-connection signaling="loopback:${uniqueName()}"
        ><local-track kind="video"></local-track
      ></peer-connection>`,
    );
    const local = a.querySelector('local-track')!;
    await until(() => local.state === 'live', 'the camera');
    const errors = record<CallErrorEvent>(local, 'error');
    // A page that rearranges its tiles on an error does so within the update that failed.
    local.addEventListener('error', () => a.append(document.createElement('local-track'), local), {
      once: true,
    });
    local.setAttribute('kind', 'camera');
    await until(() => errors.length > 0, 'the bad kind told');
    await pause();
    expect([local.state, errors.length]).to.deep.equal(['error', 1]);
  });

  it('a bad kind gives a clear error and acquires nothing', async () => {
    const local = document.createElement('local-track');
    local.setAttribute('kind', 'camera');
    const error = nextEvent<CallErrorEvent>(local, 'error');
    const changes = record(local, 'trackchange');
    const [a] = await callPair(
      (name) => html`<peer-connection signaling="loopback:${name}"></peer-connection>`,
      (name) => html`<peer-connection signaling="loopback:${name}"></peer-connection>`,
    );
    a.append(local);
    const event = await error;
    expect(event).to.be.instanceOf(CallErrorEvent);
    expect(event.operation).to.equal('attribute');
    expect(event.message).to.contain('kind="camera" is not one of "audio", "video", "screen"');
    expect(local.state).to.equal('error');
    expect(local.track).to.equal(null);
    expect(changes).to.have.length(0);
    expect(a.connection!.getSenders()).to.have.length(0);
  });

  it('a stream that is not text gives an attribute error, and the track is sent with no names', async () => {
    // An array of names, or a MediaStream as <remote-stream> takes: set through the property by a page or framework.
    const local = Object.assign(document.createElement('local-track'), { kind: 'audio' as const });
    const errors = record<CallErrorEvent>(local, 'error');
    (local as unknown as { stream: string[] }).stream = ['cam'];
    const [a, b] = await callPair(
      (name) => html`<peer-connection signaling="loopback:${name}"></peer-connection>`,
      (name) => html`<peer-connection signaling="loopback:${name}"></peer-connection>`,
    );
    a.append(local);
    await until(() => b.remoteStreams.length === 1, 'the microphone at the far side');
    expect(errors.map((e) => [e.operation, e.message])).to.deep.equal([
      ['attribute', 'TypeError: stream must be space-separated names, got an array'],
    ]);
    // Names given next are taken: the far side receives the track in another stream.
    const [unnamed] = b.remoteStreams;
    local.stream = 'cam';
    await until(
      () => b.remoteStreams.length === 1 && b.remoteStreams[0] !== unnamed,
      'the microphone in its named stream',
    );
    expect(errors).to.have.length(1);
  });

  it('a missing device gives an error event and state error', async () => {
    // Listened to before insertion: Firefox may refuse the camera before a fixture of the markup resolves.
    const root = await fixture<HTMLElement>(html`<div></div>`);
    const local = Object.assign(document.createElement('local-track'), {
      kind: 'video' as const,
      device: 'no-such-camera',
    });
    const error = nextEvent<CallErrorEvent>(local, 'error');
    root.append(local);
    const event = await error;
    expect(event.operation).to.equal('acquire');
    expect(event.message).to.match(/Overconstrained|NotFound/);
    expect(local.state).to.equal('error');
    expect(local.matches(':state(error)')).to.equal(true);
  });

  it('a camera and a microphone inserted together share one capture request (one permission prompt)', async () => {
    await withCapturesCounted(async (asked) => {
      const [a, b] = await liveCall();
      const [camera, microphone] = a.querySelectorAll('local-track');
      await until(() => camera.state === 'live' && microphone.state === 'live', 'both live');
      expect(asked).to.deep.equal([{ video: true, audio: true }]);
      expect([camera.track!.kind, microphone.track!.kind]).to.deep.equal(['video', 'audio']);
      await until(() => b.remoteStreams[0]?.getTracks().length === 2, 'both tracks in one far stream');
    });
  });

  it('a camera that cannot be had does not cost the microphone asked for with it its track', async () => {
    await withCapturesCounted(async (asked) => {
      // Listened to before insertion: Firefox may refuse the camera before a fixture of the markup resolves.
      const root = await fixture<HTMLElement>(html`<div></div>`);
      const camera = Object.assign(document.createElement('local-track'), {
        kind: 'video',
        device: 'no-such-camera',
      });
      const microphone = Object.assign(document.createElement('local-track'), { kind: 'audio' });
      const errors = record<CallErrorEvent>(camera, 'error');
      root.append(camera, microphone);
      await until(
        () => camera.state === 'error' && microphone.state === 'live',
        'camera error, microphone live',
      );
      expect(errors.map((e) => e.operation)).to.deep.equal(['acquire']);
      expect(errors[0].message).to.match(/Overconstrained|NotFound/);
      // Asked together first; then each alone, so that only the camera fails.
      const noSuchCamera = { deviceId: { exact: 'no-such-camera' } };
      expect(asked).to.deep.equal([
        { video: noSuchCamera, audio: true },
        { video: noSuchCamera },
        { audio: true },
      ]);
    });
  });

  it('a camera that a permissions policy refuses does not cost the microphone asked for with it its track', async () => {
    // A page in a frame that may use the microphone only. Asked for together, Firefox refuses both, and Chromium gives
    // the microphone alone.
    const frame = document.createElement('iframe');
    frame.allow = "camera 'none'; microphone";
    frame.srcdoc = `<script type="module">
      import '/src/define.ts';
      document.body.innerHTML = '<local-track kind="video"></local-track><local-track kind="audio"></local-track>';
    </script>`;
    document.body.append(frame);
    try {
      await until(() => frame.contentDocument?.querySelectorAll('local-track').length === 2, 'the elements');
      const [camera, microphone] = frame.contentDocument!.querySelectorAll('local-track');
      await until(
        () => camera.state === 'error' && microphone.state === 'live',
        'camera refused, microphone live',
      );
    } finally {
      frame.remove();
    }
  });

  it('a returning track reuses its idle transceiver: 50 remove/add cycles add no m-line', async () => {
    const [a, b, local] = await sendingOne(html`<local-track kind="video" stream="cam"></local-track>`);
    const own = (await capture({ video: true })).getVideoTracks()[0];
    local.track = own;
    await settled(a, b);
    let afterFirst = 0;
    for (let cycle = 1; cycle <= 50; cycle++) {
      local.remove();
      await nextEvent(a, 'negotiated');
      a.append(local);
      await nextEvent(a, 'negotiated');
      if (cycle === 1) afterFirst = mLines(a.connection!.localDescription);
    }
    expect(afterFirst).to.equal(1);
    expect(mLines(a.connection!.localDescription)).to.equal(afterFirst);
    expect(a.connection!.getTransceivers()).to.have.length(1);
    await until(() => b.remoteStreams[0]?.getVideoTracks().length === 1, 'the track back at the far side');
    await decodedFrame(b.remoteStreams[0]);
    own.stop();
  });

  it('changing stream moves the track to another remote stream, for good', async () => {
    const [a, b, local] = await sendingOne(html`<local-track kind="video" stream="first"></local-track>`);
    const [first] = b.remoteStreams;
    local.stream = 'second';
    await until(
      () => b.remoteStreams.some((s) => s !== first && s.getVideoTracks().length === 1),
      'the new stream',
    );
    const second = b.remoteStreams.find((s) => s !== first)!;
    // Later exchanges keep it there: Chromium described the sender with its first stream again from the second one on.
    for (let i = 0; i < 3; i++) {
      await settled(a, b);
      const exchanged = nextEvent(a, 'negotiated');
      a.restartIce();
      await exchanged;
    }
    await settled(a, b);
    expect(b.remoteStreams.map((s) => [s.id, s.getVideoTracks().length])).to.deep.equal([[second.id, 1]]);
    expect(a.connection!.localDescription!.sdp).to.contain(`a=msid:${second.id} `);
  });

  it('renders a preview of its video when asked', async () => {
    const local = await fixture<LocalTrack>(html`<local-track kind="video" preview></local-track>`);
    await until(() => local.state === 'live', 'live');
    await local.updateComplete;
    const video = local.shadowRoot!.querySelector<HTMLVideoElement>('video[part="preview"]')!;
    expect(video.muted).to.equal(true);
    expect((video.srcObject as MediaStream).getTracks()).to.deep.equal([local.track]);
    await until(() => video.videoWidth > 0, 'a decoded preview frame');
  });

  it('mirrors the preview of a camera, as people expect of their own, but not of a screen, whose text would read backwards', async () => {
    const camera = (await capture({ video: true })).getVideoTracks()[0];
    // A camera's track shown as a screen's: headless Firefox has no screen to capture, and the rule is the kind's.
    const root = await fixture<HTMLElement>(
      html`<div>
        <local-track kind="video" preview></local-track>
        <local-track kind="screen" preview .track=${camera}></local-track>
      </div>`,
    );
    const tracks = [...root.querySelectorAll('local-track')];
    await until(() => tracks.every((t) => t.state === 'live'), 'both live');
    await Promise.all(tracks.map((t) => t.updateComplete));
    const transforms = tracks.map((t) => getComputedStyle(t.shadowRoot!.querySelector('video')!).transform);
    expect(transforms).to.deep.equal(['matrix(-1, 0, 0, 1, 0, 0)', 'none']);
  });

  it('attaches to the <peer-connection> named by for, even one that comes later', async () => {
    const root = await fixture<HTMLElement>(
      html`<div><local-track for="later" kind="audio"></local-track></div>`,
    );
    const local = root.querySelector('local-track')!;
    await until(() => local.state === 'live', 'live');
    const pc = document.createElement('peer-connection');
    pc.id = 'later';
    root.append(pc);
    await until(() => !!senderOf(pc, local.track), 'the track sent on the later connection');
  });
});
