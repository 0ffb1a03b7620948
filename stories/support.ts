let rendered = 0;
/**
 * A loopback name for one rendering of a story. Each rendering gets its own, so a story shown twice (canvas and
 * docs) makes two separate calls instead of a third connection on one pair.
 */
export const callName = (story: string): string => `story-${story}-${++rendered}`;

/** Layout shared by the call stories: two sides next to each other. */
export const sideBySide =
  'display: grid; grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); gap: 1rem; font-family: system-ui, sans-serif;';

const canvasNames = new WeakMap<object, Map<string, string>>();
/**
 * A call name that lasts as long as the story's canvas: Storybook renders a story again when a control changes,
 * and with this name the elements stay in the same call (a new `name` is announced to the others) instead of
 * starting a new one. Outside Storybook (no canvas), a fresh name each time, as {@link callName}.
 */
export function canvasCallName(story: string, canvas: object | undefined): string {
  if (!canvas) return callName(story);
  let names = canvasNames.get(canvas);
  if (!names) canvasNames.set(canvas, (names = new Map()));
  let name = names.get(story);
  if (!name) names.set(story, (name = callName(story)));
  return name;
}
