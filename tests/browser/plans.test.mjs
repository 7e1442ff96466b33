// Real-browser check for crisis plans: a responder on a phone-sized viewport finds a person by family
// name and date of birth and sees only the plan sections shared with police under the person's consent;
// axe-core reports no serious or critical violations on the search and person pages.
//
// Same harness as signin.test.js (Debian Chromium via playwright-core, BASE_URL and DATA_DIR set,
// a demo server running). Run with
//   cd tests/browser && BASE_URL=… DATA_DIR=… node --test plans.test.mjs
//
// Which person? A crisis clinician of the trust (who sees the whole plan and the consent) looks through
// the plans due for review and the support list for someone who agreed to share with police; the
// expected sections are those that clinician's page marks "All responders" and the person consented to.

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
  throw new Error(
    'BASE_URL and DATA_DIR must be set (the demo server URL and its --data-dir); `.ci/run` sets both',
  );
}

// axe-core's browser bundle, evaluated in the page through the DevTools
// protocol (page.evaluate). The site's Content-Security-Policy forbids
// inline script, so page.addScriptTag (which inserts an inline <script>)
// is blocked; Runtime.evaluate is not subject to the page's CSP, so the
// page under test keeps its real policy (no bypassCSP).
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Parses demo-logins.txt: '#' comments; TAB-separated username, password, role code, organisation. */
function readLogins(dataDir) {
  const file = path.join(dataDir, 'demo-logins.txt');
  const logins = [];
  for (const raw of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [username, password, role, organisation] = raw.split('\t');
    if (!username || !password || !role) {
      throw new Error(`demo-logins.txt: malformed line (expected 4 TAB-separated fields): ${JSON.stringify(line.slice(0, 40))}…`);
    }
    logins.push({ username, password, role: role.trim(), organisation: (organisation ?? '').trim() });
  }
  return logins;
}

function loginFor(role) {
  const login = readLogins(DATA_DIR).find((l) => l.role === role);
  assert.ok(login, `demo-logins.txt in ${DATA_DIR} has no login with role ${role}`);
  return login;
}

let browser;

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // playwright-core adds --headless itself when headless is true (the default);
    // the list is spelled out so the flags match what CI documents.
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

after(async () => {
  await browser?.close();
});

/**
 * Runs `fn(page, ctx)` in a fresh context; on failure saves a full-page
 * screenshot as artifacts/<name>.png, and adds the browser console errors
 * to the error message, then rethrows.
 */
async function withPage(name, contextOptions, fn) {
  const context = await browser.newContext({ baseURL: BASE_URL, ...contextOptions });
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const where = msg.location()?.url ?? '';
    // A missing favicon is the browser guessing, not the page's fault.
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
    if (consoleErrors.length > 0) {
      err.message += `\n  browser console errors:\n    ${consoleErrors.join('\n    ')}`;
    }
    throw err;
  } finally {
    await context.close();
  }
}

/** Runs axe-core on the current page and fails on serious or critical violations, listed readably. */
async function assertNoSeriousAxeViolations(page, where) {
  const alreadyLoaded = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!alreadyLoaded) {
    await page.evaluate(AXE_SOURCE);
  }
  const violations = await page.evaluate(async () => {
    const results = await window.axe.run(document, { resultTypes: ['violations'] });
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary ?? '' })),
    }));
  });
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const minor = violations.filter((v) => !bad.includes(v));
  if (minor.length > 0) {
    console.log(`axe (${where}): ${minor.length} minor/moderate finding(s): ${minor.map((v) => `${v.id} [${v.impact}]`).join(', ')}`);
  }
  if (bad.length > 0) {
    const text = bad
      .map((v) => {
        const nodes = v.nodes
          .slice(0, 5)
          .map((n) => `      at ${n.target}\n        ${n.summary.replace(/\n/g, '\n        ')}`)
          .join('\n');
        const more = v.nodes.length > 5 ? `\n      … and ${v.nodes.length - 5} more element(s)` : '';
        return `  - ${v.id} [${v.impact}] ${v.help}\n    ${v.helpUrl}\n${nodes}${more}`;
      })
      .join('\n');
    assert.fail(`axe-core found ${bad.length} serious/critical violation(s) on ${where}:\n${text}`);
  }
}

/** The sign-in form: the <form> that holds the username input. */
function signInForm(page) {
  return page.locator('form').filter({ has: page.locator('input[name="username"]') });
}

