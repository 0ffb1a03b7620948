import { expect, fixture, html } from '@open-wc/testing';
import { CallErrorEvent, LoopbackChannel, parseNegotiationMessage } from '../../src/index.js';
import { ChaosChannel } from '../support/chaos-channel.js';
import { malformedMessages } from '../support/malformed-messages.js';
import { decodedFrame, framesDecoded, list, record, tally, uniqueName, until } from '../helpers.js';

const COUNT = 5000;

/**
 * The operation of the error event a malformed message must give: `signaling` when the kit's checks refuse it, else
 * the step of the browser that must refuse it (see malformed-messages.js). Anything else the checks let through
 * gives no error: `none`, which no message may be.
 */
function expectedOperation(message: unknown): string {
  let parsed: ReturnType<typeof parseNegotiationMessage>;
  try {
    parsed = parseNegotiationMessage(message);
  } catch {
    return 'signaling';
  }
  if ('description' in parsed) return 'negotiation';
  if ('candidate' in parsed) return 'ice-candidate';
  return 'none';
}

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
      // What each message must give is worked out as it goes in; the messages (some of them huge) are not kept.
      const categories: string[] = [];
      const expected: string[] = [];
      for (const { category, message } of malformedMessages(7, COUNT)) {
        const operation = expectedOperation(message);
        if (operation === 'none') throw new Error(`the generator made a message the kit takes: ${category}`);
        categories.push(category);
        expected.push(operation);
        channel.inject(message);
      }
      await until(() => errors.length >= COUNT, `${COUNT} error events`, 60_000).catch((error: Error) => {
        throw new Error(`${error.message}: got ${list(tally(errors.map((e) => e.operation)))}`);
      });
      // None more than one each: wait a moment for stragglers.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(errors.length).to.equal(COUNT);
      // Readable: a message of a reasonable size, never the whole of a huge input.
      expect(
        errors.filter((e) => !(e.message.length > 10 && e.message.length <= 301)).map((e) => e.message),
      ).to.deep.equal([]);
      // As many errors of each operation as there are messages that step must refuse.
      const operations = tally(errors.map((e) => e.operation));
      expect(operations).to.deep.equal(tally(expected));

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
        `fuzz: ${COUNT} malformed messages (${list(tally(categories))}) gave ` +
          `${errors.length} error events (${list(operations)}); the call went on`,
      );
    } finally {
      root.remove();
    }
  });
});
