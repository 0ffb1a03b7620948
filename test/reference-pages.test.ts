/**
 * Every statement of the two reference pages (RTCPeerConnection.addTrack() and removeTrack()), through the kit.
 */
import { expect, html } from '@open-wc/testing';
import type { LocalTrack, PeerConnection } from '../src/index.js';
import { CallErrorEvent } from '../src/index.js';
import {
  callPair,
  capture,
  decodedFrame,
  mLines,
  nextEvent,
  nextOffer,
  record,
  settled,
  until,
} from './helpers.js';

const camera = async (): Promise<MediaStreamTrack> => (await capture({ video: true })).getVideoTracks()[0];
const microphone = async (): Promise<MediaStreamTrack> =>
  (await capture({ audio: true })).getAudioTracks()[0];

/** Two connections, the left one sending what `tracks` renders. */
const sending = (tracks: ReturnType<typeof html>) =>
  callPair(
    (name) => html`<peer-connection signaling="loopback:${name}">${tracks}</peer-connection>`,
    (name) => html`<peer-connection signaling="loopback:${name}"></peer-connection>`,
  );

const senderOf = (pc: PeerConnection, track: MediaStreamTrack | null): RTCRtpSender | undefined =>
  pc.connection!.getSenders().find((s) => s.track === track);

describe('addTrack(): the sender', () => {
  it('returns the RTCRtpSender that transmits the track, listed in getSenders()', async () => {
    const [a, b] = await sending(html``);
    const track = await camera();
    const sender = a.addTrack(track);
    expect(sender).to.be.instanceOf(RTCRtpSender);
    expect(sender.track).to.equal(track);
    expect(a.connection!.getSenders()).to.include(sender);
    await until(() => b.remoteStreams.length === 1, 'the track at the far side');
    await decodedFrame(b.remoteStreams[0]);
    track.stop();
  });

  it('pairs a new sender with a receiver of the same kind in a new sendrecv transceiver', async () => {
    const [a] = await sending(html`<local-track kind="audio"></local-track>`);
    const local = a.querySelector('local-track')!;
    await until(() => local.state === 'live' && !!senderOf(a, local.track), 'the audio sender');
    const transceiver = a.connection!.getTransceivers().find((t) => t.sender.track === local.track)!;
    expect(transceiver.direction).to.equal('sendrecv');
    expect(transceiver.receiver.track).to.be.instanceOf(MediaStreamTrack);
    expect(transceiver.receiver.track).not.to.equal(local.track);
    expect(transceiver.receiver.track.kind).to.equal('audio');
  });

  it('reuses a compatible sender that never sent instead of making a new transceiver', async () => {
    const [a, b] = await sending(html`<local-track kind="video"></local-track>`);
    await until(() => b.remoteStreams.length === 1, 'the far side receiving');
    await settled(a, b);
    // The far side's transceiver came from the offer: receive only, its sender never sent.
    const [transceiver] = b.connection!.getTransceivers();
    expect(transceiver.currentDirection).to.equal('recvonly');
    expect(transceiver.sender.track).to.equal(null);
    const track = await camera();
    const stream = new MediaStream([track]);
    const sender = b.addTrack(track, stream);
    expect(sender).to.equal(transceiver.sender);
    expect(b.connection!.getTransceivers()).to.have.length(1);
    await nextEvent(b, 'negotiated');
    expect(transceiver.currentDirection).to.equal('sendrecv');
    await until(() => a.remoteStreams[0]?.id === stream.id, 'the track back at the first side');
    track.stop();
  });
});

