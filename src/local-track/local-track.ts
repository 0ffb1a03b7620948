import {
  html,
  LitElement,
  nothing,
  type PropertyDeclaration,
  type PropertyDeclarations,
  type PropertyValues,
} from 'lit';
import { live } from 'lit/directives/live.js';
import { CallErrorEvent, TrackChangeEvent, type ErrorOperation } from '../events.js';
import type { AttachedTrack, ConnectionHost } from '../shared/connection-context.js';
import { ConnectionLink } from '../shared/connection-link.js';
import { addState, swapState } from '../shared/custom-states.js';
import { DisconnectGrace } from '../shared/disconnect-grace.js';
import { describe } from '../signaling/message.js';
import { parseStreamNames } from '../streams/local-streams.js';
import { acquireTrack, parseKind, type LocalTrackKind } from './acquire.js';
import { muteTrack, unmuteTrack } from './track-mutes.js';
import { styles } from './local-track.styles.js';

export type LocalTrackState = 'idle' | 'acquiring' | 'live' | 'ended' | 'error';

/**
 * One outgoing track. While the element is attached to a `<peer-connection>` (the one around it, or the one named
 * by `for`), its track is sent; when the element goes away, or its track ends, the track is removed from the
 * connection, and a track the element captured itself is stopped (on removal, at the end of the connection's next
 * offer/answer exchange, within a second).
 *
 * @tagname local-track
 * @summary A camera, microphone or screen track sent on a `<peer-connection>`.
 *
 * @fires {TrackChangeEvent} trackchange - The element's track changed (`event.track`, `null` when it has none).
 * @fires {CallErrorEvent} error - Capture or sending failed, or `kind` or `stream` is not a value the element takes
 *   (`event.error`, `event.operation`). Does not bubble.
 *
 * @csspart preview - The `<video>` of the local preview (with `preview`, for video and screen).
 *
 * @cssstate idle - No track and nothing under way.
 * @cssstate acquiring - Waiting for the camera, microphone or screen.
 * @cssstate live - The track is live (sent when attached).
 * @cssstate ended - The track ended (device unplugged, screen sharing stopped).
 * @cssstate error - Capture failed, and the element has no track (a failed switch keeps the one it had, unless a
 *   camera stopped for it could not be opened again).
 *
 * @cssprop [--local-track-width=auto] - Width of the preview.
 * @cssprop [--local-track-aspect-ratio=auto] - Aspect ratio of the preview.
 * @cssprop [--local-track-background=transparent] - Background behind the preview.
 * @cssprop [--local-track-radius=0] - Corner radius of the preview.
 * @cssprop [--local-track-object-fit=cover] - How the video fills the preview.
 * @cssprop [--local-track-preview-transform=scaleX(-1)] - Transform of a camera's preview (mirrored by default; a screen's is never mirrored).
 */
export class LocalTrack extends LitElement {
  static override styles = styles;

  // A getter, not a static field: lit-analyzer reads attributes only from this form, so markup in stories and tests is
  // checked against them.
  static override get properties(): PropertyDeclarations {
    return {
      // The attribute removed is no kind, as an empty one (not the string "null").
      kind: { reflect: true, converter: (value: string | null) => value ?? '' },
      stream: {},
      device: {},
      // Compared by value: a framework passes a new object on each render, and each would open the camera again.
      constraints: {
        attribute: false,
        hasChanged: (next, previous) => constraintsKey(next) !== constraintsKey(previous),
      },
      muted: { type: Boolean, reflect: true },
      preview: { type: Boolean, reflect: true },
      htmlFor: { attribute: 'for', reflect: true },
      state: { reflect: true },
      track: { attribute: false, hasChanged: () => true },
    };
  }

  /**
   * What to capture: `audio` (microphone), `video` (camera) or `screen`. Ignored while `track` is set. Set again after
   * the track ended or the capture failed, even to the same value, it captures again (so does `device`).
   */
  kind: LocalTrackKind | '' = '';

  /** Space-separated names of the local streams this track joins; the far side receives them together. */
  stream = '';

