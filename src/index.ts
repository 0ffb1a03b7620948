/**
 * The kit's classes and types. Importing this module registers nothing and touches no browser API:
 * import `./define` (or call `customElements.define` with your own names) to use the elements.
 */
export { PeerConnection, type PeerConnectionState } from './peer-connection/peer-connection.js';
export { LocalTrack, type LocalTrackState } from './local-track/local-track.js';
export { RemoteStream } from './remote-stream/remote-stream.js';
export { CallRoom, type CallRoomState, type RoomMember } from './call-room/call-room.js';
export { RemoteStreams } from './remote-streams/remote-streams.js';
export {
  CallErrorEvent,
  ConnectionStateChangeEvent,
  NegotiatedEvent,
  PeerJoinedEvent,
  PeerLeftEvent,
  PeerUpdatedEvent,
  StreamAddedEvent,
  StreamRemovedEvent,
  TrackChangeEvent,
  type ErrorOperation,
} from './events.js';
export {
  createSignaling,
  SignalingAddressError,
  type NegotiationMessage,
  type SignalingChannel,
  type SignalingFactory,
  type SignalingListener,
  type SignalingOptions,
} from './signaling/signaling.js';
export { LoopbackChannel, LoopbackFullError, loopbackSignaling } from './signaling/loopback.js';
export {
  BroadcastRoom,
  BroadcastMessageError,
  broadcastSignaling,
  type BroadcastTiming,
} from './signaling/broadcast.js';
export { RelayRoom, RelayError, relaySignaling } from './signaling/relay-room.js';
export {
  FirstPeerChannel,
  PeerChannel,
  type LeaveReason,
  type Room,
  type RoomListener,
  type RoomPeer,
} from './signaling/room.js';
export { signalingAdapters, roomAdapters, type RoomFactory } from './signaling/adapters.js';
export { registerNetworkAdapters } from './signaling/network-adapters.js';
export { parseNegotiationMessage, SignalingMessageError } from './signaling/message.js';
export { PerfectNegotiator } from './negotiation/perfect-negotiation.js';
export { FarSideStoppedError, SenderReconciler, type TrackSource } from './senders/sender-reconciler.js';
export { StreamAssembler, type StreamlessPolicy } from './streams/stream-assembler.js';
export { LocalStreams, parseStreamNames } from './streams/local-streams.js';
export { PeerSession } from './session/peer-session.js';
export { TrackKindError, type LocalTrackKind } from './local-track/acquire.js';
