// Real-browser checks for the crisis operations pages: a place-of-safety coordinator opens the
// detentions board and an episode and sees the 24-hour clock in words; a responder sees the
// availability board on a phone. axe-core must report no serious or critical violations.
//
// Harness in harness.mjs: Debian's Chromium (/usr/bin/chromium) via playwright-core, and a
// running demo server (BASE_URL, DATA_DIR with demo-logins.txt; CHROMIUM optional).
//   cd tests/browser && BASE_URL=… DATA_DIR=… node --test board.test.mjs

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoSeriousAxeViolations, loginFor, signIn, withPage } from './harness.mjs';

describe('detentions board', () => {
  test('a coordinator opens an episode from the board and sees the clock, in words', async () => {
    const login = loginFor('pos_coordinator');
    await withPage('board-coordinator', {}, async (page, { consoleErrors }) => {
      await signIn(page, login);
      await page.getByRole('link', { name: 'Detentions board' }).first().click();
      await page.waitForURL((url) => url.pathname === '/board');
      assert.equal(await page.locator('h1').innerText(), 'Detentions board');
      // Warnings are words, not colour alone (the demo has detentions under 4 hours and under 1 hour left).
      const text = await page.locator('main').innerText();
      assert.match(text, /Under 4 hours left/);
      assert.match(text, /Under 1 hour left/);
      assert.match(text, /(GMT|BST)/, 'deadlines are shown in UK time with the zone');
      assert.ok(await page.getByRole('link', { name: 'Refresh' }).first().isVisible(), 'a plain refresh link, no script needed');
      await assertNoSeriousAxeViolations(page, '/board');

      await page.locator('ul.board h2 a').first().click();
      await page.waitForURL((url) => /^\/episodes\/\d+$/.test(url.pathname));
      const clock = page.locator('section', { has: page.getByRole('heading', { name: 'The 24-hour clock' }) });
      assert.ok(await clock.isVisible(), 'the episode page shows the clock');
      const clockText = await clock.innerText();
      assert.match(clockText, /Started/);
      assert.match(clockText, /Time limit/);
      assert.match(clockText, /(left|breach|passed)/i);
      await assertNoSeriousAxeViolations(page, 'an episode page');
      assert.deepEqual(consoleErrors, [], 'no console errors (e.g. CSP violations)');
    });
  });
});

describe('availability board', () => {
  test('a responder on a phone sees places and how many are free', async () => {
    const login = loginFor('responder');
    await withPage('places-phone', { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }, async (page, { consoleErrors }) => {
      await signIn(page, login);
      await page.goto('/places');
      assert.equal(await page.locator('h1').innerText(), 'Places of safety');
      assert.match(await page.locator('main').innerText(), /(free|Full)/);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 390, `no horizontal scrolling on a phone (scrollWidth ${width})`);
      await assertNoSeriousAxeViolations(page, '/places on a phone');
      assert.deepEqual(consoleErrors, []);
    });
  });
});

describe('crisis contact form', () => {
  test('a triage nurse on a phone saves a draft with the defaults, then sees it listed as a draft', async () => {
    const login = loginFor('triage_clinician');
    await withPage('contact-phone', { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }, async (page, { consoleErrors }) => {
      await signIn(page, login);
      await page.goto('/contacts/new');
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 390, `no horizontal scrolling on a phone (scrollWidth ${width})`);
      assert.notEqual(await page.locator('input[name="called_at"]').inputValue(), '', 'the time of the call defaults to now');
      await assertNoSeriousAxeViolations(page, '/contacts/new on a phone');
      await Promise.all([
        page.waitForURL((url) => /^\/contacts\/\d+$/.test(url.pathname)),
        page.getByRole('button', { name: 'Save as a draft' }).click(),
      ]);
      assert.match(await page.locator('main').innerText(), /Draft: not finished/);
      await assertNoSeriousAxeViolations(page, 'a draft contact on a phone');
      assert.deepEqual(consoleErrors, []);
    });
  });
});