  /**
   * The deviceId to capture from (see `navigator.mediaDevices.enumerateDevices()`); ignored for `screen`, which has
   * none. A switch that fails (as from camera to screen, the picker cancelled) keeps the track in use, with an `error`
   * event, and `kind` and `device` go back to what that track was captured with, unless changed again meanwhile. Where
   * a camera switch fails as busy (a phone that opens one camera at a time), the camera in use is stopped and the
   * switch tried again; if it fails again, that camera is opened again (a new track), or, if it cannot be, the element
   * has no track and state `error`.
   */
  device: string | null = null;

  /**
   * Constraints for the capture, such as `{ width: 1280 }`. Compared by value: equal ones in a new object (a framework's
   * render) capture nothing new. New ones for a camera or screen in use apply to its track (`applyConstraints`: no new
   * capture, no screen picker). They are captured anew when they choose another device (`deviceId`, `groupId`,
   * `facingMode`, also in `advanced`; for a screen, `displaySurface`, which opens the picker), and for a camera when
   * they leave one out (the track would keep it); a screen keeps what it has of one left out; a microphone is always
   * captured anew. Ones the track cannot meet leave it as it was, with an `error`.
   */
  constraints?: MediaTrackConstraints;

  /**
   * Sends nothing while set: the track stays but is disabled, with no renegotiation. A track of the page's own gets
   * back the `enabled` it had when unmuted or let go; one given to several elements stays disabled while any of them
   * is muted (`enabled` is the track's).
   */
  muted = false;

  /** Shows a local preview of a video or screen track. */
  preview = false;

  /** The id of the `<peer-connection>` to attach to, when the element is not inside it. */
  htmlFor: string | null = null;

  /** Where the track stands. */
  state: LocalTrackState = 'idle';

  /** The track being sent, or `null`. Set it to send a track of the page's own: the element never stops those. */
  // Every assignment counts: reading gives the track in use, which an assignment only changes at the next update.
  get track(): MediaStreamTrack | null {
    return this.#current;
  }
  set track(track: MediaStreamTrack | null) {
    // A framework may pass undefined for none.
    this.#pageTrack = track ?? null;
  }

  #pageTrack: MediaStreamTrack | null = null;
  #current: MediaStreamTrack | null = null;
  #ownsCurrent = false;
  /** What `kind`, `device` and `constraints` were when the track in use was captured (see keepAfterFailedSwitch). */
  #capturedWith?: CapturedWith;
  /** Settles once the browser answered the last capture the element asked for (see open). */
  #opening: Promise<unknown> = Promise.resolve();
  #capture?: AbortController;
  /**
   * What the properties described at the last capture or adoption (see refreshTrack). Cleared when the track ends, the
   * capture fails or the element is torn down, so that the next change of one of them (or of `track`) tries again.
   */
  #wanted?: readonly unknown[];
  /**
   * What the properties described at the last look (see refreshTrack), kept when that failed or ended; cleared by the
   * teardown. Back in the document, the element looks again only if they differ: a move alone does not, so a capture
   * that failed or ended is not tried again by a reordered list, nor by a listener that moves the element as the
   * capture fails (a new error, or the screen picker, at each move).
   */
  #lookedFor?: readonly unknown[];
  /** `kind` or `device` set again after the track ended or the capture failed (see requestUpdate). */
  #retry = false;
  /** While the listeners of an `error` event run (see requestUpdate). */
  #tellingError = false;
  /** The events that come up during an update, dispatched at its end (see emit). */
  #held?: Event[];
  /** Settles at the end of the next exchange of the connection the element last left (see teardown). */
  #detached: Promise<void> = Promise.resolve();
  readonly #internals = this.attachInternals();

  /** This element as its connection sees it. */
  readonly #attachment: AttachedTrack = new Attachment(this, (event) => this.#emit(event));
  readonly #link = new ConnectionLink(this, (next, previous) => this.#relink(next, previous));

