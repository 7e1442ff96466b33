// Shared harness for the real-browser tests (*.test.js, *.test.mjs): Debian's Chromium driven by
// playwright-core (never a downloaded browser), demo logins, a page per test with a screenshot and the
// browser console on failure, axe-core checks and sign-in. Importing it launches the browser before the
// file's tests and closes it after them. Needs BASE_URL and DATA_DIR (see signin.test.js).

import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

export const BASE_URL = (process.env.BASE_URL ?? '').replace(/\/+$/, '');
export const DATA_DIR = process.env.DATA_DIR ?? '';
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
export function readLogins(dataDir) {
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

export function loginFor(role) {
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
export async function withPage(name, contextOptions, fn) {
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
export async function assertNoSeriousAxeViolations(page, where) {
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
export function signInForm(page) {
  return page.locator('form').filter({ has: page.locator('input[name="username"]') });
}

export async function signIn(page, login) {
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
