import type { Meta, StoryContext, StoryObj } from '@storybook/web-components';
import { css, html, LitElement } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import '../src/define.js';
import type { RoomPeer, StreamAddedEvent, StreamRemovedEvent } from '../src/index.js';
import { canvasCallName, sideBySide } from './support.js';

interface RoomArgs {
  /** The display name of the first person; the other two see it on their tile. */
  name: string;
  /** Silences the remote tiles (three rooms in one page would otherwise hear one another twice). */
  muted: boolean;
}

const meta: Meta<RoomArgs> = {
  title: 'Elements/call-room',
  component: 'call-room',
  args: { name: 'Ana', muted: true },
  argTypes: {
    name: { control: 'text' },
    muted: { control: 'boolean' },
  },
};
export default meta;

type Story = StoryObj<RoomArgs>;

/** One person of a story's room: a heading, the camera preview, and tiles of everyone else. */
const person = (room: string, who: string, muted: boolean) =>
  html`<call-room signaling="broadcast:${room}" name=${who}>
    <h3 style="margin: 0 0 0.5rem">${who}</h3>
    <local-track kind="video" stream="cam" preview style="--local-track-width: 8rem"></local-track>
    <local-track kind="audio" stream="cam"></local-track>
    <remote-streams ?muted=${muted} style="--remote-streams-tile-min-width: 10rem; margin-top: 0.5rem">
      <p slot="empty">Waiting for the others…</p>
    </remote-streams>
  </call-room>`;

/**
 * Three people in one room, each in their own `<call-room>` on the same `broadcast:` room: everyone sends camera and
 * microphone to the other two, and `<remote-streams>` shows a tile per person with their name. Change the first
 * person's name and the other two tiles follow, with no new connection.
 */
export const ThreePeople: Story = {
  render: ({ name, muted }, { canvasElement }: StoryContext<RoomArgs>) => {
    const room = canvasCallName('three', canvasElement);
    return html`<div style=${sideBySide}>
      ${person(room, name, muted)} ${person(room, 'Ben', muted)} ${person(room, 'Cleo', muted)}
    </div>`;
  },
};

/**
 * The same room restyled from outside, as a design system would: the `tile` and `name` parts, the
 * `--remote-streams-*` custom properties, and the `stream` part's own `--remote-stream-*` properties.
 */
export const StyledTiles: Story = {
  render: ({ name, muted }, { canvasElement }: StoryContext<RoomArgs>) => {
    const room = canvasCallName('styled', canvasElement);
    return html`<style>
        .styled-room remote-streams {
          --remote-streams-gap: 1rem;
          --remote-streams-name-font: 600 0.75rem/1.4 ui-monospace, monospace;
          --remote-streams-name-color: #1b1b3a;
          --remote-streams-name-background: #ffd166;
        }
        .styled-room remote-streams::part(tile) {
          padding: 0.25rem;
          border-radius: 1rem;
          background: linear-gradient(135deg, #06d6a0, #118ab2);
          box-shadow: 0 0.25rem 1rem rgb(0 0 0 / 0.25);
        }
        .styled-room remote-streams::part(stream) {
          --remote-stream-radius: 0.75rem;
          --remote-stream-aspect-ratio: 1;
          --remote-stream-object-fit: cover;
        }
        .styled-room remote-streams::part(name) {
          inset-inline-start: 50%;
          translate: -50% 0;
          text-transform: uppercase;
          letter-spacing: 0.05em;
        }
      </style>
      <div class="styled-room" style=${sideBySide}>
        ${person(room, name, muted)} ${person(room, 'Ben', muted)} ${person(room, 'Cleo', muted)}
      </div>`;
  },
};

interface Tile {
  readonly stream: MediaStream;
  readonly name: string;
}

const nameOf = (peer: RoomPeer | undefined): string =>
  typeof peer?.meta.name === 'string' && peer.meta.name ? peer.meta.name : 'Someone';