describe('addTrack(): streams', () => {
  it('delivers tracks of one local stream together, in one remote stream with the same id', async () => {
    const [a, b] = await sending(
      html`<local-track kind="video" stream="cam"></local-track
        ><local-track kind="audio" stream="cam"></local-track>`,
    );
    await until(() => b.remoteStreams[0]?.getTracks().length === 2, 'both tracks in one stream');
    expect(b.remoteStreams).to.have.length(1);
    expect(a.connection!.getSenders().filter((s) => s.track)).to.have.length(2);
    // The stream id the sender announced (a=msid:<stream> <track>) is the remote stream's id.
    const announced = new Set(
      a.connection!.localDescription!.sdp.match(/^a=msid:(\S+)/gm)!.map((l) => l.slice(7)),
    );
    expect([...announced]).to.deep.equal([b.remoteStreams[0].id]);
  });

  it('puts a track named in several streams into each of them at the far side', async () => {
    // The event may come while the fixture is still settling: listen before rendering.
    const events = record<RTCTrackEvent>(document, 'track');
    const [, b] = await sending(html`<local-track kind="video" stream="main backup"></local-track>`);
    await until(() => events.some((e) => e.target === b), 'a track event');
    const event = events.find((e) => e.target === b)!;
    expect(event.streams).to.have.length(2);
    await until(() => b.remoteStreams.length === 2, 'two remote streams');
    expect(b.remoteStreams[0].getTracks()[0]).to.equal(b.remoteStreams[1].getTracks()[0]);
  });

  it('collects streamless tracks into one shared inbound stream by default', async () => {
    const [, b] = await sending(
      html`<local-track kind="video"></local-track><local-track kind="audio"></local-track>`,
    );
    await until(() => b.remoteStreams[0]?.getTracks().length === 2, 'both tracks in the inbound stream');
    expect(b.remoteStreams).to.have.length(1);
    expect(b.streamless).to.equal('shared');
  });

  it('gives each streamless track its own stream with streamless="separate"', async () => {
    const [, b] = await callPair(
      (name) =>
        html`<peer-connection signaling="loopback:${name}">
          <local-track kind="video"></local-track><local-track kind="audio"></local-track>
        </peer-connection>`,
      (name) => html`<peer-connection signaling="loopback:${name}" streamless="separate"></peer-connection>`,
    );
    await until(() => b.remoteStreams.length === 2, 'two streams');
    expect(b.remoteStreams.map((s) => s.getTracks().length)).to.deep.equal([1, 1]);
    expect(b.remoteStreams.map((s) => s.getTracks()[0].kind).sort()).to.deep.equal(['audio', 'video']);
  });

  it('re-dispatches the track event with the receiver, transceiver and streams', async () => {
    const events = record<RTCTrackEvent>(document, 'track');
    const [, b] = await sending(html`<local-track kind="video" stream="cam"></local-track>`);
    await until(() => events.some((e) => e.target === b), 'a track event');
    const event = events.find((e) => e.target === b)!;
    expect(event).to.be.instanceOf(RTCTrackEvent);
    expect(event.target).to.equal(b);
    expect(event.receiver.track).to.equal(event.track);
    expect(event.transceiver.receiver).to.equal(event.receiver);
    expect(event.streams).to.have.length(1);
  });
});

