// A call between two connections in one page. It uses the kit as any page would: the entry that registers the elements.
import '../src/define.js';
import type { CallErrorEvent, PeerConnection } from '../src/index.js';
import { devicePickers } from './device-pickers.js';
import { pressToggle, showProblems, trackToggles } from './track-toggles.js';

const log = document.querySelector<HTMLOListElement>('#log')!;

function note(side: string, text: string): void {
  const item = document.createElement('li');
  item.textContent = `${new Date().toLocaleTimeString()} ${side}: ${text}`;
  log.prepend(item);
}

for (const section of document.querySelectorAll<HTMLElement>('.side')) {
  const side = section.dataset.side!;
  const pc = section.querySelector<PeerConnection>('peer-connection')!;
  const controls = section.querySelector<HTMLElement>('.controls')!;
  const state = section.querySelector('output')!;
  const name = section.querySelector('h2')!.textContent;
  controls.setAttribute('aria-label', `${name}'s tracks`);
  section.querySelector('.devices')!.setAttribute('aria-label', `${name}'s devices`);
  const problemOver = showProblems(section, section.querySelector<HTMLElement>('.problem')!);
  // Over once the person tries again (a problem with the new try shows after), or the call connects again.
  controls.addEventListener('click', problemOver);
  section.querySelector('.devices')!.addEventListener('change', problemOver);
  pc.addEventListener('connectionstatechange', (e) => {
    if (e.state === 'connected') problemOver();
  });
  let mutedAll = false;
  const localTracks = section.querySelector<HTMLElement>('.local')!;
  // A camera or microphone chosen here is swapped into its sender: the log shows no negotiation for it.
  const devices = devicePickers(
    section.querySelector<HTMLElement>('.devices')!,
    localTracks,
    pc.querySelector('remote-stream')!,
  );
  const { tracks } = trackToggles(controls, localTracks, (text) => note(side, text), {
    // Alice starts with her camera and microphone on, so the page shows a live call at once.
    on: side === 'alice' ? ['video', 'audio'] : [],
    mutedNow: () => mutedAll,
    deviceFor: devices.chosen,
  });

  controls.append(
    pressToggle('Mute all', (muted) => {
      mutedAll = muted;
      for (const track of tracks.values()) track.muted = muted;
      note(side, muted ? 'muted (no renegotiation)' : 'unmuted');
    }),
  );

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
    note(side, `error during ${(e as CallErrorEvent).operation}: ${e.message}`),
  );
  state.value = pc.state;
}