  constructor() {
    super();
    // The first state too: `:state(idle)` matches from the start, as the `state` attribute says.
    addState(this.#internals.states, this.state);
    new DisconnectGrace(this, () => this.#teardownAfterExchange());
  }

  /**
   * Back in the document, the element captures again if its teardown let the track go or its properties changed while
   * it was out (a move changes nothing). The first capture waits for the first update, so that properties a page or
   * framework sets just after inserting the element are part of it, rather than making a second capture.
   */
  override connectedCallback(): void {
    super.connectedCallback();
    // Properties set while it was out apply now, also those whose update is still to come.
    if (this.hasUpdated && !sameValues(this.#described(), this.#lookedFor)) void this.#refreshTrack();
  }

  /**
   * Leaving the document stops sending at once: the far side learns without waiting out the grace. The capture
   * itself lives on through the grace and the exchange that tells the far side (see teardownAfterExchange), so a move
   * (out and back in one task) sends the same track again on the same transceiver, and the browser sees nothing to
   * negotiate.
   */
  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#link.release();
  }

  /**
   * After the track ended or the capture failed, setting `kind` or `device` again tries again, even to the same value
   * (a "Share screen" button that sets `kind = 'screen'` after the picker was cancelled or sharing stopped), which Lit
   * alone takes as no change. Not from a listener of the failure's own `error` event: one that sets the kind it
   * failed with would otherwise ask for ever (a refused camera, refused again at once).
   * @internal
   */
  override requestUpdate(
    name?: PropertyKey,
    oldValue?: unknown,
    options?: PropertyDeclaration,
    useNewValue?: boolean,
    newValue?: unknown,
  ): void {
    super.requestUpdate(name, oldValue, options, useNewValue, newValue);
    const over = this.state === 'ended' || this.state === 'error';
    if (over && name !== undefined && RETRYING.has(name) && !this.#tellingError) {
      this.#retry = true;
      super.requestUpdate();
    }
  }

  // Capture starts before render, so the `acquiring` state lands in this update rather than scheduling another.
  protected override willUpdate(changed: PropertyValues<this>): void {
    // Events still held from an update that threw before its end are told now, not dropped.
    for (const event of this.#held?.splice(0) ?? []) this.#dispatch(event);
    this.#held = [];
    const retry = this.#retry;
    this.#retry = false;
    if (retry) this.#wanted = this.#lookedFor = undefined;
    // Names are text; anything else (an array, a MediaStream) is told, and the track is sent as one with no names.
    const stream: unknown = this.stream;
    if (changed.has('stream') && stream != null && typeof stream !== 'string')
      this.#emit(
        new CallErrorEvent(
          new TypeError(`stream must be space-separated names, got ${describe(stream)}`),
          'attribute',
        ),
      );
    if (retry || ['kind', 'device', 'constraints', 'track'].some((p) => changed.has(p as keyof LocalTrack))) {
      void this.#refreshTrack();
    }
    if (changed.has('muted')) this.#applyMuted();
  }

  protected override updated(changed: PropertyValues<this>): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const event of held) this.#dispatch(event);
    if (changed.has('stream')) this.#link.current?.update(this.#attachment);
  }

  /**
   * What the properties describe, to compare (see wanted). A screen has no device: a camera chosen asks no new share.
   * Each value that means none (no kind, the default device) has one form, as a `<select>`'s "Default" option gives
   * `''` and a framework `undefined` for what was `null`: none of them opens the camera again.
   */
  #described({ kind, device } = { kind: this.kind, device: this.device }): readonly unknown[] {
    return [
      this.#pageTrack,
      kind || '',
      kind === 'screen' ? null : device || null,
      constraintsKey(this.constraints),
    ];
  }

