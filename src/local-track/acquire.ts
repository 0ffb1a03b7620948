/** What a `<local-track>` can capture. */
export type LocalTrackKind = 'audio' | 'video' | 'screen';

export const LOCAL_TRACK_KINDS: readonly LocalTrackKind[] = ['audio', 'video', 'screen'];

/** A `kind` attribute that names nothing the element can capture. */
export class TrackKindError extends TypeError {
  // A getter on the prototype rather than a field: the class needs no constructor.
  override get name(): 'TrackKindError' {
    return 'TrackKindError';
  }
}

/** Checks a `kind` attribute; throws a {@link TrackKindError} that says what is allowed. */
export function parseKind(kind: string): LocalTrackKind {
  if ((LOCAL_TRACK_KINDS as readonly string[]).includes(kind)) return kind as LocalTrackKind;
  throw new TrackKindError(
    `kind="${kind}" is not one of ${LOCAL_TRACK_KINDS.map((k) => `"${k}"`).join(', ')}`,
  );
}

/** The constraints for one track of `kind`, honouring an exact `device` (deviceId) when one is named. */
export function trackConstraints(
  constraints: MediaTrackConstraints | undefined,
  device: string | null,
): MediaTrackConstraints | true {
  if (!device) return constraints ?? true;
  return { ...constraints, deviceId: { exact: device } };
}

/**
 * Captures one track: camera or microphone through getUserMedia, a screen through getDisplayMedia. When `signal`
 * aborts before the browser answers, the track that arrives anyway is stopped and an AbortError thrown, so an
 * element that went away never leaves a camera on.
 */
export async function acquireTrack(
  kind: LocalTrackKind,
  constraints: MediaTrackConstraints | undefined,
  device: string | null,
  signal: AbortSignal,
): Promise<MediaStreamTrack> {
  const media = navigator.mediaDevices;
  if (!media) {
    throw new DOMException('Media capture needs a secure context (https or localhost).', 'NotSupportedError');
  }
  const wanted = trackConstraints(constraints, device);
  const track =
    kind === 'screen'
      ? await displayTrack(media, wanted)
      : await new Promise<MediaStreamTrack | undefined>((resolve, reject) => {
          if (!waiting.length) queueMicrotask(() => captureTogether(media, waiting.splice(0)));
          waiting.push({ kind, wanted, resolve, reject });
        });
  if (signal.aborted) {
    track?.stop();
    throw signal.reason instanceof Error ? signal.reason : new DOMException('Aborted', 'AbortError');
  }
  if (!track) throw new DOMException(`The browser gave no ${kind} track.`, 'NotFoundError');
  return track;
}

async function displayTrack(media: MediaDevices, video: MediaTrackConstraints | true) {
  const stream = await media.getDisplayMedia({ video, audio: false });
  const [track, ...others] = stream.getTracks();
  for (const other of others) other.stop();
  return track;
}

interface UserMediaRequest {
  kind: 'audio' | 'video';
  wanted: MediaTrackConstraints | true;
  resolve(track: MediaStreamTrack | undefined): void;
  reject(error: unknown): void;
}

/** Camera and microphone requests made in this turn, captured together at its end (see captureTogether). */
const waiting: UserMediaRequest[] = [];

/**
 * A camera and a microphone asked for in the same turn (the `<local-track>`s of one piece of markup, which update in
 * one microtask checkpoint) share one getUserMedia call: a person gets one permission prompt rather than two, and
 * browsers answer capture requests one after another (in Chromium a camera and then a microphone took 17 ms, both at
 * once 15 ms). If the shared call fails for another reason than a refusal, each asks again alone, so that a missing
 * microphone does not cost the camera its track. A refusal answers both: asking again would prompt again.
 */
function captureTogether(media: MediaDevices, requests: UserMediaRequest[]): void {
  // A throw (a page that replaced getUserMedia) becomes a rejection, so no request is left waiting.
  const ask = (constraints: MediaStreamConstraints) =>
    new Promise<MediaStream>((resolve) => resolve(media.getUserMedia(constraints)));
  const alone = ({ kind, wanted, resolve, reject }: UserMediaRequest): void => {
    ask({ [kind]: wanted }).then((stream) => resolve(trackOf(stream, kind)), reject);
  };
  for (let first = requests.shift(); first; first = requests.shift()) {
    const pair = requests.findIndex(({ kind }) => kind !== first.kind);
    if (pair < 0) {
      alone(first);
      continue;
    }
    const [second] = requests.splice(pair, 1);
    ask({ [first.kind]: first.wanted, [second.kind]: second.wanted }).then(
      (stream) => {
        for (const { kind, resolve } of [first, second]) resolve(trackOf(stream, kind));
      },
      (error: unknown) => {
        const refused = error instanceof DOMException && error.name === 'NotAllowedError';
        for (const request of [first, second]) {
          if (refused) request.reject(error);
          else alone(request);
        }
      },
    );
  }
}

const trackOf = (stream: MediaStream, kind: string): MediaStreamTrack | undefined =>
  stream.getTracks().find((track) => track.kind === kind);
