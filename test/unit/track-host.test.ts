import { expect } from '@open-wc/testing';
import type { AttachedTrack } from '../../src/shared/connection-context.js';
import { TrackHost } from '../../src/shared/track-host.js';
import type { PeerSession } from '../../src/session/peer-session.js';

/** An attached track as plain data: what it sends, and whether its capture is under way. */
interface FakeTrack extends AttachedTrack {
  track: MediaStreamTrack | null;
  capturing: boolean;
  name: string;
}

const fakeTrack = (name: string, capturing: boolean): FakeTrack => ({
  name,
  capturing,
  track: capturing ? null : ({ kind: 'video' } as MediaStreamTrack),
  streamNames: [],
  reportError: () => {},
});

/** A host over one session whose senders only record what they were asked, as `sync a` / `remove a`. */
function recordingHost(): { host: TrackHost; calls: string[] } {
  const calls: string[] = [];
  const session = {
    senders: {
      sync: (track: FakeTrack) => calls.push(`sync ${track.name}${track.track ? '' : ' (none)'}`),
      remove: (track: FakeTrack) => calls.push(`remove ${track.name}`) > 0,
    },
    whenNegotiated: () => Promise.resolve(),
  } as unknown as PeerSession;
  return {
    host: new TrackHost(
      () => [session],
      () => [],
    ),
    calls,
  };
}

/** A recording host with `tracks` attached, its record cleared: what follows is what the test does. */
function hostWith(...tracks: FakeTrack[]): { host: TrackHost; calls: string[] } {
  const recorded = recordingHost();
  for (const track of tracks) recorded.host.attach(track);
  recorded.calls.length = 0;
  return recorded;
}

/** The capture of `track` finished, with a track or (failed) without one. */
function captured(host: TrackHost, track: FakeTrack, withTrack = true): void {
  track.capturing = false;
  track.track = withTrack ? ({ kind: 'video' } as MediaStreamTrack) : null;
  host.update(track);
}

describe('TrackHost: tracks captured together are sent together', () => {
  it('sends a track at once when no other capture is under way', () => {
    const { host, calls } = recordingHost();
    host.attach(fakeTrack('a', false));
    expect(calls).to.deep.equal(['sync a']);
  });

  it('holds a captured track back until the other captures finish, then sends them all in one go', () => {
    const [a, b, c] = [fakeTrack('a', true), fakeTrack('b', true), fakeTrack('c', true)];
    const { host, calls } = hostWith(a, b, c);
    captured(host, b);
    captured(host, a);
    expect(calls).to.deep.equal([]);
    captured(host, c);
    expect(calls).to.deep.equal(['sync c', 'sync b', 'sync a']);
  });

  it('sends the held tracks when the capture they wait for fails', () => {
    const [a, b] = [fakeTrack('a', true), fakeTrack('b', true)];
    const { host, calls } = hostWith(a, b);
    captured(host, a);
    captured(host, b, false);
    expect(calls).to.deep.equal(['sync b (none)', 'sync a']);
  });

  it('sends the held tracks when the track they wait for is detached', () => {
    const [a, b] = [fakeTrack('a', true), fakeTrack('b', true)];
    const { host, calls } = hostWith(a, b);
    captured(host, a);
    host.detach(b);
    expect(calls).to.deep.equal(['remove b', 'sync a']);
  });

  it('never holds back stopping a track', () => {
    const [a, b] = [fakeTrack('a', false), fakeTrack('b', true)];
    const { host, calls } = hostWith(a, b);
    a.track = null;
    host.update(a);
    expect(calls).to.deep.equal(['sync a (none)']);
  });

  it('swaps the track of a track already sent at once (another device), whatever is being captured', () => {
    const [a, b] = [fakeTrack('a', false), fakeTrack('b', true)];
    const { host, calls } = hostWith(a, b);
    a.track = { kind: 'video' } as MediaStreamTrack;
    host.update(a);
    expect(calls).to.deep.equal(['sync a']);
  });

  it('sends a track attached with its track at once (a move), whatever is being captured', () => {
    const { host, calls } = recordingHost();
    const [a, b] = [fakeTrack('a', false), fakeTrack('b', true)];
    host.attach(b);
    host.attach(a);
    expect(calls).to.deep.equal(['sync b (none)', 'sync a']);
  });

  it('waits for a slow capture (a screen picker left open) at most a second', async () => {
    const [a, slow] = [fakeTrack('a', true), fakeTrack('slow', true)];
    const { host, calls } = hostWith(a, slow);
    captured(host, a);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(calls).to.deep.equal([]);
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(calls).to.deep.equal(['sync a']);
  });
});

describe('TrackHost: sessions made when needed', () => {
  it('asks for a session only to send a track, and a new session gets every track but those held', () => {
    const asked: boolean[] = [];
    const host = new TrackHost(
      (toSend) => {
        asked.push(toSend);
        return [];
      },
      () => [],
    );
    const [a, b] = [fakeTrack('a', true), fakeTrack('b', true)];
    host.attach(a);
    host.attach(b);
    expect(asked).to.deep.equal([false, false]);
    expect(host.sendsTracks).to.equal(false);
    captured(host, a);
    expect(asked).to.deep.equal([false, false]);
    const synced: string[] = [];
    host.sendAll({ senders: { sync: (t: FakeTrack) => synced.push(t.name) } } as unknown as PeerSession);
    expect(synced).to.deep.equal(['b']);
    captured(host, b);
    expect(asked).to.deep.equal([false, false, true, true]);
    expect(host.sendsTracks).to.equal(true);
  });
});
