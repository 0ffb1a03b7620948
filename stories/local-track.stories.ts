import type { Meta, StoryObj } from '@storybook/web-components';
import { html } from 'lit';
import '../src/define.js';
import type { LocalTrack } from '../src/index.js';

type Args = Pick<LocalTrack, 'kind' | 'muted' | 'preview' | 'device'>;

const meta: Meta<Args> = {
  title: 'Elements/local-track',
  component: 'local-track',
  args: { kind: 'video', muted: false, preview: true, device: null },
  argTypes: { kind: { control: 'inline-radio', options: ['audio', 'video', 'screen'] } },
  render: ({ kind, muted, preview, device }) =>
    html`<local-track
      kind=${kind}
      ?muted=${muted}
      ?preview=${preview}
      device=${device ?? ''}
      style="--local-track-width: 20rem"
    ></local-track>`,
};
export default meta;

type Story = StoryObj<Args>;

/** The camera, previewed (mirrored, as people expect of their own image). */
export const CameraPreview: Story = {};

/** Muted: the track stays, disabled; the preview shows black. */
export const Muted: Story = { args: { muted: true } };

/** A microphone has nothing to preview: the element takes no space. */
export const Microphone: Story = { args: { kind: 'audio' } };

/** Restyled through CSS custom properties. */
export const Styled: Story = {
  render: () =>
    html`<local-track
      kind="video"
      preview
      style="--local-track-width: 12rem; --local-track-aspect-ratio: 1; --local-track-radius: 50%;"
    ></local-track>`,
};

/** A `kind` it cannot capture: state `error` and an `error` event, nothing acquired. */
export const BadKind: Story = {
  // Typed code cannot write this (the analyzer refuses it); plain HTML can, and that is what this shows.
  render: () => html`<local-track kind=${'camera' as LocalTrack['kind']} preview></local-track>`,
};

/** A device that does not exist: state `error`, an `error` event. */
export const MissingDevice: Story = { args: { device: 'no-such-camera' } };
