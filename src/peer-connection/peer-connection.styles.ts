import { css } from 'lit';

export const styles = css`
  :host {
    display: var(--peer-connection-display, block);
  }

  :host([hidden]) {
    display: none;
  }
`;
