/**
 * These browsers refuse to play audible media before a gesture on the page, as browsers do by default: each tile of a
 * call shows its play button, and one click plays them all.
 */
import { expect } from '@open-wc/testing';
import { sendMouse } from '@web/test-runner-commands';
import { until } from '../helpers.js';
import { blockedCall, madeTracks } from './blocked-call.js';

describe('a browser that refuses to autoplay', () => {
  it('blocks each tile with a play button (not playing, not waiting); one click plays every tile, and the focus stays in the tile', async function () {
    this.timeout(40000);
    const made = [madeTracks(), madeTracks()];
    after(() => made.forEach((tracks) => tracks.stop()));
    const { grid, tiles, button } = await blockedCall(made);
    const states = () =>
      tiles().map((tile) =>
        ['blocked', 'playing', 'waiting'].filter((state) => tile.matches(`:state(${state})`)),
      );
    // Past the second after which a tile with no frame counts its video as shown.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(states()).to.deep.equal([['blocked'], ['blocked']]);

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
