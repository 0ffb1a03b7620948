import { expect } from '@open-wc/testing';
import { malformedMLine, origin, sameNegotiation, shares } from '../../src/negotiation/description-text.js';

/** The browser's own descriptions, on a connection that negotiates with nobody: what the negotiator compares. */
describe('description text', () => {
  let pc: RTCPeerConnection;

  beforeEach(() => {
    pc = new RTCPeerConnection();
  });

  afterEach(() => pc.close());

  /** The local description once the browser has gathered its candidates (host candidates on loopback). */
  async function gathered(): Promise<string> {
    if (pc.iceGatheringState !== 'complete')
      await new Promise<void>((resolve) =>
        pc.addEventListener(
          'icegatheringstatechange',
          () => pc.iceGatheringState === 'complete' && resolve(),
        ),
      );
    return pc.localDescription!.sdp;
  }

  it("reads a description's session id and version", async () => {
    pc.addTransceiver('audio');
    await pc.setLocalDescription();
    const read = origin(pc.localDescription!.sdp)!;
    expect(read.session).to.match(/^\d+$/);
    expect(typeof read.version).to.equal('bigint');
    expect(origin('v=0\r\ns=-\r\n')).to.equal(undefined);
  });

  it('takes an offer read again after gathering, with its candidates, for the one first sent', async () => {
    pc.addTransceiver('video');
    await pc.setLocalDescription();
    const sent = pc.localDescription!.sdp;
    const later = await gathered();
    expect(later, 'the browser added candidates').to.match(/^a=candidate:/m);
    expect(later).not.to.equal(sent);
    expect(sameNegotiation(later, sent)).to.equal(true);
  });

  it('tells a new offer with the same o= line from the one before', async () => {
    pc.addTransceiver('video');
    await pc.setLocalDescription();
    const first = await gathered();
    pc.addTransceiver('audio');
    await pc.setLocalDescription(await pc.createOffer());
    const second = pc.localDescription!.sdp;
    // As aiortc writes it within one second: one o= line for both.
    const oLine = /^o=.*$/m.exec(first)![0];
    const sameOrigin = second.replace(/^o=.*$/m, oLine);
    expect(origin(sameOrigin)).to.deep.equal({ ...origin(first)!, sdp: sameOrigin });
    expect(sameNegotiation(sameOrigin, first)).to.equal(false);
  });

  it('tells an m-line rejected (port 0) from the same one taken', () => {
    const taken = 'v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n';
    const rejected = taken.replace('m=video 9 ', 'm=video 0 ');
    expect(sameNegotiation(rejected, taken)).to.equal(false);
    expect(sameNegotiation(taken.replace('m=video 9 ', 'm=video 51234 '), taken)).to.equal(true);
  });

  it('compares attribute values in any case and spacing, and checks m-lines against the grammar', async () => {
    pc.addTransceiver('audio');
    await pc.setLocalDescription();
    const sdp = pc.localDescription!.sdp;
    const fingerprint = /^a=fingerprint:.*$/m.exec(sdp)![0];
    expect(shares(sdp, fingerprint.toLowerCase().replace(' ', '   '), 'fingerprint')).to.equal(true);
    expect(shares(sdp, 'a=fingerprint:sha-256 00:11', 'fingerprint')).to.equal(false);
    expect(malformedMLine(sdp)).to.equal(undefined);
    expect(malformedMLine(sdp.replace(/^m=audio 9 /m, 'm=audio 9x '))).to.match(/^m=audio 9x /);
  });
});
