// The demo uses the kit as any page would: the public entry that registers the elements.
import '../src/define.js';
import type { LocalTrack, LocalTrackKind, PeerConnection } from '../src/index.js';

const log = document.querySelector<HTMLOListElement>('#log')!;

function note(side: string, text: string): void {
  const item = document.createElement('li');
  item.textContent = `${new Date().toLocaleTimeString()} ${side}: ${text}`;
  log.prepend(item);
}

for (const section of document.querySelectorAll<HTMLElement>('.side')) {
  const side = section.dataset.side!;
  const pc = section.querySelector<PeerConnection>('peer-connection')!;
  const local = section.querySelector<HTMLElement>('.local')!;
  const controls = section.querySelector<HTMLElement>('.controls')!;
  const state = section.querySelector('output')!;
  const tracks = new Map<LocalTrackKind, LocalTrack>();

  const toggle = (label: string, onClick: (button: HTMLButtonElement) => void): HTMLButtonElement => {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = label;
    button.setAttribute('aria-pressed', 'false');
    button.addEventListener('click', () => onClick(button));
    controls.append(button);
    return button;
  };

  // Adding an element sends its track; removing the element stops sending and releases the device.
  for (const [kind, label] of [
    ['video', 'Camera'],
    ['audio', 'Microphone'],
    ['screen', 'Screen'],
  ] as const) {
    toggle(label, (button) => {
      const existing = tracks.get(kind);
      if (existing) {
        existing.remove();
        tracks.delete(kind);
        note(side, `removed ${label.toLowerCase()}`);
      } else {
        const track = document.createElement('local-track');
        track.kind = kind;
        track.stream = kind === 'screen' ? 'screen' : 'cam';
        track.preview = kind !== 'audio';
        track.addEventListener('error', (e) => note(side, `${label.toLowerCase()} error: ${e.message}`));
        track.addEventListener('trackchange', () => {
          if (track.state === 'ended') {
            tracks.delete(kind);
            track.remove();
            button.setAttribute('aria-pressed', 'false');
          }
        });
        local.append(track);
        tracks.set(kind, track);
        note(side, `added ${label.toLowerCase()}`);
      }
      button.setAttribute('aria-pressed', String(tracks.has(kind)));
    });
  }

  toggle('Mute all', (button) => {
    const muted = button.getAttribute('aria-pressed') !== 'true';
    for (const track of tracks.values()) track.muted = muted;
    button.setAttribute('aria-pressed', String(muted));
    note(side, muted ? 'muted (no renegotiation)' : 'unmuted');
  });

  pc.addEventListener('connectionstatechange', (e) => {
    state.value = e.state;
    note(side, `connection ${e.state}`);
  });
  pc.addEventListener('negotiated', (e) =>
    note(side, `negotiated (${e.offered ? 'sent the offer' : 'answered'})`),
  );
  pc.addEventListener('streamadded', (e) => note(side, `remote stream ${e.stream.id.slice(0, 8)} added`));
  pc.addEventListener('streamremoved', (e) => note(side, `remote stream ${e.stream.id.slice(0, 8)} removed`));
  pc.addEventListener('track', (e) => note(side, `remote ${e.track.kind} track arrived`));
  pc.addEventListener('error', (e) =>
    note(side, `error during ${(e as ErrorEvent & { operation: string }).operation}: ${e.message}`),
  );
  state.value = pc.state;
}

// Alice starts with her camera and microphone on, so the page shows a live call at once.
for (const button of document.querySelectorAll<HTMLButtonElement>('[data-side="alice"] .controls button')) {
  if (button.textContent === 'Camera' || button.textContent === 'Microphone') button.click();
}
