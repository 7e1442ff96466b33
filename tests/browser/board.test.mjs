// Real-browser checks for the crisis operations pages: a place-of-safety coordinator opens the
// detentions board and an episode and sees the 24-hour clock in words; a responder sees the
// availability board on a phone. axe-core must report no serious or critical violations.
//
// Same set-up as signin.test.js: Debian's Chromium (/usr/bin/chromium) via playwright-core, and a
// running demo server (BASE_URL, DATA_DIR with demo-logins.txt; CHROMIUM optional).
//   cd tests/browser && BASE_URL=… DATA_DIR=… node --test board.test.mjs

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

const BASE_URL = (process.env.BASE_URL ?? '').replace(/\/+$/, '');
const DATA_DIR = process.env.DATA_DIR ?? '';
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = path.join(here, 'artifacts');

if (!BASE_URL || !DATA_DIR) {
  throw new Error('BASE_URL and DATA_DIR must be set (the demo server URL and its --data-dir)');
}

// Evaluated through the DevTools protocol, so the page keeps its strict CSP (see signin.test.js).
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

function loginFor(role) {
  const text = readFileSync(path.join(DATA_DIR, 'demo-logins.txt'), 'utf8');
  for (const raw of text.split(/\r?\n/)) {
    if (raw.trim() === '' || raw.trim().startsWith('#')) continue;
    const [username, password, r] = raw.split('\t');
    if ((r ?? '').trim() === role) return { username, password, role };
  }
  assert.fail(`demo-logins.txt in ${DATA_DIR} has no login with role ${role}`);
}

let browser;

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
});

async function withPage(name, contextOptions, fn) {
  const context = await browser.newContext({ baseURL: BASE_URL, ...contextOptions });
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const where = msg.location()?.url ?? '';
    if (/\/favicon\.ico$/.test(where)) return;
    consoleErrors.push(where ? `${msg.text()} (${where})` : msg.text());
  });
  page.on('pageerror', (err) => consoleErrors.push(`uncaught: ${err.message}`));
  try {
    await fn(page, { consoleErrors });
  } catch (err) {
    const file = path.join(ARTIFACTS, `${name.replace(/[^a-z0-9_-]+/gi, '_')}.png`);
    try {
      await page.screenshot({ path: file, fullPage: true });
      err.message += `\n  screenshot: ${file}\n  page url: ${page.url()}`;
    } catch (shotErr) {
      err.message += `\n  (screenshot failed: ${shotErr.message})`;
    }
    if (consoleErrors.length > 0) err.message += `\n  browser console errors:\n    ${consoleErrors.join('\n    ')}`;
    throw err;
  } finally {
    await context.close();
  }
}

async function assertNoSeriousAxeViolations(page, where) {
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const results = await window.axe.run(document, { resultTypes: ['violations'] });
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary ?? ''}`),
    }));
  });
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const minor = violations.filter((v) => !bad.includes(v));
  if (minor.length > 0) console.log(`axe (${where}): minor/moderate: ${minor.map((v) => `${v.id} [${v.impact}]`).join(', ')}`);
  if (bad.length > 0) {
    const text = bad.map((v) => `  - ${v.id} [${v.impact}] ${v.help}\n      ${v.nodes.slice(0, 5).join('\n      ')}`).join('\n');
    assert.fail(`axe-core found ${bad.length} serious/critical violation(s) on ${where}:\n${text}`);
  }
}

async function signIn(page, login) {
  await page.goto('/sign-in');
  const form = page.locator('form').filter({ has: page.locator('input[name="username"]') });
  await form.locator('input[name="username"]').fill(login.username);
  await form.locator('input[name="password"]').fill(login.password);
  await Promise.all([
    page.waitForURL((url) => url.pathname === '/home', { timeout: 15_000 }),
    form.locator('button[type="submit"]').first().click(),
  ]);
}

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
