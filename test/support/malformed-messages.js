// @ts-check
/**
 * Deterministic, seeded malformed input for the kit's signaling, for fuzz tests. No imports: it runs in Node and in
 * browsers alike.
 *
 * `malformedMessages` makes values a far side could send over a signaling channel that are not negotiation messages
 * the kit can apply. Each one is refused, either by `parseNegotiationMessage` (src/signaling/message.ts) or, when that
 * lets it through, by the browser (`setRemoteDescription` / `addIceCandidate` reject). That second kind holds for a
 * connection that is connected and `stable`, whose m-lines have mids that do not start with `nope-` (the browsers
 * use '0', '1', ...) and number fewer than 500. Session descriptions that carry an `o=` line use a session id with a
 * leading zero, which no browser makes, so none of them passes for a copy of the far side's real description.
 *
 * `malformedRelayFrames` makes raw WebSocket frames for the signaling relay (server/relay.js).
 */

/**
 * @typedef {'wrong-type' | 'missing-field' | 'huge-string' | 'bad-sdp' | 'bad-candidate' | 'bad-offer-wanted'
 *   | 'unknown-shape'} MessageCategory
 */
/** @typedef {null | boolean | number | string | JsonArray | JsonObject} Json A JSON value. */
/** @typedef {Json[]} JsonArray */
/** @typedef {{ [key: string]: Json }} JsonObject */
/**
 * @typedef {{ category: MessageCategory, message: Json }} MalformedMessage
 *
 * @typedef {'not-json' | 'not-object' | 'unknown-type' | 'bad-signal' | 'forwarded-garbage' | 'bad-meta'
 *   | 'near-limit' | 'oversize' | 'binary' | 'bad-utf8' | 'deep-nesting'} RelayFrameCategory
 * @typedef {object} MalformedRelayFrame
 * @property {RelayFrameCategory} category
 * @property {string | Uint8Array} frame A text frame (string) or a binary frame (bytes).
 * @property {boolean} [text] Set on bytes to send as a text frame: they are not valid UTF-8 ('bad-utf8').
 *
 * @typedef {object} RelayIds
 * @property {string} [peer] Id of a peer in the fuzzing client's room; default {@link PEER}, for the caller to replace.
 * @property {string} [self] Id of the fuzzing client itself; default {@link SELF}.
 */

/** @typedef {() => number} Random */

/** The relay's MAX_MESSAGE_BYTES (server/relay.js), which this module cannot import; a test checks they agree. */
export const MAX_RELAY_MESSAGE_BYTES = 128 * 1024;

/**
 * Stands for a real peer id in the frames, as the JSON string `"$PEER"`: replace it (for instance with
 * `frame.replaceAll('"$PEER"', JSON.stringify(id))`), or pass real ids to `malformedRelayFrames`, which keeps the
 * sizes of the frames near the relay's limit exact.
 */
export const PEER = '$PEER';
/** Stands for the id of the client that sends the frames, as {@link PEER} does. */
export const SELF = '$SELF';

/** @type {readonly MessageCategory[]} */
export const MESSAGE_CATEGORIES = Object.freeze([
  'wrong-type',
  'missing-field',
  'huge-string',
  'bad-sdp',
  'bad-candidate',
  'bad-offer-wanted',
  'unknown-shape',
]);

/** @type {readonly RelayFrameCategory[]} */
export const RELAY_FRAME_CATEGORIES = Object.freeze([
  'not-json',
  'not-object',
  'unknown-type',
  'bad-signal',
  'forwarded-garbage',
  'bad-meta',
  'near-limit',
  'oversize',
  'binary',
  'bad-utf8',
  'deep-nesting',
]);

/**
 * A small seeded PRNG (mulberry32): the same seed gives the same numbers, in [0, 1), everywhere.
 * @param {number} seed
 * @returns {Random}
 */
export function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Small helpers

/** @param {Random} rng @param {number} min @param {number} max an integer from min to max, both included */
const int = (rng, min, max) => min + Math.floor(rng() * (max - min + 1));

/**
 * @template T
 * @param {Random} rng
 * @param {readonly T[]} items
 * @returns {T}
 */
const pick = (rng, items) => items[Math.floor(rng() * items.length)];

/**
 * @template T
 * @param {Random} rng
 * @param {readonly [T, number][]} weighted
 * @returns {T}
 */
