/**
 * Space on a play button: a browser that refuses to autoplay lets media play from the keydown, and the kit starts
 * playback then, before the button's click (which comes at keyup). In a file of its own: a gesture's activation lasts
 * for the page, and after the other file's click nothing would be blocked.
 */
import { expect } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import { until } from '../helpers.js';
import { blockedCall, madeTracks } from './blocked-call.js';

describe('a browser that refuses to autoplay, played from the keyboard', () => {
  it('keeps the focus in the tile when Space on the play button plays it at keydown, before any click', async function () {
    this.timeout(40000);
    const made = [madeTracks(), madeTracks()];
    after(() => made.forEach((tracks) => tracks.stop()));
    const { tiles, button } = await blockedCall(made);
    button.focus();
    // A button clicks on Space's keyup; the page's keydown already starts playback, and the button goes before that.
    await sendKeys({ down: ' ' });
    try {
      await until(
        () => tiles().every((tile) => tile.matches(':state(playing)')),
        'both tiles playing',
        10000,
      );
      await tiles()[0].updateComplete;
      expect(tiles()[0].shadowRoot!.querySelector('[part="play-button"]')).to.equal(null);
      expect(tiles()[0].shadowRoot!.activeElement?.localName).to.equal('video');
    } finally {
      await sendKeys({ up: ' ' });
    }
  });
});
