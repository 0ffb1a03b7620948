import type { LocalTrack, LocalTrackKind } from '../src/index.js';

export interface TrackToggles {
  /** The `<local-track>`s switched on, by kind. */
  readonly tracks: ReadonlyMap<LocalTrackKind, LocalTrack>;
  /** The toggle buttons, by kind. */
  readonly buttons: ReadonlyMap<LocalTrackKind, HTMLButtonElement>;
}

const labels = { video: 'Camera', audio: 'Microphone', screen: 'Screen' } as const;

/** A toggle button, not pressed. */
function toggleButton(label: string): HTMLButtonElement {
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = label;
  button.setAttribute('aria-pressed', 'false');
  return button;
}

/** A toggle button that flips on each click and tells `onChange` whether it is now pressed. */
export function pressToggle(label: string, onChange: (pressed: boolean) => void): HTMLButtonElement {
  const button = toggleButton(label);
  button.addEventListener('click', () => {
    const pressed = button.getAttribute('aria-pressed') !== 'true';
    button.setAttribute('aria-pressed', String(pressed));
    onChange(pressed);
  });
  return button;
}

/**
 * Camera, microphone and screen buttons. A button adds a `<local-track>` to `into`, which sends its track on the
 * connection or room around it; pressing it again removes the element, which stops sending and releases the device.
 */
export function trackToggles(
  controls: HTMLElement,
  into: HTMLElement,
  note: (text: string) => void,
  {
    on = [],
    mutedNow = () => false,
    deviceFor = () => null,
  }: {
    /** The kinds switched on at once. */
    on?: readonly LocalTrackKind[];
    /** Whether a track switched on now starts muted: a "Mute all" pressed before must hold for it too. */
    mutedNow?: () => boolean;
    /** The device a track switched on now captures from (chosen before it was on); `null`: the default. */
    deviceFor?: (kind: LocalTrackKind) => string | null;
  } = {},
): TrackToggles {
  const tracks = new Map<LocalTrackKind, LocalTrack>();
  const buttons = new Map<LocalTrackKind, HTMLButtonElement>();
  for (const kind of ['video', 'audio', 'screen'] as const) {
    const label = labels[kind];
    const button = toggleButton(label);
    button.dataset.kind = kind;
    const setPressed = () => button.setAttribute('aria-pressed', String(tracks.has(kind)));
    button.addEventListener('click', () => {
      const existing = tracks.get(kind);
      if (existing) {
        existing.remove();
        tracks.delete(kind);
        note(`${label.toLowerCase()} off`);
      } else {
        const track = document.createElement('local-track');
        track.kind = kind;
        // Camera and microphone travel as one stream; a screen share is a stream (a tile) of its own.
        track.stream = kind === 'screen' ? 'screen' : 'cam';
        track.preview = kind !== 'audio';
        track.muted = mutedNow();
        track.device = deviceFor(kind);
        const letGo = (why: string) => {
          track.remove();
          if (tracks.get(kind) === track) tracks.delete(kind);
          setPressed();
          note(`${label.toLowerCase()} ${why}`);
        };
        track.addEventListener('error', (e) => {
          note(`${label.toLowerCase()}: ${e.message}`);
          // Nothing to send (the camera refused, no screen to share): the button comes back up, and a click tries again.
          if (track.state === 'error') letGo('off');
        });
        track.addEventListener('trackchange', () => {
          // Ended from outside the page: the person stopped sharing in the browser's own bar, or a device went away.
          if (track.state === 'ended') letGo('ended');
        });
        into.append(track);
        tracks.set(kind, track);
        note(`${label.toLowerCase()} on`);
      }
      setPressed();
    });
    controls.append(button);
    buttons.set(kind, button);
  }
  for (const kind of on) buttons.get(kind)?.click();
  return { tracks, buttons };
}

/**
 * Shows the latest error of `around` or of any element in it in `problem` (a `role="alert"` element, so it is read
 * out), not only in the log: the kit's errors do not bubble, but pass `around` on their way down. Returns what hides it
 * again, for when the person tries again or the call moves on.
 */
export function showProblems(around: HTMLElement, problem: HTMLElement): () => void {
  around.addEventListener(
    'error',
    (e) => {
      problem.textContent = `Problem: ${(e as ErrorEvent).message}`;
      problem.hidden = false;
    },
    true,
  );
  return () => (problem.hidden = true);
}
