import type { CallErrorEvent, LocalTrack, LocalTrackKind } from '../src/index.js';

/** What a person chooses a device for: the `<local-track>` of a kind (its `device`), or the speaker (`sinkId`). */
const choosers = [
  { kind: 'video', devices: 'videoinput', label: 'Camera to use', unnamed: 'Camera' },
  { kind: 'audio', devices: 'audioinput', label: 'Microphone to use', unnamed: 'Microphone' },
  { kind: 'speaker', devices: 'audiooutput', label: 'Speaker to use', unnamed: 'Speaker' },
] as const;

type ChooserKind = (typeof choosers)[number]['kind'];

/**
 * Firefox may list no audio output, or not the one wanted, until the person picked it in the browser's own prompt,
 * which `selectAudioOutput()` opens (Chromium has no such prompt, and lists them all): the speaker chooser's last
 * option opens it there.
 */
const OTHER_SPEAKER = 'other-speaker';
const mediaDevices = navigator.mediaDevices as MediaDevices & {
  selectAudioOutput?: () => Promise<MediaDeviceInfo>;
};

/** What plays the far side: a `<remote-stream>` or a `<remote-streams>`. */
type Players = HTMLElement & { sinkId: string | null };

export interface DevicePickers {
  /** The device the person chose for a track of `kind` switched on now; `null`: the browser's default. */
  chosen(kind: LocalTrackKind): string | null;
}

/**
 * Camera, microphone and speaker choosers (`<select>`s) in `controls`. Choosing a camera or microphone sets `device` on
 * the `<local-track>` of that kind in `localTracks`, which swaps the track it sends with no renegotiation; a track
 * switched on later captures from the person's choice (`chosen`), and one never made leaves it to the browser's
 * default. Choosing a speaker sets `sinkId` on `players`; browsers that cannot choose one get no speaker chooser, and one
 * that lists only the outputs the person picked in its own prompt (Firefox) gets an option that opens it. A speaker that
 * cannot be used (or that went away) gives way to the default, which always can.
 *
 * Each chooser shows what is in use: the device its track captures, the one it had after a switch that failed (the
 * device gone, or busy), the speaker. Browsers name devices only once the page may capture, so the lists are read
 * again after any capture on the page, and whenever a device comes or goes.
 */
export function devicePickers(
  controls: HTMLElement,
  localTracks: HTMLElement,
  players: Players,
): DevicePickers {
  const selects = new Map<ChooserKind, HTMLSelectElement>();
  /** The camera and microphone the person chose, for a track switched on later (the speaker is `players.sinkId`). */
  const choices = new Map<LocalTrackKind, string | null>();

  const trackOf = (kind: ChooserKind) => localTracks.querySelector<LocalTrack>(`local-track[kind="${kind}"]`);

  /** What the chooser of `kind` shows: the speaker, the device a live track captures, else the person's choice. */
  const inUse = (kind: ChooserKind): string =>
    kind === 'speaker'
      ? (players.sinkId ?? '')
      : (trackOf(kind)?.track?.getSettings().deviceId ?? choices.get(kind) ?? '');

  const show = (kind: ChooserKind) => {
    const select = selects.get(kind)!;
    const device = inUse(kind);
    // A device not listed (Chromium's "default", say) is the default.
    select.value = [...select.options].some((o) => o.value === device) ? device : '';
  };

  for (const { kind, label } of choosers) {
    if (kind === 'speaker' && !('setSinkId' in HTMLMediaElement.prototype)) continue;
    const select = document.createElement('select');
    select.dataset.kind = kind;
    select.addEventListener('change', () => {
      const device = select.value || null;
      if (device === OTHER_SPEAKER) return void pickSpeaker(select);
      if (kind === 'speaker') {
        players.sinkId = device;
        return;
      }
      choices.set(kind, device);
      const track = trackOf(kind);
      if (track) track.device = device;
    });
    const wrapper = document.createElement('label');
    wrapper.append(`${label} `, select);
    controls.append(wrapper);
    selects.set(kind, select);
  }

  /** The latest listing: an earlier one that answers after it (one made before the page could capture) is dropped. */
  let listing = 0;
  const list = async () => {
    const mine = ++listing;
    const devices = await navigator.mediaDevices.enumerateDevices();
    if (mine !== listing) return;
    for (const [kind, select] of selects) {
      const { devices: type, unnamed } = choosers.find((c) => c.kind === kind)!;
      // Before the page may capture, a browser lists each kind once with no id: that is the default device. Chromium
      // also lists "default" and "communications", which stand for one of the others: "Default" here says the same.
      const named = devices.filter(
        (d) => d.kind === type && d.deviceId && d.deviceId !== 'default' && d.deviceId !== 'communications',
      );
      select.replaceChildren(
        new Option('Default', ''),
        ...named.map((d, i) => new Option(d.label || `${unnamed} ${i + 1}`, d.deviceId)),
      );
      if (kind === 'speaker' && mediaDevices.selectAudioOutput)
        select.add(new Option('Other speaker…', OTHER_SPEAKER));
      // A chosen device that went away (unplugged): the default, for the next capture or for the sound.
      const choice = kind === 'speaker' ? players.sinkId : choices.get(kind);
      if (choice && named.length > 0 && !named.some((d) => d.deviceId === choice)) {
        if (kind === 'speaker') players.sinkId = null;
        else choices.set(kind, null);
      }
      show(kind);
    }
  };

  /**
   * Opens the browser's prompt for an audio output (the change that chose the option is the activation it needs), and
   * plays on the one picked, which the browser lists from then on. The chooser shows what plays meanwhile; while the
   * prompt is open, choosing the option again opens no other. A prompt dismissed is not told, as the person knows.
   */
  let prompting = false;
  const pickSpeaker = async (select: HTMLSelectElement) => {
    show('speaker');
    if (prompting) return;
    prompting = true;
    try {
      players.sinkId = (await mediaDevices.selectAudioOutput!()).deviceId;
      await list();
    } catch (error) {
      const { name } = error as DOMException;
      if (name === 'NotAllowedError') return;
      const message =
        name === 'NotFoundError'
          ? 'there is no other speaker to choose'
          : `the speaker could not be chosen (${String(error)}): choose again`;
      select.dispatchEvent(new ErrorEvent('error', { message }));
    } finally {
      prompting = false;
    }
  };

  // trackchange bubbles: any capture on the page lets the browser name devices; a switch that landed shows.
  document.addEventListener('trackchange', () => void list());
  navigator.mediaDevices.addEventListener('devicechange', () => void list());
  // The kit's errors do not bubble: caught on their way down to the element.
  localTracks.addEventListener(
    'error',
    (e) => {
      const kind = (e.target as Partial<LocalTrack>).kind;
      if (kind !== 'video' && kind !== 'audio') return;
      // A switch that failed set the element's device back: the person's choice is what it still captures. A capture
      // that failed with nothing in use (the chosen camera held by another application) leaves the next to the default.
      const element = trackOf(kind);
      choices.set(kind, (element?.track && element.device) || null);
      show(kind);
    },
    true,
  );
  players.addEventListener(
    'error',
    (e) => {
      if ((e as CallErrorEvent).operation !== 'sink') return;
      players.sinkId = null;
      show('speaker');
    },
    true,
  );
  void list();

  return { chosen: (kind) => (kind === 'screen' ? null : (choices.get(kind) ?? null)) };
}
