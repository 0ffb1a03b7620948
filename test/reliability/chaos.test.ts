import { expect, fixture, html } from '@open-wc/testing';
import { CallErrorEvent, LoopbackChannel, type PeerConnection } from '../../src/index.js';
import { ChaosChannel, type FaultCounts } from '../support/chaos-channel.js';
import { decodedFrame, list, receivedKinds, record, tally, uniqueName } from '../helpers.js';

/** Each fault happens to one outgoing message in ten, on both sides. */
const FAULTS = { drop: 0.1, duplicate: 0.1, reorder: 0.1, delay: 0.1, maxDelayMs: 400 };
const RUNS = 50;
/**
 * Runs that must converge. Seed 27 in Firefox used to fail in about half the runs: the channel lost the one candidate
 * of the far side that could be reached, Firefox gave ICE up before it ever connected, and after the kit's ICE restart
 * media flowed one way only (from the far side), with every state `connected`. In those runs the kit reported errors
 * only by chance (the restart's candidates, refused while its lost offer was away); the one-way media itself goes
 * untold, and a run that reaches it by another way would fail here as a silent hang. Since each side sends its
 * candidates again while ICE does not connect, the restart is not needed and seed 27 converges (6 of 6 runs alone).
 */
const MIN_CONVERGED = 49;
/**
 * How long a run may take to either converge or report failure. A lost answer costs a resend (2 s); lost candidates
 * cost an ICE restart once checks have gone on for 10 s without a path.
 */
const BOUND_MS = 40_000;
/**
 * The operations of the errors that report a call failing: an offer the far side never answered, or a connection
 * that ICE restarts did not bring back. Others (a refused candidate, say) may come in a call that goes on, so a run
 * that does not converge must have told at least one of these.
 */
const FAILURE_OPERATIONS = ['negotiation', 'connection'];

interface Outcome {
  converged: boolean;
  /** The kit's `error` events, as `operation: message`. */
  errors: string[];
  /**
   * Those told since the stage the run stalled in began (none for a converged run): a run that does not converge must
   * have told the page so then, not only before (noise of a stage that went on to work).
   */
  errorsInStall: string[];
  /** What the test waited for in vain, if anything (not a report of the kit's). */
  stalled?: string;
  counts: FaultCounts[];
  /** Each side's signaling, ICE and connection states and remote tracks, to read a failure. */
  sides: string[];
  log: string[][];
  /** Each `<local-track>`'s stream and state. */
  tracks: string;
}

/**
 * One call over chaotic signaling: the left side sends camera and microphone in one stream, the right side a camera;
 * once that works the right side adds a second camera mid-call. Converged means every track arrived, in the right
 * streams, and both sides show decoded video.
 */
