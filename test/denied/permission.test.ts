/** In these browsers every camera and microphone request is refused, as by a person at the permission prompt. */
import { expect, fixture, html } from '@open-wc/testing';
import type { CallErrorEvent } from '../../src/index.js';
import { record, until, withCapturesCounted } from '../helpers.js';
import { captureRefused } from '../support/capture-refused.js';

describe('a refused camera', () => {
  it('gives an error event and state error, and the rest of the call goes on', () =>
    captureRefused('NotAllowedError'));

  it('is asked for again when kind is set again, even to the same value (a "Start camera" button pressed again)', async () => {
    await withCapturesCounted(async (asked) => {
      const root = await fixture<HTMLElement>(html`<div></div>`);
      const local = Object.assign(document.createElement('local-track'), { kind: 'video' as const });
      const errors = record<CallErrorEvent>(local, 'error');
      root.append(local);
      await until(() => errors.length === 1 && local.state === 'error', 'the refusal');
      local.kind = 'video';
      await until(() => errors.length === 2 && local.state === 'error', 'the refusal again');
      expect(asked).to.deep.equal([{ video: true }, { video: true }]);
      expect(errors.map((e) => [e.operation, (e.error as DOMException).name])).to.deep.equal([
        ['acquire', 'NotAllowedError'],
        ['acquire', 'NotAllowedError'],
      ]);
    });
  });
});
