import { html, LitElement, type PropertyDeclarations, type PropertyValues, nothing } from 'lit';
import { live } from 'lit/directives/live.js';
import { CallErrorEvent } from '../events.js';
import { styles } from './remote-stream.styles.js';
import type { ConnectionHost } from '../shared/connection-context.js';
import { ConnectionLink } from '../shared/connection-link.js';
import { DisconnectGrace } from '../shared/disconnect-grace.js';
import { addState, deleteState, hasState } from '../shared/custom-states.js';

/**
 * Plays one remote stream of a `<peer-connection>` (the one around it, or the one named by `for`): the stream whose
 * id is `stream-id`, else the `index`-th in arrival order, or the one set through the `stream` property. It follows
 * the stream as its tracks come and go, mute and unmute, and end.
 *
 * @tagname remote-stream
 * @summary Plays a remote stream of a `<peer-connection>`.
 *
 * @slot placeholder - Shown while there is no live video: no stream, audio only, the video track muted (as when the
 *   far side removes its video) or ended, and until a new video track has presented its first frame. A far side's
 *   `<local-track muted>` camera does not show it: that track is disabled, not removed, and sends black frames, which
 *   play (state `playing`).
 * @slot play-label - The play button's label, "Play" by default: to translate it, or to say whose stream it plays.
 *
 * @csspart video - The `<video>` that plays a stream with video (always there and laid out; invisible while it has
 *   nothing to show).
 * @csspart audio - The `<audio>` that plays a stream without video.
 * @csspart play-button - Starts playback when the browser refused to autoplay.
 *
 * @fires {CallErrorEvent} error - Playback failed for another reason than autoplay (`operation` is `play`), the
 *   audio output `sink-id` names cannot be used (`operation` is `sink`; playback stays on the output it had), or
 *   `index` is not a whole number from 0 (`operation` is `attribute`; the first stream plays). Does not bubble.
 *
 * @cssstate waiting - No live video to show (the placeholder is visible).
 * @cssstate playing - Live video is showing (a new video track: from its first presented frame).
 * @cssstate blocked - The browser refused to autoplay; the play button is visible. Any click or key press on the
 *   page (another tile's play button too) tries again.
 *
 * @cssprop [--remote-stream-width=auto] - Width of the element.
 * @cssprop [--remote-stream-aspect-ratio=16 / 9] - Aspect ratio of the element. `auto`: its video's; while it shows no
 *   video, the shape its video last had, or an empty `<video>`'s (150 px high in Chromium, 2:1 in Firefox).
 * @cssprop [--remote-stream-background=#111] - Background behind the video and placeholder.
 * @cssprop [--remote-stream-radius=0] - Corner radius.
 * @cssprop [--remote-stream-object-fit=contain] - How the video fills the element.
 */
export class RemoteStream extends LitElement {
  static override styles = styles;

  // A getter, not a static field: lit-analyzer reads attributes only from this form, so markup in stories and tests is
  // checked against them.
  static override get properties(): PropertyDeclarations {
    return {
      streamId: { attribute: 'stream-id' },
      // A removed attribute means the default, not null: `streams[null]` would play nothing.
      index: { converter: (value: string | null) => (value === null ? 0 : Number(value)) },
      muted: { type: Boolean, reflect: true },
      sinkId: { attribute: 'sink-id', noAccessor: true },
      htmlFor: { attribute: 'for', reflect: true },
      stream: { attribute: false },
    };
  }

  /** The id of the remote stream to play (the sender's stream id). */
  streamId: string | null = null;

