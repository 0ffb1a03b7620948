import { expect, fixture, html } from '@open-wc/testing';
import { CallErrorEvent, type LocalTrack } from '../../src/index.js';
import { capture, decodedFrame, receivedKinds, record, uniqueName, until } from '../helpers.js';

const ROUNDS = 100;

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
});
