// @ts-check
/**
 * The built kit (`dist/`, made by `npm run build`) imported in Node, which has no DOM, no `ErrorEvent` and no WebRTC,
 * as a server that renders pages, or a test without a browser, imports it: nothing may touch a browser API at import
 * time.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { it } from 'node:test';

const dist = new URL('../../dist/', import.meta.url);
/** What a browser has and Node has not, looked up by name. */
const global = /** @type {Record<string, any>} */ (globalThis);

/** @param {string} file */
async function load(file) {
  const url = new URL(file, dist);
  assert.ok(existsSync(url), `dist/${file} is missing: run npm run build first`);
  return import(url.href);
}

it('imports the classes, events and signaling without a browser', async () => {
  assert.equal(typeof global.RTCPeerConnection, 'undefined');
  assert.equal(typeof global.ErrorEvent, 'undefined');
  const kit = await load('index.js');
  for (const name of ['PeerConnection', 'LocalTrack', 'RemoteStream', 'CallRoom', 'RemoteStreams']) {
    assert.equal(typeof kit[name], 'function', name);
  }
  const event = new kit.CallErrorEvent(new TypeError('bad'), 'attribute');
  assert.equal(event.type, 'error');
  assert.equal(event.operation, 'attribute');
  assert.ok(kit.parseNegotiationMessage({ candidate: { candidate: '', sdpMid: '0' } }));
});

it('imports the define module, which registers the elements with the registry Lit gives a server', async () => {
  const kit = await load('index.js');
  await load('define.js');
  assert.equal(global.customElements.get('peer-connection'), kit.PeerConnection);
  assert.equal(global.customElements.get('local-track'), kit.LocalTrack);
});
