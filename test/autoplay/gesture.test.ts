/**
 * These browsers refuse to play audible media before a gesture on the page, as browsers do by default: each tile of a
 * call shows its play button, and one click plays them all.
 */
import { expect, html } from '@open-wc/testing';
import { sendMouse } from '@web/test-runner-commands';
import type { RemoteStream } from '../../src/index.js';
import { callPair, until } from '../helpers.js';

/**
 * A video and an audio track made in the page, not captured: Chromium lets a page that captures camera or microphone
 * autoplay, so the far side's page here must capture nothing.
 */
function madeTracks(): { video: MediaStreamTrack; audio: MediaStreamTrack; stop: () => void } {
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

describe('a browser that refuses to autoplay', () => {
  it('blocks each tile with a play button (not playing, not waiting); one click plays every tile, and the focus stays in the tile', async function () {
    this.timeout(40000);
    const made = [madeTracks(), madeTracks()];
    after(() => made.forEach((tracks) => tracks.stop()));
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
        html`<peer-connection signaling="loopback:${name}"
          ><remote-streams></remote-streams
        ></peer-connection>`,
    );
    const grid = b.querySelector('remote-streams')!;
    const tiles = () => [...grid.shadowRoot!.querySelectorAll<RemoteStream>('remote-stream')];
    const states = () =>
      tiles().map((tile) =>
        ['blocked', 'playing', 'waiting'].filter((state) => tile.matches(`:state(${state})`)),
      );
    await until(
      () => tiles().length === 2 && tiles().every((tile) => tile.matches(':state(blocked)')),
      'both tiles blocked',
      20000,
    );
    // Past the second after which a tile with no frame counts its video as shown.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(states()).to.deep.equal([['blocked'], ['blocked']]);

    const button = tiles()[0].shadowRoot!.querySelector<HTMLButtonElement>('[part="play-button"]')!;
    // As a keyboard user reaches it; the focus must not fall to the page's body as the button goes.
    button.focus();
    const { x, y, width, height } = button.getBoundingClientRect();
    await sendMouse({ type: 'click', position: [Math.round(x + width / 2), Math.round(y + height / 2)] });
    await until(() => tiles().every((tile) => tile.matches(':state(playing)')), 'both tiles playing', 10000);
    expect(states()).to.deep.equal([['playing'], ['playing']]);
    for (const tile of tiles()) expect(tile.shadowRoot!.querySelector('video')!.paused).to.equal(false);
    await until(() => tiles()[0].shadowRoot!.activeElement !== null, 'the focus in the tile played');
    expect(tiles()[0].shadowRoot!.activeElement!.localName).to.equal('video');
    expect(document.activeElement).to.equal(grid);
  });
});