/**
 * A page's own tile list, kept from a room's `streamadded` and `streamremoved` events: what a site writes when the
 * tiles of `<remote-streams>` do not fit its design. Here, a list with the name above each video. Not exported:
 * every named export of a stories file is a story.
 */
class StoryOwnTiles extends LitElement {
  static override styles = css`
    :host {
      display: block;
    }
    ul {
      display: flex;
      flex-wrap: wrap;
      gap: 0.75rem;
      margin: 0;
      padding: 0;
      list-style: none;
    }
    li {
      inline-size: 12rem;
    }
    strong {
      display: block;
      margin-block-end: 0.25rem;
    }
    remote-stream {
      --remote-stream-radius: 0.5rem;
    }
  `;

  // No decorators: Storybook's build applies the project's tsconfig, and its decorator setting, to src/ only.
  static override properties = { muted: { type: Boolean }, tiles: { state: true } };

  /** Silences every tile. */
  declare muted: boolean;
  declare private tiles: readonly Tile[];

  constructor() {
    super();
    this.muted = true;
    this.tiles = [];
  }

  addStream(event: StreamAddedEvent): void {
    this.tiles = [...this.tiles, { stream: event.stream, name: nameOf(event.peer) }];
  }

  removeStream(event: StreamRemovedEvent): void {
    this.tiles = this.tiles.filter((tile) => tile.stream !== event.stream);
  }

  override render() {
    if (this.tiles.length === 0) return html`<p>No one else has a camera on yet.</p>`;
    return html`<ul>
      ${repeat(
        this.tiles,
        (tile) => tile.stream.id,
        (tile) =>
          html`<li>
            <strong>${tile.name}</strong>
            <remote-stream .stream=${tile.stream} ?muted=${this.muted}></remote-stream>
          </li>`,
      )}
    </ul>`;
  }
}
if (!customElements.get('story-own-tiles')) customElements.define('story-own-tiles', StoryOwnTiles);

declare global {
  interface HTMLElementTagNameMap {
    'story-own-tiles': StoryOwnTiles;
  }
}

const ownTiles = (event: Event) => (event.currentTarget as Element).querySelector('story-own-tiles')!;

/**
 * The page renders tiles itself instead of using `<remote-streams>`: it listens to `streamadded` and
 * `streamremoved` on the room (`event.stream`, and `event.peer` for the name) and gives each stream to a
 * `<remote-stream>` through its `stream` property.
 */
export const PageRendersItsOwnTiles: Story = {
  render: ({ name, muted }, { canvasElement }: StoryContext<RoomArgs>) => {
    const room = canvasCallName('own-tiles', canvasElement);
    const sender = (who: string) =>
      html`<call-room signaling="broadcast:${room}" name=${who}>
        <h3 style="margin: 0 0 0.5rem">${who}</h3>
        <local-track kind="video" stream="cam" preview style="--local-track-width: 8rem"></local-track>
      </call-room>`;
    return html`<div style=${sideBySide}>
      <call-room
        signaling="broadcast:${room}"
        name=${name}
        @streamadded=${(e: StreamAddedEvent) => ownTiles(e).addStream(e)}
        @streamremoved=${(e: StreamRemovedEvent) => ownTiles(e).removeStream(e)}
      >
        <h3 style="margin: 0 0 0.5rem">${name}</h3>
        <story-own-tiles .muted=${muted}></story-own-tiles>
      </call-room>
      ${sender('Ben')} ${sender('Cleo')}
    </div>`;
  },
};

/**
 * An address no adapter handles: the room reports a readable `error` event (it does not bubble), takes the
 * `error` state, and the page stays usable.
 */
export const BadRoomAddress: Story = {
  parameters: { controls: { disable: true } },
  render: () =>
    html`<call-room
      signaling="carrier-pigeon:coop"
      @error=${(e: ErrorEvent) => ((e.currentTarget as Element).querySelector('output')!.value = e.message)}
    >
      <output></output>
    </call-room>`,
};
