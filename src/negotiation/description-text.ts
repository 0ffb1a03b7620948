/**
 * What the negotiator reads in the text of a session description: which connection and version made it (its `o=`
 * line), whether two describe the same negotiation, and the attributes that tell connections apart.
 */

/** An m-line as RFC 8866 writes it: media, port (and count), protocol, formats. */
const M_LINE = /^m=[a-z]+\s+\d+(\/\d+)?\s+[\w/.]+(\s+\S+)+\s*$/i;

/** The first m-line of a description that breaks the SDP grammar, if any. */
export function malformedMLine(sdp: string): string | undefined {
  return sdp.match(/^m=.*/gm)?.find((line) => !M_LINE.test(line));
}

/**
 * Whether two descriptions have a value of an attribute (`a=<attribute>:…`) in common, on any m-line. Compared in one
 * case and spacing: the browser rewrites the far side's description (Chromium and Firefox write fingerprints in upper
 * case), and the other is the far side's own text.
 */
export function shares(sdp: string, other: string, attribute: string): boolean {
  const values = (text: string) =>
    (text.match(new RegExp(`^a=${attribute}:[^\r\n]*`, 'gm')) ?? []).map((value) =>
      value.trim().replace(/\s+/g, ' ').toLowerCase(),
    );
  const known = new Set(values(other));
  return values(sdp).some((value) => known.has(value));
}

export interface Origin {
  session: string;
  version: bigint;
  /** The whole description, which tells two descriptions with one `o=` line apart (see repeatedDescription). */
  sdp: string;
}

/**
 * Whether two descriptions negotiate the same: equal but for what ICE gathering adds to a description (its candidates,
 * and the address and port of one of them as the default), which a description sent again has gained since it was
 * first sent.
 */
export function sameNegotiation(a: string, b: string): boolean {
  // A port of 0 stays: it rejects an m-line, before and after gathering.
  const negotiated = (sdp: string) =>
    sdp
      .split(/\r?\n/)
      .filter((line) => !/^(a=candidate:|a=end-of-candidates|c=|a=rtcp:)/.test(line))
      .map((line) => line.replace(/^(m=\S+) [1-9]\d*/, '$1'))
      .join('\n');
  return a === b || negotiated(a) === negotiated(b);
}

/** The session id and version of a description's `o=` line. */
export function origin(sdp = ''): Origin | undefined {
  const match = /^o=\S* (\d+) (\d+) /m.exec(sdp);
  return match ? { session: match[1], version: BigInt(match[2]), sdp } : undefined;
}