async function signIn(page, login) {
  const response = await page.goto('/sign-in');
  assert.equal(response?.status(), 200, 'GET /sign-in should answer 200');
  const form = signInForm(page);
  assert.equal(await form.count(), 1, 'the sign-in page should have exactly one form with a username input');
  assert.equal(await form.locator('input[name="csrf"]').count(), 1, 'the sign-in form should carry a hidden csrf field');
  await form.locator('input[name="username"]').fill(login.username);
  await form.locator('input[name="password"]').fill(login.password);
  await Promise.all([
    page.waitForURL((url) => url.pathname === '/home', { timeout: 15_000 }),
    form.locator('button[type="submit"], input[type="submit"], button:not([type])').first().click(),
  ]);
}


const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

async function summaryValue(page, term) {
  const dt = page.locator('dl.summary dt', { hasText: new RegExp(`^${term}$`) }).first();
  if ((await dt.count()) === 0) return null;
  return (await dt.locator('xpath=following-sibling::dd[1]').innerText()).trim();
}

/** As a crisis clinician: a person whose plan is shared with police, with what police should see. */
async function findSharedPlan(page) {
  const ids = new Set();
  for (const list of ['/plans/reviews', '/support/repeat-contact']) {
    await page.goto(list);
    for (const href of await page.locator('table a[href^="/people/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')))) {
      ids.add(href);
    }
  }
  assert.ok(ids.size > 0, 'the demo should list some people with plans for the crisis clinician');
  for (const href of [...ids].slice(0, 60)) {
    await page.goto(href);
    const decision = await summaryValue(page, 'Decision');
    const sharedWith = (await summaryValue(page, 'Shared with')) ?? '';
    const sections = (await summaryValue(page, 'Sections')) ?? '';
    if (decision !== 'Consent given' || !sharedWith.includes('Police force')) continue;
    const consented = sections.split(';').map((s) => s.trim());
    const expected = [];
    for (const sec of await page.locator('section.plan-section').all()) {
      const id = await sec.locator('h2').getAttribute('id');
      const title = (await sec.locator('h2').innerText()).trim();
      const hint = await sec.locator('.hint').innerText();
      if (id && id.startsWith('sec-') && hint.includes('All responders') && consented.includes(title)) expected.push(id);
    }
    if (expected.length === 0) continue;
    const name = (await page.locator('h1').innerText()).trim();
    const dob = await summaryValue(page, 'Date of birth');
    return { href, family: name.split(/\s+/).pop(), dob, expected };
  }
  return null;
}

describe('crisis plans', () => {
  test('a responder on a 390x844 phone finds a plan and sees only the shared sections; no serious axe violations', async () => {
    let target;
    await withPage('plans-clinician', {}, async (page) => {
      await signIn(page, loginFor('crisis_clinician'));
      target = await findSharedPlan(page);
    });
    assert.ok(target, 'the demo should hold a plan shared with police under the person\'s consent');
    await withPage('plans-responder-phone', PHONE, async (page, { consoleErrors }) => {
      await signIn(page, loginFor('responder'));
      await page.goto('/people');
      await page.locator('input[name="family_name"]').fill(target.family);
      await page.locator('input[name="date_of_birth"]').fill(target.dob);
      await Promise.all([
        page.waitForURL((url) => url.pathname === '/people' && url.search.includes('family_name'), { timeout: 15_000 }),
        page.locator('form[action="/people"] button[type="submit"]').click(),
      ]);
      await assertNoSeriousAxeViolations(page, 'search results on a phone');
      const link = page.locator(`ul.results a[href="${target.href}"]`);
      assert.equal(await link.count(), 1, `the search should find ${target.href}`);
      const t0 = Date.now();
      await Promise.all([page.waitForURL((url) => url.pathname === target.href), link.click()]);
      console.log(`responder: person page opened in ${Date.now() - t0} ms`);
      const shown = await page.locator('section.plan-section h2[id^="sec-"]').evaluateAll((hs) => hs.map((h) => h.id));
      assert.deepEqual(shown.sort(), [...target.expected].sort(), 'the responder sees exactly the all-responders sections the person agreed to share');
      const body = await page.locator('main').innerText();
      assert.ok(!/Shared with: (Clinicians only|The person's care team)/.test(body), 'no clinical or care-team section reaches police');
      // What helps comes first when it is shared.
      if (shown.includes('sec-what_helps')) {
        assert.equal(await page.locator('section.plan-section h2').first().getAttribute('id'), 'sec-what_helps');
      }
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 390, `no horizontal scrolling on a phone (scrollWidth ${width})`);
      await assertNoSeriousAxeViolations(page, 'the person page on a phone');
      assert.deepEqual(consoleErrors, [], 'no browser console errors');
    });
  });
});
