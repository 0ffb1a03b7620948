// The calling page: a room named in the URL, shown with the kit's public elements as any site would use them.
import '../src/define.js';
import type { CallErrorEvent, CallRoom, RemoteStreams, RoomPeer } from '../src/index.js';
import { devicePickers } from './device-pickers.js';
import { pressToggle, showProblems, trackToggles } from './track-toggles.js';

const params = new URL(location.href).searchParams;

// The room comes from the URL. A page opened without one joins the lobby, so that two tabs of the bare address meet,
// and puts the name in the URL, ready to share. The relay takes letters, digits and . _ ~ - (at most 64): a name with
// others (?room=Team standup) becomes one it takes (Team-standup), rather than being refused.
const roomName =
  (params.get('room') ?? '')
    .trim()
    .replace(/[^\w.~-]+/g, '-')
    .slice(0, 64) || 'lobby';
if (params.get('room') !== roomName) {
  params.set('room', roomName);
  history.replaceState(null, '', `?${params}`);
}
// The link to share names the relay too, when it is not the page's own: those who open it must reach the same one.
const shareUrl = new URL(location.href);
shareUrl.search = new URLSearchParams({
  room: roomName,
  ...(params.get('relay') && { relay: params.get('relay')! }),
}).toString();

// The relay runs inside the dev server (/signal); `?relay=ws://host:port/signal` points at a standalone one.
const relay =
  params.get('relay') ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/signal`;
const relayUrl = new URL(relay);
relayUrl.searchParams.set('room', roomName);

const room = document.querySelector<CallRoom>('#room')!;
const tiles = document.querySelector<RemoteStreams>('#tiles')!;
const nameInput = document.querySelector<HTMLInputElement>('input[name="name"]')!;
const presence = document.querySelector<HTMLOutputElement>('#presence')!;
const log = document.querySelector<HTMLOListElement>('#log')!;

const problemOver = showProblems(room, document.querySelector<HTMLElement>('#problem')!);
// Over once the person tries again, or the call moves on.
for (const type of ['peerjoined', 'streamadded']) room.addEventListener(type, problemOver);

function note(text: string): void {
  const item = document.createElement('li');
  item.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  log.prepend(item);
}

document.querySelector('#room-name')!.textContent = roomName;
const share = document.querySelector<HTMLAnchorElement>('#share')!;
share.href = share.textContent = shareUrl.href;

// A name per tab (sessionStorage), so two tabs of one browser are told apart.
const nameKey = 'webrtc-elements-demo-name';
nameInput.value =
  params.get('name') ?? sessionStorage.getItem(nameKey) ?? `Guest ${Math.floor(100 + Math.random() * 900)}`;
const applyName = () => {
  const name = nameInput.value.trim();
  if (!name || name === room.name) return;
  room.name = name;
  sessionStorage.setItem(nameKey, name);
};
nameInput.addEventListener('change', applyName);
nameInput.form!.addEventListener('submit', (e) => {
  e.preventDefault();
  applyName();
});
applyName();

// Camera and microphone start on, as in any call page; `?camera=off` or `?microphone=off` starts without them.
const controls = document.querySelector<HTMLElement>('.controls')!;
controls.addEventListener('click', problemOver);
const localTracks = document.querySelector<HTMLElement>('.local')!;
const choosers = document.querySelector<HTMLElement>('.devices')!;
// A problem shown is over once the person chooses again (a problem with the new choice shows after).
choosers.addEventListener('change', problemOver);
const devices = devicePickers(choosers, localTracks, tiles);
trackToggles(controls, localTracks, note, {
  on: [
    ...(params.get('camera') === 'off' ? [] : (['video'] as const)),
    ...(params.get('microphone') === 'off' ? [] : (['audio'] as const)),
  ],
  deviceFor: devices.chosen,
});

const speaker = pressToggle('Mute others', (muted) => (tiles.muted = muted));
const leave = document.createElement('button');
leave.type = 'button';
leave.textContent = 'Leave';
leave.addEventListener('click', () => {
  if (room.state === 'joined') room.leave();
  else room.join();
  showPresence();
});
controls.append(speaker, leave);

const nameOf = (peer: RoomPeer): string => (typeof peer.meta.name === 'string' ? peer.meta.name : 'someone');

/** Why the room refused this page (a full room, say), shown in place of the presence line. */
let refusal = '';

/** Says where this page is in the room, and offers what can be done about it (the room may refuse it at any time). */
function showPresence(): void {
  leave.textContent = room.state === 'joined' ? 'Leave' : 'Join again';
  const others = room.peers.map((p) => nameOf(p.peer));
  presence.value =
    room.state === 'error' && refusal
      ? `Not in the room: ${refusal}`
      : room.state !== 'joined'
        ? `Not in the room (${room.state}).`
        : others.length === 0
          ? 'You are alone in the room.'
          : `In the call with ${others.join(', ')}.`;
}

room.addEventListener('peerjoined', (e) => {
  note(`${nameOf(e.peer)} joined`);
  showPresence();
});
room.addEventListener('peerleft', (e) => {
  note(`${nameOf(e.peer)} left (${e.reason})`);
  showPresence();
});
room.addEventListener('peerupdated', () => showPresence());
room.addEventListener('streamadded', () => showPresence());
room.addEventListener('error', (e) => {
  note(`error during ${(e as CallErrorEvent).operation}: ${e.message}`);
  if (room.state !== 'error') return;
  refusal = e.message;
  showPresence();
});

room.signaling = relayUrl.href;
// The room joins at its next update, and tells no event for it: shown once it did, not as `idle` until a peer comes.
void room.updateComplete.then(showPresence);
