/** One camera or microphone request, waiting for the end of the turn (see userMediaTrack). */
interface Request {
  kind: 'audio' | 'video';
  wanted: MediaTrackConstraints | true;
  signal: AbortSignal;
  resolve(track: MediaStreamTrack | undefined): void;
  reject(error: unknown): void;
}

/** The requests made in this turn, captured at its end. */
const waiting: Request[] = [];

/**
 * A camera or microphone track, from getUserMedia. A camera and a microphone asked for in the same turn (the
 * `<local-track>`s of one piece of markup, which update in one microtask checkpoint) share one call: a person gets
 * one permission prompt rather than two, and browsers answer capture requests one after another (in Chromium a
 * camera and then a microphone took 17 ms, both at once 15 ms).
 */
export function userMediaTrack(
  media: MediaDevices,
  kind: 'audio' | 'video',
  wanted: MediaTrackConstraints | true,
  signal: AbortSignal,
): Promise<MediaStreamTrack | undefined> {
  return new Promise((resolve, reject) => {
    if (!waiting.length) queueMicrotask(() => captureTurn(media, waiting.splice(0)));
    waiting.push({ kind, wanted, signal, resolve, reject });
  });
}

/** Pairs a camera with a microphone where it can; what is left over asks alone. */
function captureTurn(media: MediaDevices, requests: Request[]): void {
  for (let first = requests.shift(); first; first = requests.shift()) {
    const pair = requests.findIndex(({ kind }) => kind !== first.kind);
    capture(media, pair < 0 ? [first] : [first, ...requests.splice(pair, 1)]);
  }
}

/**
 * Captures `requests` (at most one of each kind) in one call. When a shared call fails, each that can asks again
 * alone (see askAlone), so that a camera the browser cannot give does not cost the microphone its track.
 */
function capture(media: MediaDevices, requests: Request[]): void {
  const constraints = Object.fromEntries(requests.map(({ kind, wanted }) => [kind, wanted]));
  // A throw (a page that replaced getUserMedia) becomes a rejection, so that no request is left waiting.
  new Promise<MediaStream>((resolve) => resolve(media.getUserMedia(constraints)))
    .then((stream) => {
      for (const [request, track] of handOut(stream, requests)) {
        // Chromium leaves out a camera that a permissions policy refuses; alone, it says why (unless given up on).
        if (track || requests.length === 1 || request.signal.aborted) request.resolve(track);
        else capture(media, [request]);
      }
    })
    .catch(async (error: unknown) => {
      const alone = requests.length > 1 ? await askAlone(error, requests) : [false];
      requests.forEach((request, i) => {
        if (alone[i] && !request.signal.aborted) capture(media, [request]);
        else request.reject(error);
      });
    });
}

/** The stream's track for each request, by kind; a track that nobody asked for is stopped. */
function handOut(
  stream: MediaStream,
  requests: Request[],
): (readonly [Request, MediaStreamTrack | undefined])[] {
  const tracks = stream.getTracks();
  const given = requests.map(
    (request) => [request, tracks.find(({ kind }) => kind === request.kind)] as const,
  );
  for (const track of tracks) if (!given.some(([, taken]) => taken === track)) track.stop();
  return given;
}

/**
 * Which requests of a failed shared call ask again alone. After a refusal, only one whose kind is not refused while
 * the other's is (a site setting, or a permissions policy such as an iframe's `allow="microphone"`): a person who
 * refused the prompt refused both, and asking again would prompt again. After any other failure, all.
 */
async function askAlone(error: unknown, requests: Request[]): Promise<boolean[]> {
  if (!(error instanceof DOMException && error.name === 'NotAllowedError')) return requests.map(() => true);
  const states = await Promise.all(requests.map(({ kind }) => permission(kind)));
  return states.map(
    (state, i) => state !== 'denied' && states.some((other, j) => j !== i && other === 'denied'),
  );
}

/** The permission state of a kind, or undefined where the browser cannot tell. */
function permission(kind: 'audio' | 'video'): Promise<PermissionState | undefined> {
  const name = (kind === 'audio' ? 'microphone' : 'camera') as PermissionName;
  return Promise.resolve()
    .then(() => navigator.permissions.query({ name }))
    .then(
      ({ state }) => state,
      () => undefined,
    );
}
