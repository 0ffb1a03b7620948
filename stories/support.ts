let rendered = 0;
/**
 * A loopback name for one rendering of a story. Each rendering gets its own, so a story shown twice (canvas and
 * docs) makes two separate calls instead of a third connection on one pair.
 */
export const callName = (story: string): string => `story-${story}-${++rendered}`;

/** Layout shared by the call stories: two sides next to each other. */
export const sideBySide =
  'display: grid; grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); gap: 1rem; font-family: system-ui, sans-serif;';
