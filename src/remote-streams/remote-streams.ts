import { html, LitElement, type PropertyDeclarations } from 'lit';
import { live } from 'lit/directives/live.js';
import { repeat } from 'lit/directives/repeat.js';
import { html as staticHtml, unsafeStatic } from 'lit/static-html.js';
import { CallErrorEvent } from '../events.js';
import { RemoteStream } from '../remote-stream/remote-stream.js';
import type { ConnectionHost } from '../shared/connection-context.js';
import { ConnectionLink } from '../shared/connection-link.js';
import { DisconnectGrace } from '../shared/disconnect-grace.js';
import { styles } from './remote-streams.styles.js';

/**
 * One tile per remote stream of a `<call-room>` or `<peer-connection>` (the one around it, or the one named by
 * `for`): a `<remote-stream>` with the peer's display name. Tiles come and go with the streams. To render tiles of
 * its own, a page listens to `streamadded` and `streamremoved` on the room instead. A page that registers the kit's
 * classes under names of its own gets tiles of the name it gave `RemoteStream` (`remote-stream` while it has none).
 *
 * @tagname remote-streams
 * @summary A grid of tiles, one per remote stream.
 *
 * @slot empty - Shown while there is no remote stream.
 *
 * @fires {CallErrorEvent} error - A tile's playback failed for another reason than autoplay (`operation` is `play`),
 *   or its audio could not be put on the output `sink-id` names (`operation` is `sink`; told once, until `sink-id` is
 *   set again: every tile, a tile that comes later too, stays on or is put on the output set before, or the default
 *   if that one cannot be used either). Does not bubble.
 *
 * @csspart tile - The `<figure>` around one stream.
 * @csspart stream - The `<remote-stream>` of a tile.
 * @csspart name - The peer's display name on a tile.
 * @csspart video - A tile's `<video>`: its `<remote-stream>`'s own part, passed on under the same name (as are the
 *   two below), so that `remote-streams::part(video)` styles every tile's.
 * @csspart audio - A tile's `<audio>`, for a stream without video.
 * @csspart play-button - A tile's play button, shown when the browser refused to autoplay.
 *
 * @cssprop [--remote-streams-tile-min-width=16rem] - The narrowest a tile gets before the grid wraps.
 * @cssprop [--remote-streams-gap=0.5rem] - Space between tiles.
 * @cssprop [--remote-streams-name-font=0.875rem system-ui, sans-serif] - Font of the name.
 * @cssprop [--remote-streams-name-color=#fff] - Color of the name.
 * @cssprop [--remote-streams-name-background=rgb(0 0 0 / 0.6)] - Background of the name.
 */
export class RemoteStreams extends LitElement {
  static override styles = styles;

  // A getter, not a static field: lit-analyzer reads attributes only from this form, so markup in stories and tests is
  // checked against them.
  static override get properties(): PropertyDeclarations {
    return {
      muted: { type: Boolean, reflect: true },
      sinkId: { attribute: 'sink-id', noAccessor: true },
      htmlFor: { attribute: 'for', reflect: true },
    };
  }

  /** Silences every tile. */
  muted = false;

  /**
   * The audio output every tile plays on (see `RemoteStream.sinkId`); `''`, `null` or `undefined`: the browser's
   * default. One that cannot be used is told once, and the tiles play on the output set before; set again, even to the
   * same value, each tile tries it again.
   */
  get sinkId(): string {
    return this.sink;
  }
  set sinkId(sinkId: string | null | undefined) {
    // The same output again (tried again) keeps the one to fall back to.
    if ((sinkId ?? '') !== this.tileSink) this.sinkBefore = this.tileSink;
    this.sink = sinkId ?? '';
    this.sinkFailed = false;
    // Given to the tiles here, even as they have it (they try it again); their binding below sets only a value that
    // differs from theirs, so they are not given it twice.
    for (const tile of this.renderRoot?.querySelectorAll<RemoteStream>('[part~="stream"]') ?? [])
      tile.sinkId = this.sink;
    this.requestUpdate();
  }

  private sink = '';
  /** The output set before `sink`, which the tiles stay on (or go to) if `sink` cannot be used. */
  private sinkBefore = '';
  /** A tile told that `sink` cannot be used. */
  private sinkFailed = false;

  /** The output a tile is given: `sink`, or once a tile told it cannot be used, the one the tiles stayed on. */
  private get tileSink(): string {
    return this.sinkFailed ? this.sinkBefore : this.sink;
  }

  /** The id of the `<call-room>` or `<peer-connection>` to show, when the element is not inside it. */
  htmlFor: string | null = null;

  private stopObserving?: () => void;
  private readonly link = new ConnectionLink(this, (next) => this.observe(next));

  constructor() {
    super();
    new DisconnectGrace(this, () => this.link.release());
  }

  /** The streams shown, one tile each, in arrival order. */
  get streams(): readonly MediaStream[] {
    return this.link.current?.streams() ?? [];
  }

  private observe(host: ConnectionHost | undefined): void {
    this.stopObserving?.();
    this.stopObserving = host?.observeStreams(() => this.requestUpdate());
    this.requestUpdate();
  }

  /** A tile's error, told on this element: the tiles are in its shadow root, and their errors do not bubble. */
  private readonly tileError = (event: CallErrorEvent): void => {
    const { error, operation } = event;
    const tile = event.target as RemoteStream;
    // A tile gone (its stream removed) has nothing more to tell.
    if (!tile.isConnected) return;
    if (operation === 'sink' && tile.sinkId === this.sink) {
      // `sink` cannot be used: told once, by the first tile that tried it. The tiles stay on the output set before, and
      // the binding gives it to every tile, a tile that comes later too, so that none tries `sink` or tells it again
      // (a tile still trying it drops its own answer then; the check below is for two answers before that render).
      if (this.sinkFailed) return;
      this.sinkFailed = true;
      this.requestUpdate();
    } else if (operation === 'sink' && this.sinkFailed && tile.sinkId === this.sinkBefore) {
      // That one cannot be used either (gone since, or never tried): the default, as a <remote-stream> falls back to.
      this.sinkBefore = '';
      this.requestUpdate();
      return;
    }
    this.dispatchEvent(new CallErrorEvent(error, operation));
  };

  override render() {
    const host = this.link.current;
    const streams = this.streams;
    // getName came in Chromium 117, Firefox 116 and Safari 17; before, the standard name.
    const tile = unsafeStatic(customElements.getName?.(RemoteStream) ?? 'remote-stream');
    return html`${repeat(
        streams,
        (stream) => stream.id,
        (stream) => {
          const name = host?.peerOf(stream)?.meta.name;
          return staticHtml`<figure part="tile" data-stream-id=${stream.id}>
            <${tile}
              part="stream"
              exportparts="video, audio, play-button"
              .stream=${stream}
              ?muted=${this.muted}
              .sinkId=${live(this.tileSink)}
              @error=${this.tileError}
            ></${tile}>
            <figcaption part="name">${typeof name === 'string' ? name : ''}</figcaption>
          </figure>`;
        },
      )} <slot name="empty" ?hidden=${streams.length > 0}></slot>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'remote-streams': RemoteStreams;
  }
}
