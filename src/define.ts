/** Registers every element of the kit under its standard name. The kit's one module with side effects. */
import { LocalTrack } from './local-track/local-track.js';
import { PeerConnection } from './peer-connection/peer-connection.js';
import { RemoteStream } from './remote-stream/remote-stream.js';

// Parents first, so children upgraded after them find their connection at once. A name already taken (the kit
// loaded twice) is left alone rather than throwing.
if (!customElements.get('peer-connection')) customElements.define('peer-connection', PeerConnection);
if (!customElements.get('local-track')) customElements.define('local-track', LocalTrack);
if (!customElements.get('remote-stream')) customElements.define('remote-stream', RemoteStream);

export * from './index.js';
