// @ts-check
/**
 * The demo room end to end: separate people (browser contexts) in real browsers join one room through the real relay
 * and see each other's live video; screen share mid-call, leaving, and a relay restart mid-call. Run inside the test
 * network namespace by `npm run test:e2e`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  browsers,
  join,
  launch,
  restartableRelay,
  showingPagesOnFailure,
  snapshot,
  startDemo,
  waitFor,
  waitForLiveTiles,
} from './support.js';

/** @type {Awaited<ReturnType<typeof startDemo>>} */
let demo;
before(async () => {
  demo = await startDemo();
});
after(() => demo?.close());

let rooms = 0;
const roomName = () => `e2e-${process.pid}-${++rooms}`;

for (const browserName of browsers) {
  describe(`the demo room in ${browserName}`, { timeout: 240_000 }, () => {
    /** @type {import('puppeteer-core').Browser} */
    let browser;
    /** @type {Awaited<ReturnType<typeof restartableRelay>>} */
    let relay;
    before(async () => {
      browser = await launch(browserName);
      relay = await restartableRelay();
    });
    after(async () => {
      await browser?.close();
      await relay?.stop().catch(() => {});
    });

    it('three people see each other; one shares a screen; one leaves; the relay restarts and the room re-forms', async () => {
      const room = roomName();
      /** @type {Awaited<ReturnType<typeof join>>[]} */
      const people = [];
      for (const name of ['Ana', 'Ben', 'Cleo']) {
        people.push(await join(browser, demo.url, { room, relay: relay.url, name }));
        // The first one in says so, not that she is out of the room.
        if (name === 'Ana')
          await waitFor(
            people[0].page,
            (s) => s.presence === 'You are alone in the room.',
            'Ana alone in the room',
          );
      }
      await showingPagesOnFailure(people, async () => {
        const [ana, ben, cleo] = people;
        const others = (/** @type {string} */ name) => ['Ana', 'Ben', 'Cleo'].filter((n) => n !== name);
        for (const person of people) await waitForLiveTiles(person.page, others(person.name), 60_000);
        for (const person of people)
          await waitFor(
            person.page,
            (s) => others(person.name).every((name) => s.presence.includes(name)),
            `${person.name} in the call with the two others`,
          );

        // Mid-call: Ana shares her screen (Chromium), or turns her camera off and on again (headless Firefox has no
        // screen to share, so there the toggle must fail readably and leave the call alone).
        if (browserName === 'chromium') {
          await ana.page.click('button[data-kind="screen"]');
          for (const person of [ben, cleo])
            await waitForLiveTiles(person.page, [...others(person.name), 'Ana']);
        } else {
          await ana.page.click('button[data-kind="screen"]');
          await waitFor(
            ana.page,
            (s) => s.log.some((line) => /screen: .*NotFoundError/.test(line)),
            'a readable screen error',
          );
          // Shown and read out as it happens, not only in the collapsed log.
          assert.match((await snapshot(ana.page)).problem, /^Problem: .*NotFoundError/);
          const pressed = await ana.page.$eval('button[data-kind="screen"]', (b) =>
            b.getAttribute('aria-pressed'),
          );
          assert.equal(pressed, 'false', 'the screen button up again, ready for another try');
          await ana.page.click('button[data-kind="video"]');
          for (const person of [ben, cleo])
            await waitFor(
              person.page,
              (s) => !s.tiles.some((t) => t.name === 'Ana' && t.width > 0),
              'Ana’s video gone',
            );
          await ana.page.click('button[data-kind="video"]');
          for (const person of [ben, cleo]) await waitForLiveTiles(person.page, others(person.name));
        }

        // Ana closes her tab: her tiles go away on the others, who keep each other.
        await ana.context.close();
        for (const person of [ben, cleo]) {
          await waitForLiveTiles(
            person.page,
            others(person.name).filter((n) => n !== 'Ana'),
          );
          assert.deepEqual((await snapshot(person.page)).peers.length, 1);
        }

        // The relay goes away mid-call and comes back. Media never stopped, so Ben and Cleo keep their call; both
        // rejoin, and a newcomer meets them through the restarted relay.
        await relay.stop();
        await waitForLiveTiles(ben.page, ['Cleo']);
        await relay.start();
        await waitFor(
          ben.page,
          () => relay.stats().peers === 2,
          'Ben and Cleo back in the relay’s room',
          30_000,
        );
        const dora = await join(browser, demo.url, { room, relay: relay.url, name: 'Dora' });
        people.push(dora);
        for (const person of [ben, cleo, dora])
          await waitForLiveTiles(
            person.page,
            ['Ben', 'Cleo', 'Dora'].filter((n) => n !== person.name),
            60_000,
          );

        for (const person of [ben, cleo, dora]) {
          // Firefox reports each refused reconnection to the stopped relay as a page error; those are expected.
          const relayDown = /establish a connection to the server at ws:/;
          assert.deepEqual(
            person.problems.filter((p) => !relayDown.test(p)),
            [],
            `${person.name}'s page had no errors`,
          );
          const shown = await snapshot(person.page);
          assert.equal(shown.state, 'joined');
          assert.ok(
            !shown.log.some((line) => line.includes('error')),
            `${person.name}'s log: ${shown.log.join('; ')}`,
          );
        }
        for (const person of [ben, cleo, dora]) await person.context.close();
      });
    });
  });
}

describe(
  'a call between Chromium and Firefox',
  { skip: browsers.length < 2 && 'needs both browsers', timeout: 180_000 },
  () => {
    /** @type {import('puppeteer-core').Browser[]} */
    const open = [];
    after(async () => {
      await Promise.all(open.map((b) => b.close()));
    });

    // As the README's first steps say: two pages of the bare address meet in the lobby, over the dev server's relay.
    it('each side sees the other; a screen shared from Chromium reaches Firefox', async () => {
      const [chromium, firefox] = await Promise.all([launch('chromium'), launch('firefox')]);
      open.push(chromium, firefox);
      const ana = await join(chromium, demo.url, { name: 'Ana (Chromium)' });
      const ben = await join(firefox, demo.url, { name: 'Ben (Firefox)' });
      assert.equal(new URL(ben.page.url()).searchParams.get('room'), 'lobby', 'the room named in the URL');
      await waitForLiveTiles(ana.page, ['Ben (Firefox)'], 60_000);
      await waitForLiveTiles(ben.page, ['Ana (Chromium)'], 60_000);
      await ana.page.click('button[data-kind="screen"]');
      await waitForLiveTiles(ben.page, ['Ana (Chromium)', 'Ana (Chromium)']);
      assert.deepEqual([...ana.problems, ...ben.problems], []);
    });
  },
);