  /** Captures (or adopts) the track that the properties now describe, and swaps it in, unless it did so already. */
  async #refreshTrack(): Promise<void> {
    if (!this.isConnected) return;
    const wanted = (this.#lookedFor = this.#described());
    if (sameValues(wanted, this.#wanted)) return;
    this.#wanted = wanted;
    this.#capture?.abort();
    this.#capture = undefined;
    if (this.#pageTrack) {
      this.#use(this.#pageTrack, false);
      return;
    }
    // Also undefined or null, as a framework may set them.
    if (!this.kind) {
      this.#use(null, false, 'idle');
      return;
    }
    let kind: LocalTrackKind;
    try {
      kind = parseKind(this.kind);
    } catch (error) {
      this.#use(null, false, 'error');
      this.#fail(error, 'attribute');
      return;
    }
    const asked = { kind: this.kind, device: this.device, constraints: this.constraints };
    const inPlace = this.#takesNewConstraints(kind, wanted);
    if (inPlace) {
      void this.#applyConstraints(inPlace, asked, wanted);
      return;
    }
    const capture = (this.#capture = new AbortController());
    this.#setState('acquiring');
    const { track, error, reopened } = await this.#captureSwitch(kind, asked, capture.signal);
    // Given up on between the browser's answer and here (code run by an earlier capture's trackchange can do that): a
    // newer capture, or the teardown, owns the element now. An aborted capture stops its own track, but not one that
    // came back just before the abort.
    if (capture.signal.aborted) {
      track?.stop();
      reopened?.stop();
      return;
    }
    // Only a capture under way is kept: aborting a finished one makes an AbortError (and its stack) for nothing.
    this.#capture = undefined;
    if (track) {
      this.#capturedWith = asked;
      this.#use(track, true);
      return;
    }
    const current = this.#current;
    const kindOfTrack = kind === 'audio' ? 'audio' : 'video';
    const keep = this.#ownsCurrent && current?.readyState === 'live' && current.kind === kindOfTrack;
    if (keep || reopened) this.#keepAfterFailedSwitch(error, asked, reopened);
    else {
      this.#use(null, false, 'error');
      this.#fail(error, 'acquire');
    }
  }

  /**
   * The captured video track in use, when only its constraints changed, which the track itself can take
   * (applyConstraints): a new size or frame rate needs no new capture, so a camera does not go off and on, and a
   * screen share does not open the picker again. Not for a microphone, whose processing (echo cancellation and the
   * like) Chromium does not change on a live track; nor when the new constraints choose another device (see
   * choiceOf), which a track cannot change; nor, for a camera, when the new ones leave one out, which the track would
   * keep where a new capture goes back to the camera's default.
   */
  #takesNewConstraints(kind: LocalTrackKind, wanted: readonly unknown[]): MediaStreamTrack | null {
    const current = this.#current;
    const was = this.#capturedWith;
    if (!was || !this.#ownsCurrent || current?.readyState !== 'live' || kind === 'audio') return null;
    const before = this.#described(was);
    const takes =
      before[1] === wanted[1] &&
      before[2] === wanted[2] &&
      choiceOf(was.constraints) === choiceOf(this.constraints) &&
      // A screen share keeps what it has of a constraint left out, rather than open the picker again.
      (kind === 'screen' || !dropsAny(was.constraints, this.constraints));
    return takes ? current : null;
  }

  /**
   * Applies the constraints `asked` to the captured `track` in use. One the track cannot meet (OverconstrainedError)
   * leaves it as it was, still sent, with an `error`; the constraints stay as set, as after a failed switch.
   */
  async #applyConstraints(
    track: MediaStreamTrack,
    asked: CapturedWith,
    wanted: readonly unknown[],
  ): Promise<void> {
    // A capture given up for this (see refreshTrack) left the state at acquiring.
    this.#setState('live');
    // Taken as what the track has from now, so that a change while this is under way is compared with it (one that
    // leaves out what this sets is captured anew); back to what it had if the track cannot take them.
    const before = this.#capturedWith;
    this.#capturedWith = asked;
    try {
      await track.applyConstraints(asked.constraints ?? {});
    } catch (error) {
      if (this.#capturedWith === asked) this.#capturedWith = before;
      // Told only while this is still what the element wants of this track (a failed switch since wants the same).
      if (this.#current === track && sameValues(wanted, this.#wanted))
        this.#emit(new CallErrorEvent(error, 'acquire'));
    }
  }

  /**
   * Captures what `asked` describes; never throws. Many phones open one camera at a time: a switch to the other camera
   * fails as busy (Chromium's NotReadableError, Firefox's AbortError) while the one in use is open. Then the camera in
   * use is stopped and the switch tried once more. A switch that still fails, with the camera in use stopped for it (or
   * for an earlier switch given up for this one), opens that camera again (`reopened`), so that the call keeps one. A
   * desktop opens both and sees no gap: the camera in use is stopped only after a busy error.
   */
  async #captureSwitch(kind: LocalTrackKind, asked: CapturedWith, signal: AbortSignal): Promise<Captured> {
    const capture = () => this.#open(kind, asked, signal);
    let error: unknown;
    try {
      return { track: await capture() };
    } catch (failure) {
      error = failure;
    }
    const current = this.#current;
    const was = this.#capturedWith;
    if (signal.aborted || !this.#ownsCurrent || !current || !was) return { error };
    // A camera to a camera: a screen share in use is not stopped for one.
    if (isBusy(error) && current.readyState === 'live' && kind === 'video' && was.kind === 'video') {
      current.stop();
      try {
        return { track: await capture() };
      } catch (again) {
        // Tried with the camera in use stopped, the switch fails for its own reason, which is the one to tell.
        error = again;
        if (signal.aborted) return { error };
      }
    }
    // Not stopped: kept, as after any failed switch (see refreshTrack). Only a camera is stopped for a switch (the
    // browser ending a track takes it from the element, see onEnded); a page that stopped a screen share itself does
    // not get a camera for it.
    if (current.readyState === 'live' || was.kind !== 'video') return { error };
    const reopened = await this.#open('video', was, signal).catch(() => undefined);
    return { error, reopened };
  }

  /**
   * Asks the browser for a track. With the captured camera in use stopped for a switch, first waits for the browser's
   * answer to the capture before, which may be a switch given up for this one: a phone counts a camera still being
   * opened as busy too.
   */
  async #open(kind: LocalTrackKind, asked: CapturedWith, signal: AbortSignal): Promise<MediaStreamTrack> {
    if (this.#ownsCurrent && this.#current?.readyState === 'ended') await this.#opening;
    const opening = acquireTrack(kind, asked.constraints, asked.device, signal);
    this.#opening = opening.catch(() => undefined);
    return opening;
  }

  /**
   * A switch that failed (another device or constraints, camera to screen, the screen picker cancelled) keeps the
   * captured track that works: the call goes on with it, and the error says why nothing changed. `kind` and `device` go
   * back to what that track was captured with, so that they say what is sent: a `kind` left at `screen` would have the
   * next device or constraints change open the screen picker, lose the preview its mirror, and show a page's toggle as
   * sharing. Set to the failed values again, they are a change, and the switch is tried again. Only while they still
   * ask for the failed switch: one the page set since (another camera chosen while the screen picker was open) stays,
   * and is captured next. `constraints` stay as set: a framework passes equal ones in a new object at each render,
   * which, after a set back, would be a change each time, and ask again and again.
   */
  #keepAfterFailedSwitch(
    error: unknown,
    asked: Pick<LocalTrack, 'kind' | 'device'>,
    reopened?: MediaStreamTrack,
  ): void {
    const kept = this.#capturedWith ?? asked;
    if (this.kind === asked.kind) this.kind = kept.kind;
    if (this.device === asked.device) this.device = kept.device;
    // The track in use is what was captured with those; the constraints set are taken as tried. The update the set
    // back asks for captures only what the page changed since.
    this.#wanted = this.#lookedFor = this.#described(kept);
    // The camera opened again after it was stopped for the switch: its trackchange finds kind and device set back.
    if (reopened) this.#use(reopened, true);
    this.#setState('live');
    this.#emit(new CallErrorEvent(error, 'acquire'));
  }

  /**
   * Makes `track` the element's track: the connection swaps it in, the previous captured track is stopped. With no
   * track, the element takes `stateWithout`: the state is set before `trackchange`, so that a listener reads why the
   * track went (`ended`, `error`, `idle`).
   */
  #use(track: MediaStreamTrack | null, owned: boolean, stateWithout: LocalTrackState = 'idle'): void {
    const previous = this.#current;
    const ownedPrevious = this.#ownsCurrent;
    const state = track ? (track.readyState === 'live' ? 'live' : 'ended') : stateWithout;
    if (track === previous) {
      // The same track again (a capture given up in favour of it), or none again: only the state has to follow.
      this.#setState(state);
      return;
    }
    if (previous) {
      previous.removeEventListener('ended', this.#onEnded);
      // A page's track leaves as it came; a captured one stays disabled until it is stopped.
      unmuteTrack(previous, this, !ownedPrevious);
    }
    this.#current = track;
    this.#ownsCurrent = owned;
    if (track) {
      this.#applyMuted();
      track.addEventListener('ended', this.#onEnded);
    }
    // The connection is told once, here, not also as the state leaves `acquiring`: a failure to send would be told twice.
    this.#setState(state, false);
    this.#link.current?.update(this.#attachment);
    if (ownedPrevious) previous?.stop();
    this.requestUpdate();
    this.#emit(new TrackChangeEvent(track));
  }

  /**
   * Disables the track while `muted`, and on unmute gives it back the `enabled` it had: a page's own track may be one
   * the page disabled itself, and the element neither turns that on nor leaves it off for the page.
   */
  #applyMuted(): void {
    const track = this.#current;
    if (!track) return;
    if (this.muted) muteTrack(track, this);
    else unmuteTrack(track, this);
  }

  #relink(next: ConnectionHost | undefined, previous: ConnectionHost | undefined): void {
    if (previous) this.#detached = previous.detach(this.#attachment);
    next?.attach(this.#attachment);
  }

  /**
   * Out of the document for a whole task (see DisconnectGrace): the link was let go on leaving it (see
   * disconnectedCallback), and the teardown waits for the end of the connection's next exchange, usually the one that
   * tells the far side, rather than running in the middle of it. The browser ends each step of an exchange in a task on
   * the page's main thread, and the teardown's work there (the update to `idle`, its events) held the offer up, as did
   * stopping a camera, which keeps the browser's WebRTC thread busy for a while (by 0.5 ms in Chromium, and more in
   * Firefox). Then again only once out for a whole task, and only if the element has not left another connection
   * since: that leaving has a teardown of its own.
   */
  #teardownAfterExchange(): void {
    const detached = this.#detached;
    void detached.then(() =>
      setTimeout(() => {
        if (!this.isConnected && detached === this.#detached) this.#teardown();
      }),
    );
  }

  #teardown(): void {
    this.#wanted = this.#lookedFor = undefined;
    this.#capture?.abort();
    this.#capture = undefined;
    const captured = this.#ownsCurrent ? this.#current : null;
    // Muted, it stays disabled until it is stopped: a preview or level meter of the page's, given the track, shows
    // nothing of what the person muted.
    if (captured) unmuteTrack(captured, this, false);
    this.#ownsCurrent = false;
    this.#use(null, false, 'idle');
    captured?.stop();
  }

  /** The browser ended the track (device unplugged, sharing stopped from its own controls): stop sending it. */
  readonly #onEnded = (): void => {
    this.#wanted = undefined;
    this.#use(null, false, 'ended');
  };

  /** Tells a failure, with state `error`. */
  #fail(error: unknown, operation: ErrorOperation): void {
    this.#wanted = undefined;
    this.#setState('error');
    this.#emit(new CallErrorEvent(error, operation));
  }

