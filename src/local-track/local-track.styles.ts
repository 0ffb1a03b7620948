import { css } from 'lit';

// The preview is mirrored by default, as people expect of their own camera; a screen's is not, its text would read
// backwards. (Comments stay out of the template: what is inside it ships.)
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
    transform: var(--local-track-preview-transform, scaleX(-1));
  }

  :host([kind='screen']) video {
    transform: none;
  }
`;
