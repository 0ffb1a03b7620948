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

// Parents first, so children upgraded after them find their connection at once. A name already taken (the kit
// loaded twice) is left alone rather than throwing.
if (!customElements.get('peer-connection')) customElements.define('peer-connection', PeerConnection);
if (!customElements.get('call-room')) customElements.define('call-room', CallRoom);
if (!customElements.get('local-track')) customElements.define('local-track', LocalTrack);
if (!customElements.get('remote-stream')) customElements.define('remote-stream', RemoteStream);
if (!customElements.get('remote-streams')) customElements.define('remote-streams', RemoteStreams);

export * from './index.js';