describe('renegotiation', () => {
  it('after an add: the far side sees the new track only once negotiation completes', async () => {
    const [a, b] = await sending(html`<local-track kind="audio" stream="cam"></local-track>`);
    await until(() => b.remoteStreams[0]?.getTracks().length === 1, 'the audio');
    await settled(a, b);
    const offered = nextOffer(a);
    const video = document.createElement('local-track');
    video.kind = 'video';
    video.stream = 'cam';
    a.append(video);
    await offered;
    expect(b.remoteStreams[0].getVideoTracks()).to.have.length(0);
    await nextEvent(b, 'negotiated');
    await until(() => b.remoteStreams[0].getVideoTracks().length === 1, 'the video at the far side');
    await decodedFrame(b.remoteStreams[0]);
  });

  it('after a removal: the sender stays with a null track, the far side loses the track after negotiating', async () => {
    const [a, b] = await sending(
      html`<local-track kind="video" stream="cam"></local-track
        ><local-track kind="audio" stream="cam"></local-track>`,
    );
    await until(() => b.remoteStreams[0]?.getTracks().length === 2, 'both tracks');
    await settled(a, b);
    const video = a.querySelector<LocalTrack>('local-track[kind="video"]')!;
    const sender = senderOf(a, video.track)!;
    const sendersBefore = a.connection!.getSenders().length;
    const offered = nextOffer(a);
    video.remove();
    await offered;
    expect(a.connection!.getSenders()).to.include(sender);
    expect(a.connection!.getSenders()).to.have.length(sendersBefore);
    expect(sender.track).to.equal(null);
    // Not yet negotiated: the far side still has it.
    expect(b.remoteStreams[0].getVideoTracks()).to.have.length(1);
    await until(() => b.remoteStreams[0].getVideoTracks().length === 0, 'the far side losing the video');
    expect(b.remoteStreams[0].getAudioTracks()).to.have.length(1);
  });

  it('a stream whose last track is removed leaves remoteStreams with streamremoved', async () => {
    const [a, b] = await sending(html`<local-track kind="video" stream="cam"></local-track>`);
    await until(() => b.remoteStreams.length === 1, 'the stream');
    const [stream] = b.remoteStreams;
    const removed = nextEvent<CustomEvent & { stream: MediaStream }>(b, 'streamremoved');
    a.querySelector('local-track')!.remove();
    expect((await removed).stream).to.equal(stream);
    expect(b.remoteStreams).to.have.length(0);
  });
});

describe('errors of addTrack() and removeTrack()', () => {
  it('throws InvalidStateError on a closed connection, and <local-track> reports it as an error event', async () => {
    const [a] = await sending(html``);
    const track = await camera();
    a.close();
    expect(a.state).to.equal('closed');
    expect(() => a.addTrack(track))
      .to.throw(DOMException)
      .with.property('name', 'InvalidStateError');
    expect(() => a.removeTrack({} as RTCRtpSender))
      .to.throw(DOMException)
      .with.property('name', 'InvalidStateError');
    const local = document.createElement('local-track');
    local.track = track;
    const error = nextEvent<CallErrorEvent>(local, 'error');
    a.append(local);
    const event = await error;
    expect(event).to.be.instanceOf(CallErrorEvent);
    expect(event.operation).to.equal('add-track');
    expect((event.error as DOMException).name).to.equal('InvalidStateError');
    expect(event.message).to.match(/InvalidStateError/);
    track.stop();
  });

  it('throws InvalidAccessError for a track added twice, and <local-track> reports it', async () => {
    const [a] = await sending(html``);
    const track = await camera();
    a.addTrack(track);
    expect(() => a.addTrack(track))
      .to.throw(DOMException)
      .with.property('name', 'InvalidAccessError');
    const local = document.createElement('local-track');
    local.track = track;
    const error = nextEvent<CallErrorEvent>(local, 'error');
    a.append(local);
    const event = await error;
    expect(event.operation).to.equal('add-track');
    expect((event.error as DOMException).name).to.equal('InvalidAccessError');
    track.stop();
  });

  it('ignores a sender that is not the connection’s', async () => {
    const [a, b] = await sending(html``);
    const track = await microphone();
    const foreign = b.addTrack(track);
    const senders = a.connection!.getSenders().length;
    expect(() => a.removeTrack(foreign)).not.to.throw();
    expect(a.connection!.getSenders()).to.have.length(senders);
    expect(foreign.track).to.equal(track);
    track.stop();
  });

  it('removeTrack() of a sender whose track already stopped still empties the sender', async () => {
    const [a] = await sending(html``);
    const track = await microphone();
    const negotiated = nextEvent(a, 'negotiated');
    const sender = a.addTrack(track);
    track.stop();
    a.removeTrack(sender);
    expect(sender.track).to.equal(null);
    // The transceiver addTrack made stays, sending nothing: one m-line, no more.
    await negotiated;
    expect(mLines(a.connection!.localDescription)).to.equal(1);
  });
});
