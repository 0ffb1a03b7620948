import { expect, fixture, html } from '@open-wc/testing';
import { LitElement } from 'lit';
import type {
  LocalTrack,
  NegotiatedEvent,
  PeerConnection,
  StreamAddedEvent,
  StreamRemovedEvent,
} from '../src/index.js';
import {
  CallErrorEvent,
  ConnectionStateChangeEvent,
  loopbackSignaling,
  type NegotiationMessage,
  type SignalingChannel,
} from '../src/index.js';
import {
  callPair,
  candidatesLostAtFirst,
  capture,
  decodedFrame,
  liveCall,
  framesDecoded,
  nextEvent,
  record,
  settled,
  uniqueName,
  until,
  withConnectionsLogged,
} from './helpers.js';

/**
 * A loopback channel the test can watch and bend, as a lossy, hostile or broken far side would: `sent` gets every
 * outgoing message and may return another (an object) to send instead, or `null` to lose it; `inject` hands this side a message
 * as if the far side had sent it.
 */
function tappedLoopback(
  name: string,
  sent: (message: NegotiationMessage) => unknown = () => undefined,
): SignalingChannel & { inject(message: unknown): void } {
  const inner = loopbackSignaling(name, {});
  let deliver: (message: unknown) => void = () => {};
  return {
    start(listener) {
      deliver = (message) => listener.message(message);
      inner.start(listener);
    },
    send: (message) => {
      const out = sent(message);
      if (out !== null) inner.send(typeof out === 'object' ? (out as NegotiationMessage) : message);
    },
    close: () => inner.close(),
    get polite() {
      return inner.polite;
    },
    inject: (message) => deliver(message),
  };
}

/**
 * A far side of plain code that has made an offer (one audio m-line) and gathered its candidates, behind a channel
 * through which the test delivers its messages at chosen moments (`deliver`) and collects the answers sent to it.
 */
async function plainOfferer(): Promise<{
  far: RTCPeerConnection;
  gathered: RTCIceCandidateInit[];
  channel: SignalingChannel;
  deliver(message: unknown): void;
  answers: RTCSessionDescriptionInit[];
}> {
  const far = new RTCPeerConnection();
  far.addTransceiver('audio');
  const gathered: RTCIceCandidateInit[] = [];
  far.onicecandidate = ({ candidate }) => candidate && gathered.push(candidate.toJSON());
  await far.setLocalDescription();
  await until(() => far.iceGatheringState === 'complete', 'ICE gathering');
  expect(gathered.length).to.be.greaterThan(0);
  let toListener: (message: unknown) => void = () => {};
  const answers: RTCSessionDescriptionInit[] = [];
  const channel: SignalingChannel = {
    polite: false,
    start: (listener) => (toListener = (message) => listener.message(message)),
    send: (message) => 'description' in message && answers.push(message.description),
    close: () => far.close(),
  };
  return { far, gathered, channel, deliver: (message) => toListener(message), answers };
}

/**
 * How plain code takes a message of this side: a candidate is added, a description applied, and an offer answered
 * through `deliver`.
 */
function plainReceiver(pc: RTCPeerConnection, deliver: (message: unknown) => void) {
  return async (message: NegotiationMessage): Promise<void> => {
    if ('candidate' in message) return pc.addIceCandidate(message.candidate);
    if (!('description' in message)) return;
    await pc.setRemoteDescription(message.description);
    if (message.description.type !== 'offer') return;
    await pc.setLocalDescription();
    deliver({ description: pc.localDescription!.toJSON() });
  };
}

/**
 * A far side of plain code that answers the offers this side sends it (one that collides with its own it ignores, as
 * an impolite side does), behind a channel that makes this side the impolite one. `outgoing` may rewrite each
 * description it sends; `received` lists the types of those it got; `deliver` hands this side a message from it.
 */
function plainAnswerer(outgoing = (description: RTCSessionDescriptionInit) => description) {
  const far = new RTCPeerConnection();
  const received: RTCSdpType[] = [];
  let toListener: (message: unknown) => void = () => {};
  const deliver = (message: unknown) => toListener(message);
  const atFar = async (message: NegotiationMessage): Promise<void> => {
    if ('candidate' in message) return far.addIceCandidate(message.candidate);
    if (!('description' in message)) return;
    const { description } = message;
    received.push(description.type);
    if (description.type === 'offer' && far.signalingState !== 'stable') return;
    await far.setRemoteDescription(description);
    if (description.type !== 'offer') return;
    await far.setLocalDescription();
    deliver({ description: outgoing(far.localDescription!.toJSON()) });
  };
  far.onicecandidate = ({ candidate }) => candidate && deliver({ candidate: candidate.toJSON() });
  const channel: SignalingChannel = {
    polite: false,
    start: (listener) => (toListener = (message) => listener.message(message)),
    send: (message) => void atFar(message),
    close: () => far.close(),
  };
  return { far, channel, deliver, received };
}

/**
 * A call with a far side of plain code that writes `time()` as both the session id and the version of each of its
 * descriptions, as aiortc writes the time in seconds. The far side offers (a video m-line to receive on), then this
 * side offers its camera; resolves once both exchanges are done, `received` cleared before them.
 */
async function aiortcExchanges(time: () => number) {
  const rewrite = (description: RTCSessionDescriptionInit) => {
    const now = time();
    return {
      type: description.type,
      sdp: description.sdp!.replace(/^o=(\S+) \d+ \d+ /m, (_, user: string) => `o=${user} ${now} ${now} `),
    };
  };
  const { far, channel, deliver, received } = plainAnswerer(rewrite);
  try {
    return await exchanges();
  } catch (error) {
    far.close();
    throw error;
  }

  async function exchanges() {
    const a = await fixture<PeerConnection>(
      html`<peer-connection .signaling=${channel}><local-track kind="audio"></local-track></peer-connection>`,
    );
    const errors = record<CallErrorEvent>(a, 'error');
    await until(() => a.state === 'connected' && far.signalingState === 'stable', 'the call');
    received.length = 0;
    far.addTransceiver('video', { direction: 'recvonly' });
    await far.setLocalDescription();
    const farOffer = rewrite(far.localDescription!.toJSON());
    deliver({ description: farOffer });
    await until(() => far.signalingState === 'stable', "the far side's offer answered");
    const camera = document.createElement('local-track');
    camera.kind = 'video';
    a.append(camera);
    const video = far.getTransceivers().find((t) => t.receiver.track.kind === 'video')!;
    await until(() => video.currentDirection === 'recvonly', 'the camera negotiated');
    await until(() => a.signalingState === 'stable', "the camera's offer answered");
    return { a, far, channel, deliver, received, errors, farOffer, video, rewrite };
  }
}

/** The ICE username fragment a description starts with. */
const ufragOf = (description: RTCSessionDescription | null) =>
  /^a=ice-ufrag:(\S+)/m.exec(description?.sdp ?? '')?.[1];

/** Records, in `steps`, each `addIceCandidate` call on `pc` ("add 1") and when it settles ("added 1"). */
function candidateSteps(pc: RTCPeerConnection): string[] {
  const steps: string[] = [];
  const addIceCandidate = pc.addIceCandidate.bind(pc);
  let added = 0;
  pc.addIceCandidate = (candidate?: RTCIceCandidateInit | null) => {
    const n = ++added;
    steps.push(`add ${n}`);
    return addIceCandidate(candidate).finally(() => steps.push(`added ${n}`));
  };
  return steps;
}

/** A connected call whose first side sends a camera to a second side that sends nothing. */
async function cameraCall(): Promise<[PeerConnection, PeerConnection]> {
  const [a, b] = await callPair(
    (name) =>
      html`<peer-connection signaling="loopback:${name}"
        ><local-track kind="video"></local-track
      ></peer-connection>`,
    (name) => html`<peer-connection signaling="loopback:${name}"></peer-connection>`,
  );
  await until(() => b.remoteStreams.length === 1 && b.state === 'connected', 'the camera at the far side');
  return [a, b];
}