function pickWeighted(rng, weighted) {
  const total = weighted.reduce((sum, [, weight]) => sum + weight, 0);
  let roll = rng() * total;
  for (const [item, weight] of weighted) {
    roll -= weight;
    if (roll < 0) return item;
  }
  return weighted[weighted.length - 1][0];
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const PRINTABLE = `${ALNUM} !"#$%&'()*+,-./:;<=>?@[\\]^_\`{|}~`;
/** Control characters, noncharacters, invisible and lone surrogate code units; never a line break. */
const BINARYISH =
  '\u0000\u0001\u0002\u0007\b\t\u000b\f\u000e\u001b\u001f\u007f\u0080\u009f\u00a0\u00ad\u00ff' +
  '\u0300\u200b\u200e\u2028\u2029\ufeff\ufffd\ufffe\uffff\ud800\udbff\udc00\udfff\u{1f4a9}\u4e2d';

/**
 * @param {Random} rng
 * @param {number} length
 * @param {string} alphabet
 */
function text(rng, length, alphabet) {
  const chars = [...alphabet];
  let out = '';
  for (let i = 0; i < length; i++) out += chars[Math.floor(rng() * chars.length)];
  return out;
}

/**
 * A long string quickly: a random chunk repeated (lengths in code units).
 * @param {Random} rng
 * @param {number} length
 * @param {string} [alphabet]
 */
function bulk(rng, length, alphabet = PRINTABLE) {
  const chunk = text(rng, Math.min(length, int(rng, 257, 1024)), alphabet);
  return chunk.repeat(Math.ceil(length / chunk.length)).slice(0, length);
}

/** Garbage that no SDP parser takes for a description: it never starts with the `v=` line. @param {string} s */
const notSdp = (s) => (s.length === 0 || s.startsWith('v') ? `x${s}` : s);

/** A session id no browser makes (a leading zero), so no description here passes for the far side's own. */
const sessionId = (/** @type {Random} */ rng) => `0${int(rng, 1, 2 ** 31)}${int(rng, 0, 2 ** 31)}`;

/** Ids of m-lines that the receiving connection does not have. */
const missingMid = (/** @type {Random} */ rng) => `nope-${int(rng, 0, 99)}`;
/** M-line indexes beyond the receiving connection's m-lines, below 65536 (the browser takes the index modulo 65536). */
const missingIndex = (/** @type {Random} */ rng) => pick(rng, [500, 999, 4096, 65535, int(rng, 500, 65535)]);

// ---------------------------------------------------------------------------------------------------------------
// Session descriptions and candidates

/**
 * A description that looks real: two BUNDLEd m-lines, audio mid '0' and video mid '1'.
 * @param {Random} rng
 */
function plausibleSdpLines(rng) {
  const lines = [
    'v=0',
    `o=- ${sessionId(rng)} ${int(rng, 0, 9)} IN IP4 127.0.0.1`,
    's=-',
    't=0 0',
    'a=group:BUNDLE 0 1',
    'a=extmap-allow-mixed',
    'a=msid-semantic: WMS',
  ];
  const fingerprint = Array.from({ length: 32 }, () => int(rng, 0, 255).toString(16).padStart(2, '0'))
    .join(':')
    .toUpperCase();
  const ufrag = text(rng, 4, ALNUM);
  const pwd = text(rng, 24, ALNUM);
  for (const [mid, kind, pt, codec] of [
    ['0', 'audio', '111', 'opus/48000/2'],
    ['1', 'video', '96', 'VP8/90000'],
  ]) {
    lines.push(
      `m=${kind} 9 UDP/TLS/RTP/SAVPF ${pt}`,
      'c=IN IP4 0.0.0.0',
      'a=rtcp:9 IN IP4 0.0.0.0',
      `a=ice-ufrag:${ufrag}`,
      `a=ice-pwd:${pwd}`,
      'a=ice-options:trickle',
      `a=fingerprint:sha-256 ${fingerprint}`,
      'a=setup:actpass',
      `a=mid:${mid}`,
      'a=sendrecv',
      'a=rtcp-mux',
      `a=rtpmap:${pt} ${codec}`,
    );
  }
  return lines;
}

/** @param {string[]} lines */
const sdpOf = (lines) => `${lines.join('\r\n')}\r\n`;

/**
 * SDP that no browser parses: it never has a valid `v=` / `o=` start and well-formed m-lines at once.
 * @type {((rng: Random) => string)[]}
 */
const GARBAGE_SDP = [
  // Random text.
  (rng) => notSdp(text(rng, int(rng, 1, 2000), PRINTABLE)),
  // Binary-ish characters.
  (rng) => notSdp(text(rng, int(rng, 1, 500), BINARYISH)),
  // Truncated: the v= line (and perhaps the o= line) is gone.
  (rng) => sdpOf(plausibleSdpLines(rng).slice(int(rng, 1, 2))),
  // Cut off somewhere in the middle of its first lines, and without its start.
  (rng) => {
    const sdp = sdpOf(plausibleSdpLines(rng)).slice(4);
    return notSdp(sdp.slice(0, int(rng, 1, sdp.length)));
  },
  // v=0 and then anything but an o= line.
  (rng) => `v=0\r\n${text(rng, int(rng, 0, 200), ALNUM)}\r\ns=-\r\nt=0 0\r\n`,
  // An o= line without its fields.
  (rng) => {
    const lines = plausibleSdpLines(rng);
    lines[1] = pick(rng, ['o=garbage', 'o=-', 'o=', `o=- ${sessionId(rng)}`]);
    return sdpOf(lines);
  },
  // A mangled m-line: a port that is no number, or too few fields.
  (rng) => {
    const lines = plausibleSdpLines(rng);
    const at = lines.findIndex((line) => line.startsWith('m='));
    lines[at] = pick(rng, [
      'm=audio notaport UDP/TLS/RTP/SAVPF 111',
      'm=audio 9x UDP/TLS/RTP/SAVPF 111',
      'm=audio - UDP/TLS/RTP/SAVPF 111',
      'm=audio',
      'm=audio 9',
    ]);
    return sdpOf(lines);
  },
  // The lines of a description in random order, never starting with v=.
  (rng) => {
    const lines = plausibleSdpLines(rng);
    for (let i = lines.length - 1; i > 0; i--) {
      const j = int(rng, 0, i);
      [lines[i], lines[j]] = [lines[j], lines[i]];
    }
    if (lines[0].startsWith('v=')) lines.push(/** @type {string} */ (lines.shift()));
    return sdpOf(lines);
  },
  // Line breaks gone.
  (rng) => notSdp(plausibleSdpLines(rng).join(' ')),
];

/** @param {Random} rng */
const garbageSdp = (rng) => pick(rng, GARBAGE_SDP)(rng);

/** A candidate that parses, for an m-line the caller must make sure the receiving side does not have. */
function plausibleCandidate(/** @type {Random} */ rng) {
  const type = pick(rng, ['host', 'srflx', 'relay']);
  const related = type === 'host' ? '' : ` raddr 198.18.0.${int(rng, 1, 254)} rport ${int(rng, 1024, 65535)}`;
  return (
    `candidate:${int(rng, 1, 4e9)} 1 udp ${int(rng, 1, 2 ** 31)} 198.18.${int(rng, 0, 255)}.${int(rng, 1, 254)} ` +
    `${int(rng, 1024, 65535)} typ ${type}${related} generation 0`
  );
}

/**
 * Candidate strings that no browser parses. Never empty (the end-of-candidates marker). Those with a ':' only go with
 * m-lines the receiving side lacks: Firefox refuses a candidate without one at once, but hands any other to its ICE
 * stack, which drops what it cannot parse while `addIceCandidate` resolves.
 * @type {((rng: Random) => string)[]}
 */
const GARBAGE_CANDIDATES = [
  () => 'candidate:garbage',
  (rng) => `candidate:${text(rng, int(rng, 1, 60), ALNUM)}`,
  (rng) => notSdp(text(rng, int(rng, 1, 300), PRINTABLE)),
  (rng) => `candidate:${text(rng, int(rng, 1, 100), BINARYISH)}`,
  () => '1234 invalid candidate string',
  () => 'candidate:',
  () => 'a=candidate:',
  // Too few fields.
  (rng) =>
    plausibleCandidate(rng)
      .split(' ')
      .slice(0, int(rng, 1, 6))
      .join(' '),
  // A port, component or priority that is no number, a priority beyond 32 bits.
  (rng) => {
    const fields = plausibleCandidate(rng).split(' ');
    const [at, value] = pick(rng, [
      [5, 'port'],
      [5, '5o00'],
      [1, 'rtp'],
      [3, 'high'],
      [3, '99999999999999999999'],
      [3, '184467440737095516150'],
    ]);
    fields[/** @type {number} */ (at)] = /** @type {string} */ (value);
    return fields.join(' ');
  },
  // No "typ" keyword, an unknown type or transport.
  (rng) => plausibleCandidate(rng).replace(' typ ', pick(rng, [' type ', ' ', ' typ bogus '])),
  (rng) => plausibleCandidate(rng).replace(' udp ', pick(rng, [' sctp ', ' quic ', ' ', ' 17 '])),
];

/** A candidate string no browser parses, perhaps with a ':'. @param {Random} rng */
const garbageCandidate = (rng) => pick(rng, GARBAGE_CANDIDATES)(rng);

/** A candidate string no browser parses or takes, without any ':' (see GARBAGE_CANDIDATES). @param {Random} rng */
function colonFreeGarbageCandidate(rng) {
  const garbage = garbageCandidate(rng).replaceAll(':', pick(rng, [' ', '', '=', ';', '\uff1a']));
  return garbage.trim() === '' ? 'garbage' : garbage;
}

/** Where a candidate for an existing m-line would say it goes. @returns {JsonObject} */
function existingLine(/** @type {Random} */ rng) {
  return pick(
    rng,
    /** @type {JsonObject[]} */ ([
      { sdpMid: '0' },
      { sdpMid: '1' },
      { sdpMLineIndex: 0 },
      { sdpMLineIndex: 1 },
      { sdpMid: '0', sdpMLineIndex: 0 },
      { sdpMid: '1', sdpMLineIndex: 1, usernameFragment: text(rng, 4, ALNUM) },
      { sdpMid: '0', sdpMLineIndex: null, usernameFragment: null },
    ]),
  );
}

/** Where a candidate for an m-line the receiving side does not have says it goes. @returns {JsonObject} */
function missingLine(/** @type {Random} */ rng) {
  return pick(
    rng,
    /** @type {JsonObject[]} */ ([
      { sdpMid: missingMid(rng) },
      { sdpMid: missingMid(rng), sdpMLineIndex: null },
      { sdpMid: missingMid(rng), sdpMLineIndex: missingIndex(rng) },
      { sdpMLineIndex: missingIndex(rng) },
      { sdpMid: null, sdpMLineIndex: missingIndex(rng) },
    ]),
  );
}

/**
 * A candidate object that message.ts lets through and both browsers refuse: garbage for an existing m-line, or
 * anything, garbage or plausible, for a missing one.
 * @returns {JsonObject}
 */
function refusedCandidate(/** @type {Random} */ rng) {
  const roll = rng();
  if (roll < 0.4) return { candidate: colonFreeGarbageCandidate(rng), ...existingLine(rng) };
  if (roll < 0.7) return { candidate: garbageCandidate(rng), ...missingLine(rng) };
  return { candidate: plausibleCandidate(rng), ...missingLine(rng) };
}

/** A description the browser refuses: an offer that does not parse, or an answer while stable. @returns {JsonObject} */
function refusedDescription(/** @type {Random} */ rng) {
  return rng() < 0.65
    ? { type: 'offer', sdp: garbageSdp(rng) }
    : { type: 'answer', sdp: rng() < 0.5 ? sdpOf(plausibleSdpLines(rng)) : garbageSdp(rng) };
}

/** A valid-looking part of a message, for messages that are wrong as a whole. @returns {JsonObject} */
function wellFormedPart(/** @type {Random} */ rng) {
  return pick(
    rng,
    /** @type {(() => JsonObject)[]} */ ([
      () => ({ description: { type: 'offer', sdp: sdpOf(plausibleSdpLines(rng)) } }),
      () => ({ candidate: { candidate: plausibleCandidate(rng), sdpMid: '0', sdpMLineIndex: 0 } }),
      () => ({ offerWanted: { video: int(rng, 1, 16) } }),
    ]),
  )();
}

// ---------------------------------------------------------------------------------------------------------------
// The categories of malformed negotiation messages

/** @type {Record<MessageCategory, ((rng: Random) => Json)[]>} */
const MAKERS = {
  'wrong-type': [
    () => null,
    (rng) => pick(rng, [0, -1, 42, 3.5, 1e308, -1e-308, Number.MAX_SAFE_INTEGER]),
    (rng) => rng() < 0.5,
    (rng) => pick(rng, ['', 'offer', 'candidate', 'offerWanted', text(rng, int(rng, 1, 80), PRINTABLE)]),
    // A message encoded twice.
    (rng) => JSON.stringify(wellFormedPart(rng)),
    () => [],
    (rng) => [wellFormedPart(rng)],
    (rng) => ({ description: pick(rng, [5, 'v=0', null, true, [], [{ type: 'offer', sdp: 'v=0' }]]) }),
    (rng) => ({
      description: { type: pick(rng, [7, null, true, ['offer'], {}]), sdp: pick(rng, [[], 'v=0', 5, null]) },
    }),
    (rng) => ({
      description: { type: pick(rng, ['offer', 'answer']), sdp: pick(rng, [42, null, [], {}, true]) },
    }),
    (rng) => ({
      description: {
        type: pick(rng, ['OFFER', 'Answer', 'offer ', ' answer', 'pr-answer', 'rollback\u0000', '']),
        sdp: sdpOf(plausibleSdpLines(rng)),
      },
    }),
    // Not null: `{ candidate: null }` is the end of candidates, as the specification's example sends it.
    (rng) => ({ candidate: pick(rng, ['x', 42, true, [], plausibleCandidate(rng)]) }),
    (rng) => ({ candidate: { candidate: pick(rng, [42, null, true, [], {}]), sdpMid: '0' } }),
    (rng) => ({ candidate: { candidate: plausibleCandidate(rng), sdpMid: pick(rng, [0, 1, true, [], {}]) } }),
    (rng) => ({
      candidate: {
        candidate: plausibleCandidate(rng),
        ...(rng() < 0.5 ? { sdpMid: '0' } : {}),
        sdpMLineIndex: pick(rng, ['0', -1, 0.5, true, [], {}, -0.5]),
      },
    }),
    (rng) => ({
      candidate: {
        candidate: plausibleCandidate(rng),
        sdpMid: '0',
        usernameFragment: pick(rng, [5, {}, [], true]),
      },
    }),
    (rng) => ({ offerWanted: pick(rng, [[], null, 'video', 2, true, [1, 2], [{ video: 1 }]]) }),
  ],

  'missing-field': [
    () => ({}),
    () => ({ description: {} }),
    (rng) => ({ description: { type: pick(rng, ['offer', 'answer', 'pranswer']) } }),
    (rng) => ({ description: { sdp: rng() < 0.5 ? sdpOf(plausibleSdpLines(rng)) : garbageSdp(rng) } }),
    () => ({ candidate: {} }),
    (rng) => ({ candidate: existingLine(rng) }),
    // No m-line reference at all.
    (rng) => ({ candidate: { candidate: plausibleCandidate(rng) } }),
    (rng) => ({ candidate: { candidate: plausibleCandidate(rng), sdpMid: null, sdpMLineIndex: null } }),
    (rng) => ({ candidate: { candidate: garbageCandidate(rng), usernameFragment: text(rng, 4, ALNUM) } }),
  ],

  'huge-string': [
    (rng) => ({ description: { type: 'offer', sdp: notSdp(bulk(rng, int(rng, 100_000, 2_000_000))) } }),
    (rng) => ({ description: { type: 'answer', sdp: bulk(rng, int(rng, 100_000, 2_000_000)) } }),
    (rng) => ({
      description: { type: 'offer', sdp: notSdp(bulk(rng, int(rng, 100_000, 300_000), BINARYISH)) },
    }),
    (rng) => ({
      candidate: { candidate: `candidate:${bulk(rng, int(rng, 100_000, 200_000))}`, sdpMid: '0' },
    }),
    (rng) => ({ [bulk(rng, int(rng, 1, 64), ALNUM)]: bulk(rng, int(rng, 100_000, 1_000_000)) }),
    (rng) => ({ [bulk(rng, int(rng, 100_000, 200_000), ALNUM)]: 1 }),
    // message.ts does not bound these: the browser refuses the candidate or the description.
    (rng) => ({ candidate: refusedCandidate(rng), padding: bulk(rng, int(rng, 100_000, 1_000_000)) }),
    (rng) => ({
      candidate: {
        candidate: plausibleCandidate(rng),
        sdpMid: `nope-${bulk(rng, int(rng, 100_000, 200_000))}`,
      },
    }),
    (rng) => ({
      candidate: {
        candidate: colonFreeGarbageCandidate(rng),
        ...existingLine(rng),
        usernameFragment: bulk(rng, int(rng, 100_000, 200_000)),
      },
    }),
    (rng) => ({
      description: { ...refusedDescription(rng), [`x-${text(rng, 8, ALNUM)}`]: bulk(rng, 100_000) },
    }),
    (rng) => ({ description: { type: bulk(rng, int(rng, 100_000, 200_000)), sdp: 'v=0' } }),
    (rng) => ({ offerWanted: { [bulk(rng, int(rng, 100_000, 200_000), ALNUM)]: 1 } }),
    (rng) => bulk(rng, int(rng, 100_000, 1_000_000)),
  ],

  'bad-sdp': [(rng) => ({ description: refusedDescription(rng) })],

  'bad-candidate': [(rng) => ({ candidate: refusedCandidate(rng) })],

  'bad-offer-wanted': [
    (rng) => ({
      offerWanted: {
        [pick(rng, ['audio', 'video'])]: pick(rng, [
          0,
          -0,
          -1,
          -16,
          0.5,
          1.5,
          16.000001,
          17,
          1000,
          1e9,
          1e21,
          Number.MAX_SAFE_INTEGER + 2,
          -1e9,
        ]),
      },
    }),
    (rng) => ({
      offerWanted: { [pick(rng, ['audio', 'video'])]: pick(rng, ['1', '', null, true, [1], {}]) },
    }),
    (rng) => ({
      offerWanted: {
        [pick(rng, ['screen', 'data', 'application', 'AUDIO', 'Video', 'audio ', '', 'text', 'constructor'])]:
          1,
      },
    }),
    // One good count next to a bad one.
    (rng) => ({ offerWanted: { audio: int(rng, 1, 16), video: pick(rng, [0, 17, -1, 2.5, '2']) } }),
    (rng) => ({ offerWanted: { video: int(rng, 1, 16), data: 1 } }),
  ],

  'unknown-shape': [
    // Two or three of the fields at once.
    (rng) => {
      const [a, b, c] = [wellFormedPart(rng), wellFormedPart(rng), wellFormedPart(rng)];
      const merged = { ...a, ...b, ...(rng() < 0.3 ? c : {}) };
      return Object.keys(merged).length > 1
        ? merged
        : { description: { type: 'offer', sdp: 'v=0' }, candidate: { candidate: 'x', sdpMid: '0' } };
    },
    // A bare RTCSessionDescriptionInit or RTCIceCandidateInit: the common mistake.
    (rng) => ({ type: pick(rng, ['offer', 'answer']), sdp: sdpOf(plausibleSdpLines(rng)) }),
    (rng) => ({ candidate: plausibleCandidate(rng), sdpMid: '0', sdpMLineIndex: 0, usernameFragment: null }),
    // A relay envelope, or other wrappers.
    (rng) => ({ type: 'signal', to: 'peer-12345678', data: wellFormedPart(rng) }),
    (rng) => ({ [pick(rng, ['data', 'message', 'payload', 'signal', 'msg'])]: wellFormedPart(rng) }),
    // Near misses of the field names.
    (rng) => ({
      [pick(rng, ['Description', 'description ', 'desc', 'sdp', 'offer', 'answer'])]: {
        type: 'offer',
        sdp: sdpOf(plausibleSdpLines(rng)),
      },
    }),
    (rng) => ({
      [pick(rng, ['CANDIDATE', 'ice', 'candidates', 'iceCandidate', 'candidate '])]: {
        candidate: plausibleCandidate(rng),
        sdpMid: '0',
      },
    }),
    (rng) => ({ [pick(rng, ['offer_wanted', 'OfferWanted', 'wanted', 'renegotiate'])]: { video: 1 } }),
    (rng) => ({ [text(rng, int(rng, 1, 16), ALNUM)]: pick(rng, [1, 'x', null, [], {}]) }),
    // Unknown keys beside one field: message.ts ignores them, so the field itself is one the browser refuses.
    (rng) => ({
      ...(rng() < 0.5 ? { description: refusedDescription(rng) } : { candidate: refusedCandidate(rng) }),
      [pick(rng, ['type', 'to', 'from', 'id', 'extra', 'offerwanted'])]: pick(rng, ['signal', 1, null, {}]),
    }),
  ],
};

/** How often each category comes, relative to the others. @type {[MessageCategory, number][]} */
const MESSAGE_WEIGHTS = [
  ['wrong-type', 3],
  ['missing-field', 2],
  ['huge-string', 1],
  ['bad-sdp', 3],
  ['bad-candidate', 3],
  ['bad-offer-wanted', 2],
  ['unknown-shape', 2],
];

/**
 * Yields `count` malformed negotiation messages, the same ones for the same seed. Each `message` is a fresh
 * JSON-serializable value (huge ones reach 2 MB) that is not a negotiation message the kit can apply.
 * @param {number} seed
 * @param {number} count
 * @returns {Generator<MalformedMessage, void, undefined>}
 */
export function* malformedMessages(seed, count) {
  const rng = random(seed);
  for (let i = 0; i < count; i++) {
    const category = pickWeighted(rng, MESSAGE_WEIGHTS);
    yield { category, message: pick(rng, MAKERS[category])(rng) };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Frames for the relay

/** @param {unknown} value */
const json = (value) => JSON.stringify(value);

/**
 * A signal to the peer whose frame has exactly `bytes` bytes (at least about 60): its data is padding.
 * @param {string} peer
 * @param {number} bytes
 */
function paddedSignal(peer, bytes) {
  const empty = json({ type: 'signal', to: peer, data: '' });
  return json({ type: 'signal', to: peer, data: 'x'.repeat(Math.max(0, bytes - utf8Length(empty))) });
}

/** @param {string} s */
function utf8Length(s) {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** @param {string} s */
const bytesOf = (s) => new TextEncoder().encode(s);

/**
 * Random bytes quickly: a random chunk repeated.
 * @param {Random} rng
 * @param {number} length
 */
function randomBytes(rng, length) {
  const chunk = Uint8Array.from({ length: Math.min(length, int(rng, 257, 1024)) }, () => int(rng, 0, 255));
  const bytes = new Uint8Array(length);
  for (let at = 0; at < length; at += chunk.length) bytes.set(chunk.subarray(0, length - at), at);
  return bytes;
}

/**
 * JSON text nested `depth` levels deep, arrays or objects.
 * @param {number} depth
 * @param {boolean} objects
 */
const nested = (depth, objects) =>
  objects
    ? `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`
    : `${'['.repeat(depth)}${']'.repeat(depth)}`;

/**
 * @typedef {object} FrameContext
 * @property {Random} rng
 * @property {string} peer
 * @property {string} self
 * @property {() => Json} garbage A malformed negotiation message, small enough to travel.
 */

/** @type {Record<RelayFrameCategory, ((context: FrameContext) => string | Uint8Array)[]>} */
const FRAME_MAKERS = {
  'not-json': [
    ({ rng }) =>
      pick(rng, [
        '',
        ' ',
        '{',
        '}',
        '{not json',
        '{"type":"signal"',
        "{'type':'signal'}",
        '{"type":"signal",}',
        '[1,]',
        'undefined',
        'NaN',
        'Infinity',
        '01',
        '"unterminated',
        '{"type":"\\x41"}',
        '{"type":"meta","meta":{}}{"type":"meta","meta":{}}',
        '\ufeff{"type":"meta","meta":{}}',
        '{"type":"signal","data":"\u0000"}',
      ]),
    ({ rng }) => notSdp(text(rng, int(rng, 1, 2000), PRINTABLE)),
    ({ rng }) => text(rng, int(rng, 1, 300), BINARYISH),
    // A good frame cut short, or followed by garbage.
    ({ rng, peer }) => {
      const frame = json({ type: 'signal', to: peer, data: { candidate: { candidate: 'x', sdpMid: '0' } } });
      return rng() < 0.5
        ? frame.slice(0, int(rng, 1, frame.length - 1))
        : `${frame}${pick(rng, ['x', ',', '}'])}`;
    },
    // Deep, but never closed.
    ({ rng }) => '['.repeat(int(rng, 1, 30_000)),
  ],

  'not-object': [
    ({ rng }) =>
      pick(rng, [
        'null',
        'true',
        'false',
        '0',
        '-1.5e300',
        '1e999',
        '""',
        '"signal"',
        '[]',
        '[null]',
        '[[]]',
      ]),
    ({ rng, peer }) =>
      json([{ type: 'signal', to: peer, data: 1 }, { type: 'leave' }].slice(0, int(rng, 1, 2))),
    ({ rng }) => json(text(rng, int(rng, 0, 500), PRINTABLE)),
  ],

  'unknown-type': [
    ({ rng }) =>
      json({
        type: pick(rng, [
          'dance',
          'SIGNAL',
          'signal ',
          'Meta',
          'welcome',
          'joined',
          'error',
          'ping',
          '',
          '__proto__',
          'constructor',
          'toString',
          'hasOwnProperty',
        ]),
      }),
    ({ rng }) => json({ type: pick(rng, [null, 5, true, ['signal'], {}, [], 1e308]) }),
    ({ peer, garbage }) => json({ to: peer, data: garbage() }),
    ({ rng }) => json({ type: text(rng, int(rng, 33, 2000), PRINTABLE) }),
    // Objects that cannot be turned into a string.
    ({ rng }) =>
      json({
        type: pick(
          rng,
          /** @type {Json[]} */ ([
            { toString: 1 },
            { toString: 1, valueOf: 1 },
            { toString: {}, valueOf: [] },
            [{ toString: 1 }],
            ['signal', { valueOf: 1, toString: null }],
          ]),
        ),
      }),
    // Near misses of 'leave', which would end the connection.
    ({ rng }) => json({ type: pick(rng, ['Leave', 'LEAVE', 'leave ', 'leave\u0000', 'bye', 'close']) }),
  ],

  'bad-signal': [
    ({ garbage }) => json({ type: 'signal', data: garbage() }),
    ({ rng }) => json({ type: 'signal', to: pick(rng, [null, 5, true, [], {}, 1e308]), data: 'x' }),
    ({ rng, peer }) => json({ type: 'signal', to: pick(rng, [[peer], { id: peer }]), data: 'x' }),
    ({ rng, peer, self, garbage }) =>
      json({
        type: 'signal',
        to: pick(rng, [
          '',
          ' ',
          self,
          `${peer} `,
          ` ${peer}`,
          peer.toUpperCase() === peer ? `${peer}x` : peer.toUpperCase(),
          'nobody-in-this-room',
          '__proto__',
          'constructor',
          'hasOwnProperty',
          text(rng, int(rng, 65, 1000), ALNUM),
          text(rng, int(rng, 1, 64), BINARYISH),
        ]),
        data: garbage(),
      }),
  ],

  'forwarded-garbage': [
    ({ peer, garbage }) => json({ type: 'signal', to: peer, data: garbage() }),
    // No data at all; a forged sender, which the relay must replace with the real one.
    ({ peer }) => json({ type: 'signal', to: peer }),
    ({ rng, peer, garbage }) =>
      json({ type: 'signal', to: peer, from: pick(rng, ['spoofed-peer-id', peer, '']), data: garbage() }),
    ({ rng, peer }) => json({ type: 'signal', to: peer, data: pick(rng, [null, 0, '', [], {}, 'x', false]) }),
  ],

  'bad-meta': [
    ({ rng }) =>
      json({ type: 'meta', meta: pick(rng, [null, 5, 'Front desk', true, [], [{ name: 'x' }], '']) }),
    () => json({ type: 'meta' }),
    ({ rng }) => json({ type: 'meta', name: text(rng, int(rng, 1, 30), ALNUM) }),
  ],

  'near-limit': [
    ({ rng, peer }) => paddedSignal(peer, MAX_RELAY_MESSAGE_BYTES - int(rng, 0, 64)),
    ({ rng }) => notSdp(bulk(rng, MAX_RELAY_MESSAGE_BYTES - int(rng, 0, 64), ALNUM)),
    ({ rng }) => {
      const empty = json({ type: 'dance', pad: '' });
      return json({
        type: 'dance',
        pad: 'x'.repeat(MAX_RELAY_MESSAGE_BYTES - int(rng, 0, 64) - empty.length),
      });
    },
    ({ rng }) => paddedSignal('nobody-in-this-room', MAX_RELAY_MESSAGE_BYTES - int(rng, 0, 64)),
    ({ rng }) => randomBytes(rng, MAX_RELAY_MESSAGE_BYTES - int(rng, 0, 64)),
  ],

  oversize: [
    ({ rng, peer }) =>
      paddedSignal(
        peer,
        pick(rng, [
          MAX_RELAY_MESSAGE_BYTES + 1,
          int(rng, MAX_RELAY_MESSAGE_BYTES + 2, 4 * MAX_RELAY_MESSAGE_BYTES),
        ]),
      ),
    ({ rng }) => bulk(rng, int(rng, MAX_RELAY_MESSAGE_BYTES + 1, 3 * MAX_RELAY_MESSAGE_BYTES), ALNUM),
    ({ rng }) => randomBytes(rng, int(rng, MAX_RELAY_MESSAGE_BYTES + 1, 2 * MAX_RELAY_MESSAGE_BYTES)),
  ],

  binary: [
    ({ rng }) => randomBytes(rng, int(rng, 0, 512)),
    ({ peer, garbage }) => bytesOf(json({ type: 'signal', to: peer, data: garbage() })),
    () => new Uint8Array(0),
  ],

  'bad-utf8': [
    ({ rng }) =>
      Uint8Array.from(
        pick(rng, [
          [0xff],
          [0xc3, 0x28],
          [0xe2, 0x28, 0xa1],
          [0xed, 0xa0, 0x80],
          [0xf8, 0x88, 0x80, 0x80, 0x80],
          [0xc0, 0xaf],
          [0x7b, 0x22, 0xfe, 0x22, 0x7d],
        ]),
      ),
    ({ rng, peer }) => {
      const head = bytesOf(`{"type":"signal","to":${json(peer)},"data":"`);
      return Uint8Array.from([...head, ...randomBytes(rng, int(rng, 0, 20)), 0xff, 0xfe, 0x22, 0x7d]);
    },
  ],

  'deep-nesting': [
    ({ rng }) => nested(int(rng, 1, 30_000), false),
    ({ rng, peer }) => {
      const deep = rng() < 0.5 ? nested(int(rng, 2, 30_000), false) : nested(int(rng, 2, 10_000), true);
      return `{"type":"signal","to":${json(peer)},"data":${deep}}`;
    },
    // Always deeper than any sensible limit: shallower metadata would be good metadata.
    ({ rng }) => `{"type":"meta","meta":{"a":${nested(int(rng, 100, 10_000), rng() < 0.5)}}}`,
    ({ rng }) => `{"type":${nested(int(rng, 1, 30_000), false)}}`,
    ({ rng }) => `{"type":"signal","to":${nested(int(rng, 1, 30_000), false)},"data":1}`,
    // Deep, but only a little: within any sensible limit.
    ({ rng, peer }) => `{"type":"signal","to":${json(peer)},"data":${nested(int(rng, 1, 30), rng() < 0.5)}}`,
  ],
};

/** How often each category of frame comes, relative to the others. @type {[RelayFrameCategory, number][]} */
const FRAME_WEIGHTS = [
  ['not-json', 4],
  ['not-object', 2],
  ['unknown-type', 4],
  ['bad-signal', 4],
  ['forwarded-garbage', 6],
  ['bad-meta', 2],
  ['near-limit', 2],
  ['oversize', 0.5],
  ['binary', 2],
  ['bad-utf8', 0.5],
  ['deep-nesting', 2],
];

/**
 * Yields `count` raw frames for the relay, the same ones for the same seed: strings are text frames, bytes are binary
 * frames unless `text` is set. Frames name a peer of the room and the sending client by `ids` (by default the
 * placeholders {@link PEER} and {@link SELF}, as JSON strings, for the caller to replace). Forwarded negotiation
 * messages come from {@link malformedMessages}, those that fit in a frame.
 * @param {number} seed
 * @param {number} count
 * @param {RelayIds} [ids]
 * @returns {Generator<MalformedRelayFrame, void, undefined>}
 */
export function* malformedRelayFrames(seed, count, ids = {}) {
  const rng = random(seed);
  const messages = malformedMessages((seed ^ 0x9e3779b9) >>> 0, Infinity);
  /** @type {FrameContext} */
  const context = {
    rng,
    peer: ids.peer ?? PEER,
    self: ids.self ?? SELF,
    garbage() {
      for (;;) {
        const { message } = /** @type {IteratorYieldResult<MalformedMessage>} */ (messages.next()).value;
        if (json(message).length < MAX_RELAY_MESSAGE_BYTES / 2) return message;
      }
    },
  };
  for (let i = 0; i < count; i++) {
    const category = pickWeighted(rng, FRAME_WEIGHTS);
    const frame = pick(rng, FRAME_MAKERS[category])(context);
    yield category === 'bad-utf8' ? { category, frame, text: true } : { category, frame };
  }
}
