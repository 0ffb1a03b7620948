import { expect, fixture, html } from '@open-wc/testing';
import { CallErrorEvent, LoopbackChannel } from '../../src/index.js';
import { ChaosChannel } from '../support/chaos-channel.js';
import { malformedMessages } from '../support/malformed-messages.js';
import { decodedFrame, framesDecoded, record, uniqueName, until } from '../helpers.js';

const COUNT = 5000;

describe('reliability: malformed signaling', function () {
  this.timeout(120_000);

  it(`${COUNT} malformed messages into a connected <peer-connection>: one error event each, and the call goes on`, async () => {
    const name = uniqueName();
    // The receiving side's channel lets the test hand it messages as if the far side had sent them.
    const channel = new ChaosChannel(new LoopbackChannel(name));
    const root = await fixture<HTMLElement>(html`
      <div>
        <peer-connection signaling="loopback:${name}">
          <local-track kind="video" stream="cam"></local-track>
        </peer-connection>
        <peer-connection .signaling=${channel}></peer-connection>
      </div>
    `);
    const [sender, receiver] = root.querySelectorAll('peer-connection');
    try {
      await until(() => receiver.state === 'connected' && receiver.remoteStreams.length === 1, 'the call');
      await decodedFrame(receiver.remoteStreams[0]);
      const errors = record<CallErrorEvent>(receiver, 'error');
      const senderErrors = record<CallErrorEvent>(sender, 'error');
      const categories = new Map<string, number>();
      for (const { category, message } of malformedMessages(7, COUNT)) {
        categories.set(category, (categories.get(category) ?? 0) + 1);
        channel.inject(message);
      }
      await until(() => errors.length >= COUNT, `${COUNT} error events (${errors.length} so far)`, 60_000);
      // None more than one each: wait a moment for stragglers.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(errors.length).to.equal(COUNT);
      // Readable: a message of a reasonable size, never the whole of a huge input.
      expect(
        errors.filter((e) => !(e.message.length > 10 && e.message.length <= 301)).map((e) => e.message),
      ).to.deep.equal([]);
      const operations = new Map<string, number>();
      for (const e of errors) operations.set(e.operation, (operations.get(e.operation) ?? 0) + 1);

      // The call still flows, and still negotiates: frames go on, and a track added now arrives.
      const [video] = receiver.remoteStreams[0].getVideoTracks();
      await framesDecoded(receiver.connection!, video, 10);
      const microphone = document.createElement('local-track');
      microphone.kind = 'audio';
      microphone.stream = 'cam';
      sender.append(microphone);
      await until(
        () => receiver.remoteStreams[0]?.getAudioTracks().length === 1,
        'a microphone added after the fuzz',
      );
      expect(receiver.state).to.equal('connected');
      expect(senderErrors.map((e) => e.message)).to.deep.equal([]);
      console.log(
        `fuzz: ${COUNT} malformed messages (${[...categories].map(([c, n]) => `${c} ${n}`).join(', ')}) gave ` +
          `${errors.length} error events (${[...operations].map(([o, n]) => `${o} ${n}`).join(', ')}); the call went on`,
      );
    } finally {
      root.remove();
    }
  });
});