describe('<peer-connection>', () => {
  it('keeps receiving video when both sides add a new m-line in the same task', async () => {
    // Both sides' new m-lines get negotiated and the video that flowed before still shows on both sides. (This does
    // not reproduce the Chromium rollback bug the offer request avoids: that needs the two offers to cross, which
    // the loopback channel does not make happen reliably; test/e2e and the mesh runs are where it showed.)
    const name = uniqueName();
    const root = await fixture<HTMLElement>(
      html`<div>
        <peer-connection signaling="loopback:${name}" polite
          ><local-track kind="video" stream="a"></local-track
        ></peer-connection>
        <peer-connection signaling="loopback:${name}"
          ><local-track kind="video" stream="b"></local-track
        ></peer-connection>
      </div>`,
    );
    const [a, b] = root.querySelectorAll('peer-connection');
    await until(() => a.remoteStreams.length === 1 && b.remoteStreams.length === 1, 'video both ways');
    await settled(a, b);
    await decodedFrame(a.remoteStreams[0]);
    const microphones = await Promise.all([0, 1].map(() => capture({ audio: true })));
    const [forA, forB] = microphones.map((stream) => stream.getAudioTracks()[0]);
    a.append(Object.assign(document.createElement('local-track'), { track: forA, stream: 'a' }));
    b.append(Object.assign(document.createElement('local-track'), { track: forB, stream: 'b' }));
    await until(
      () => [a, b].every((pc) => pc.remoteStreams[0]?.getAudioTracks().length === 1),
      'audio both ways',
    );
    await settled(a, b);
    await decodedFrame(a.remoteStreams[0]);
    await decodedFrame(b.remoteStreams[0]);
    for (const track of [forA, forB]) track.stop();
  });

  it('matches its first state as a custom state from the start, as the state attribute says', async () => {
    const elements = ['peer-connection', 'local-track', 'call-room'].map((tag) =>
      document.createElement(tag),
    );
    const root = await fixture<HTMLElement>(html`<div></div>`);
    root.append(...elements);
    await Promise.all(elements.map((el) => (el as PeerConnection).updateComplete));
    const states = elements.map((el) => [
      el.getAttribute('state'),
      el.matches(`:state(${el.getAttribute('state')})`),
    ]);
    expect(states).to.deep.equal([
      ['new', true],
      ['idle', true],
      ['idle', true],
    ]);
  });

  it('makes no RTCPeerConnection until it is in a document', async () => {
    const pc = document.createElement('peer-connection');
    expect(pc.connection).to.equal(null);
    expect(pc.remoteStreams).to.deep.equal([]);
    expect(pc.signalingState).to.equal('closed');
    // Nothing to restart: told, not thrown (a page's "Reconnect" button would otherwise throw out of its handler).
    const errors = record<CallErrorEvent>(pc, 'error');
    pc.restartIce();
    document.body.append(pc);
    expect(pc.connection).to.be.instanceOf(RTCPeerConnection);
    pc.close();
    pc.restartIce();
    expect(errors.map((e) => [e.operation, e.error.name, e.message])).to.deep.equal(
      Array(2).fill([
        'connection',
        'InvalidStateError',
        'InvalidStateError: restartIce() found no open connection to restart; a new one starts when the element is inserted again or signaling changes',
      ]),
    );
    pc.remove();
  });

  it('makes its RTCPeerConnection once its tracks are captured, or once the far side writes, as plain code would', async () => {
    // Made before the capture, it slowed the capture (Firefox 10 ms instead of 5); a side with nothing to send and
    // nobody to talk to needs none.
    const log: string[] = [];
    const media = navigator.mediaDevices;
    const getUserMedia = media.getUserMedia;
    media.getUserMedia = (constraints) => {
      log.push('capture');
      return getUserMedia.call(media, constraints).then((stream) => {
        log.push('captured');
        return stream;
      });
    };
    try {
      await withConnectionsLogged(log, async () => {
        const name = uniqueName();
        const root = await fixture<HTMLElement>(html`<div></div>`);
        const far = Object.assign(document.createElement('peer-connection'), {
          signaling: `loopback:${name}`,
        });
        root.append(far);
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(log).to.deep.equal([]);
        expect(far.state).to.equal('new');
        expect(far.signalingState).to.equal('stable');
        const near = Object.assign(document.createElement('peer-connection'), {
          signaling: `loopback:${name}`,
        });
        near.append(
          Object.assign(document.createElement('local-track'), { kind: 'video' as const, stream: 'cam' }),
          Object.assign(document.createElement('local-track'), { kind: 'audio' as const, stream: 'cam' }),
        );
        // The near side is the polite one (the far side joined the pair first): it asks for an offer. Had that request
        // been lost in waiting, the near side would have made its own offer after 5 s instead.
        const nearNegotiated = record<NegotiatedEvent>(near, 'negotiated');
        root.append(near);
        await until(() => far.remoteStreams[0]?.getTracks().length === 2, 'both tracks at the far side');
        expect(
          nearNegotiated.map((e) => e.offered),
          'the near side offered nothing: its request was answered',
        )
          .to.include(false)
          .and.not.include(true);
        // The near side's connection, then the far side's, when the near side's first message reached it.
        expect(log).to.deep.equal(['capture', 'captured', 'connection', 'connection']);
        await decodedFrame(far.remoteStreams[0]);
      });
    } finally {
      delete (media as Partial<MediaDevices>).getUserMedia;
    }
  });

  it('makes one connection when a listener of its first error asks for it', async () => {
    // The browser refuses TURN without credentials; the kit reports it and uses the default configuration.
    const made: string[] = [];
    await withConnectionsLogged(made, async () => {
      const pc = document.createElement('peer-connection');
      pc.configuration = { iceServers: [{ urls: 'turn:127.0.0.1:3478' }] };
      const errors = record<CallErrorEvent>(pc, 'error');
      let seenInListener: RTCPeerConnection | null | undefined;
      pc.addEventListener('error', () => (seenInListener = pc.connection));
      document.body.append(pc);
      const connection = pc.connection;
      expect(connection).to.be.instanceOf(RTCPeerConnection);
      expect(made.length).to.equal(1);
      expect(errors.map((e) => e.operation)).to.deep.equal(['attribute']);
      expect(seenInListener).to.equal(null);
      expect(pc.connection).to.equal(connection);
      pc.remove();
    });
  });

  it('moves the call to a new signaling address: new connections, the same tracks, media again', async () => {
    const [a, b] = await liveCall();
    await until(() => b.remoteStreams[0]?.getTracks().length === 2, 'the call');
    const [before, track] = [a.connection!, a.querySelector('local-track')!.track!];
    const name = uniqueName();
    a.signaling = `loopback:${name}`;
    b.signaling = `loopback:${name}`;
    await until(
      () => a.connection !== before && b.remoteStreams[0]?.getTracks().length === 2,
      'the call again',
    );
    expect(before.signalingState).to.equal('closed');
    expect(a.connection!.getSenders().map((sender) => sender.track)).to.include(track);
    await decodedFrame(b.remoteStreams[0]);
  });

  it('stays closed when the far side it closed with leaves', async () => {
    const [a, b] = await liveCall();
    await until(() => a.state === 'connected', 'connected');
    a.close();
    b.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const side of [a, b]) {
      expect(side.state).to.equal('closed');
      expect(side.connection!.signalingState).to.equal('closed');
    }
  });

  it('reflects the connection state as an attribute, a custom state and events', async () => {
    const [a, b] = await liveCall();
    const events = record<ConnectionStateChangeEvent>(b, 'connectionstatechange');
    await until(() => b.state === 'connected', 'connected');
    expect(b.getAttribute('state')).to.equal('connected');
    expect(b.matches(':state(connected)')).to.equal(true);
    expect(b.matches(':state(new)')).to.equal(false);
    expect(events.map((e) => e.state)).to.include('connected');
    expect(events[0]).to.be.instanceOf(ConnectionStateChangeEvent);
    await until(() => a.state === 'connected', 'connected');
  });

  it('stays connected while tracks come and go, though Firefox checks ICE again on each renegotiation', async () => {
    const [a, b] = await liveCall();
    // Both sides, not only one: the side that finishes the DTLS handshake last reports connected a little later.
    await until(
      () =>
        a.state === 'connected' && b.state === 'connected' && b.remoteStreams[0]?.getTracks().length === 2,
      'the call',
    );
    await settled(a, b);
    const reported = [a, b].map((pc) => record<ConnectionStateChangeEvent>(pc, 'connectionstatechange'));
    // What the browser says meanwhile, to show what the elements smoothed over (Chromium stays connected).
    const browser: string[] = [];
    for (const pc of [a, b]) {
      const connection = pc.connection!;
      connection.addEventListener('connectionstatechange', () => browser.push(connection.connectionState));
    }
    for (let round = 0; round < 3; round++) {
      const screen = document.createElement('local-track');
      screen.kind = 'video';
      a.append(screen);
      await until(() => b.remoteStreams.length === 2, 'the second camera on the far side');
      screen.remove();
      await until(() => b.remoteStreams.length === 1, 'the second camera gone');
    }
    await settled(a, b);
    await until(
      () => browser.every((state) => state === 'connected') || browser.at(-1) === 'connected',
      'ICE',
    );
    expect(reported.map((events) => events.map((e) => e.state).join(','))).to.deep.equal(
      ['', ''],
      browser.join(),
    );
    expect([a.state, b.state, a.getAttribute('state')]).to.deep.equal([
      'connected',
      'connected',
      'connected',
    ]);
    expect(a.matches(':state(connected)') && !a.matches(':state(connecting)')).to.equal(true);
    await decodedFrame(b.remoteStreams[0]);
  });

  it('fires streamadded with the stream and negotiated after each exchange', async () => {
    const name = uniqueName();
    const root = await fixture<HTMLElement>(html`<div></div>`);
    const a = document.createElement('peer-connection');
    const b = document.createElement('peer-connection');
    a.signaling = b.signaling = `loopback:${name}`;
    const added = nextEvent<Event & { stream: MediaStream }>(b, 'streamadded');
    const negotiated = record<Event & { offered: boolean }>(a, 'negotiated');
    root.append(a, b);
    const local = document.createElement('local-track');
    local.kind = 'video';
    a.append(local);
    const { stream } = await added;
    expect(b.remoteStreams).to.deep.equal([stream]);
    await until(() => negotiated.length > 0, 'negotiated');
    expect(negotiated[0].offered).to.equal(true);
  });

  it('tells each stream removed once, even when a listener closes the connection mid-way', async () => {
    const [a, b] = await callPair(
      (name) =>
        html`<peer-connection signaling="loopback:${name}">
          <local-track kind="video" stream="one"></local-track>
          <local-track kind="video" stream="two"></local-track>
        </peer-connection>`,
      (name) => html`<peer-connection signaling="loopback:${name}"></peer-connection>`,
    );
    await until(() => b.remoteStreams.length === 2, 'both streams at the far side');
    await settled(a, b);
    const removed = record<StreamRemovedEvent>(b, 'streamremoved');
    // A page that hangs up once the far side stops sending.
    b.addEventListener('streamremoved', () => b.close(), { once: true });
    // Both go in one exchange, so the far side drops both streams in one pass.
    for (const local of a.querySelectorAll('local-track')) local.remove();
    await until(() => b.state === 'closed' && removed.length >= 2, 'both streams removed');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const ids = removed.map((e) => e.stream.id);
    expect(ids).to.have.length(2);
    expect(new Set(ids).size, ids.join(' ')).to.equal(2);
  });

  it('closes its connection when removed, and stops every track the kit captured', async () => {
    const [a, b] = await liveCall();
    await until(() => b.remoteStreams[0]?.getTracks().length === 2, 'the call');
    const connection = a.connection!;
    const tracks = [...a.querySelectorAll('local-track')].map((l) => l.track!);
    const removed = nextEvent(b, 'streamremoved', 20000);
    a.remove();
    await until(() => connection.signalingState === 'closed', 'the connection closed');
    expect(a.state).to.equal('closed');
    expect(a.connection).to.equal(null);
    expect(tracks.map((t) => t.readyState)).to.deep.equal(['ended', 'ended']);
    // The far side learns the peer left and starts over, ready for the next one.
    await removed;
    await until(
      () => b.connection !== null && b.connection.signalingState === 'stable',
      'a fresh connection',
    );
    expect(b.remoteStreams).to.have.length(0);
  });

  it('takes the next far side after one left, though it sends nothing itself', async () => {
    const name = uniqueName();
    const root = await fixture<HTMLElement>(
      html`<div><peer-connection signaling="loopback:${name}"></peer-connection></div>`,
    );
    const receiver = root.querySelector('peer-connection')!;
    const join = (): PeerConnection => {
      const sender = document.createElement('peer-connection');
      sender.signaling = `loopback:${name}`;
      const camera = document.createElement('local-track');
      camera.kind = 'video';
      sender.append(camera);
      root.append(sender);
      return sender;
    };
    const states = record<ConnectionStateChangeEvent>(receiver, 'connectionstatechange');
    const first = join();
    await until(() => receiver.remoteStreams.length === 1, "the first far side's stream");
    await until(() => receiver.state === 'connected', 'connected');
    const removed = nextEvent(receiver, 'streamremoved', 20000);
    first.remove();
    await removed;
    // A page that shows the state from its events sees the call end.
    await until(() => states.at(-1)?.state === 'new', 'a connectionstatechange to new');
    expect(receiver.state).to.equal('new');
    // The receiver's connection is not read here: reading it would make one, hiding a side that waits for nothing.
    join();
    await until(() => receiver.remoteStreams.length === 1, "the next far side's stream");
    await decodedFrame(receiver.remoteStreams[0]);
  });

  it('sends the tracks given to addTrack() to the next far side too, and takes them back by the first sender', async () => {
    const name = uniqueName();
    const a = await fixture<PeerConnection>(
      html`<peer-connection signaling="loopback:${name}"
        ><local-track kind="video"></local-track
      ></peer-connection>`,
    );
    const microphone = (await capture({ audio: true })).getAudioTracks()[0];
    const stream = new MediaStream([microphone]);
    const sender = a.addTrack(microphone, stream);
    const join = (): PeerConnection => {
      const far = document.createElement('peer-connection');
      far.signaling = `loopback:${name}`;
      a.after(far);
      return far;
    };
    const received = (far: PeerConnection) => far.remoteStreams.flatMap((s) => s.getTracks());
    const first = join();
    await until(() => received(first).length === 2, 'both tracks at the first far side');
    // Firefox delivers the tracks as the offer is applied, before the connection is up.
    await until(() => a.state === 'connected', 'connected');
    first.remove();
    await until(() => a.state === 'new', 'the first far side gone');
    const next = join();
    await until(() => received(next).length === 2, 'both tracks at the next far side');
    expect(next.remoteStreams.find((s) => s.id === stream.id)?.getAudioTracks()).to.have.length(1);
    await settled(a, next);
    a.removeTrack(sender);
    await until(() => received(next).length === 1, 'the microphone taken back');
    expect(microphone.readyState, 'the page stops its own tracks').to.equal('live');
    microphone.stop();
  });

  it('survives a move in the DOM: same connection, media still flowing', async () => {
    const [a, b] = await liveCall();
    await until(() => b.remoteStreams[0]?.getTracks().length === 2 && a.state === 'connected', 'the call');
    const connection = a.connection!;
    const track = a.querySelector('local-track')!.track!;
    const elsewhere = document.createElement('section');
    document.body.append(elsewhere);
    elsewhere.append(a); // removed and inserted in the same task
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(a.connection).to.equal(connection);
    expect(connection.signalingState).to.not.equal('closed');
    expect(track.readyState).to.equal('live');
    expect(a.state).to.equal('connected');
    await decodedFrame(b.remoteStreams[0]);
    a.remove();
    elsewhere.remove();
  });

  it('stays closed after close() when moved, and starts anew when inserted again after a removal', async () => {
    const [a, b] = await liveCall();
    await until(() => a.state === 'connected', 'the call');
    const log: string[] = [];
    await withConnectionsLogged(log, async () => {
      a.close();
      const connection = a.connection!;
      a.parentElement!.prepend(a); // a framework reordering its list, in the same task
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(a.state).to.equal('closed');
      expect(a.connection).to.equal(connection);
      expect(connection.signalingState).to.equal('closed');
      expect(log, 'no new connection').to.deep.equal([]);
      const parent = a.parentElement!;
      a.remove();
      await new Promise((resolve) => setTimeout(resolve, 50));
      parent.append(a);
      await until(() => a.state === 'connected' && b.state === 'connected', 'a new call');
      expect(a.connection).to.not.equal(connection);
      // close() once the removal ended the call has nothing to close: the next insertion starts anew as well.
      const second = a.connection!;
      a.remove();
      await new Promise((resolve) => setTimeout(resolve, 50));
      a.close();
      parent.append(a);
      await until(() => a.state === 'connected' && b.state === 'connected', 'a third call');
      expect(a.connection).to.not.equal(second);
    });
  });

  it('follows a signaling address changed while it was out of the document, in a move', async () => {
    const [a] = await liveCall();
    await until(() => a.state === 'connected', 'the call');
    const fresh = uniqueName();
    const parent = a.parentElement!;
    a.remove();
    a.signaling = `loopback:${fresh}`;
    await a.updateComplete; // the update runs while it is out, within the task of the move
    parent.append(a);
    const other = document.createElement('peer-connection');
    other.signaling = `loopback:${fresh}`;
    parent.append(other);
    await until(() => other.remoteStreams[0]?.getTracks().length === 2, 'the call on the new address');
  });

  it('replaced by a new element of the same loopback pair within one task, the new one calls the far side', async () => {
    // A framework re-keying a list: the old element's end is let go a task later, after the new one looked for it.
    const [a, b] = await cameraCall();
    const replacement = Object.assign(document.createElement('peer-connection'), { signaling: a.signaling });
    replacement.append(Object.assign(document.createElement('local-track'), { kind: 'audio' as const }));
    const errors = record<CallErrorEvent>(replacement, 'error');
    a.replaceWith(replacement);
    await until(() => b.remoteStreams[0]?.getAudioTracks().length === 1, "the replacement's microphone");
    expect(errors.map((e) => e.message)).to.deep.equal([]);
    await until(() => replacement.state === 'connected', 'the replacement connected');
  });

  it('uses a signaling address set right after insertion', async () => {
    const name = uniqueName();
    const root = await fixture<HTMLElement>(html`<div></div>`);
    const a = document.createElement('peer-connection');
    const b = document.createElement('peer-connection');
    const local = Object.assign(document.createElement('local-track'), { kind: 'audio' as const });
    a.append(local);
    root.append(a, b);
    a.signaling = `loopback:${name}`;
    b.signaling = `loopback:${name}`;
    await until(() => b.remoteStreams.length === 1, 'the track at the far side');
  });

  it('closes the loopback end it made when signaling changes to a channel of the page', async () => {
    const name = uniqueName();
    const root = await fixture<HTMLElement>(
      html`<div>
        <peer-connection signaling="loopback:${name}"></peer-connection>
        <peer-connection signaling="loopback:${name}"></peer-connection>
      </div>`,
    );
    const [a] = root.querySelectorAll('peer-connection');
    a.signaling = tappedLoopback(uniqueName());
    await a.updateComplete;
    // The pair has room again: a new connection can take the place the first one left.
    const c = document.createElement('peer-connection');
    const errors = record(c, 'error');
    c.signaling = `loopback:${name}`;
    root.append(c);
    await c.updateComplete;
    expect(errors).to.deep.equal([]);
  });

  it('a track removed while its transceiver is being reused is not sent, and can come back', async () => {
    const [a, b] = await callPair(
      (name) => html`<peer-connection signaling="loopback:${name}"></peer-connection>`,
      (name) => html`<peer-connection signaling="loopback:${name}"></peer-connection>`,
    );
    const track = (await capture({ video: true })).getVideoTracks()[0];
    const local = Object.assign(document.createElement('local-track'), { track });
    a.append(local);
    await until(() => b.remoteStreams.length === 1, 'the track at the far side');
    local.remove();
    await until(() => b.remoteStreams.length === 0, 'the track gone');
    for (let i = 0; i < 5; i++) {
      a.append(local); // takes the idle transceiver: replaceTrack under way…
      await local.updateComplete;
      local.remove(); // …and removed before it lands
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await settled(a, b);
    await until(() => a.connection!.getTransceivers().every((t) => t.sender.track === null), 'nothing sent');
    expect(a.connection!.getTransceivers().map((t) => t.direction)).to.deep.equal(['recvonly']);
    const errors = record(local, 'error');
    a.append(local);
    await until(() => b.remoteStreams[0]?.getVideoTracks().length === 1, 'the track back');
    expect(errors).to.deep.equal([]);
    // Decoded frames, counted by the receiver: headless Chromium now and then decodes a remote video without
    // handing frames to <video> (an open finding, see call-room.test.ts), which is not what this test is about.
    await framesDecoded(b.connection!, b.remoteStreams[0].getVideoTracks()[0]);
    track.stop();
  });

  it("sends two cameras added in one task to a side that only received video: the second does not take the first one's transceiver", async () => {
    const [a, b] = await cameraCall();
    const cameras = await Promise.all(
      ['one', 'two'].map(async () => (await capture({ video: true })).getVideoTracks()[0]),
    );
    // The first takes the transceiver that only received (replaceTrack, which lands later); the second needs its own.
    const errors = record(b, 'error');
    for (const [i, track] of cameras.entries())
      b.append(Object.assign(document.createElement('local-track'), { track, stream: `camera-${i}` }));
    await until(() => a.remoteStreams.length === 2, 'both cameras at the far side');
    await settled(a, b);
    const sent = b.connection!.getSenders().map((sender) => sender.track);
    expect(sent.filter((track) => cameras.includes(track!))).to.have.members(cameras);
    for (const stream of a.remoteStreams) await framesDecoded(a.connection!, stream.getVideoTracks()[0]);
    expect(errors).to.deep.equal([]);
    for (const track of cameras) track.stop();
  });

  it('sends two tracks added in one task on a connection that never sent, after one was added and removed', async () => {
    // Alone (no far side, no exchange): the first camera's transceiver never sent, and addTrack takes it again.
    const name = uniqueName();
    const a = await fixture<PeerConnection>(
      html`<peer-connection signaling="loopback:${name}"></peer-connection>`,
    );
    const [camera, screen] = await Promise.all(
      [0, 1].map(async () => (await capture({ video: true })).getVideoTracks()[0]),
    );
    const first = Object.assign(document.createElement('local-track'), { track: camera, stream: 'cam' });
    a.append(first);
    await until(() => a.connection?.getSenders().some((s) => s.track === camera) ?? false, 'the camera sent');
    first.remove();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const errors = record(a, 'error');
    a.append(
      Object.assign(document.createElement('local-track'), { track: camera, stream: 'cam' }),
      Object.assign(document.createElement('local-track'), { track: screen, stream: 'screen' }),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const sent = a.connection!.getSenders().map((sender) => sender.track);
    expect(sent.filter((track) => track === camera || track === screen)).to.have.members([camera, screen]);
    expect(errors).to.deep.equal([]);
    camera.stop();
    screen.stop();
  });

  it('reports a malformed signaling message as an error and the call goes on', async () => {
    const name = uniqueName();
    const channel = tappedLoopback(name);
    const root = await fixture<HTMLElement>(
      html`<div>
        <peer-connection .signaling=${channel}></peer-connection>
        <peer-connection signaling="loopback:${name}"
          ><local-track kind="video"></local-track
        ></peer-connection>
      </div>`,
    );
    const [a, b] = root.querySelectorAll('peer-connection');
    await until(() => a.remoteStreams.length === 1 && a.state === 'connected', 'the call');
    const errors = record<CallErrorEvent>(a, 'error');
    channel.inject('not json at all');
    channel.inject({ description: { type: 'offer', sdp: 'v=0 garbage' } });
    channel.inject({ candidate: { candidate: 'candidate:garbage', sdpMid: '99' } });
    // The end of candidates, as other implementations send it, is no error.
    channel.inject({ candidate: null });
    channel.inject({ candidate: { candidate: '', sdpMid: null, sdpMLineIndex: null } });
    await until(() => errors.length === 3, 'three errors');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(errors.map((e) => e.operation)).to.deep.equal(['signaling', 'negotiation', 'ice-candidate']);
    expect(errors[0].message).to.equal('SignalingMessageError: expected an object, got "not json at all"');
    expect(errors.every((e) => e instanceof CallErrorEvent && e.error)).to.equal(true);
    // Still a call: a track added now reaches the far side.
    const local = document.createElement('local-track');
    local.kind = 'audio';
    b.append(local);
    await until(() => a.remoteStreams[0]?.getAudioTracks().length === 1, 'the new track');
    await decodedFrame(a.remoteStreams[0]);
    expect(a.state).to.equal('connected');
  });

  it('tells a send that throws, and loses neither the offer nor the answer it was', async () => {
    const name = uniqueName();
    // Each side's first description fails to go, as a WebSocket's send while it is still connecting would.
    const throwingOnce = () => {
      let thrown = false;
      return tappedLoopback(name, (message) => {
        if (thrown || !('description' in message)) return;
        thrown = true;
        throw new Error('socket not open yet');
      });
    };
    const [a, b] = [document.createElement('peer-connection'), document.createElement('peer-connection')];
    const errors = [a, b].map((side) => record<CallErrorEvent>(side, 'error'));
    a.signaling = throwingOnce();
    b.signaling = throwingOnce();
    a.innerHTML = '<local-track kind="video"></local-track>';
    b.innerHTML = '<local-track kind="audio"></local-track>';
    const root = await fixture<HTMLElement>(html`<div></div>`);
    root.append(a, b);
    // The offer goes again 2 s after its send threw, and again 2 s later for the answer that did not go.
    await until(
      () =>
        a.remoteStreams[0]?.getAudioTracks().length === 1 &&
        b.remoteStreams[0]?.getVideoTracks().length === 1,
      'both tracks across',
      15000,
    );
    await decodedFrame(b.remoteStreams[0]);
    for (const seen of errors)
      expect(seen.map((e) => [e.operation, e.message])).to.deep.equal([
        ['signaling', 'Error: socket not open yet'],
      ]);
  });

  it('takes a late copy of an earlier answer for what it is, not for the answer to the offer now waiting', async () => {
    const name = uniqueName();
    const channel = tappedLoopback(name);
    const answers: RTCSessionDescriptionInit[] = [];
    const far = tappedLoopback(name, (message) => {
      if ('description' in message && message.description.type === 'answer')
        answers.push(message.description);
    });
    const root = await fixture<HTMLElement>(
      html`<div>
        <peer-connection .signaling=${channel}><local-track kind="video"></local-track></peer-connection>
        <peer-connection .signaling=${far}></peer-connection>
      </div>`,
    );
    const [a, b] = root.querySelectorAll('peer-connection');
    await until(() => b.remoteStreams.length === 1 && a.state === 'connected', 'the call');
    await settled(a, b);
    const errors = record<CallErrorEvent>(a, 'error');
    const earlier = answers.at(-1)!;
    // The copy arrives while the next offer waits for its answer, as a channel that repeats messages would do it.
    a.connection!.addEventListener('signalingstatechange', function copy() {
      if (a.connection!.signalingState !== 'have-local-offer') return;
      a.connection!.removeEventListener('signalingstatechange', copy);
      channel.inject({ description: earlier });
    });
    const added = document.createElement('local-track');
    added.kind = 'audio';
    a.append(added);
    await until(() => b.remoteStreams[0]?.getAudioTracks().length === 1, 'the added track');
    await settled(a, b);
    expect(a.connection!.currentRemoteDescription!.sdp).to.equal(answers.at(-1)!.sdp);
    expect(answers.length).to.be.greaterThan(1);
    expect(errors.flat().map((e) => e.message)).to.deep.equal([]);
  });

  it('a track removed while an offer of plain far-side code is being applied is in the answer or after it', async () => {
    // The far side is plain code that makes its own offers (this kit would ask for them), so the impolite kit side
    // receives one; the page removes a track in the same task as the offer arrives.
    const { far, channel, deliver, received } = plainAnswerer();
    const a = await fixture<PeerConnection>(
      html`<peer-connection .signaling=${channel}><local-track kind="audio"></local-track></peer-connection>`,
    );
    try {
      const errors = record<CallErrorEvent>(a, 'error');
      await until(() => a.state === 'connected' && far.signalingState === 'stable', 'the call');
      far.addTransceiver('video', { direction: 'recvonly' });
      await far.setLocalDescription();
      received.length = 0;
      deliver({ description: far.localDescription!.toJSON() });
      a.querySelector('local-track')!.remove();
      await until(() => received.length > 0, 'a reply to the offer');
      // An offer made now would be applied as the answer and sent in its place, and the far side would ignore it.
      expect(received[0]).to.equal('answer');
      const audio = far.getTransceivers().find((t) => t.receiver.track.kind === 'audio')!;
      // The answer made after the removal carries it, or else the next exchange does.
      await until(
        () =>
          audio.currentDirection === 'inactive' &&
          a.signalingState === 'stable' &&
          far.signalingState === 'stable',
        'the removal negotiated',
      );
      expect(errors.flat().map((e) => e.message)).to.deep.equal([]);
    } finally {
      far.close();
    }
  });

  it('tells a track whose transceiver the far side stopped, and sends it anew once it changes', async () => {
    const { far, channel, deliver } = plainAnswerer();
    const canvases = [0, 1].map(() => document.createElement('canvas').captureStream());
    const [first, second] = canvases.map((stream) => stream.getVideoTracks()[0]);
    const a = await fixture<PeerConnection>(
      html`<peer-connection .signaling=${channel}
        ><local-track .track=${first}></local-track
      ></peer-connection>`,
    );
    const local = a.querySelector('local-track')!;
    const errors = record<CallErrorEvent>(local, 'error');
    try {
      await until(() => a.state === 'connected' && far.signalingState === 'stable', 'the call');
      // Plain code (or a server rejecting the m-line) stops receiving it: an offer with the m-line's port 0.
      far.getTransceivers()[0].stop();
      await far.setLocalDescription();
      deliver({ description: far.localDescription!.toJSON() });
      await until(() => errors.length > 0, 'an error on the element');
      expect(errors.map((e) => [e.operation, e.message])).to.deep.equal([
        [
          'add-track',
          'FarSideStoppedError: the far side stopped receiving this track; it is sent again when it changes or is inserted again',
        ],
      ]);
      await until(
        () => a.signalingState === 'stable' && far.signalingState === 'stable',
        'the stop negotiated',
      );
      // Another device, say: sent on a new m-line, and received.
      local.track = second;
      await until(
        () =>
          far
            .getTransceivers()
            .some((t) => t.currentDirection === 'recvonly' && t.receiver.track.kind === 'video'),
        'the new track received',
      );
      expect(a.connection!.getSenders().some((sender) => sender.track === second)).to.equal(true);
      expect(errors).to.have.length(1);
    } finally {
      far.close();
      for (const stream of canvases) for (const track of stream.getTracks()) track.stop();
    }
  });

  it("receives the far side's track when a track of its own comes while the far side's offer is being applied", async () => {
    // Chromium fired no track event for the far side's audio when a track was added while setRemoteDescription of the
    // offer was under way: the offer took up the transceiver that addTrack made, and the far side's media came with
    // no stream. A polite side whose camera came in that moment (about 5 ms) had no video of the far side, and no error.
    const { far, gathered, channel, deliver, answers } = await plainOfferer();
    const [mic] = (await capture({ audio: true })).getAudioTracks();
    const a = await fixture<PeerConnection>(html`<peer-connection .signaling=${channel}></peer-connection>`);
    try {
      const errors = record<CallErrorEvent>(a, 'error');
      const pc = a.connection!;
      const setRemoteDescription = pc.setRemoteDescription.bind(pc);
      pc.setRemoteDescription = (description: RTCSessionDescriptionInit) => {
        const applying = setRemoteDescription(description);
        const local = document.createElement('local-track');
        local.track = mic;
        a.append(local);
        return applying;
      };
      deliver({ description: far.localDescription!.toJSON() });
      for (const candidate of gathered) deliver({ candidate });
      await until(() => answers.length > 0, 'the answer');
      await far.setRemoteDescription(answers[0]);
      const [received] = pc.getReceivers();
      expect(
        a.remoteStreams.map((stream) => stream.getTracks()),
        "the far side's audio",
      ).to.deep.equal([[received.track]]);
      // The track held back while the offer was applied is in the answer.
      expect(far.getTransceivers().map((t) => t.currentDirection)).to.deep.equal(['sendrecv']);
      expect(pc.getSenders().map((sender) => sender.track)).to.deep.equal([mic]);
      expect(errors.flat().map((e) => e.message)).to.deep.equal([]);
    } finally {
      far.close();
      mic.stop();
    }
  });

  it('offers when asked for an ICE restart before it ever described itself (a page that started over)', async () => {
    // The far side's page reloaded: its new connection has nothing to restart, and the browser would ask for no
    // negotiation, but the polite side waits for an offer.
    const sent: NegotiationMessage[] = [];
    let deliver: (message: unknown) => void = () => {};
    const channel: SignalingChannel = {
      polite: false,
      start: (listener) => (deliver = (message) => listener.message(message)),
      send: (message) => void sent.push(message),
      close: () => {},
    };
    const a = await fixture<PeerConnection>(html`<peer-connection .signaling=${channel}></peer-connection>`);
    const errors = record<CallErrorEvent>(a, 'error');
    deliver({ offerWanted: {}, iceRestart: true });
    await until(
      () => sent.some((message) => 'description' in message && message.description.type === 'offer'),
      'an offer',
      3000,
    );
    expect(errors.flat().map((e) => e.message)).to.deep.equal([]);
  });

  it('offers on its own, as the polite side, when plain code that offered once does not take its requests', async () => {
    // Plain code, the impolite side here, ignores `offerWanted`. Its own first offer came while this side's request was
    // open, and took up this side's camera; it is not an answer to requests, so the screen added next is offered by this
    // side, 5 s on, rather than asked for again and again.
    const far = new RTCPeerConnection();
    far.addTransceiver('audio');
    far.addTransceiver('video');
    const sent: NegotiationMessage[] = [];
    let toListener: (message: unknown) => void = () => {};
    const atFar = plainReceiver(far, (message) => toListener(message));
    far.onicecandidate = ({ candidate }) => candidate && toListener({ candidate: candidate.toJSON() });
    const channel: SignalingChannel = {
      polite: true,
      start: (listener) => (toListener = (message) => listener.message(message)),
      send: (message) => {
        sent.push(message);
        atFar(message).catch(() => {});
      },
      close: () => far.close(),
    };
    const a = await fixture<PeerConnection>(
      html`<peer-connection .signaling=${channel}><local-track kind="video"></local-track></peer-connection>`,
    );
    try {
      const errors = record<CallErrorEvent>(a, 'error');
      await until(() => sent.some((message) => 'offerWanted' in message), "this side's request");
      await far.setLocalDescription();
      toListener({ description: far.localDescription!.toJSON() });
      await until(() => a.state === 'connected' && far.signalingState === 'stable', 'the call');
      const receiving = () =>
        far
          .getTransceivers()
          .filter((t) => t.receiver.track.kind === 'video' && /recv/.test(t.currentDirection ?? ''));
      await until(() => receiving().length === 1, "the camera in the far side's offer");
      const screen = document.createElement('local-track');
      screen.kind = 'video';
      a.append(screen);
      await until(() => receiving().length === 2, 'the screen offered by this side');
      await framesDecoded(far, receiving()[1].receiver.track, 10);
      expect(errors.flat().map((e) => e.message)).to.deep.equal([]);
    } finally {
      far.close();
    }
  });

  it('keeps its connection with a far side that gives each description a new session id but the same credentials', async () => {
    // aiortc writes the time in seconds as the session id of each description. Only another certificate as well then
    // means a new connection of the far side; these are renegotiations and ICE restarts.
    let sessions = 0;
    const newSession = (description: RTCSessionDescriptionInit) => ({
      type: description.type,
      sdp: description.sdp!.replace(
        /^o=(\S+) \d+ /m,
        (_, user: string) => `o=${user} ${1_700_000_000 + ++sessions} `,
      ),
    });
    const { far, channel, deliver } = plainAnswerer(newSession);
    const a = await fixture<PeerConnection>(
      html`<peer-connection .signaling=${channel}><local-track kind="audio"></local-track></peer-connection>`,
    );
    try {
      const errors = record<CallErrorEvent>(a, 'error');
      await until(() => a.state === 'connected' && far.signalingState === 'stable', 'the call');
      const connection = a.connection;
      // The far side offers (another session id), then answers this side's offer (another again).
      far.addTransceiver('video', { direction: 'recvonly' });
      await far.setLocalDescription();
      deliver({ description: newSession(far.localDescription!.toJSON()) });
      await until(() => far.signalingState === 'stable', "the far side's offer answered");
      const camera = document.createElement('local-track');
      camera.kind = 'video';
      a.append(camera);
      await until(
        () =>
          far
            .getTransceivers()
            .some((t) => t.receiver.track.kind === 'video' && t.currentDirection === 'recvonly'),
        "this side's camera negotiated",
      );
      await until(() => a.signalingState === 'stable', 'the exchange ended');
      // ICE restarts, this side's and the far side's, change the ICE credentials too; the certificate stays.
      const farUfrag = () => ufragOf(far.currentLocalDescription);
      const before = farUfrag();
      a.restartIce();
      await until(() => farUfrag() !== before && a.signalingState === 'stable', "this side's ICE restart");
      const restarted = farUfrag();
      far.restartIce();
      await far.setLocalDescription();
      deliver({ description: newSession(far.localDescription!.toJSON()) });
      await until(
        () => farUfrag() !== restarted && far.signalingState === 'stable',
        "the far side's ICE restart answered",
      );
      await until(() => a.state === 'connected', 'connected again');
      // The camera still reaches the far side, over the restarted ICE.
      const video = far.getTransceivers().find((t) => t.receiver.track.kind === 'video')!.receiver.track;
      await framesDecoded(far, video, 10);
      expect(sessions, 'session ids the far side gave').to.equal(5);
      expect(a.connection, 'the same connection').to.equal(connection);
      expect(a.state).to.equal('connected');
      expect(errors.flat().map((e) => e.message)).to.deep.equal([]);
    } finally {
      far.close();
    }
  });

  it('takes each new description of a far side that gives two descriptions one o= line (aiortc within a second)', async () => {
    // aiortc writes the time in seconds as both the session id and the version: within one second, every description
    // it makes has the same o= line, and only the rest of the text is new.
    const { far, received, errors, video } = await aiortcExchanges(() => 1700000000);
    try {
      await framesDecoded(far, video.receiver.track, 10);
      // Each answer was taken as it came: no offer was sent again for want of one.
      expect(received).to.deep.equal(['answer', 'offer']);
      expect(errors.flat().map((e) => e.message)).to.deep.equal([]);
    } finally {
      far.close();
    }
  });

  it('drops a late copy of a description from an earlier second of a far side that writes the time into its o= line (aiortc)', async () => {
    // Here each description of the far side is a second on from the one before.
    let second = 1700000000;
    const { a, far, deliver, received, errors, farOffer, video, rewrite } = await aiortcExchanges(
      () => ++second,
    );
    try {
      // The far side's offer again, late (a channel that delivers twice): older than the answer since, it is dropped,
      // not taken as new, which undid the camera's exchange.
      const remote = a.connection!.remoteDescription!.sdp;
      deliver({ description: farOffer });
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(a.signalingState).to.equal('stable');
      // Compared as a flag: a failure would print two whole descriptions.
      expect(a.connection!.remoteDescription!.sdp === remote, 'the remote description as it was').to.equal(
        true,
      );
      expect(received).to.deep.equal(['answer', 'offer']);
      await framesDecoded(far, video.receiver.track, 10);
      // A new offer with an older time (the far side's clock set back) is not a copy: it is answered.
      second = 1699999990;
      far.addTransceiver('audio', { direction: 'recvonly' });
      await far.setLocalDescription();
      deliver({ description: rewrite(far.localDescription!.toJSON()) });
      await until(() => far.signalingState === 'stable', 'the offer of the clock set back answered');
      expect(received).to.deep.equal(['answer', 'offer', 'answer']);
      expect(errors.flat().map((e) => e.message)).to.deep.equal([]);
    } finally {
      far.close();
    }
  });

  it('drops a late copy from an earlier second of a replaced connection of a far side that writes the time into its o= line (aiortc)', async () => {
    let second = 1700000000;
    const { a, far, channel, deliver, errors, farOffer } = await aiortcExchanges(() => ++second);
    const { far: next, gathered } = await plainOfferer();
    try {
      // The far side offers from a new connection, which replaces the call; that one answers this side's offers.
      const first = a.connection;
      const atNext = plainReceiver(next, deliver);
      channel.send = (message) => void atNext(message).catch(() => {});
      deliver({ description: next.localDescription!.toJSON() });
      for (const candidate of gathered) deliver({ candidate });
      await until(() => a.connection !== first && a.state === 'connected', 'the new call');
      const renewed = a.connection;
      // The old connection's offer, from the second before its last description, comes late: it is dropped, not taken
      // for an offer from yet another connection, which replaced the call again.
      deliver({ description: farOffer });
      // An offer of the new connection right after it is taken in turn, after the copy: answered on the same connection.
      next.addTransceiver('video', { direction: 'recvonly' });
      await next.setLocalDescription();
      deliver({ description: next.localDescription!.toJSON() });
      await until(() => next.signalingState === 'stable', "the new connection's next offer answered");
      expect(a.connection === renewed, 'the connection that replaced the call').to.equal(true);
      expect(a.state).to.equal('connected');
      expect(errors.flat().map((e) => e.message)).to.deep.equal([]);
    } finally {
      far.close();
      next.close();
    }
  });

  it("replaces a connected call with the far side's new connection, taking the candidates that came after its offer", async () => {
    // The far side's page closed the connection this side knows and offers from a new one, its candidates right after.
    // This side, connected for all it knows, tries the offer apart, then replaces its connection; the candidates,
    // queued meanwhile, must reach the new one: plain code sends them once.
    const { far, channel, deliver } = plainAnswerer();
    const a = await fixture<PeerConnection>(
      html`<peer-connection .signaling=${channel}><local-track kind="audio"></local-track></peer-connection>`,
    );
    const { far: next, gathered } = await plainOfferer();
    try {
      await until(() => a.state === 'connected' && far.signalingState === 'stable', 'the call');
      const first = a.connection;
      channel.send = (message) => {
        if ('description' in message) next.setRemoteDescription(message.description).catch(() => {});
      };
      // Sent as trickled: the offer without the candidates gathered since, which follow it.
      const { type, sdp } = next.localDescription!;
      deliver({ description: { type, sdp: sdp.replace(/^a=(candidate|end-of-candidates).*\r\n/gm, '') } });
      for (const candidate of gathered) deliver({ candidate });
      await until(
        () => a.connection !== first && a.connection?.remoteDescription?.type === 'offer',
        'a new connection',
      );
      await until(() => a.state === 'connected' && next.connectionState === 'connected', 'the new call');
      // Known from its candidates, not only found by the far side's checks (a peer-reflexive candidate).
      const known: string[] = [];
      (await a.connection!.getStats()).forEach((stat: { type: string; candidateType?: string }) => {
        if (stat.type === 'remote-candidate') known.push(stat.candidateType ?? '');
      });
      expect(known, "the far side's candidates on the new connection").to.include('host');
    } finally {
      far.close();
      next.close();
    }
  });

  it('hands candidates to the connection in turn, without waiting for each other or for its answer', async () => {
    const { far, gathered, channel, deliver, answers } = await plainOfferer();
    const a = await fixture<PeerConnection>(html`<peer-connection .signaling=${channel}></peer-connection>`);
    try {
      const errors = record<CallErrorEvent>(a, 'error');
      const pc = a.connection!;
      // What the connection is asked to do, in order, and when each request settles (spies that call through).
      const steps = candidateSteps(pc);
      const setLocalDescription = pc.setLocalDescription.bind(pc);
      let duringAnswer: RTCIceCandidateInit[] = [];
      pc.setLocalDescription = (description?: RTCLocalSessionDescriptionInit) => {
        steps.push('answer');
        for (const candidate of duringAnswer.splice(0)) deliver({ candidate });
        return setLocalDescription(description).finally(() => steps.push('answered'));
      };

      // A candidate that arrives while the answer is made, nothing queued before it, goes to the connection at once.
      duringAnswer = [gathered[0]];
      deliver({ description: far.localDescription!.toJSON() });
      await until(() => steps.includes('added 1'), 'the first candidate added');
      expect(steps.slice(0, 2), steps.join(', ')).to.deep.equal(['answer', 'add 1']);

      // Three candidates that arrive with an offer wait for it to be applied; then all three are handed over before
      // the first of them is done (a candidate may come more than once).
      await until(() => answers.length === 1, 'the answer');
      await far.setRemoteDescription(answers[0]);
      far.addTransceiver('video');
      await far.setLocalDescription();
      steps.length = 0;
      deliver({ description: far.localDescription!.toJSON() });
      for (let i = 0; i < 3; i++) deliver({ candidate: gathered[i % gathered.length] });
      await until(() => steps.filter((step) => step.startsWith('added')).length === 3, 'three more added');
      expect(steps.slice(0, 5), steps.join(', ')).to.deep.equal([
        'answer',
        'answered',
        'add 2',
        'add 3',
        'add 4',
      ]);
      expect(errors.flat().map((e) => e.message)).to.deep.equal([]);
    } finally {
      far.close();
    }
  });

  it('keeps candidates that come before any description until the offer is applied, then hands them over', async () => {
    // The test delivers the far side's candidates ahead of its offer, as a channel may reorder them.
    const { far, gathered, channel, deliver } = await plainOfferer();
    const a = await fixture<PeerConnection>(html`<peer-connection .signaling=${channel}></peer-connection>`);
    try {
      const errors = record<CallErrorEvent>(a, 'error');
      const pc = a.connection!;
      const steps = candidateSteps(pc);
      const setRemoteDescription = pc.setRemoteDescription.bind(pc);
      pc.setRemoteDescription = (description: RTCSessionDescriptionInit) =>
        setRemoteDescription(description).finally(() => steps.push('offer applied'));

      for (const candidate of gathered) deliver({ candidate });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(steps, 'nothing handed over before the offer').to.deep.equal([]);

      deliver({ description: far.localDescription!.toJSON() });
      const all = gathered.length;
      await until(
        () => steps.filter((step) => step.startsWith('added')).length === all,
        'every early candidate added',
      );
      expect(steps.slice(0, all + 1), steps.join(', ')).to.deep.equal([
        'offer applied',
        ...gathered.map((_, i) => `add ${i + 1}`),
      ]);
      expect(pc.remoteDescription?.type).to.equal('offer');
      expect(errors.flat().map((e) => e.message)).to.deep.equal([]);
    } finally {
      far.close();
    }
  });

  it('is found by the tracks and streams inside it when registered after them', async () => {
    // A page that registers the kit's classes under names of its own, in any order.
    const tag = `late-${uniqueName()}`;
    const name = uniqueName();
    const root = await fixture<HTMLElement>(html`<div></div>`);
    root.innerHTML = `
      <${tag} signaling="loopback:${name}"><local-track kind="video"></local-track><remote-stream></remote-stream></${tag}>
      <peer-connection signaling="loopback:${name}"><local-track kind="video"></local-track></peer-connection>`;
    const [track] = root.querySelectorAll('local-track');
    await until(() => track.state === 'live', 'the camera');
    customElements.define(tag, class extends customElements.get('peer-connection')! {});
    const [late, far] = [root.querySelector<PeerConnection>(tag)!, root.querySelector('peer-connection')!];
    await until(() => far.remoteStreams.length === 1 && late.remoteStreams.length === 1, 'a stream each way');
    await decodedFrame(far.remoteStreams[0]);
    const shown = root.querySelector('remote-stream')!;
    expect(shown.stream).to.equal(late.remoteStreams[0]);
    await until(() => shown.matches(':state(playing)'), 'the far camera shown');
  });

  it('is found by tracks a wrapper slots into it from outside, connected before the wrapper rendered it', async () => {
    // A design system's <my-call> renders the <peer-connection> in its shadow root, around a slot; the page's
    // <local-track> and <remote-stream> are the wrapper's children, connected before its first render.
    const tag = `wrapper-${uniqueName()}`;
    customElements.define(
      tag,
      class extends LitElement {
        static override properties = { call: {} };
        call = '';
        override render() {
          return html`<peer-connection signaling="loopback:${this.call}"><slot></slot></peer-connection>`;
        }
      },
    );
    const name = uniqueName();
    const root = await fixture<HTMLElement>(html`<div></div>`);
    root.innerHTML = `
      <${tag} call="${name}"><local-track kind="video"></local-track><remote-stream></remote-stream></${tag}>
      <peer-connection signaling="loopback:${name}"><local-track kind="video"></local-track></peer-connection>`;
    const far = root.querySelector('peer-connection')!;
    const shown = root.querySelector('remote-stream')!;
    await until(() => far.remoteStreams.length === 1, 'the slotted camera at the far side');
    await decodedFrame(far.remoteStreams[0]);
    await until(
      () => shown.matches(':state(playing)'),
      'the far camera shown in the slotted <remote-stream>',
    );
  });

  it('reports bad attributes clearly, also to a page that listens once it registered the element, and keeps working', async () => {
    // Markup already in the page is upgraded inside customElements.define(), before the page's next line can listen.
    const root = await fixture<HTMLElement>(html`<div></div>`);
    const tag = `peer-connection-upgraded-${Math.random().toString(36).slice(2)}`;
    root.innerHTML = `<${tag} signaling="nowhere:at-all" ice-servers="[oops" streamless="sometimes"></${tag}>`;
    customElements.define(tag, class extends customElements.get('peer-connection')! {});
    const pc = root.firstElementChild as PeerConnection;
    const errors = record<CallErrorEvent>(pc, 'error');
    await pc.updateComplete;
    expect(errors.map((e) => e.operation)).to.deep.equal(['attribute', 'attribute', 'attribute']);
    const messages = errors.map((e) => e.message).join('\n');
    expect(messages).to.contain('"nowhere:", which no adapter handles');
    expect(messages).to.contain('ice-servers is not a JSON array');
    expect(messages).to.contain('streamless="sometimes"');
    expect(pc.connection).to.be.instanceOf(RTCPeerConnection);
    pc.remove();
  });

  it('takes signaling set to undefined as none, and tells a value that is neither an address nor a channel', async () => {
    // A framework binds undefined while the address is still loading; a page may hand over the wrong object.
    const pc = await fixture<PeerConnection>(
      html`<peer-connection .signaling=${undefined}
        ><local-track kind="audio"></local-track
      ></peer-connection>`,
    );
    const errors = record<CallErrorEvent>(pc, 'error');
    await until(() => pc.querySelector('local-track')!.state === 'live', 'the microphone');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(errors.map((e) => e.message)).to.deep.equal([]);
    for (const value of [{ send() {} }, 42]) {
      pc.signaling = value as unknown as SignalingChannel;
      await pc.updateComplete;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(errors.map((e) => [e.operation, e.message])).to.deep.equal([
      [
        'attribute',
        'SignalingAddressError: signaling must be an address or an object with start(), send(), close(); got an object without start(), close()',
      ],
      [
        'attribute',
        'SignalingAddressError: signaling must be an address or an object with start(), send(), close(); got number',
      ],
    ]);
    // An address set next is used.
    const name = uniqueName();
    pc.signaling = `loopback:${name}`;
    const far = await fixture<PeerConnection>(
      html`<peer-connection signaling="loopback:${name}"></peer-connection>`,
    );
    await until(
      () => far.remoteStreams.length === 1 && far.state === 'connected',
      'the microphone at the far side',
    );
  });

  it('takes an attribute removed as its default, with no error', async () => {
    const pc = await fixture<PeerConnection>(
      html`<peer-connection streamless="separate" ice-servers="[]"></peer-connection>`,
    );
    const errors = record<CallErrorEvent>(pc, 'error');
    for (const name of ['streamless', 'ice-servers']) pc.removeAttribute(name);
    await pc.updateComplete;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(errors.map((e) => e.message)).to.deep.equal([]);
    expect(pc.connection).to.be.instanceOf(RTCPeerConnection);
  });

  it('takes ICE servers from the ice-servers attribute', async () => {
    const pc = await fixture<PeerConnection>(
      html`<peer-connection ice-servers='[{"urls":"stun:127.0.0.1:3478"}]'></peer-connection>`,
    );
    const [server] = pc.connection!.getConfiguration().iceServers!;
    expect([server.urls].flat()).to.deep.equal(['stun:127.0.0.1:3478']);
    pc.setAttribute('ice-servers', '[]');
    await pc.updateComplete;
    expect(pc.connection!.getConfiguration().iceServers).to.deep.equal([]);
  });

  it('keeps the ICE servers in use when ice-servers turns bad mid-call, with an error', async () => {
    const pc = await fixture<PeerConnection>(
      html`<peer-connection ice-servers='[{"urls":"stun:127.0.0.1:3478"}]'></peer-connection>`,
    );
    const errors = record<CallErrorEvent>(pc, 'error');
    // Credentials rotated with a typo: the next ICE restart must not go without the servers it had.
    pc.setAttribute('ice-servers', '[{"urls":"stun:127.0.0.1:3479"');
    await pc.updateComplete;
    const servers = pc.connection!.getConfiguration().iceServers!.map((server) => [server.urls].flat());
    expect(servers).to.deep.equal([['stun:127.0.0.1:3478']]);
    expect(errors.map((e) => e.operation)).to.deep.equal(['attribute']);
    expect(errors[0].message).to.contain('keeps the ICE servers in use');
  });

  it('takes configuration’s ICE servers while ice-servers has never been good', async () => {
    const pc = await fixture<PeerConnection>(
      html`<peer-connection
        ice-servers=""
        .configuration=${{ iceServers: [{ urls: 'stun:127.0.0.1:3478' }] }}
      ></peer-connection>`,
    );
    pc.configuration = { iceServers: [{ urls: 'stun:127.0.0.1:3480' }] };
    await pc.updateComplete;
    const servers = pc.connection!.getConfiguration().iceServers!.map((server) => [server.urls].flat());
    expect(servers).to.deep.equal([['stun:127.0.0.1:3480']]);
  });

  it('connects, with no ICE restart, when the channel loses every candidate the first time it is sent', async () => {
    const name = uniqueName();
    const seen = new Set<string>();
    // Without the far side's candidates neither browser can check a path: each side must send its own again.
    const losingFirstCandidates = () =>
      tappedLoopback(name, (message) => {
        if (!('candidate' in message) || seen.has(message.candidate.candidate!)) return;
        seen.add(message.candidate.candidate!);
        return null;
      });
    const root = await fixture<HTMLElement>(
      html`<div>
        <peer-connection .signaling=${losingFirstCandidates()}>
          <local-track kind="video" stream="cam"></local-track>
          <local-track kind="audio" stream="cam"></local-track>
        </peer-connection>
        <peer-connection .signaling=${losingFirstCandidates()}></peer-connection>
      </div>`,
    );
    const [a, b] = root.querySelectorAll('peer-connection');
    // Copies of candidates the far side has, or that belong to a transport bundled away, are no error.
    const errors = [a, b].map((pc) => record<CallErrorEvent>(pc, 'error'));
    await until(() => b.remoteStreams.length === 1, 'the stream on the far side');
    await settled(a, b);
    const ufrag = (pc: PeerConnection) => ufragOf(pc.connection!.localDescription);
    const first = [ufrag(a), ufrag(b)];
    await until(() => a.state === 'connected' && b.state === 'connected', 'connected on both sides');
    await decodedFrame(b.remoteStreams[0]);
    // The same ICE credentials: connected by the candidates sent again, not by a restart (after 10 s of checks).
    expect([ufrag(a), ufrag(b)]).to.deep.equal(first);
    expect(seen.size, 'candidates lost').to.be.greaterThan(1);
    expect(errors.flat().map((e) => e.message)).to.deep.equal([]);
  });

  it('gets media flowing both ways when ICE fails before the first connection and the network comes back', async function () {
    this.timeout(60000);
    const name = uniqueName();
    // Every candidate is lost for the first 6 s. Firefox fails ICE after about 5 s; Chromium waits in `new`, which
    // the kit counts as lost after 10 s. Neither connection ever connected, so the kit replaces both.
    const loss = candidatesLostAtFirst(6000);
    const lossyAtFirst = () => tappedLoopback(name, (message) => loss.sent(message));
    const root = await fixture<HTMLElement>(
      html`<div>
        <peer-connection .signaling=${lossyAtFirst()}>
          <local-track kind="video" stream="a"></local-track>
          <local-track kind="audio" stream="a"></local-track>
        </peer-connection>
        <peer-connection .signaling=${lossyAtFirst()}>
          <local-track kind="video" stream="b"></local-track>
        </peer-connection>
      </div>`,
    );
    const [a, b] = root.querySelectorAll('peer-connection');
    const errors = [a, b].map((pc) => record<CallErrorEvent>(pc, 'error'));
    // The far side learns of a stream with the first offer, before ICE fails: its id is the one a page would use.
    const firstSeen = record<StreamAddedEvent>(b, 'streamadded');
    const firstConnection = new Promise<RTCPeerConnection | null>((resolve) =>
      b.addEventListener('streamadded', () => resolve(b.connection), { once: true }),
    );
    // A track the page sends itself goes on the connection that replaces this one too; one it replaced by none does not.
    const microphone = await capture({ audio: true });
    b.addTrack(microphone.getAudioTracks()[0], microphone);
    const camera = await capture({ video: true });
    await b.addTrack(camera.getVideoTracks()[0], camera).replaceTrack(null);
    try {
      await until(() => a.state === 'connected' && b.state === 'connected', 'connected on both sides', 30000);
      await until(() => a.remoteStreams.length === 2 && b.remoteStreams.length === 1, 'the streams each way');
      // In Firefox, a restart after such a failure reconnects ICE and DTLS but carries no media (see IceRecovery).
      await decodedFrame(b.remoteStreams[0]);
      await decodedFrame(a.remoteStreams.find((s) => s.getVideoTracks().length > 0)!);
      expect(a.remoteStreams.map((s) => s.id)).not.to.include(camera.id);
      expect(
        a.remoteStreams
          .map((s) =>
            s
              .getTracks()
              .map((t) => t.kind)
              .join(),
          )
          .sort(),
      ).to.deep.equal(['audio', 'video']);
    } finally {
      for (const track of [...microphone.getTracks(), ...camera.getTracks()]) track.stop();
    }
    expect(
      b.remoteStreams[0]
        .getTracks()
        .map((t) => t.kind)
        .sort(),
    ).to.deep.equal(['audio', 'video']);
    expect(loss.lost, 'candidates lost').to.be.greaterThan(1);
    expect(errors.flat().map((e) => e.message)).to.deep.equal([]);
    // Stream "a" keeps its id on the connection that replaced the first, so `stream-id` markup still finds it.
    expect(b.remoteStreams[0].id).to.equal(firstSeen[0].stream.id);
    // Told again by the connection that replaced the first. On a loaded machine Firefox may not have failed ICE by the
    // time candidates flow again (it takes about 5 s, the loss lasts 6): then the kit's ICE restart brings the first
    // connection up, and there is nothing to tell again.
    if (b.connection !== (await firstConnection))
      expect(firstSeen.length, 'told again from the new connection').to.be.greaterThan(1);
  });

  it('reports failure, not a silent wait, when the channel loses every candidate', async function () {
    // 10 s of waiting for a path after the exchange, then ICE restarts every 3 s for 30 s, then failure.
    this.timeout(80000);
    const name = uniqueName();
    let lost = 0;
    // Every candidate is lost, also those a description made after gathering carries in its SDP.
    const losingCandidates = () =>
      tappedLoopback(name, (message) => {
        if ('description' in message) {
          const { type, sdp = '' } = message.description;
          return { description: { type, sdp: sdp.replace(/^a=candidate:.*\r\n/gm, '') } };
        }
        if (!('candidate' in message)) return;
        lost++;
        return null;
      });
    const a = await fixture<PeerConnection>(
      html`<peer-connection .signaling=${losingCandidates()}>
        <local-track kind="video" stream="cam"></local-track>
      </peer-connection>`,
    );
    // A track of the page's, in the first offer, and sent again when the failed call starts over on another channel.
    const microphone = (await capture({ audio: true })).getAudioTracks()[0];
    a.addTrack(microphone, new MediaStream([microphone]));
    const b = document.createElement('peer-connection');
    const bChannel = losingCandidates();
    b.signaling = bChannel;
    a.after(b);
    const errors = [a, b].map((pc) => record<CallErrorEvent>(pc, 'error'));
    const states = [a, b].map((pc) => record<ConnectionStateChangeEvent>(pc, 'connectionstatechange'));
    // The error's listeners see the call as it stands, and a close() there is what stays.
    const atError: string[] = [];
    b.addEventListener('error', (event) => {
      if ((event as CallErrorEvent).operation !== 'connection') return;
      atError.push(`${b.state} ${b.signalingState}`);
      b.close();
    });
    // Chromium keeps ICE `new` for ever without the far side's candidates: the kit must not wait with it. (Firefox
    // fails ICE after about 5 s, and its state says `failed` before the kit gives up.)
    const gaveUp = (i: number) => errors[i].some((e) => e.operation === 'connection');
    await until(() => gaveUp(0) && gaveUp(1), 'a connection error on both sides', 60000);
    expect(atError, 'what the error listener saw').to.deep.equal(['failed closed']);
    expect([a.state, b.state]).to.deep.equal(['failed', 'closed']);
    for (const side of [a, b]) expect(side.signalingState, 'the connection closed').to.equal('closed');
    // Each event tells a change: `failed` once, whether the browser or the kit said it first.
    for (const told of states) {
      const seen = told.map((e) => e.state);
      expect(
        seen.filter((state, i) => state === seen[i - 1]),
        seen.join(' '),
      ).to.deep.equal([]);
    }
    expect(lost, 'candidates lost').to.be.greaterThan(1);
    // The far side's page lets its channel go too: it left. This side, given up on its call, waits for the next one
    // (in a room, it calls the next peer there).
    bChannel.close();
    await until(() => a.state === 'new', 'the side that gave up ready for the next call');
    const fresh = uniqueName();
    a.signaling = `loopback:${fresh}`;
    b.signaling = `loopback:${fresh}`;
    await until(
      () => b.remoteStreams.flatMap((stream) => stream.getTracks()).length === 2,
      'the camera and the page’s microphone on the new channel',
    );
    microphone.stop();
  });

  it('ends the call as close() does when the page closes its connection itself, at the next message', async () => {
    const [a, b] = await liveCall();
    await until(() => a.state === 'connected' && b.remoteStreams[0]?.getTracks().length === 2, 'the call');
    await settled(a, b);
    const errors = [record<CallErrorEvent>(a, 'error'), record<CallErrorEvent>(b, 'error')];
    const closed = a.connection!;
    // The browser fires no event for this: the element learns it from the far side's next message.
    closed.close();
    b.append(Object.assign(document.createElement('local-track'), { kind: 'video' as const }));
    await until(() => a.state === 'closed', 'the element closed');
    // The far side was told, as by close(): it waits for a new call on a new connection.
    await until(
      () => b.state === 'new' && b.remoteStreams.length === 0,
      'the far side ready for the next call',
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect([a.state, a.connection, a.remoteStreams.length]).to.deep.equal(['closed', closed, 0]);
    expect(errors.flat().map((e) => e.message)).to.deep.equal([]);
  });

  for (const [what, after] of [
    ['the far side leaves', (_a: PeerConnection, b: PeerConnection) => b.remove()],
    ['the element is moved', (a: PeerConnection) => a.parentElement!.append(a)],
  ] as const)
    it(`stays hung up when the page closed its connection itself and ${what} before any message told it`, async () => {
      const [a, b] = await liveCall();
      await until(() => a.state === 'connected' && b.remoteStreams.length === 1, 'the call');
      await settled(a, b);
      const closed = a.connection!;
      closed.close();
      after(a, b);
      await until(() => a.state === 'closed', 'the element closed');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect([a.state, a.connection]).to.deep.equal(['closed', closed]);
    });

  it('restartIce() renegotiates with new ICE credentials and the call goes on', async () => {
    const [a, b] = await liveCall();
    await until(() => a.state === 'connected' && b.remoteStreams[0]?.getTracks().length === 2, 'the call');
    await settled(a, b);
    const ufrag = (pc: PeerConnection) => ufragOf(pc.connection!.localDescription);
    const before = ufrag(a);
    const farBefore = ufrag(b);
    a.restartIce();
    // Both sides take new credentials once the restart offer is answered.
    await until(() => ufrag(a) !== before && ufrag(b) !== farBefore, 'new ICE credentials on both sides');
    await until(() => a.state === 'connected', 'connected again');
    await decodedFrame(b.remoteStreams[0]);
  });

  it('restartIce() on the polite side while it applies an offer still restarts ICE, and negotiation then rests', async () => {
    const [a, b] = await liveCall();
    await until(() => a.state === 'connected' && b.remoteStreams[0]?.getTracks().length === 2, 'the call');
    await settled(a, b);
    const ufrag = (pc: PeerConnection) => ufragOf(pc.connection!.localDescription);
    const before = ufrag(b);
    // The loopback makes the second to join polite: b asks a for offers, and a offers for its own new track.
    const polite = b.connection!;
    let asked = false;
    polite.addEventListener('signalingstatechange', () => {
      if (polite.signalingState !== 'have-remote-offer' || asked) return;
      asked = true;
      b.restartIce();
    });
    a.append(
      Object.assign(document.createElement('local-track'), { kind: 'video' as const, stream: 'second' }),
    );
    await until(() => asked, "a's offer");
    // The answer to that offer kept b's credentials; the restart was forgotten, and each answer after kept them too.
    await until(() => ufrag(b) !== before, "the polite side's new ICE credentials");
    await settled(a, b);
    let offers = 0;
    a.connection!.addEventListener('signalingstatechange', () => {
      if (a.signalingState === 'have-local-offer') offers++;
    });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(offers, 'offers once settled').to.equal(0);
    await until(() => a.state === 'connected' && b.state === 'connected', 'connected');
  });

  it("tells when the polite side's requests for an offer go unanswered, asks on, and sends once they get through", async function () {
    this.timeout(60000);
    // The far side hears nothing of the polite side's requests (a frozen tab, a route lost one way).
    let dropping = false;
    const name = uniqueName();
    const root = await fixture<HTMLElement>(
      html`<div>
        <peer-connection .signaling=${tappedLoopback(name)}
          ><local-track kind="video"></local-track
        ></peer-connection>
        <peer-connection
          .signaling=${tappedLoopback(name, (m) => (dropping && 'offerWanted' in m ? null : undefined))}
        ></peer-connection>
      </div>`,
    );
    const [a, b] = root.querySelectorAll('peer-connection');
    const errors = [record<CallErrorEvent>(a, 'error'), record<CallErrorEvent>(b, 'error')];
    await until(() => b.remoteStreams.length === 1, "the impolite side's camera");
    await settled(a, b);
    dropping = true;
    b.append(Object.assign(document.createElement('local-track'), { kind: 'video' as const }));
    await until(() => errors[1].length > 0, 'an error', 20000);
    expect(errors[1].map((e) => [e.operation, e.message])).to.deep.equal([
      ['negotiation', 'Error: no offer came for a request sent 3 times in 15 s'],
    ]);
    dropping = false;
    await until(() => a.remoteStreams.length === 1, "the polite side's camera", 10000);
    await decodedFrame(a.remoteStreams[0]);
    expect(errors.flat()).to.have.length(1);
  });

  it("takes the channel's role over its polite attribute, so two sides that both set it do not both yield", async () => {
    // Requests for an offer each side sends: only a polite side sends them, and a polite side ignores them.
    const requests: string[] = [];
    const name = uniqueName();
    const watch = (side: string) => (m: NegotiationMessage) => {
      if ('offerWanted' in m) requests.push(side);
    };
    // The channel makes the first to join impolite, as a room does by peer id, whatever the elements say.
    const root = await fixture<HTMLElement>(
      html`<div>
        <peer-connection polite .signaling=${tappedLoopback(name, watch('a'))}
          ><local-track kind="video"></local-track
        ></peer-connection>
        <peer-connection polite .signaling=${tappedLoopback(name, watch('b'))}></peer-connection>
      </div>`,
    );
    const [a, b] = root.querySelectorAll('peer-connection');
    const errors = [record<CallErrorEvent>(a, 'error'), record<CallErrorEvent>(b, 'error')];
    await until(() => b.remoteStreams.length === 1, "the first side's camera");
    await decodedFrame(b.remoteStreams[0]);
    // The polite side's camera goes through a request, which the impolite side answers with an offer.
    b.append(Object.assign(document.createElement('local-track'), { kind: 'video' as const }));
    await until(() => a.remoteStreams.length === 1, "the second side's camera");
    await decodedFrame(a.remoteStreams[0]);
    expect(
      requests.filter((side) => side === 'a'),
      'requests from the impolite side',
    ).to.deep.equal([]);
    expect(errors.flat().map((e) => e.message)).to.deep.equal([]);
  });

  it('never glares: both sides add (then remove) tracks in the same task, 20 rounds', async function () {
    this.timeout(120000);
    // Every description and request either side sends, in order: two offers with no answer between them are a glare.
    const log: string[] = [];
    const name = uniqueName();
    const watch = (side: string) => (m: NegotiationMessage) => {
      if ('description' in m) log.push(`${side}:${m.description.type}`);
      if ('offerWanted' in m) log.push(`${side}:request`);
    };
    const root = await fixture<HTMLElement>(
      html`<div>
        <peer-connection .signaling=${tappedLoopback(name, watch('a'))}></peer-connection>
        <peer-connection .signaling=${tappedLoopback(name, watch('b'))}></peer-connection>
      </div>`,
    );
    const [a, b] = root.querySelectorAll('peer-connection');
    const camera = (await capture({ video: true })).getVideoTracks()[0];
    const microphone = (await capture({ audio: true })).getAudioTracks()[0];
    const errors = [record<CallErrorEvent>(a, 'error'), record<CallErrorEvent>(b, 'error')];
    for (let round = 0; round < 20; round++) {
      const source = round % 2 ? microphone : camera;
      const [leftTrack, rightTrack] = [source.clone(), source.clone()];
      const left = Object.assign(document.createElement('local-track'), { track: leftTrack });
      const right = Object.assign(document.createElement('local-track'), { track: rightTrack });
      left.stream = `left-${round}`;
      right.stream = `right-${round}`;
      a.append(left);
      b.append(right); // the same task: both offer at once
      await until(
        () =>
          a.signalingState === 'stable' &&
          b.signalingState === 'stable' &&
          hasTrackFrom(b, a, left) &&
          hasTrackFrom(a, b, right),
        `round ${round}: both tracks delivered and stable`,
      );
      left.remove();
      right.remove();
      await until(
        () => a.remoteStreams.length === 0 && b.remoteStreams.length === 0,
        `round ${round}: both tracks gone again`,
      );
      leftTrack.stop();
      rightTrack.stop();
    }
    await settled(a, b);
    expect(errors.flat().map((e) => e.message)).to.deep.equal([]);
    // Only one side ever offered, so the offers never crossed. The polite side asks for an offer when its own change
    // still needs one; how often that is depends on timing: a track it adds before the far offer lands rides on that
    // offer's m-line of the same kind (JSEP associates an unassigned addTrack transceiver), so no request is needed.
    const offers = log.filter((entry) => entry.endsWith(':offer'));
    const glares = log.filter((entry, i) => entry.endsWith(':offer') && log[i + 1]?.endsWith(':offer'));
    expect(glares, log.join(' ')).to.deep.equal([]);
    expect(new Set(offers).size, log.join(' ')).to.equal(1);
    const requests = log.filter((entry) => entry.endsWith(':request'));
    expect(new Set(requests), log.join(' ')).to.deep.equal(
      new Set([`${offers[0][0] === 'a' ? 'b' : 'a'}:request`]),
    );
    camera.stop();
    microphone.stop();
  });
});

/**
 * Whether `pc` receives the track that `from` sends for `local`, in one of its remote streams: the receiver of the
 * transceiver with the sender's mid.
 */
function hasTrackFrom(pc: PeerConnection, from: PeerConnection, local: LocalTrack): boolean {
  const mid = from.connection?.getTransceivers().find((t) => t.sender.track === local.track)?.mid;
  const received = mid && pc.connection?.getTransceivers().find((t) => t.mid === mid)?.receiver.track;
  return (
    !!received &&
    received.readyState === 'live' &&
    pc.remoteStreams.some((stream) => stream.getTracks().includes(received))
  );
}
