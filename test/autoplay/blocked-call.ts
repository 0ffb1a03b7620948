import { html } from '@open-wc/testing';
import type { RemoteStream } from '../../src/index.js';
import { callPair, until } from '../helpers.js';

/**
 * A video and an audio track made in the page, not captured: Chromium lets a page that captures camera or microphone
 * autoplay, so the far side's page here must capture nothing.
 */
export function madeTracks(): { video: MediaStreamTrack; audio: MediaStreamTrack; stop: () => void } {
  const canvas = Object.assign(document.createElement('canvas'), { width: 160, height: 120 });
  const context = canvas.getContext('2d')!;
  let hue = 0;
  const drawing = setInterval(() => {
    context.fillStyle = `hsl(${(hue += 10) % 360} 80% 50%)`;
    context.fillRect(0, 0, canvas.width, canvas.height);
  }, 50);
  const audioContext = new AudioContext();
  const tone = audioContext.createOscillator();
  const destination = audioContext.createMediaStreamDestination();
  tone.connect(destination);
  tone.start();
  const [video] = canvas.captureStream(20).getVideoTracks();
  const [audio] = destination.stream.getAudioTracks();
  return {
    video,
    audio,
    stop: () => {
      clearInterval(drawing);
      video.stop();
      audio.stop();
      void audioContext.close();
    },
  };
}

/** A call whose far side shows each stream the near side sends in a tile of a `<remote-streams>`. */
export async function blockedCall(made: ReturnType<typeof madeTracks>[]) {
  const [, b] = await callPair(
    (name) =>
      html`<peer-connection signaling="loopback:${name}">
        ${made.map(
          ({ video, audio }, i) =>
            html`<local-track .track=${video} stream="s${i}"></local-track>
              <local-track .track=${audio} stream="s${i}"></local-track>`,
        )}
      </peer-connection>`,
    (name) =>
      html`<peer-connection signaling="loopback:${name}"><remote-streams></remote-streams></peer-connection>`,
  );
  const grid = b.querySelector('remote-streams')!;
  const tiles = () => [...grid.shadowRoot!.querySelectorAll<RemoteStream>('remote-stream')];
  await until(
    () => tiles().length === 2 && tiles().every((tile) => tile.matches(':state(blocked)')),
    'both tiles blocked',
    20000,
  );
  const button = tiles()[0].shadowRoot!.querySelector<HTMLButtonElement>('[part="play-button"]')!;
  return { grid, tiles, button };
}
