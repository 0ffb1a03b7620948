import { expect } from '@open-wc/testing';
import { IceRecovery } from '../../src/negotiation/ice-recovery.js';

/**
 * The states an `RTCPeerConnection` reports, and its state events, on a plain object: a real connection cannot be
 * made to lose its media path on cue in a page, and the recovery's decisions depend on nothing else.
 */
class ConnectionStates extends EventTarget {
  connectionState: RTCPeerConnectionState = 'new';
  iceConnectionState: RTCIceConnectionState = 'new';
  signalingState: RTCSignalingState = 'stable';

  getTransceivers(): RTCRtpTransceiver[] {
    return [];
  }

  /** Moves to a state as the browser does, with its events. */
  move(connection: RTCPeerConnectionState, ice: RTCIceConnectionState): void {
    this.iceConnectionState = ice;
    this.dispatchEvent(new Event('iceconnectionstatechange'));
    this.connectionState = connection;
    this.dispatchEvent(new Event('connectionstatechange'));
  }

  /** `RTCPeerConnection.close()`: every state closed, and no event. */
  closeQuietly(): void {
    this.connectionState = 'closed';
    this.iceConnectionState = 'closed';
    this.signalingState = 'closed';
  }
}

/** What the recovery asked for, in order. */
function watch(states: ConnectionStates): { calls: string[]; recovery: IceRecovery } {
  const calls: string[] = [];
  const recovery = new IceRecovery(states as unknown as RTCPeerConnection, {
    restart: () => calls.push('restart'),
    renew: () => calls.push('renew'),
    gaveUp: () => calls.push('gaveUp'),
    closedOutside: () => calls.push('closedOutside'),
  });
  return { calls, recovery };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Longer than the 2 s a `disconnected` connection is given to come back by itself. */
const PAST_GRACE_MS = 2300;

describe('IceRecovery', () => {
  let recoveries: IceRecovery[] = [];
  afterEach(() => {
    for (const recovery of recoveries) recovery.dispose();
    recoveries = [];
  });

  function connected(): { states: ConnectionStates; calls: string[] } {
    const states = new ConnectionStates();
    const { calls, recovery } = watch(states);
    recoveries.push(recovery);
    states.move('connecting', 'checking');
    states.move('connected', 'connected');
    return { states, calls };
  }

  it('restarts ICE once a lost media path has not come back within the grace', async () => {
    const { states, calls } = connected();
    states.move('disconnected', 'disconnected');
    await sleep(1000);
    expect(calls, 'nothing yet, inside the grace').to.deep.equal([]);
    await sleep(PAST_GRACE_MS - 1000);
    expect(calls).to.deep.equal(['restart']);
  });

  it('does nothing when the path comes back within the grace', async () => {
    const { states, calls } = connected();
    states.move('disconnected', 'disconnected');
    await sleep(500);
    states.move('connected', 'connected');
    await sleep(PAST_GRACE_MS);
    expect(calls).to.deep.equal([]);
  });

  it('tells of a connection the page closed itself when a restart comes due, and restarts nothing', async () => {
    const { states, calls } = connected();
    states.move('disconnected', 'disconnected');
    await sleep(500);
    // The page's own close() fires no event: only the recovery's timer finds it.
    states.closeQuietly();
    await sleep(PAST_GRACE_MS);
    expect(calls).to.deep.equal(['closedOutside']);
    // Told once: the recovery stopped, and plans no more restarts (the next would be 3 s later).
    await sleep(3200);
    expect(calls).to.deep.equal(['closedOutside']);
  });

  it('replaces at once a connection whose ICE failed before it ever connected', async () => {
    const states = new ConnectionStates();
    const { calls, recovery } = watch(states);
    recoveries.push(recovery);
    states.move('connecting', 'checking');
    states.move('failed', 'failed');
    await sleep(100);
    expect(calls).to.deep.equal(['renew']);
  });
});
