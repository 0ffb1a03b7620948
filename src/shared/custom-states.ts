/** What the helpers need of `ElementInternals.states`: a `CustomStateSet`, or a plain object in a unit test. */
export interface StateSet {
  add(name: string): unknown;
  delete(name: string): unknown;
  has(name: string): boolean;
}

/**
 * Adds the custom state `name` (`:state(name)`). Chromium 90 to 124 took only names starting with `--` (matched by
 * `:--name`) and threw a SyntaxError for any other, which would stop the element from being constructed at all:
 * there the state is added as `--name`.
 */
export function addState(states: StateSet | undefined, name: string): void {
  if (!states) return;
  try {
    states.add(name);
  } catch {
    states.add(`--${name}`);
  }
}

/** Removes the custom state `name`, in whichever form {@link addState} added it. */
export function deleteState(states: StateSet | undefined, name: string): void {
  if (!states) return;
  for (const form of [name, `--${name}`]) {
    try {
      states.delete(form);
    } catch {
      // A set that refuses the form refuses to hold it too.
    }
  }
}

/** Whether the custom state `name` is set, in whichever form {@link addState} added it. */
export function hasState(states: StateSet | undefined, name: string): boolean {
  return !!states && (states.has(name) || states.has(`--${name}`));
}

/** Moves from the custom state `previous` to `next`: the elements hold one state at a time. */
export function swapState(states: StateSet | undefined, previous: string, next: string): void {
  deleteState(states, previous);
  addState(states, next);
}
