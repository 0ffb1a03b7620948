/**
 * The local streams of one connection, by name: every track sent with `stream="cam"` joins the same
 * `MediaStream`, so the far side receives them together, in one stream with that stream's id. A name keeps
 * its stream (and id) for the connection's life, so a track that comes back rejoins the same remote stream.
 */
export class LocalStreams {
  readonly #byName = new Map<string, MediaStream>();

  /** The streams for these names, created on first use. */
  streams(names: readonly string[]): MediaStream[] {
    return names.map((name) => {
      let stream = this.#byName.get(name);
      if (!stream) this.#byName.set(name, (stream = new MediaStream()));
      return stream;
    });
  }

  /** Puts the track in exactly the named streams, taking it out of the others. */
  place(track: MediaStreamTrack, names: readonly string[]): MediaStream[] {
    const target = this.streams(names);
    for (const stream of this.#byName.values()) {
      if (!target.includes(stream)) stream.removeTrack(track);
    }
    for (const stream of target) stream.addTrack(track);
    return target;
  }

  /** Takes the track out of every stream. */
  remove(track: MediaStreamTrack): void {
    for (const stream of this.#byName.values()) stream.removeTrack(track);
  }
}

/** Parses a `stream` attribute: space-separated names, duplicates dropped, order kept. */
export function parseStreamNames(value: string | null | undefined): string[] {
  return [...new Set((value ?? '').split(/\s+/).filter(Boolean))];
}
