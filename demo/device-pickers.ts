import type { LocalTrack } from '../src/index.js';

/** The kinds of `<local-track>` a person chooses a device for, with the devices the browser lists for each. */
const pickable = [
  { kind: 'video', input: 'videoinput', label: 'Camera' },
  { kind: 'audio', input: 'audioinput', label: 'Microphone' },
] as const;

export type PickableKind = (typeof pickable)[number]['kind'];

export interface DevicePickers {
  /** The device chosen for `kind`, for a track switched on later; `null`: the browser's default. */
  chosen(kind: PickableKind): string | null;
}

/**
 * A camera chooser and a microphone chooser (`<select>`s) in `controls`. Choosing a device sets `device` on the
 * `<local-track>` of that kind in `localTracks`, which swaps the track it sends with no renegotiation; a track switched
 * on later asks `chosen()` for it. Each chooser shows the device its track really captures: a switch that failed (the
 * device gone, or busy) leaves the element on the one it had, and the chooser goes back to it.
 *
 * Browsers name devices only once the page may capture, so the lists are read again after each capture, and whenever
 * a device is plugged in or out.
 */
export function devicePickers(controls: HTMLElement, localTracks: HTMLElement): DevicePickers {
  const selects = new Map<PickableKind, HTMLSelectElement>();
  for (const { kind, label } of pickable) {
    const select = document.createElement('select');
    select.dataset.kind = kind;
    select.addEventListener('change', () => {
      const track = trackOf(kind);
      if (track) track.device = select.value || null;
    });
    const wrapper = document.createElement('label');
    wrapper.className = 'device';
    wrapper.append(`${label} `, select);
    controls.append(wrapper);
    selects.set(kind, select);
  }

  const trackOf = (kind: PickableKind) =>
    localTracks.querySelector<LocalTrack>(`local-track[kind="${kind}"]`);

  /** The device `kind`'s track captures, else the one its element asks for. */
  const inUse = (kind: PickableKind): string => {
    const element = trackOf(kind);
    return element?.track?.getSettings().deviceId ?? element?.device ?? '';
  };

  /** Lists the devices again; each chooser keeps its choice while that device is there. */
  const list = async () => {
    const devices = await navigator.mediaDevices.enumerateDevices();
    for (const { kind, input, label } of pickable) {
      const select = selects.get(kind)!;
      const keep = trackOf(kind) ? inUse(kind) : select.value;
      // Before the page may capture, a browser lists each kind once with no id: that is the default device. Chromium
      // also lists "default" and "communications", which stand for one of the others: "Default" here says the same.
      const named = devices.filter(
        (d) => d.kind === input && d.deviceId && d.deviceId !== 'default' && d.deviceId !== 'communications',
      );
      select.replaceChildren(
        new Option('Default', ''),
        ...named.map((d, i) => new Option(d.label || `${label} ${i + 1}`, d.deviceId)),
      );
      select.value = named.some((d) => d.deviceId === keep) ? keep : '';
    }
  };

  const showInUse = (kind: PickableKind) => {
    const select = selects.get(kind)!;
    const device = inUse(kind);
    if ([...select.options].some((o) => o.value === device)) select.value = device;
  };

  // trackchange bubbles: a capture (the first one lets the browser name the devices) or a switch that landed.
  localTracks.addEventListener('trackchange', () => void list());
  // The kit's errors do not bubble; caught on their way down to the element. A failed switch keeps the device in use.
  localTracks.addEventListener(
    'error',
    (e) => {
      const kind = (e.target as Partial<LocalTrack>).kind;
      if (kind === 'video' || kind === 'audio') showInUse(kind);
    },
    true,
  );
  navigator.mediaDevices.addEventListener('devicechange', () => void list());
  void list();

  return { chosen: (kind) => selects.get(kind)!.value || null };
}
