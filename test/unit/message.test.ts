import { expect } from '@open-wc/testing';
import {
  MAX_SDP_LENGTH,
  parseNegotiationMessage,
  SignalingMessageError,
} from '../../src/signaling/message.js';

const bad = (message: unknown, pattern: RegExp) => () => {
  expect(() => parseNegotiationMessage(message))
    .to.throw(SignalingMessageError)
    .with.property('message')
    .that.matches(pattern);
};

describe('parseNegotiationMessage', () => {
  it('accepts a description', () => {
    expect(parseNegotiationMessage({ description: { type: 'offer', sdp: 'v=0' } })).to.deep.equal({
      description: { type: 'offer', sdp: 'v=0' },
    });
  });

  it('keeps the flag of a side that takes requests for offers, and drops a false one', () => {
    const description = { type: 'offer', sdp: 'v=0' } as const;
    expect(parseNegotiationMessage({ description, takesRequests: true })).to.deep.equal({
      description,
      takesRequests: true,
    });
    expect(parseNegotiationMessage({ description, takesRequests: false })).to.deep.equal({ description });
  });

  it(
    'refuses a flag of a side that takes requests that is not a boolean',
    bad(
      { description: { type: 'offer', sdp: 'v=0' }, takesRequests: 'yes' },
      /"takesRequests" must be a boolean/,
    ),
  );

  it('accepts a rollback without sdp', () => {
    expect(parseNegotiationMessage({ description: { type: 'rollback' } })).to.deep.equal({
      description: { type: 'rollback', sdp: undefined },
    });
  });

  it('accepts a candidate and fills the optional fields', () => {
    expect(
      parseNegotiationMessage({
        candidate: { candidate: 'candidate:1 1 udp 1 198.18.0.1 9 typ host', sdpMid: '0' },
      }),
    ).to.deep.equal({
      candidate: {
        candidate: 'candidate:1 1 udp 1 198.18.0.1 9 typ host',
        sdpMid: '0',
        sdpMLineIndex: null,
        usernameFragment: null,
      },
    });
  });

  it("takes the end of candidates, as the specification's example and toJSON() send it", () => {
    const end = { candidate: '', sdpMid: null, sdpMLineIndex: null, usernameFragment: null };
    expect(parseNegotiationMessage({ candidate: null })).to.deep.equal({ candidate: end });
    expect(
      parseNegotiationMessage({ candidate: { candidate: '', sdpMid: null, sdpMLineIndex: null } }),
    ).to.deep.equal({
      candidate: end,
    });
    expect(parseNegotiationMessage({ candidate: { candidate: '', sdpMid: '0' } })).to.deep.equal({
      candidate: { ...end, sdpMid: '0' },
    });
  });
  it(
    'refuses a candidate for no m-line',
    bad(
      { candidate: { candidate: 'candidate:1 1 udp 1 198.18.0.1 9 typ host' } },
      /needs "sdpMid" or "sdpMLineIndex"/,
    ),
  );
  it('refuses a non-object', bad('hello', /expected an object, got "hello"/));
  it('refuses null', bad(null, /got null/));
  it('refuses an array', bad([1], /got an array/));
  it('refuses a message with neither field', bad({ foo: 1 }, /exactly one of/));
  it('refuses a message with both fields', bad({ description: {}, candidate: {} }, /exactly one of/));
  it('takes a request for an offer with new m-lines', () => {
    expect(parseNegotiationMessage({ offerWanted: { audio: 1, video: 2 } })).to.deep.equal({
      offerWanted: { audio: 1, video: 2 },
    });
  });
  it('refuses a request for an unknown kind', bad({ offerWanted: { data: 1 } }, /takes "audio" and "video"/));
  it('refuses a request for too many m-lines', bad({ offerWanted: { video: 1000 } }, /integer from 1 to 16/));
  it('refuses a request that is not an object', bad({ offerWanted: 'video' }, /must be an object/));
  it('takes a request to replace a connection', () => {
    const request = { renew: '4611686018427387904', from: '123' };
    expect(parseNegotiationMessage(request)).to.deep.equal(request);
  });
  it(
    'refuses a request to replace a connection without a session id',
    bad({ renew: 'x', from: '1' }, /"renew" must be a session id/),
  );
  it(
    'refuses a request to replace a connection with a number',
    bad({ renew: 42, from: '1' }, /got number 42/),
  );
  it(
    'refuses a request to replace a connection that does not say whose',
    bad({ renew: '1' }, /"from" must be a session id/),
  );
  it(
    'refuses an unknown description type',
    bad({ description: { type: 'hello', sdp: '' } }, /description.type/),
  );
  it('refuses a description without sdp', bad({ description: { type: 'answer' } }, /description.sdp/));
  it(
    'refuses a huge sdp',
    bad({ description: { type: 'offer', sdp: 'x'.repeat(MAX_SDP_LENGTH + 1) } }, /at most/),
  );
  it(
    'refuses a candidate that is not a string',
    bad({ candidate: { candidate: 42, sdpMid: '0' } }, /candidate.candidate/),
  );
  it(
    'refuses a candidate with no m-line reference',
    bad({ candidate: { candidate: 'c' } }, /sdpMid.*sdpMLineIndex/),
  );
  it(
    'refuses a negative m-line index',
    bad({ candidate: { candidate: 'c', sdpMLineIndex: -1 } }, /non-negative/),
  );
  it('refuses a bad sdpMid', bad({ candidate: { candidate: 'c', sdpMid: 5 } }, /sdpMid/));
  it(
    'refuses a bad username fragment',
    bad({ candidate: { candidate: 'c', sdpMid: '0', usernameFragment: {} } }, /usernameFragment/),
  );

  it('never quotes a huge bad value whole', () => {
    try {
      parseNegotiationMessage({ description: { type: 'x'.repeat(100000), sdp: '' } });
      expect.fail('should throw');
    } catch (error) {
      expect((error as Error).message.length).to.be.below(200);
      expect((error as Error).message).to.contain('a string of 100000 characters');
    }
  });
});
