import type { Meta, StoryContext, StoryObj } from '@storybook/web-components';
import { html } from 'lit';
import '../src/define.js';
import { canvasCallName, sideBySide } from './support.js';

interface Args {
  muted: boolean;
  index: number;
  /** An `audiooutput`'s deviceId (see `navigator.mediaDevices.enumerateDevices()`); empty: the default. */
  sinkId: string;
}

const meta: Meta<Args> = {
  title: 'Elements/remote-stream',
  component: 'remote-stream',
  args: { muted: true, index: 0, sinkId: '' },
};
export default meta;

type Story = StoryObj<Args>;

/** Nothing to play yet: the `placeholder` slot shows. */
export const Waiting: Story = {
  parameters: { controls: { disable: true } },
  render: () =>
    html`<remote-stream style="--remote-stream-width: 20rem">
      <p slot="placeholder" style="color: white">Waiting for the other side…</p>
    </remote-stream>`,
};

/** Playing a live remote stream from a call, on the audio output `sinkId` names. */
export const Playing: Story = {
  render: ({ muted, index, sinkId }, { canvasElement }: StoryContext<Args>) => {
    const name = canvasCallName('playing', canvasElement);
    return html`<div style=${sideBySide}>
      <peer-connection signaling="loopback:${name}">
        <local-track kind="video" stream="cam"></local-track>
        <local-track kind="audio" stream="cam"></local-track>
      </peer-connection>
      <peer-connection signaling="loopback:${name}">
        <remote-stream ?muted=${muted} index=${index} sink-id=${sinkId}></remote-stream>
      </peer-connection>
    </div>`;
  },
};

/** A stream with audio only: `<audio>` playback, the placeholder stays. */
export const AudioOnly: Story = {
  parameters: { controls: { include: ['muted'] } },
  render: ({ muted }, { canvasElement }: StoryContext<Args>) => {
    const name = canvasCallName('audio', canvasElement);
    return html`<div style=${sideBySide}>
      <peer-connection signaling="loopback:${name}"><local-track kind="audio"></local-track></peer-connection>
      <peer-connection signaling="loopback:${name}">
        <remote-stream ?muted=${muted}
          ><p slot="placeholder" style="color: white">🎙 Audio only</p></remote-stream
        >
      </peer-connection>
    </div>`;
  },
};

/** Restyled from outside: custom properties and the `video` part. */
export const Styled: Story = {
  parameters: { controls: { disable: true } },
  render: (_args, { canvasElement }: StoryContext<Args>) => {
    const name = canvasCallName('styled', canvasElement);
    return html`<style>
        .styled::part(video) {
          filter: saturate(1.4);
        }
      </style>
      <div style=${sideBySide}>
        <peer-connection signaling="loopback:${name}"
          ><local-track kind="video"></local-track
        ></peer-connection>
        <peer-connection signaling="loopback:${name}">
          <remote-stream
            class="styled"
            muted
            style="--remote-stream-radius: 1rem; --remote-stream-aspect-ratio: 4 / 3; --remote-stream-object-fit: cover"
          ></remote-stream>
        </peer-connection>
      </div>`;
  },
};
