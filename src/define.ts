/** Registers every element of the kit under its standard name. The kit's one module with side effects. */
import { LocalTrack } from './local-track/local-track.js';
import { PeerConnection } from './peer-connection/peer-connection.js';
import { RemoteStream } from './remote-stream/remote-stream.js';

const elements = {
  'peer-connection': PeerConnection,
  'local-track': LocalTrack,
  'remote-stream': RemoteStream,
};

// Parents first, so children upgraded after them find their connection at once.
for (const [name, element] of Object.entries(elements)) {
  if (!customElements.get(name)) customElements.define(name, element);
}

export * from './index.js';
