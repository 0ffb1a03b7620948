/**
 * Registers every element of the kit under its standard name, and the signaling adapters that reach beyond the page.
 * The kit's one module with side effects.
 */
import { CallRoom } from './call-room/call-room.js';
import { LocalTrack } from './local-track/local-track.js';
import { PeerConnection } from './peer-connection/peer-connection.js';
import { RemoteStream } from './remote-stream/remote-stream.js';
import { RemoteStreams } from './remote-streams/remote-streams.js';
import { registerNetworkAdapters } from './signaling/network-adapters.js';

registerNetworkAdapters();

/**
 * Registers `element` under `name`. A name already taken is left alone rather than throwing; taken by another class
 * (another copy of the kit, or another library), the page is told, as the kit's elements of that name would otherwise
 * do nothing with no word why.
 */
function define(name: string, element: CustomElementConstructor): void {
  const taken = customElements.get(name);
  if (!taken) customElements.define(name, element);
  else if (taken !== element)
    console.warn(
      `webrtc-elements: <${name}> is defined already by another class (another copy of the kit?); left as it is`,
    );
}

// Parents first, so children upgraded after them find their connection at once.
define('peer-connection', PeerConnection);
define('call-room', CallRoom);
define('local-track', LocalTrack);
define('remote-stream', RemoteStream);
define('remote-streams', RemoteStreams);

export * from './index.js';
