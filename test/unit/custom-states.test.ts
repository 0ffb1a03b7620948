import { expect } from '@open-wc/testing';
import { addState, deleteState } from '../../src/shared/custom-states.js';
import '../../src/define.js';

/** A CustomStateSet as Chromium 90 to 124 had it: names must start with `--`, or add throws a SyntaxError. */
class DashedStateSet extends Set<string> {
  override add(name: string): this {
    if (!name.startsWith('--')) throw new DOMException(`'${name}' must start with '--'`, 'SyntaxError');
    return super.add(name);
  }
}

describe('addState and deleteState', () => {
  it('add and remove a plain name where the set takes it', () => {
    const states = new Set<string>();
    addState(states, 'idle');
    expect([...states]).to.deep.equal(['idle']);
    addState(states, 'live');
    deleteState(states, 'idle');
    expect([...states]).to.deep.equal(['live']);
  });

  it('fall back to a --name where the set takes only those, and remove that form', () => {
    const states = new DashedStateSet();
    expect(() => addState(states, 'idle')).not.to.throw();
    expect([...states]).to.deep.equal(['--idle']);
    addState(states, 'live');
    deleteState(states, 'idle');
    expect([...states]).to.deep.equal(['--live']);
  });

  it('do nothing where there is no set (a browser without custom states)', () => {
    expect(() => {
      addState(undefined, 'idle');
      deleteState(undefined, 'idle');
    }).not.to.throw();
  });
});

describe('the elements where custom states must start with --', () => {
  it('can be made and inserted, each state in the -- form', async () => {
    const descriptor = Object.getOwnPropertyDescriptor(ElementInternals.prototype, 'states')!;
    const sets = new WeakMap<ElementInternals, DashedStateSet>();
    Object.defineProperty(ElementInternals.prototype, 'states', {
      configurable: true,
      get(this: ElementInternals) {
        if (!sets.has(this)) sets.set(this, new DashedStateSet());
        return sets.get(this);
      },
    });
    const statesOf = new Map<string, DashedStateSet>();
    const attachInternals = HTMLElement.prototype.attachInternals;
    HTMLElement.prototype.attachInternals = function (this: HTMLElement) {
      const internals = attachInternals.call(this);
      statesOf.set(this.localName, internals.states as unknown as DashedStateSet);
      return internals;
    };
    const root = document.createElement('div');
    try {
      // Made inside one another, as a page writes them; no signaling, so no call starts.
      root.innerHTML = `<peer-connection><local-track></local-track><remote-stream></remote-stream></peer-connection>
        <call-room><remote-streams></remote-streams></call-room>`;
      document.body.append(root);
      await Promise.all(
        [...root.querySelectorAll('*')].map(
          (element) => (element as { updateComplete?: unknown }).updateComplete,
        ),
      );
      expect(Object.fromEntries([...statesOf].map(([tag, states]) => [tag, [...states]]))).to.deep.equal({
        'peer-connection': ['--new'],
        'local-track': ['--idle'],
        'remote-stream': ['--waiting'],
        'call-room': ['--idle'],
      });
    } finally {
      root.remove();
      HTMLElement.prototype.attachInternals = attachInternals;
      Object.defineProperty(ElementInternals.prototype, 'states', descriptor);
    }
  });
});
