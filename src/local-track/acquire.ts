import { userMediaTrack } from './user-media.js';

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
  // Given up on before it asked (while waiting its turn): no capture at all.
  signal.throwIfAborted();
  const media = navigator.mediaDevices;
  if (!media) {
    throw new DOMException('Media capture needs a secure context (https or localhost).', 'NotSupportedError');
  }
  // A screen has no device to choose, and getDisplayMedia refuses an exact deviceId (TypeError): `device` is ignored.
  const track =
    kind === 'screen'
      ? await displayTrack(media, constraints ?? true)
      : await userMediaTrack(media, kind, trackConstraints(constraints, device), signal);
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
