/** These browsers have no camera and no microphone at all, as on a desktop without them. */
import { captureRefused } from '../support/capture-refused.js';

describe('no camera at all', () => {
  it('gives an error event and state error, and the rest of the call goes on', () =>
    captureRefused('NotFoundError'));
});
