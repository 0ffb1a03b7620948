import { css } from 'lit';

// `!important` on the hidden video: a page's ::part(video) rule must not show a video with nothing to show. It is hidden
// by visibility, not display: in Firefox, a video that had no box while it waited for its stream (display: none) showed
// the stream's first frame late, a median 4.9 ms after its track's unmute and over 10 ms in a quarter of the rounds,
// against 2.9 ms (10 ms in one round of sixteen) for one laid out all along. (Comments stay out of the template: what is
// inside it ships.)
export const styles = css`
  :host {
    display: block;
    position: relative;
    inline-size: var(--remote-stream-width, auto);
    aspect-ratio: var(--remote-stream-aspect-ratio, 16 / 9);
    background: var(--remote-stream-background, #111);
    border-radius: var(--remote-stream-radius, 0);
    overflow: hidden;
  }

  :host([hidden]) {
    display: none;
  }

  video {
    display: block;
    inline-size: 100%;
    block-size: 100%;
    object-fit: var(--remote-stream-object-fit, contain);
  }

  video[hidden] {
    visibility: hidden !important;
  }

  audio {
    display: none !important;
  }

  .overlay {
    position: absolute;
    inset: 0;
    display: grid;
    place-items: center;
  }

  .overlay[hidden] {
    display: none;
  }

  video:focus-visible,
  .overlay:focus-visible {
    outline: 2px solid;
    outline-offset: -3px;
  }

  [part='play-button'] {
    font: inherit;
    padding: 0.5em 1em;
    cursor: pointer;
  }
`;
