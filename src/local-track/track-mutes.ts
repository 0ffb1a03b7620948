/** What muting needs of a track: `MediaStreamTrack`, or a plain object in a unit test. */
interface Switchable {
  enabled: boolean;
}

/** For each muted track: the `enabled` it had before the first mute, and who mutes it now. */
const mutes = new WeakMap<Switchable, { enabledBefore: boolean; by: Set<object> }>();

/**
 * `by` (an element) mutes `track`. `enabled` belongs to the track, not to an element, and a page may give one track
 * to several elements (one microphone sent on each connection of a mesh call): the track stays disabled while any
 * of them mutes it.
 */
export function muteTrack(track: Switchable, by: object): void {
  let entry = mutes.get(track);
  if (!entry) mutes.set(track, (entry = { enabledBefore: track.enabled, by: new Set() }));
  entry.by.add(by);
  track.enabled = false;
}

/**
 * `by` no longer mutes `track` (it unmuted, or let the track go). Once no one does, the track gets back the `enabled`
 * it had before the first mute, if `restore`: a track of the page's own goes back as it came, whoever unmutes last,
 * while a captured one stays disabled until it is stopped.
 */
export function unmuteTrack(track: Switchable, by: object, restore = true): void {
  const entry = mutes.get(track);
  if (!entry?.by.delete(by) || entry.by.size > 0) return;
  mutes.delete(track);
  if (restore) track.enabled = entry.enabledBefore;
}