  #setState(state: LocalTrackState, tellConnection = true): void {
    const wasCapturing = this.state === 'acquiring';
    swapState(this.#internals.states, this.state, state);
    this.state = state;
    // The connection may be holding other tracks back while this one was being captured.
    if (tellConnection && wasCapturing && state !== 'acquiring') this.#link.current?.update(this.#attachment);
  }

  /**
   * Dispatches one of the element's events (all listed under `@fires` above). One that comes up during an update (an
   * attribute error, a track let go or taken, the connection's error on being told) waits for the update's end: a
   * listener that sets a property then (falls back to another kind) starts an update of its own, while within this
   * one its change would come after the element looked at what changed, and be lost.
   */
  #emit(event: Event): void {
    if (this.#held && this.isUpdatePending) this.#held.push(event);
    else this.#dispatch(event);
  }

  /** Dispatches `event` now, noting while an error event's listeners run (see requestUpdate). */
  #dispatch(event: Event): void {
    const telling = this.#tellingError;
    this.#tellingError ||= event instanceof CallErrorEvent;
    try {
      this.dispatchEvent(event);
    } finally {
      this.#tellingError = telling;
    }
  }

  override render() {
    const track = this.#current;
    if (!this.preview || !track || track.kind !== 'video' || track.readyState !== 'live') return nothing;
    return html`<video
      part="preview"
      autoplay
      playsinline
      .muted=${true}
      .srcObject=${live(previewStream(track))}
    ></video>`;
  }
}

