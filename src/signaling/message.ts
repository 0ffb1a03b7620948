import type { NegotiationMessage, OfferWanted } from './signaling.js';

/** A signaling message that is not a negotiation message the kit can apply. */
export class SignalingMessageError extends Error {
  // A getter on the prototype rather than a field: the class needs no constructor.
  override get name(): 'SignalingMessageError' {
    return 'SignalingMessageError';
  }
}

/** Session descriptions beyond this are refused before they reach the browser's parser. */
export const MAX_SDP_LENGTH = 256 * 1024;
const MAX_CANDIDATE_LENGTH = 4096;
const DESCRIPTION_TYPES: readonly string[] = ['offer', 'answer', 'pranswer', 'rollback'];
/** A bound on the m-lines one request may ask for, so a peer cannot make this side add transceivers without end. */
export const MAX_WANTED_PER_KIND = 16;
/** The session id of an `o=` line: digits (browsers use up to 20). */
const SESSION_ID = /^\d{1,64}$/;
const FIELDS = ['description', 'candidate', 'offerWanted', 'renew'] as const;

/**
 * Checks an untrusted message from a signaling channel and returns it as a typed negotiation message.
 * Anything else throws a {@link SignalingMessageError} saying what is wrong, so the element can report it
 * and keep the call going.
 */
export function parseNegotiationMessage(message: unknown): NegotiationMessage {
  if (!isRecord(message)) {
    throw new SignalingMessageError(`expected an object, got ${describe(message)}`);
  }
  const present = FIELDS.filter((field) => field in message);
  if (present.length !== 1) {
    throw new SignalingMessageError(
      'expected exactly one of "description", "candidate", "offerWanted" or "renew"',
    );
  }
  const field = present[0];
  const value = message[field];
  if (field === 'renew') {
    const { from } = message;
    for (const [name, id] of [
      ['renew', value],
      ['from', from],
    ] as const) {
      if (typeof id !== 'string' || !SESSION_ID.test(id))
        throw new SignalingMessageError(`"${name}" must be a session id (digits), got ${describe(id)}`);
    }
    return { renew: value as string, from: from as string };
  }
  // The end-of-candidates marker as the specification's example sends it (`{ candidate }` of a null candidate).
  if (field === 'candidate' && value === null) return { candidate: { ...END_OF_CANDIDATES } };
  if (!isRecord(value)) {
    throw new SignalingMessageError(`"${field}" must be an object, got ${describe(value)}`);
  }
  switch (field) {
    case 'description':
      return {
        description: parseDescription(value),
        ...(optionalFlag(message, 'takesRequests') && { takesRequests: true }),
      };
    case 'candidate':
      return { candidate: parseCandidate(value) };
    default:
      return {
        offerWanted: parseOfferWanted(value),
        ...(optionalFlag(message, 'iceRestart') && { iceRestart: true }),
      };
  }
}

/** A flag a message may carry beside its field: absent, or a boolean. */
function optionalFlag(message: Record<string, unknown>, name: 'iceRestart' | 'takesRequests'): boolean {
  const value = message[name];
  if (value !== undefined && typeof value !== 'boolean')
    throw new SignalingMessageError(`"${name}" must be a boolean, got ${describe(value)}`);
  return value === true;
}

function parseOfferWanted(value: Record<string, unknown>): OfferWanted {
  const wanted: OfferWanted = {};
  for (const [kind, count] of Object.entries(value)) {
    if (kind !== 'audio' && kind !== 'video') {
      throw new SignalingMessageError(`"offerWanted" takes "audio" and "video", got ${describe(kind)}`);
    }
    if (!Number.isInteger(count) || (count as number) < 1 || (count as number) > MAX_WANTED_PER_KIND) {
      throw new SignalingMessageError(
        `"offerWanted.${kind}" must be an integer from 1 to ${MAX_WANTED_PER_KIND}, got ${describe(count)}`,
      );
    }
    wanted[kind] = count as number;
  }
  return wanted;
}

function parseDescription(value: Record<string, unknown>): RTCSessionDescriptionInit {
  const { type, sdp } = value;
  if (typeof type !== 'string' || !DESCRIPTION_TYPES.includes(type)) {
    throw new SignalingMessageError(
      `"description.type" must be one of ${DESCRIPTION_TYPES.join(', ')}, got ${describe(type)}`,
    );
  }
  // Only a rollback may come without a session description.
  if (typeof sdp === 'string' ? sdp.length > MAX_SDP_LENGTH : type !== 'rollback') {
    throw new SignalingMessageError(
      `"description.sdp" must be a string of at most ${MAX_SDP_LENGTH} characters, got ${describe(sdp)}`,
    );
  }
  return { type: type as RTCSdpType, sdp: typeof sdp === 'string' ? sdp : undefined };
}

/** The end of candidates for every m-line: an empty candidate that names none. */
const END_OF_CANDIDATES: RTCIceCandidateInit = {
  candidate: '',
  sdpMid: null,
  sdpMLineIndex: null,
  usernameFragment: null,
};

function parseCandidate(value: Record<string, unknown>): RTCIceCandidateInit {
  const { candidate, sdpMid, sdpMLineIndex, usernameFragment } = value;
  if (typeof candidate !== 'string' || candidate.length > MAX_CANDIDATE_LENGTH) {
    throw new SignalingMessageError(
      `"candidate.candidate" must be a string of at most ${MAX_CANDIDATE_LENGTH} characters, got ${describe(candidate)}`,
    );
  }
  if (sdpMid != null && typeof sdpMid !== 'string') {
    throw new SignalingMessageError(`"candidate.sdpMid" must be a string or null, got ${describe(sdpMid)}`);
  }
  if (sdpMLineIndex != null && !(Number.isInteger(sdpMLineIndex) && (sdpMLineIndex as number) >= 0)) {
    throw new SignalingMessageError(
      `"candidate.sdpMLineIndex" must be a non-negative integer or null, got ${describe(sdpMLineIndex)}`,
    );
  }
  // An empty one is the end of candidates, which may name no m-line (then it ends them all).
  if (candidate !== '' && sdpMid == null && sdpMLineIndex == null) {
    throw new SignalingMessageError('a candidate needs "sdpMid" or "sdpMLineIndex"');
  }
  if (usernameFragment != null && typeof usernameFragment !== 'string') {
    throw new SignalingMessageError(
      `"candidate.usernameFragment" must be a string or null, got ${describe(usernameFragment)}`,
    );
  }
  return {
    candidate,
    sdpMid: (sdpMid as string | null | undefined) ?? null,
    sdpMLineIndex: (sdpMLineIndex as number | null | undefined) ?? null,
    usernameFragment: (usernameFragment as string | null | undefined) ?? null,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short, safe rendering of a bad value for an error message (never the whole of a huge string). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') {
    return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  }
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
