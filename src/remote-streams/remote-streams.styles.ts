import { css } from 'lit';

export const styles = css`
  :host {
    display: grid;
    grid-template-columns: repeat(auto-fill, minmax(var(--remote-streams-tile-min-width, 16rem), 1fr));
    gap: var(--remote-streams-gap, 0.5rem);
  }

  :host([hidden]) {
    display: none;
  }

  [part~='tile'] {
    position: relative;
    margin: 0;
  }

  [part~='name'] {
    position: absolute;
    inset-inline-start: 0.5rem;
    inset-block-end: 0.5rem;
    padding: 0.125rem 0.5rem;
    border-radius: 0.25rem;
    font: var(--remote-streams-name-font, 0.875rem system-ui, sans-serif);
    color: var(--remote-streams-name-color, #fff);
    background: var(--remote-streams-name-background, rgb(0 0 0 / 0.6));
  }

  [part~='name']:empty {
    display: none;
  }

  slot[name='empty'] {
    display: block;
    grid-column: 1 / -1;
  }

  slot[name='empty'][hidden] {
    display: none;
  }
`;