  /**
   * Which remote stream to play, in arrival order (from 0), when `stream-id` is not set. `null` or `undefined` (a
   * framework's unset value) means unset: 0.
   */
  get index(): number {
    return this.#index;
  }
  set index(index: number | null | undefined) {
    const value = index ?? 0;
    // Checked at the next render, which may come only once the element is back in the document (see shouldUpdate).
    if (!Object.is(value, this.#index)) this.#checkIndex = true;
    this.#index = value;
    // An attribute's text is kept after this (see attributeChangedCallback); a value set as the property has none.
    this.#indexText = undefined;
  }

  /** Silences playback. */
  muted = false;

  /**
   * The audio output to play on: the `deviceId` of an `audiooutput` that `navigator.mediaDevices.enumerateDevices()`
   * lists. `''`, `null` or `undefined`: the browser's default. Set again after it failed, even to the same value (the
   * device plugged in again), it is tried again. A stream with no sound is put on it once an audio track comes.
   */
  get sinkId(): string {
    return this.#sinkId;
  }
  set sinkId(sinkId: string | null | undefined) {
    this.#sinkId = sinkId ?? '';
    // Here, not in willUpdate: the same value again is no change to Lit, and a change made while out of the document
    // would be dropped with its update (see shouldUpdate).
    this.#sinkFailed = undefined;
    this.requestUpdate();
  }

  /** The id of the `<peer-connection>` to play from, when the element is not inside it. */
  htmlFor: string | null = null;

  /**
   * The stream to play; set it to play any stream, or read it to see which one is playing. A stream of the page's own
   * changed with `addTrack()` or `removeTrack()`, which fire no event, is followed once the page fires on it the
   * `addtrack` or `removetrack` (`MediaStreamTrackEvent`) the browser fires for a remote stream's changes.
   */
  get stream(): MediaStream | null {
    return this.#pageStream ?? this.#chosenStream();
  }
  set stream(stream: MediaStream | null) {
    // A new stream renders at once (see changed).
    if (stream !== this.#pageStream) this.#renderSoon = true;
    this.#pageStream = stream;
  }

  /** The browser refused to start playback without a user gesture. */
  #blocked = false;

  #index = 0;
  /** The `index` attribute's text, while the value came from it: a bad one's error quotes it, as NaN says less. */
  #indexText?: string;
  /** Whether `index` changed since the last render, so that a bad one is told once. */
  #checkIndex = false;
  /** The playback that failed for another reason than autoplay: not tried, nor told, again until its source changes. */
  #failed?: Playback;
  #sinkId = '';
  /** The audio output that could not be set: not tried, nor told, again until `sinkId` is set anew. */
  #sinkFailed?: string;
  /** The audio output the media were last put on: they stay there, a new `<audio>` too, while the chosen one fails. */
  #sinkInUse = '';

  #pageStream: MediaStream | null = null;
  /** What the `<video>` plays (the watched stream when it has video), and the video track it shows. */
  #videoSource: MediaStream | null = null;
  #videoTrack?: MediaStreamTrack;
  /** Whether the `<video>` has presented a frame of that track; the wait for it, if one is under way. */
  #framed = false;
  #frameWait?: { cancel(): void };
  /** Set when the next render should not wait for a task (see changed). */
  #renderSoon = false;
  #stopObserving?: () => void;
  #watched?: MediaStream;
  #listening = new Set<EventTarget>();
  readonly #internals = this.attachInternals();
  readonly #link = new ConnectionLink(this, (next) => this.#observe(next));

  constructor() {
    super();
    new DisconnectGrace(this, () => {
      this.#link.release();
      this.#watch(null);
      this.#listen();
      // No render comes while out of the document (see shouldUpdate): the media let go of the stream here.
      for (const media of this.#mediaElements()) media.srcObject = null;
      this.#failed = undefined;
      this.#followVideo();
    });
  }

  /**
   * Out of the document, nothing renders: a render waits a task (see scheduleUpdate), and one that lands after removal
   * would make a media element that autoplays the stream where nobody sees it.
   */
  protected override shouldUpdate(): boolean {
    return this.isConnected;
  }

  /** A render asked for while out of the document was dropped (see shouldUpdate): catch up on return. */
  override connectedCallback(): void {
    super.connectedCallback();
    this.requestUpdate();
  }

  override attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    super.attributeChangedCallback(name, old, value);
    if (name !== 'index') return;
    this.#indexText = value ?? undefined;
    // Other text that is no number either gives NaN again, no change of the property: still told.
    if (value === old) return;
    this.#checkIndex = true;
    this.requestUpdate();
  }

  protected override willUpdate(): void {
    if (this.#checkIndex) {
      this.#checkIndex = false;
      if (!isIndex(this.#indexNumber())) {
        // The value as given: text set as the property, else the attribute's text, else the number.
        const index: unknown = this.index;
        const given =
          typeof index === 'string'
            ? JSON.stringify(index)
            : this.#indexText !== undefined
              ? JSON.stringify(this.#indexText)
              : String(index);
        this.#emit(
          new CallErrorEvent(new TypeError(`index must be a whole number from 0, got ${given}`), 'attribute'),
        );
      }
    }
    this.#watch(this.stream);
    this.#listen();
    this.#followVideo();
  }

  /** Takes the watched stream's video as the `<video>`'s source; a new source or track waits for its first frame. */
  #followVideo(): void {
    const track = this.#watched?.getVideoTracks()[0];
    const source = (track && this.#watched) ?? null;
    if (source === this.#videoSource && track === this.#videoTrack) return;
    this.#videoSource = source;
    this.#videoTrack = track;
    this.#resetFrame();
  }

  /**
   * The play button goes in the render after playback starts. If it has the focus then, the focus would fall to the
   * page's body, and a keyboard or screen reader user would have to find their place again: it moves to the video, or
   * to the placeholder where no video shows (audio only), which take focus only so (tabindex -1). Done here, not in the
   * button's click: Space starts playback at its keydown (a gesture, see setBlocked), and the button is gone before the
   * keyup that would click it.
   */
  protected override update(changed: PropertyValues<this>): void {
    const button = this.renderRoot.querySelector('[part="play-button"]');
    const refocus = !this.#blocked && !!button && this.shadowRoot?.activeElement === button;
    super.update(changed);
    if (refocus)
      this.renderRoot
        .querySelector<HTMLElement>('video:not([hidden]), .overlay:not([hidden])')
        ?.focus({ preventScroll: true });
  }

  protected override updated(): void {
    // One state at a time: blocked media is paused, so it neither plays nor shows the placeholder.
    const blocked = this.#blocked;
    const showing = this.#showing();
    for (const [name, on] of [
      ['playing', showing && !blocked],
      ['waiting', !showing && !blocked],
      ['blocked', blocked],
    ] as const) {
      // Only real changes: Firefox restyles on any add, and a restyle as a first frame comes delays it (see awaitFrame).
      if (hasState(this.#internals.states, name) === on) continue;
      if (on) addState(this.#internals.states, name);
      else deleteState(this.#internals.states, name);
    }
    // The wait starts at the unmute, as frames can only come after it.
    if (!this.#framed && !this.#frameWait && hasLiveVideo(this.#watched)) this.#awaitFrame();
    // Media play once they are on their output (neither autoplays): a stream given with a sink-id in one render (each
    // tile of <remote-streams>), or a new <audio>, would start on the default for a moment.
    void this.#routeAudio().then(() => this.#play());
  }

  /**
   * Puts the media on the audio output `sinkId` names, a new `<audio>` too. An output that cannot be used (unplugged,
   * not allowed, a browser without `setSinkId`) is told once; the media stay on the output they had, so the call is
   * still heard where it was.
   */
  async #routeAudio(): Promise<void> {
    const wanted = this.#sinkId;
    const sink = wanted === this.#sinkFailed ? this.#sinkInUse : wanted;
    // A browser without setSinkId has no sinkId either: it plays on the default, which is what '' asks for.
    const media = [...this.#mediaElements()].filter((element) => (element.sinkId ?? '') !== sink);
    if (media.length === 0) return;
    // Chromium refuses an output (AbortError) to media whose stream has no audio track, which have no sound to put on
    // it: they are put there in the update an audio track brings (addtrack). Media with no stream yet take it at once.
    const routable = media.filter(canRoute);
    try {
      if (!('setSinkId' in HTMLMediaElement.prototype))
        throw new DOMException('This browser plays on its default audio output only', 'NotSupportedError');
      if (routable.length === 0) return;
      await Promise.all(routable.map((element) => element.setSinkId(sink)));
      this.#sinkInUse = sink;
      // Another output chosen while this one was set may have been set first: the next update puts it back.
      if (this.#sinkId !== wanted) this.requestUpdate();
    } catch (error) {
      // The sound left while the output was set (refused for that, not for the output): its return tries again.
      if (!routable.every(canRoute)) return;
      // The output they had is gone too: the default, from the next update on.
      if (sink !== wanted) this.#sinkInUse = '';
      // Told once: not for the output fallen back to, nor for one chosen since (its own update tries it).
      if (sink !== wanted || this.#sinkId !== wanted || this.#sinkFailed === wanted) return;
      this.#sinkFailed = wanted;
      this.#emit(new CallErrorEvent(error, 'sink'));
      // Media moved before another failed go back to the output they had.
      if (media.some((element) => element.sinkId === wanted)) this.requestUpdate();
    }
  }

  /** Whether live video is showing: a live, unmuted video track, in a `<video>` that has presented a frame. */
  #showing(): boolean {
    return this.#framed && hasLiveVideo(this.#watched);
  }

  /**
   * Shows a new video track (hides the placeholder, state `playing`) once the `<video>` has presented its first
   * frame, not at the unmute before it: Firefox presented that frame about 10 ms later when the element restyled at
   * the same moment. Until then the video is not hidden (it has nothing to show), so it can present. Where the
   * browser cannot tell, or no frame comes within a second of the unmute (a page not rendering), it counts as shown.
   */
  #awaitFrame(): void {
    const video = this.renderRoot.querySelector('video');
    if (!video || !('requestVideoFrameCallback' in video)) return this.#shown();
    const frame = video.requestVideoFrameCallback(() => this.#shown());
    const timer = setTimeout(() => this.#shown(), FIRST_FRAME_WAIT_MS);
    this.#frameWait = {
      cancel: () => {
        video.cancelVideoFrameCallback(frame);
        clearTimeout(timer);
      },
    };
  }

  #shown(): void {
    this.#resetFrame();
    this.#framed = true;
    this.#changed(true);
  }

  /** Forgets the frame shown and stops waiting for one: the video's track changed or the element left. */
  #resetFrame(): void {
    this.#framed = false;
    this.#frameWait?.cancel();
    this.#frameWait = undefined;
  }

  #chosenStream(): MediaStream | null {
    const streams = this.#link.current?.streams() ?? [];
    if (this.streamId) return streams.find((s) => s.id === this.streamId) ?? null;
    // A bad index plays the default's stream (as HTML does with a bad number), not nothing; its error is told once.
    const index = this.#indexNumber();
    return streams[isIndex(index) ? index : 0] ?? null;
  }

  /**
   * `index` as a number: a framework may set an attribute's text as the property (Vue, React 19), and as with the number
   * properties of built-in elements, "1" means 1.
   */
  #indexNumber(): number {
    const index: unknown = this.index;
    return typeof index === 'string' && index.trim() !== '' ? Number(index) : (index as number);
  }

  #observe(host: ConnectionHost | undefined): void {
    this.#stopObserving?.();
    this.#stopObserving = host?.observeStreams(() => {
      const stream = this.stream;
      this.#changed(!!stream && stream !== this.#watched);
    });
    this.requestUpdate();
  }

  #watch(stream: MediaStream | null): void {
    if (stream === (this.#watched ?? null)) return;
    this.#watched = stream ?? undefined;
    this.#setBlocked(false);
  }

  /**
   * Listens to the watched stream and exactly its current tracks, so the video, audio and placeholder follow every
   * change of them; tracks that left it are let go. Done as the element updates, not in the events: the browser fires
   * those in a burst while it applies a description, and work inside the burst held it up.
   */
  #listen(): void {
    const targets = new Set<EventTarget>(this.#watched ? [this.#watched, ...this.#watched.getTracks()] : []);
    for (const target of this.#listening) {
      if (targets.has(target)) continue;
      for (const type of TRACK_EVENTS) target.removeEventListener(type, this.#onTrackChange);
    }
    for (const target of targets) {
      for (const type of TRACK_EVENTS) target.addEventListener(type, this.#onTrackChange);
    }
    this.#listening = targets;
  }

  readonly #onTrackChange = ({ type }: Event): void =>
    this.#changed(type === 'addtrack' || type === 'unmute');

  /**
   * Asks for a render: at once for what brings media (a new stream, a track added or unmuted), else after a task (see
   * scheduleUpdate).
   */
  #changed(bringsMedia: boolean): void {
    if (bringsMedia) this.#renderSoon = true;
    this.requestUpdate();
  }

  /**
   * What `@state()` would do: a change re-renders. While blocked, any gesture on the page tries again, as the browser
   * then lets media play: a click on another tile's play button, or on the page's own controls, starts this one too.
   */
  #setBlocked(blocked: boolean): void {
    if (blocked === this.#blocked) return;
    this.#blocked = blocked;
    for (const type of GESTURES) {
      if (blocked) window.addEventListener(type, this.#onGesture, true);
      else window.removeEventListener(type, this.#onGesture, true);
    }
    this.requestUpdate();
  }

  readonly #onGesture = (): void => void this.#play();

  /** The `<video>`, and the `<audio>` of a stream without video. */
  #mediaElements(): NodeListOf<HTMLMediaElement> {
    return this.renderRoot.querySelectorAll<HTMLMediaElement>('video, audio');
  }

  /**
   * Starts playback; a refusal to autoplay shows the play button instead of failing. Another failure is told once, and
   * not tried again at every render (a track muting, `muted` toggled) until the media, its stream or the stream's
   * tracks change.
   */
  async #play(): Promise<void> {
    // Called once the output is set, which may be after the element left: the media let go of the stream a task later.
    if (!this.isConnected) return;
    const media = [...this.#mediaElements()].find((element) => element.srcObject);
    if (!media?.paused) return;
    const playback = playbackOf(media);
    if (samePlayback(this.#failed, playback)) return;
    try {
      await media.play();
      this.#setBlocked(false);
    } catch (error) {
      const name = (error as DOMException).name;
      if (name === 'NotAllowedError') this.#setBlocked(true);
      // AbortError: the source changed while starting; the next update starts it again. The same failure of another
      // attempt under way at once is told only once.
      else if (name !== 'AbortError' && !samePlayback(this.#failed, playback)) {
        this.#failed = playback;
        this.#emit(new CallErrorEvent(error, 'play'));
      }
    }
  }

  /** The button goes as the media plays; the focus on it moves into the tile (see update). */
  #onPlayClick(): void {
    this.#setBlocked(false);
    void this.#play();
  }

  /** Dispatches one of the element's events (all listed under `@fires` above). */
  #emit(event: Event): void {
    this.dispatchEvent(event);
  }

  /**
   * Renders in a task of its own, not in the microtask after a change, unless the change brings media. The browser
   * changes a stream in bursts (mute, removetrack, ended, within one task while it applies a description); rendering
   * in between (removing a `<video>` is not cheap) held up the rest of the burst: the far side's stream let a removed
   * track go about 4 ms later than with no element watching. A new stream or track renders at once, as plain code
   * sets `srcObject` in the `track` event: a render a task later fell inside the browser's making of the answer.
   */
  protected override async scheduleUpdate(): Promise<void> {
    if (!this.#renderSoon) await new Promise((resolve) => setTimeout(resolve));
    this.#renderSoon = false;
    super.scheduleUpdate();
  }

  override render() {
    const stream = this.#watched ?? null;
    const source = this.#videoSource;
    const showing = this.#showing();
    // The <video> is always there, so a stream arriving only sets its source: making the element took Firefox 1-2 ms,
    // and for 16 streams at once that delayed the far side's answer. It is not hidden before its track's first frame
    // (it has nothing to show), so it can present that frame without a restyle (see awaitFrame).
    // live(): Lit sets an object-valued property on every render, and each set of srcObject reloads the element
    // (Firefox empties it and buffers again: the first frame came about 20 ms late, and every mute flickered).
    return html`<video
        part="video"
        tabindex="-1"
        playsinline
        ?hidden=${!source || (this.#framed && !showing)}
        .muted=${this.muted}
        .srcObject=${live(source)}
      ></video>
      ${
        stream && !source
          ? html`<audio part="audio" .muted=${this.muted} .srcObject=${live(stream)}></audio>`
          : nothing
      }
      <div class="overlay" tabindex="-1" ?hidden=${showing && !this.#blocked}>
        ${
          this.#blocked
            ? html`<button part="play-button" type="button" @click=${this.#onPlayClick}>
                <slot name="play-label">Play</slot>
              </button>`
            : html`<slot name="placeholder"></slot>`
        }
      </div>`;
  }
}

/** How long a new `<video>` may take to present its first frame before it counts as shown anyway. */
const FIRST_FRAME_WAIT_MS = 1000;

const TRACK_EVENTS = ['addtrack', 'removetrack', 'mute', 'unmute', 'ended'] as const;
/** Whether media can be put on an audio output now: they have no stream yet, or one with sound (see routeAudio). */
const canRoute = (media: HTMLMediaElement): boolean =>
  !media.srcObject || (media.srcObject as MediaStream).getAudioTracks().length > 0;
/** Events of a person's gesture, after which the browser lets media play. */
const GESTURES = ['click', 'keydown'] as const;

/** A media element, its stream and that stream's tracks, as they were when it was asked to play. */
interface Playback {
  media: HTMLMediaElement;
  source: MediaProvider | null;
  tracks: MediaStreamTrack[];
}

function playbackOf(media: HTMLMediaElement): Playback {
  const source = media.srcObject;
  return { media, source, tracks: source instanceof MediaStream ? source.getTracks() : [] };
}

function samePlayback(a: Playback | undefined, b: Playback): boolean {
  return (
    !!a &&
    a.media === b.media &&
    a.source === b.source &&
    a.tracks.length === b.tracks.length &&
    a.tracks.every((track, i) => track === b.tracks[i])
  );
}

function isIndex(value: number): boolean {
  return Number.isInteger(value) && value >= 0;
}

function hasLiveVideo(stream: MediaStream | undefined): boolean {
  return !!stream?.getVideoTracks().some((track) => track.readyState === 'live' && !track.muted);
}

declare global {
  interface HTMLElementTagNameMap {
    'remote-stream': RemoteStream;
  }
}
