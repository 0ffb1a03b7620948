/** In these browsers every camera and microphone request is refused, as by a person at the permission prompt. */
import { captureRefused } from '../support/capture-refused.js';

describe('a refused camera', () => {
  it('gives an error event and state error, and the rest of the call goes on', () =>
    captureRefused('NotAllowedError'));
});
