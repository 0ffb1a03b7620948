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
 * Whether `name` is free for `element`. A name already taken is left alone rather than throwing; taken by another
 * class (another copy of the kit, or another library), the page is told, as the kit's elements of that name would
 * otherwise do nothing with no word why.
 */
function free(name: string, element: CustomElementConstructor): boolean {
  const taken = customElements.get(name);
  if (taken && taken !== element)
    console.warn(
      `webrtc-elements: <${name}> is defined already by another class (another copy of the kit?); left as it is`,
    );
  return !taken;
}

// Parents first, so children upgraded after them find their connection at once. Each define call names its tag and
// class literally: that is what the manifest's analyzer reads to list the definitions in custom-elements.json.
if (free('peer-connection', PeerConnection)) customElements.define('peer-connection', PeerConnection);
if (free('call-room', CallRoom)) customElements.define('call-room', CallRoom);
if (free('local-track', LocalTrack)) customElements.define('local-track', LocalTrack);
if (free('remote-stream', RemoteStream)) customElements.define('remote-stream', RemoteStream);
if (free('remote-streams', RemoteStreams)) customElements.define('remote-streams', RemoteStreams);

export * from './index.js';
