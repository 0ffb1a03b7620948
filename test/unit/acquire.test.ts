import { expect } from '@open-wc/testing';
import { parseKind, TrackKindError, trackConstraints } from '../../src/local-track/acquire.js';

describe('parseKind', () => {
  it('accepts audio, video and screen', () => {
    expect(['audio', 'video', 'screen'].map(parseKind)).to.deep.equal(['audio', 'video', 'screen']);
  });

  it('names the allowed kinds when refusing', () => {
    expect(() => parseKind('camera'))
      .to.throw(TrackKindError)
      .with.property('message', 'kind="camera" is not one of "audio", "video", "screen"');
  });
});

describe('trackConstraints', () => {
  it('asks for any device when none is named', () => {
    expect(trackConstraints(undefined, null)).to.equal(true);
    expect(trackConstraints({ width: 640 }, null)).to.deep.equal({ width: 640 });
  });

  it('asks for exactly the named device, keeping other constraints', () => {
    expect(trackConstraints({ width: 640 }, 'abc')).to.deep.equal({ width: 640, deviceId: { exact: 'abc' } });
  });
});