/** What a track was captured with. */
type CapturedWith = Pick<LocalTrack, 'kind' | 'device' | 'constraints'>;

/**
 * What a capture gave (see captureSwitch): the track, or the error, with the camera in use opened again when it was
 * stopped for the switch.
 */
type Captured =
  | { track: MediaStreamTrack; error?: never; reopened?: never }
  | { track?: never; error: unknown; reopened?: MediaStreamTrack };

/**
 * What constraints choose to capture from (a device, a camera facing one way, a kind of surface to share), also in
 * their `advanced` sets, as a value to compare: a live track cannot change it, so another choice captures anew.
 */
function choiceOf(constraints: MediaTrackConstraints | undefined): string {
  const choice = (set: Record<string, unknown>) => CHOOSING.map((name) => set[name] ?? null);
  const sets = [constraints ?? {}, ...(constraints?.advanced ?? [])] as Record<string, unknown>[];
  return JSON.stringify(sets.map(choice));
}

const CHOOSING = ['deviceId', 'groupId', 'facingMode', 'displaySurface'];

/** Whether `next` leaves out a constraint `previous` set: a track keeps what applyConstraints no longer names. */
function dropsAny(
  previous: MediaTrackConstraints | undefined,
  next: MediaTrackConstraints | undefined,
): boolean {
  return Object.keys(previous ?? {}).some((name) => !(name in (next ?? {})));
}

