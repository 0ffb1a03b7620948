import { expect, fixture, html } from '@open-wc/testing';
import { CallErrorEvent, type LocalTrack, type PeerConnection } from '../../src/index.js';
import type { NegotiationMessage, SignalingChannel } from '../../src/signaling/signaling.js';
import { capture, decodedFrame, receivedKinds, record, uniqueName, until } from '../helpers.js';

const ROUNDS = 100;
/** Rounds against plain code with offers crossing; its m-lines grow with each round, as plain code's do. */
const CROSSING_ROUNDS = 30;
/** How late each message of that call arrives. */
const DELIVERY_MS = 30;

/** What the far side should receive from a side that sends its camera, and maybe an extra track in its own stream. */
const expected = (extra: LocalTrack | undefined): string =>
  ['video', ...(extra ? [extra.kind] : [])].sort().join(',');

describe('reliability: glare', function () {
  this.timeout(ROUNDS * 5000);

  it(`both sides adding and removing tracks in the same task, ${ROUNDS} rounds, end stable with the right tracks`, async () => {
    const name = uniqueName();
    const root = await fixture<HTMLElement>(html`
      <div>
        <peer-connection signaling="loopback:${name}">
          <local-track kind="video" stream="cam"></local-track>
        </peer-connection>
        <peer-connection signaling="loopback:${name}">
          <local-track kind="video" stream="cam"></local-track>
        </peer-connection>
      </div>
    `);
    const sides = [...root.querySelectorAll('peer-connection')];
    const [left, right] = sides;
    const errors = sides.map((pc) => record<CallErrorEvent>(pc, 'error'));
    const extras: (LocalTrack | undefined)[] = [undefined, undefined];
    // Kit-made tracks from one fake camera and microphone; cloned, so each round's track is new.
    const sources = {
      video: (await capture({ video: true })).getVideoTracks()[0],
      audio: (await capture({ audio: true })).getAudioTracks()[0],
    };
    const both = (): string => `left receives ${receivedKinds(left)}, right receives ${receivedKinds(right)}`;
    let changes = 0;
    const removed: (MediaStreamTrack | null)[] = [];
    try {
      await until(
        () => receivedKinds(left) === 'video' && receivedKinds(right) === 'video',
        'the cameras on both sides',
      );
      for (let round = 1; round <= ROUNDS; round++) {
        // The left side changes every round; the right side two rounds in three, so both add, both remove, or
        // one adds while the other removes, all in the same task.
        const changing = [true, round % 3 !== 0];
        const kind = round % 4 < 2 ? 'video' : 'audio';
        sides.forEach((pc, i) => {
          if (!changing[i]) return;
          changes++;
          const extra = extras[i];
          if (extra) {
            extra.remove();
            extras[i] = undefined;
            removed.push(extra.track);
            return;
          }
          const track = document.createElement('local-track');
          track.track = sources[kind].clone();
          track.kind = kind;
          track.stream = 'extra';
          pc.append(track);
          extras[i] = track;
        });
        await until(
          () =>
            sides.every((pc) => pc.signalingState === 'stable') &&
            receivedKinds(left) === expected(extras[1]) &&
            receivedKinds(right) === expected(extras[0]),
          `round ${round}: stable, with ${expected(extras[1])} on the left and ${expected(extras[0])} on the right; ${both()}`,
        );
        // The page's own tracks are the page's to stop, once their elements are gone.
        for (const track of removed.splice(0)) track?.stop();
        // Every ten rounds, and at the end: every video that arrives is shown, not just listed.
        if (round % 10 === 0)
          await Promise.all(
            sides.flatMap((pc) =>
              pc.remoteStreams
                .filter((stream) => stream.getVideoTracks().length > 0)
                .map((stream) => decodedFrame(stream)),
            ),
          );
      }
      expect(sides.map((pc) => pc.state)).to.deep.equal(['connected', 'connected']);
      expect(errors.flat().map((e) => e.message)).to.deep.equal([]);
      console.log(`glare: ${ROUNDS} rounds, ${changes} changes; all stable with the right tracks, no errors`);
    } finally {
      root.remove();
      sources.video.stop();
      sources.audio.stop();
      for (const extra of extras) extra?.track?.stop();
    }
  });

  /**
   * Two kits never glare: the polite side asks for offers rather than making them. Another implementation does offer,
   * so here the far side is plain code following the specification's perfect-negotiation example, as the polite side,
   * and each message takes a while to arrive, so that offers made in the same task cross: the kit ignores the far
   * side's offer, the far side rolls its own back and answers, then offers again.
   */
  it(`against the specification's example in plain code, offers crossing, ${CROSSING_ROUNDS} rounds, end stable with the right tracks`, async () => {
    const far = new RTCPeerConnection();
    const farErrors: unknown[] = [];
    let collisions = 0;
    let toKit: (message: unknown) => void = () => {};
    // Both ways in order, each message a little late: long enough for the two sides' offers to be made before either
    // arrives.
    const later = (deliver: () => void) => setTimeout(deliver, DELIVERY_MS);
    const toFar = (message: NegotiationMessage) => later(() => void farReceives(message));
    const sendFromFar = (message: unknown) => later(() => toKit(JSON.parse(JSON.stringify(message))));
    // The specification's example, polite side.
    let makingOffer = false;
    far.onnegotiationneeded = async () => {
      try {
        makingOffer = true;
        await far.setLocalDescription();
        sendFromFar({ description: far.localDescription });
      } catch (error) {
        farErrors.push(error);
      } finally {
        makingOffer = false;
      }
    };
    far.onicecandidate = ({ candidate }) => candidate && sendFromFar({ candidate });
    let farQueue = Promise.resolve();
    const farReceives = (message: NegotiationMessage) =>
      (farQueue = farQueue.then(async () => {
        try {
          if ('description' in message) {
            const { description } = message;
            if (description.type === 'offer' && (makingOffer || far.signalingState !== 'stable'))
              collisions++;
            // Polite: a colliding offer is taken, which rolls this side's own offer back.
            await far.setRemoteDescription(description);
            if (description.type === 'offer') {
              await far.setLocalDescription();
              sendFromFar({ description: far.localDescription });
            }
          } else if ('candidate' in message) await far.addIceCandidate(message.candidate);
        } catch (error) {
          farErrors.push(error);
        }
      }));
    const channel: SignalingChannel = {
      polite: false,
      start: (listener) => (toKit = (message) => listener.message(message)),
      send: (message) => toFar(message),
      close: () => far.close(),
    };
    const root = await fixture<HTMLElement>(html`
      <div>
        <peer-connection .signaling=${channel}
          ><local-track kind="video" stream="cam"></local-track
        ></peer-connection>
      </div>
    `);
    const kit = root.querySelector('peer-connection')! as PeerConnection;
    const errors = record<CallErrorEvent>(kit, 'error');
    const sources = {
      video: (await capture({ video: true })).getVideoTracks()[0],
      audio: (await capture({ audio: true })).getAudioTracks()[0],
    };
    const farCamera = sources.video.clone();
    far.addTrack(farCamera, new MediaStream([farCamera]));
    const farExtra = new MediaStream();
    let farSender: RTCRtpSender | undefined;
    let kitExtra: LocalTrack | undefined;
    /** The kinds the far side receives, sorted, from the m-lines negotiated to carry media to it. */
    const farReceivesKinds = () =>
      far
        .getTransceivers()
        .filter((t) => t.currentDirection === 'sendrecv' || t.currentDirection === 'recvonly')
        .map((t) => t.receiver.track.kind)
        .sort()
        .join(',');
    const stopped: MediaStreamTrack[] = [];
    try {
      await until(
        () => receivedKinds(kit) === 'video' && farReceivesKinds() === 'video',
        'the cameras both ways',
      );
      for (let round = 1; round <= CROSSING_ROUNDS; round++) {
        const kind = round % 4 < 2 ? 'video' : 'audio';
        // Both sides change in the same task: each adds a track, or takes its extra one back.
        if (kitExtra) {
          kitExtra.remove();
          stopped.push(kitExtra.track!);
          kitExtra = undefined;
        } else {
          kitExtra = Object.assign(document.createElement('local-track'), {
            track: sources[kind].clone(),
            kind,
            stream: 'extra',
          });
          kit.append(kitExtra);
        }
        if (farSender) {
          stopped.push(farSender.track!);
          far.removeTrack(farSender);
          farSender = undefined;
        } else {
          const track = sources[kind === 'video' ? 'audio' : 'video'].clone();
          farSender = far.addTrack(track, farExtra);
        }
        const kitWants = ['video', ...(farSender ? [farSender.track!.kind] : [])].sort().join(',');
        const farWants = ['video', ...(kitExtra ? [kitExtra.kind] : [])].sort().join(',');
        const kitGets = () => receivedKinds(kit).split(/[,+]/).sort().join(',');
        await until(
          () =>
            kit.signalingState === 'stable' &&
            far.signalingState === 'stable' &&
            kitGets() === kitWants &&
            farReceivesKinds() === farWants,
          `round ${round}: stable, the kit receiving ${kitWants} (got ${kitGets()}) and the far side ${farWants} (got ${farReceivesKinds()})`,
        );
        for (const track of stopped.splice(0)) track.stop();
      }
      await Promise.all(
        kit.remoteStreams.filter((s) => s.getVideoTracks().length > 0).map((s) => decodedFrame(s)),
      );
      expect(kit.state).to.equal('connected');
      expect(errors.map((e) => e.message)).to.deep.equal([]);
      expect(farErrors.map(String)).to.deep.equal([]);
      // The offers did cross: in most rounds the far side's offer met the kit's.
      expect(collisions, 'rounds where the offers crossed').to.be.greaterThan(CROSSING_ROUNDS / 2);
      console.log(
        `glare, crossing: ${CROSSING_ROUNDS} rounds, ${collisions} crossed offers; all stable with the right tracks, no errors`,
      );
    } finally {
      root.remove();
      far.close();
      farCamera.stop();
      for (const track of [...stopped, sources.video, sources.audio, farSender?.track, kitExtra?.track])
        track?.stop();
    }
  });
});
