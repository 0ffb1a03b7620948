import { expect, waitUntil } from '@open-wc/testing';
import { SenderReconciler, type TrackSource } from '../../src/senders/sender-reconciler.js';

/** The canvas tracks the tests made, stopped after each test. */
const made: MediaStreamTrack[] = [];
const canvasTrack = (): MediaStreamTrack => {
  const [track] = document.createElement('canvas').captureStream().getVideoTracks();
  made.push(track);
  return track;
};
afterEach(() => {
  for (const track of made.splice(0)) track.stop();
});

/**
 * The reconciler holding new senders back while told to (as it is while the browser applies an offer of the far side:
 * see holdAdds), on a connection of its own that negotiates nothing.
 */
describe('SenderReconciler, holding new senders', () => {
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

  afterEach(() => pc.close());

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

/**
 * Tracks handed from one source to another: a sender switching away from a track (its replaceTrack not landed yet)
 * still has it, and addTrack refuses a track a sender has; a source refused a track another one sends gets it once
 * that one lets it go.
 */
describe('SenderReconciler, tracks changing hands', () => {
  let pc: RTCPeerConnection;
  let errors: string[];
  let senders: SenderReconciler;

  beforeEach(() => {
    pc = new RTCPeerConnection();
    errors = [];
    senders = new SenderReconciler(pc, (_source, error, operation) =>
      errors.push(`${operation}: ${(error as Error).name}`),
    );
  });

  afterEach(() => pc.close());

  const sent = () => pc.getSenders().flatMap((sender) => (sender.track ? [sender.track] : []));
  const source = (track: MediaStreamTrack): { track: MediaStreamTrack | null; streamNames: string[] } => ({
    track,
    streamNames: [],
  });

  it('sends a track another source is switching away from once that sender lets it go (a list re-rendered without keys)', async () => {
    const [t1, t2, t3] = [canvasTrack(), canvasTrack(), canvasTrack()];
    const first = source(t1);
    const second = source(t3);
    senders.sync(first);
    senders.sync(second);
    // [t1, t3] rendered again as [t1, t2, t3]: the second element now shows t2, and a new third one gets t3.
    second.track = t2;
    senders.sync(second);
    senders.sync(source(t3));
    expect(errors).to.deep.equal([]);
    await waitUntil(() => sent().length === 3, 'all three tracks sent');
    expect(new Set(sent())).to.deep.equal(new Set([t1, t2, t3]));
    expect(errors).to.deep.equal([]);
  });

  it('lets two sources swap their tracks in one task', async () => {
    const [t1, t2] = [canvasTrack(), canvasTrack()];
    const a = source(t1);
    const b = source(t2);
    senders.sync(a);
    senders.sync(b);
    const [senderA, senderB] = pc.getSenders();
    a.track = t2;
    b.track = t1;
    senders.sync(a);
    senders.sync(b);
    await waitUntil(() => senderA.track === t2 && senderB.track === t1, 'the senders swapped their tracks');
    expect(errors).to.deep.equal([]);
  });

  it('takes a track back that its replaceTrack has not left yet', async () => {
    const [t1, t2] = [canvasTrack(), canvasTrack()];
    const one = source(t1);
    senders.sync(one);
    one.track = t2;
    senders.sync(one);
    one.track = t1;
    senders.sync(one);
    expect(errors).to.deep.equal([]);
    // Both replaceTrack calls settled: the sender ends on t1.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sent()).to.deep.equal([t1]);
    expect(errors).to.deep.equal([]);
  });

  it('sends the track of a source refused as a duplicate once the source that sent it is removed', async () => {
    const track = canvasTrack();
    const first = source(track);
    const second = source(track);
    senders.sync(first);
    senders.sync(second);
    expect(errors).to.deep.equal(['add-track: InvalidAccessError']);
    senders.remove(first);
    await waitUntil(() => sent().length === 1, 'the second source sends the track');
    expect(sent()).to.deep.equal([track]);
    expect(errors, 'refused once, not again').to.deep.equal(['add-track: InvalidAccessError']);
    // And it is the second source's now: removing it stops the track being sent.
    senders.remove(second);
    expect(sent()).to.deep.equal([]);
  });

  it('gives a track let go to one of the sources refused it, and tells the others nothing more', async () => {
    const track = canvasTrack();
    const [first, second, third] = [source(track), source(track), source(track)];
    for (const one of [first, second, third]) senders.sync(one);
    expect(errors).to.deep.equal(['add-track: InvalidAccessError', 'add-track: InvalidAccessError']);
    senders.remove(first);
    await waitUntil(() => sent().length === 1, 'one source sends the track');
    expect(errors, 'not told again').to.have.length(2);
    // The one that has it lets it go: the last one takes it.
    senders.remove(second);
    await waitUntil(() => sent().length === 1, 'the last source sends the track');
    senders.remove(third);
    expect(sent()).to.deep.equal([]);
    expect(errors).to.have.length(2);
  });
});
