import { css } from 'lit';

export const styles = css`
  :host {
    display: var(--call-room-display, block);
  }

  :host([hidden]) {
    display: none;
  }
`;
