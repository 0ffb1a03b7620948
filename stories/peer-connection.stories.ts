import type { Meta, StoryContext, StoryObj } from '@storybook/web-components';
import { html } from 'lit';
import '../src/define.js';
import type { PeerConnection } from '../src/index.js';
import { canvasCallName, sideBySide } from './support.js';

interface CallArgs {
  streamless: PeerConnection['streamless'];
  polite: boolean;
}

const meta: Meta<CallArgs> = {
  title: 'Elements/peer-connection',
  component: 'peer-connection',
  args: { streamless: 'shared', polite: false },
  argTypes: { streamless: { control: 'inline-radio', options: ['shared', 'separate'] } },
};
export default meta;

type Story = StoryObj<CallArgs>;

/** Two connections in one page call each other: camera and microphone in one stream, played on the far side. */
export const Call: Story = {
  // Every track here is in a stream, so `streamless` has nothing to act on.
  parameters: { controls: { include: ['polite'] } },
  render: ({ polite }, { canvasElement }: StoryContext<CallArgs>) => {
    // The role is read as the call starts: changing it starts another call.
    const name = canvasCallName(`call-${polite}`, canvasElement);
    return html`<div style=${sideBySide}>
      <peer-connection signaling="loopback:${name}" ?polite=${polite}>
        <local-track kind="video" stream="cam" preview></local-track>
        <local-track kind="audio" stream="cam"></local-track>
      </peer-connection>
      <peer-connection signaling="loopback:${name}">
        <remote-stream muted><p slot="placeholder" style="color: white">Waiting for video…</p></remote-stream>
      </peer-connection>
    </div>`;
  },
};

/** Both sides send and receive. */
export const TwoWay: Story = {
  parameters: { controls: { disable: true } },
  render: (_args, { canvasElement }: StoryContext<CallArgs>) => {
    const name = canvasCallName('two-way', canvasElement);
    const side = html`<local-track kind="video" stream="cam"></local-track>
      <local-track kind="audio" stream="cam" muted></local-track>
      <remote-stream muted><p slot="placeholder" style="color: white">Waiting…</p></remote-stream>`;
    return html`<div style=${sideBySide}>
      <peer-connection signaling="loopback:${name}">${side}</peer-connection>
      <peer-connection signaling="loopback:${name}">${side}</peer-connection>
    </div>`;
  },
};

/** Streamless tracks with `streamless="separate"`: one remote stream (and tile) per track. */
export const SeparateStreamless: Story = {
  args: { streamless: 'separate' },
  parameters: { controls: { include: ['streamless'] } },
  render: ({ streamless }, { canvasElement }: StoryContext<CallArgs>) => {
    // Read as each track arrives: changing it starts another call, whose tracks arrive under it.
    const name = canvasCallName(`separate-${streamless}`, canvasElement);
    return html`<div style=${sideBySide}>
      <peer-connection signaling="loopback:${name}">
        <local-track kind="video"></local-track>
        <local-track kind="video" .constraints=${{ width: 320 }}></local-track>
      </peer-connection>
      <peer-connection signaling="loopback:${name}" streamless=${streamless}>
        <remote-stream index="0"></remote-stream>
        <remote-stream index="1"></remote-stream>
      </peer-connection>
    </div>`;
  },
};

/** A bad `signaling` address: the element reports an `error` event and stays usable. */
export const BadSignaling: Story = {
  parameters: { controls: { disable: true } },
  render: () =>
    html`<peer-connection
      signaling="carrier-pigeon:coop"
      @error=${(e: ErrorEvent) => ((e.target as HTMLElement).querySelector('output')!.value = e.message)}
    >
      <output></output>
    </peer-connection>`,
};
