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

describe('<local-track> where custom states must start with --', () => {
  it('can be made, with its first state in the -- form', () => {
    const descriptor = Object.getOwnPropertyDescriptor(ElementInternals.prototype, 'states')!;
    const sets = new WeakMap<ElementInternals, DashedStateSet>();
    Object.defineProperty(ElementInternals.prototype, 'states', {
      configurable: true,
      get(this: ElementInternals) {
        if (!sets.has(this)) sets.set(this, new DashedStateSet());
        return sets.get(this);
      },
    });
    try {
      let states: DashedStateSet | undefined;
      const attachInternals = HTMLElement.prototype.attachInternals;
      const local = (() => {
        HTMLElement.prototype.attachInternals = function (this: HTMLElement) {
          const internals = attachInternals.call(this);
          states = internals.states as unknown as DashedStateSet;
          return internals;
        };
        try {
          return document.createElement('local-track');
        } finally {
          HTMLElement.prototype.attachInternals = attachInternals;
        }
      })();
      expect(local.state).to.equal('idle');
      expect([...states!]).to.deep.equal(['--idle']);
    } finally {
      Object.defineProperty(ElementInternals.prototype, 'states', descriptor);
    }
  });
});
