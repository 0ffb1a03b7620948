import { expect, html } from '@open-wc/testing';
import { callPair, decodedFrame, until } from './helpers.js';

describe('a call between two <peer-connection>s', () => {
  it('delivers camera and microphone in one stream with live video', async () => {
    const [a, b] = await callPair(
      (name) =>
        html`<peer-connection signaling="loopback:${name}">
          <local-track kind="video" stream="cam"></local-track>
          <local-track kind="audio" stream="cam"></local-track>
        </peer-connection>`,
      (name) =>
        html`<peer-connection signaling="loopback:${name}"><remote-stream></remote-stream></peer-connection>`,
    );
    await until(() => b.remoteStreams[0]?.getTracks().length === 2, 'both tracks on the far side');
    const [stream] = b.remoteStreams;
    const sent = a
      .connection!.getSenders()
      .map((s) => s.track!.kind)
      .sort();
    expect(sent).to.deep.equal(['audio', 'video']);
    await decodedFrame(stream);
    await until(() => a.state === 'connected' && b.state === 'connected', 'connected on both sides');
    await until(
      () => b.querySelector('remote-stream')!.matches(':state(playing)'),
      "the far side's video showing",
    );
  });
});
