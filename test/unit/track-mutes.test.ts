import { expect } from '@open-wc/testing';
import { muteTrack, unmuteTrack } from '../../src/local-track/track-mutes.js';

describe('muteTrack and unmuteTrack', () => {
  const [first, second] = [{}, {}];

  it('disable a track while anyone mutes it, and give back its enabled once no one does', () => {
    const track = { enabled: true };
    muteTrack(track, first);
    muteTrack(track, second);
    unmuteTrack(track, first);
    expect(track.enabled).to.equal(false);
    unmuteTrack(track, second);
    expect(track.enabled).to.equal(true);
  });

  it('give back the enabled of before the first mute, whatever the order', () => {
    const track = { enabled: false };
    muteTrack(track, first);
    muteTrack(track, second);
    unmuteTrack(track, second);
    unmuteTrack(track, first);
    expect(track.enabled, 'the page had it disabled').to.equal(false);
  });

  it('count a second mute by the same one once, and ignore an unmute by one that did not mute', () => {
    const track = { enabled: true };
    muteTrack(track, first);
    muteTrack(track, first);
    unmuteTrack(track, second);
    expect(track.enabled).to.equal(false);
    unmuteTrack(track, first);
    expect(track.enabled).to.equal(true);
  });

  it('leave a track disabled when the last one lets it go without restoring (a captured track, to be stopped)', () => {
    const track = { enabled: true };
    muteTrack(track, first);
    unmuteTrack(track, first, false);
    expect(track.enabled).to.equal(false);
    // Forgotten: a later mute starts from the track as it is now.
    track.enabled = true;
    muteTrack(track, second);
    unmuteTrack(track, second);
    expect(track.enabled).to.equal(true);
  });
});
