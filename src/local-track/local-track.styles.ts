import { css } from 'lit';

export const styles = css`
  :host {
    display: block;
    position: relative;
    inline-size: var(--local-track-width, auto);
    aspect-ratio: var(--local-track-aspect-ratio, auto);
    background: var(--local-track-background, transparent);
    border-radius: var(--local-track-radius, 0);
    overflow: hidden;
  }

  :host(:not([preview])),
  :host([hidden]) {
    display: none;
  }

  video {
    display: block;
    inline-size: 100%;
    block-size: 100%;
    object-fit: var(--local-track-object-fit, cover);
    /* A preview is a mirror, as people expect of their own camera. */
    transform: var(--local-track-preview-transform, scaleX(-1));
  }
`;