async function chaoticCall(seed: number): Promise<Outcome> {
  const name = uniqueName();
  const channels = [
    new ChaosChannel(new LoopbackChannel(name), FAULTS, seed),
    new ChaosChannel(new LoopbackChannel(name), FAULTS, seed + 1000),
  ];
  const root = await fixture<HTMLElement>(html`
    <div>
      <peer-connection .signaling=${channels[0]}>
        <local-track kind="video" stream="cam"></local-track>
        <local-track kind="audio" stream="cam"></local-track>
      </peer-connection>
      <peer-connection .signaling=${channels[1]}>
        <local-track kind="video" stream="front"></local-track>
      </peer-connection>
    </div>
  `);
  const [left, right] = root.querySelectorAll('peer-connection');
  const errorsOf = [record<CallErrorEvent>(left, 'error'), record<CallErrorEvent>(right, 'error')];
  const told = () => errorsOf.flat().map((e) => `${e.operation}: ${e.message}`);
  // How many errors were told when the current stage began.
  let toldBeforeStage = 0;
  const outcome = (converged: boolean): Outcome => ({
    converged,
    errors: told(),
    errorsInStall: converged ? [] : told().slice(toldBeforeStage),
    counts: channels.map((c) => c.counts),
    log: converged ? [] : channels.map((c) => c.log),
    tracks: [...root.querySelectorAll('local-track')].map((t) => `${t.stream}:${t.state}`).join(' '),
    sides: [left, right].map(
      (pc) =>
        `${pc.connection?.signalingState}/${pc.connection?.iceConnectionState}/${pc.state} receiving ${receivedKinds(pc)}`,
    ),
  });
  try {
    const deadline = performance.now() + BOUND_MS;
    const reached = async (what: () => boolean): Promise<boolean> => {
      while (!what()) {
        if (performance.now() > deadline) return false;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return true;
    };
    const connected = (): boolean => left.state === 'connected' && right.state === 'connected';
    if (
      !(await reached(
        () => connected() && receivedKinds(left) === 'video' && receivedKinds(right) === 'audio+video',
      ))
    )
      return outcome(false);
    await showing([left, right], 'first tracks', () =>
      Promise.all([decodedFrame(left.remoteStreams[0]), decodedFrame(right.remoteStreams[0])]),
    );
    // A track added mid-call, still over the same bad channel.
    toldBeforeStage = told().length;
    const added = document.createElement('local-track');
    added.kind = 'video';
    added.stream = 'side';
    right.append(added);
    if (!(await reached(() => connected() && receivedKinds(left) === 'video,video'))) return outcome(false);
    await showing([left, right], 'added track', () =>
      Promise.all(left.remoteStreams.map((stream) => decodedFrame(stream))),
    );
    // A run may end in an ICE restart (a lost candidate path); converged means it connects again.
    toldBeforeStage = told().length;
    return outcome(await reached(connected));
  } catch (error) {
    return { ...outcome(false), stalled: String(error) };
  } finally {
    root.remove();
  }
}

const operationOf = (error: string): string => error.slice(0, error.indexOf(':'));

/** Runs `wait`; if it fails, the error says what each connection's transceivers and video receivers show. */
async function showing<T>(pcs: PeerConnection[], stage: string, wait: () => Promise<T>): Promise<T> {
  try {
    return await wait();
  } catch (error) {
    const media = await Promise.all(
      pcs.map(async (pc) => {
        const decoded: string[] = [];
        (await pc.connection!.getStats()).forEach(
          (s: { type: string; kind?: string; mid?: string; framesDecoded?: number }) => {
            if (s.type === 'inbound-rtp' && s.kind === 'video')
              decoded.push(`mid ${s.mid}: ${s.framesDecoded} decoded`);
          },
        );
        const transceivers = pc
          .connection!.getTransceivers()
          .map(
            (t) =>
              `${t.mid}:${t.receiver.track.kind}:${t.direction}/${t.currentDirection}:${t.receiver.track.muted ? 'muted' : 'unmuted'}`,
          );
        return `${transceivers.join(' ')} | ${decoded.join(', ')}`;
      }),
    );
    throw new Error(`${stage}: ${(error as Error).message}; ${media.join(' || ')}`, { cause: error });
  }
}

describe('reliability: chaotic signaling', function () {
  const results: Outcome[] = [];

  after(() => {
    const converged = results.filter((r) => r.converged).length;
    const total = (key: keyof FaultCounts) =>
      results.flatMap((r) => r.counts).reduce((sum, c) => sum + c[key], 0);
    // Errors a converged run reported anyway: what the faults cost in noise, by operation.
    const noise = tally(
      results
        .filter((r) => r.converged)
        .flatMap((r) => r.errors)
        .map(operationOf),
    );
    console.log(
      `chaos: ${results.length} runs, ${converged} converged, ${results.length - converged} reported failure; ` +
        `messages ${total('sent')}: dropped ${total('dropped')}, duplicated ${total('duplicated')}, ` +
        `reordered ${total('reordered')}, delayed ${total('delayed')}; error events in converged runs: ` +
        `${list(noise) || 'none'}`,
    );
  });

  for (let seed = 1; seed <= RUNS; seed++) {
    it(`seed ${seed}: converges with every track, or reports failure, within ${BOUND_MS / 1000} s`, async function () {
      this.timeout(BOUND_MS + 20_000);
      const result = await chaoticCall(seed);
      results.push(result);
      // A run that does not converge must have said the call failed, while it was stuck: never a silent hang.
      const toldFailure = result.errorsInStall.some((error) =>
        FAILURE_OPERATIONS.includes(operationOf(error)),
      );
      expect(result.converged || toldFailure, `a silent hang: ${JSON.stringify(result)}`).to.equal(true);
      if (!result.converged) console.log(`chaos: seed ${seed} reported failure: ${JSON.stringify(result)}`);
    });
  }

  it(`converges in at least ${MIN_CONVERGED} of ${RUNS} runs`, () => {
    // Runs that report failure are allowed by the contract, but a working kit converges despite these faults.
    expect(results.filter((r) => r.converged).length).to.be.at.least(MIN_CONVERGED);
  });
});
