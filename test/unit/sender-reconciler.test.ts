import { expect } from '@open-wc/testing';
import { SenderReconciler, type TrackSource } from '../../src/senders/sender-reconciler.js';

/**
 * The reconciler holding new senders back while told to (as it is while the browser applies an offer of the far side:
 * see holdAdds), on a connection of its own that negotiates nothing.
 */
describe('SenderReconciler, holding new senders', () => {
  const made: MediaStreamTrack[] = [];
  const canvasTrack = (): MediaStreamTrack => {
    const [track] = document.createElement('canvas').captureStream().getVideoTracks();
    made.push(track);
    return track;
  };
  let pc: RTCPeerConnection;
  let hold: boolean;
  let errors: string[];
  let senders: SenderReconciler;

  beforeEach(() => {
    pc = new RTCPeerConnection();
    hold = true;
    errors = [];
    senders = new SenderReconciler(
      pc,
      (_source, error, operation) => errors.push(`${operation}: ${(error as Error).name}`),
      () => {},
      undefined,
      () => hold,
    );
  });

  afterEach(() => {
    pc.close();
    for (const track of made.splice(0)) track.stop();
  });

  const sent = () => pc.getSenders().map((sender) => sender.track);

  it('sends held sources once released, in the order they came, each with the track it has then', () => {
    const first: { track: MediaStreamTrack | null; streamNames: string[] } = {
      track: canvasTrack(),
      streamNames: ['cam'],
    };
    const second: TrackSource = { track: canvasTrack(), streamNames: [] };
    senders.sync(first);
    senders.sync(second);
    const swapped = (first.track = canvasTrack());
    senders.sync(first);
    expect(sent(), 'nothing sent while held').to.deep.equal([]);
    hold = false;
    senders.sendHeld();
    // Synced again after the second, the first comes after it.
    expect(sent()).to.deep.equal([second.track, swapped]);
    expect(errors).to.deep.equal([]);
  });

  it('sends nothing for a held source removed, or left without a track', () => {
    const removed: TrackSource = { track: canvasTrack(), streamNames: [] };
    const emptied: { track: MediaStreamTrack | null; streamNames: string[] } = {
      track: canvasTrack(),
      streamNames: [],
    };
    senders.sync(removed);
    senders.sync(emptied);
    expect(senders.remove(removed), 'a held source was not being sent').to.equal(false);
    emptied.track = null;
    senders.sync(emptied);
    hold = false;
    senders.sendHeld();
    expect(sent()).to.deep.equal([]);
    expect(errors).to.deep.equal([]);
  });

  it('refuses a second source with a track already held, and a page sender for it', () => {
    const track = canvasTrack();
    senders.sync({ track, streamNames: [] });
    senders.sync({ track, streamNames: ['other'] });
    expect(errors).to.deep.equal(['add-track: InvalidAccessError']);
    expect(() => senders.addSender(track, [])).to.throw(DOMException, /already sent/);
    hold = false;
    senders.sendHeld();
    expect(sent()).to.deep.equal([track]);
  });
});