/** A capture failure that says the device is in use (by another application, or by this page on a phone). */
function isBusy(error: unknown): boolean {
  return error instanceof DOMException && (error.name === 'NotReadableError' || error.name === 'AbortError');
}

/**
 * The properties that, set again after the track ended or the capture failed, try again (see requestUpdate). Not
 * `constraints`: a framework passes equal ones in a new object at each render, and a page that renders on an error
 * would ask again at each.
 */
const RETRYING: ReadonlySet<PropertyKey> = new Set(['kind', 'device']);

/** Whether two descriptions of what to capture (see LocalTrack's `described`) are the same. */
function sameValues(a: readonly unknown[], b: readonly unknown[] | undefined): boolean {
  return !!b && a.every((value, i) => value === b[i]);
}

/** Constraints as a value to compare: they are plain data (numbers, strings, booleans, and objects and arrays of them). */
function constraintsKey(constraints: unknown): string | undefined {
  return constraints == null ? undefined : JSON.stringify(constraints);
}

/** A `<local-track>` as its connection sees it: the live track to send, the streams it joins. */
class Attachment implements AttachedTrack {
  readonly #element: LocalTrack;
  readonly #emit: (event: Event) => void;

  constructor(element: LocalTrack, emit: (event: Event) => void) {
    this.#element = element;
    this.#emit = emit;
  }

  get track(): MediaStreamTrack | null {
    const { track } = this.#element;
    return track?.readyState === 'live' ? track : null;
  }

  get capturing(): boolean {
    return this.#element.state === 'acquiring';
  }

  get streamNames(): string[] {
    const { stream } = this.#element;
    return typeof stream === 'string' ? parseStreamNames(stream) : [];
  }

  reportError(error: unknown, operation: ErrorOperation): void {
    this.#emit(new CallErrorEvent(error, operation));
  }
}

const previews = new WeakMap<MediaStreamTrack, MediaStream>();

/** One preview stream per track, so re-renders do not restart the video. */
function previewStream(track: MediaStreamTrack): MediaStream {
  let stream = previews.get(track);
  if (!stream) previews.set(track, (stream = new MediaStream([track])));
  return stream;
}

declare global {
  interface HTMLElementTagNameMap {
    'local-track': LocalTrack;
  }
}
