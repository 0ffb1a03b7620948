import { expect } from '@open-wc/testing';
import {
  connectionContext,
  provideConnectionHost,
  requestConnectionHost,
  type ConnectionHost,
} from '../../src/shared/connection-context.js';

/** A host no element code touches here: only its identity matters. */
const fakeHost = (): ConnectionHost => ({}) as ConnectionHost;

describe('the connection context', () => {
  let root: HTMLElement;
  beforeEach(() => {
    root = document.createElement('div');
    document.body.append(root);
  });
  afterEach(() => root.remove());

  it('answers with the nearest provider around the element, across shadow roots', () => {
    const outer = document.createElement('section');
    const inner = document.createElement('section');
    const [outerHost, innerHost] = [fakeHost(), fakeHost()];
    provideConnectionHost(outer, outerHost);
    provideConnectionHost(inner, innerHost);
    const direct = document.createElement('span');
    const shadowed = document.createElement('span');
    const shadowHost = document.createElement('div');
    shadowHost.attachShadow({ mode: 'open' }).append(shadowed);
    inner.append(shadowHost);
    outer.append(inner, direct);
    root.append(outer);
    expect(requestConnectionHost(shadowed)).to.equal(innerHost);
    expect(requestConnectionHost(direct)).to.equal(outerHost);
  });

  it("leaves a provider's own request to the providers around it", () => {
    const outer = document.createElement('section');
    const inner = document.createElement('section');
    const outerHost = fakeHost();
    provideConnectionHost(outer, outerHost);
    provideConnectionHost(inner, fakeHost());
    outer.append(inner);
    root.append(outer);
    expect(requestConnectionHost(inner)).to.equal(outerHost);
  });

  it('gives undefined where no provider is around', () => {
    const lone = document.createElement('span');
    root.append(lone);
    expect(requestConnectionHost(lone)).to.equal(undefined);
  });

  it('speaks the community context protocol: other contexts pass by, and any consumer can ask', () => {
    const provider = document.createElement('section');
    const host = fakeHost();
    provideConnectionHost(provider, host);
    const child = document.createElement('span');
    provider.append(child);
    root.append(provider);
    // A request for another context is not answered here and goes on up.
    const seenAbove: unknown[] = [];
    root.addEventListener('context-request', (event) =>
      seenAbove.push((event as Event & { context: unknown }).context),
    );
    const ask = (context: unknown): unknown[] => {
      const values: unknown[] = [];
      const request = Object.assign(new Event('context-request', { bubbles: true, composed: true }), {
        context,
        contextTarget: child,
        callback: (value: unknown) => values.push(value),
        subscribe: true,
      });
      child.dispatchEvent(request);
      return values;
    };
    expect(ask('theme')).to.deep.equal([]);
    expect(seenAbove).to.deep.equal(['theme']);
    expect(ask(connectionContext)).to.deep.equal([host]);
    expect(seenAbove).to.deep.equal(['theme']);
  });
});
