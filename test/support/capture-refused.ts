import { expect, html } from '@open-wc/testing';
import { CallErrorEvent } from '../../src/index.js';
import { callPair, decodedFrame, nextEvent, until, withCapturesCounted } from '../helpers.js';

/**
 * A call in a browser that gives no camera or microphone: each `<local-track>` that asks reports `error` with the
 * browser's own error (`errorName`), and the rest of the call goes on.
 */
export async function captureRefused(errorName: 'NotAllowedError' | 'NotFoundError'): Promise<void> {
  // The far side sends a track of its own making: a canvas, which needs no permission.
  const canvas = document.createElement('canvas');
  canvas.width = 160;
  canvas.height = 120;
  const context = canvas.getContext('2d')!;
  const paint = setInterval(() => {
    context.fillStyle = `hsl(${Date.now() % 360} 80% 50%)`;
    context.fillRect(0, 0, 160, 120);
  }, 30);
  const drawn = canvas.captureStream(30).getVideoTracks()[0];
  try {
    await withCapturesCounted((asked) => refusedCall(errorName, drawn, asked));
  } finally {
    clearInterval(paint);
    drawn.stop();
  }
}

/** The call of captureRefused; `asked` lists the page's capture requests. */
async function refusedCall(
  errorName: 'NotAllowedError' | 'NotFoundError',
  drawn: MediaStreamTrack,
  asked: MediaStreamConstraints[],
): Promise<void> {
  // The first refusals can come before the elements are handed back, so they are heard on the way down to them: the
  // kit's error events do not bubble, but a capturing listener on the window sees every event of the page.
  const refusals: CallErrorEvent[] = [];
  const hear = (event: Event): void => {
    if (event instanceof CallErrorEvent) refusals.push(event);
  };
  window.addEventListener('error', hear, true);
  try {
    await refusedCallHeard(errorName, drawn, asked, refusals);
  } finally {
    window.removeEventListener('error', hear, true);
  }
}

async function refusedCallHeard(
  errorName: 'NotAllowedError' | 'NotFoundError',
  drawn: MediaStreamTrack,
  asked: MediaStreamConstraints[],
  refusals: readonly CallErrorEvent[],
): Promise<void> {
  const [a, b] = await callPair(
    (name) =>
      html`<peer-connection signaling="loopback:${name}">
        <local-track kind="video"></local-track>
        <local-track kind="audio"></local-track>
        <remote-stream></remote-stream>
      </peer-connection>`,
    (name) =>
      html`<peer-connection signaling="loopback:${name}">
        <local-track .track=${drawn}></local-track>
      </peer-connection>`,
  );
  const [camera, microphone] = a.querySelectorAll('local-track');
  await until(
    () => camera.state === 'error' && microphone.state === 'error',
    `both captures refused with ${errorName}`,
  );
  expect(camera.matches(':state(error)')).to.equal(true);
  // Each refusal was told once, by an error event of the element that asked, with the browser's own error.
  expect(
    refusals.map((event) => [event.target, event.operation, (event.error as DOMException).name]),
  ).to.have.deep.members([
    [camera, 'acquire', errorName],
    [microphone, 'acquire', errorName],
  ]);
  expect(camera.track).to.equal(null);
  expect(a.connection!.getSenders().filter((s) => s.track)).to.have.length(0);
  // Camera and microphone were asked for together. A refusal answers both (asking again would prompt again); a
  // missing device has each asked for alone, so that a present one would still be had.
  const together = { video: true, audio: true };
  expect(asked).to.deep.equal(
    errorName === 'NotAllowedError' ? [together] : [together, { video: true }, { audio: true }],
  );

  // The refusal is reported with the browser's own error; asking again reports it again.
  const again = nextEvent<CallErrorEvent>(camera, 'error');
  camera.constraints = { width: 320 };
  const event = await again;
  expect(event).to.be.instanceOf(CallErrorEvent);
  expect(event.operation).to.equal('acquire');
  expect((event.error as DOMException).name).to.equal(errorName);
  expect(event.message.startsWith(`${errorName}: `), event.message).to.equal(true);

  // The call still carries what the far side sends.
  await until(() => a.remoteStreams.length === 1, 'the far side’s video');
  await decodedFrame(a.remoteStreams[0]);
  expect(b.state).to.be.oneOf(['connecting', 'connected']);
}
