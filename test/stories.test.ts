/**
 * Renders every story of every stories file in this browser, as Storybook would: args from the meta and the story,
 * the story's render (or the meta's). A story fails if rendering throws, an uncaught error or rejection happens
 * while it settles, or it renders no element.
 */
import { expect } from '@open-wc/testing';
import { html, render, type TemplateResult } from 'lit';
// Made by the test runner from the stories folder (see web-test-runner.config.js).
// @ts-expect-error: a module the test server writes, with no type declarations
import allStories from '/all-stories.js';
import type { LitElement } from 'lit';
import { until } from './helpers.js';

type Args = Record<string, unknown>;
type Render = (args: Args, context: { args: Args; id: string }) => TemplateResult;
interface StoryModule {
  default: { title: string; args?: Args; render?: Render };
  [name: string]: unknown;
}

const modules = allStories as Record<string, StoryModule>;

describe('stories', () => {
  it('are found', () => {
    expect(Object.keys(modules).length).to.be.at.least(3);
  });

  for (const [file, module] of Object.entries(modules)) {
    const meta = module.default;
    for (const [name, story] of Object.entries(module)) {
      if (name === 'default' || name === '__namedExportsOrder') continue;
      it(`${meta.title} / ${name} renders (${file})`, async () => {
        const { args: storyArgs = {}, render: storyRender } = story as { args?: Args; render?: Render };
        const args = { ...meta.args, ...storyArgs };
        const renderStory = storyRender ?? meta.render;
        expect(renderStory, 'a render function').to.be.a('function');
        const failures: string[] = [];
        const onError = (e: ErrorEvent) => failures.push(e.message);
        const onRejection = (e: PromiseRejectionEvent) => failures.push(String(e.reason));
        window.addEventListener('error', onError);
        window.addEventListener('unhandledrejection', onRejection);
        const container = document.createElement('div');
        document.body.append(container);
        try {
          render(renderStory!(args, { args, id: `${file}--${name}` }), container);
          const elements = [...container.querySelectorAll('*')];
          expect(elements.length, 'rendered elements').to.be.greaterThan(0);
          const kit = elements.filter((el) =>
            /^(peer-connection|call-room|local-track|remote-streams?)$/.test(el.localName),
          );
          await Promise.all(kit.map((el) => (el as LitElement).updateComplete));
          // Live stories settle: captures finish one way or the other.
          await until(
            () => kit.every((el) => el.getAttribute('state') !== 'acquiring'),
            'captures to settle',
          );
          expect(failures).to.deep.equal([]);
        } finally {
          window.removeEventListener('error', onError);
          window.removeEventListener('unhandledrejection', onRejection);
          container.remove();
        }
      });
    }
  }

  it('peer-connection / SeparateStreamless follows its streamless control, as Storybook re-renders it', async function () {
    this.timeout(20000);
    const module = Object.values(modules).find((m) => m.default.title === 'Elements/peer-connection')!;
    const story = module.SeparateStreamless as { render: (args: Args, context: object) => TemplateResult };
    const container = document.createElement('div');
    document.body.append(container);
    // Storybook keeps the canvas and renders the story again with the new args.
    const canvasElement = document.createElement('div');
    const farSide = () =>
      container.querySelectorAll('peer-connection')[1] as unknown as { remoteStreams: unknown[] };
    try {
      for (const [streamless, streams] of [
        ['shared', 1],
        ['separate', 2],
      ] as const) {
        render(story.render({ streamless, polite: false }, { canvasElement }), container);
        await until(
          () => farSide().remoteStreams.length === streams,
          `${streams} remote streams with ${streamless}`,
        );
      }
    } finally {
      render(html``, container);
      container.remove();
    }
  });
});
