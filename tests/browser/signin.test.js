// Real-browser checks for Concordat.
//
// Drives Debian's Chromium (/usr/bin/chromium) with playwright-core; never
// downloads a browser. Needs a running demo server:
//
//   BASE_URL   e.g. http://127.0.0.1:8080 (no trailing slash needed)
//   DATA_DIR   the demo's --data-dir, holding demo-logins.txt
//   CHROMIUM   optional, defaults to /usr/bin/chromium
//
// `.ci/run` starts the server and sets both. Run by hand with
//   cd tests/browser && npm ci && BASE_URL=… DATA_DIR=… node --test
//
// On failure a full-page screenshot goes to tests/browser/artifacts/
// (ignored by git).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoSeriousAxeViolations, loginFor, signIn, signInForm, withPage } from './harness.mjs';

async function assertHome(page, login) {
  assert.equal(new URL(page.url()).pathname, '/home', 'after sign-in the browser should be on /home');
  const h1 = page.locator('h1');
  assert.equal(await h1.count(), 1, 'the home page should have exactly one <h1>');
  const heading = (await h1.innerText()).trim();
  assert.ok(heading.length > 0, 'the home page <h1> should not be empty');
  console.log(`${login.role}: /home <h1> = ${JSON.stringify(heading)}`);
  const banners = page.getByText(/synthetic/i).filter({ visible: true });
  assert.ok((await banners.count()) > 0, 'every demo page should show a visible banner saying the data is synthetic');
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'concordat_session');
  assert.ok(session, 'sign-in should set the concordat_session cookie');
  assert.ok(session.httpOnly, 'the session cookie should be HttpOnly');
  assert.ok(session.sameSite === 'Lax' || session.sameSite === 'Strict', `the session cookie should be SameSite Lax or Strict (got ${session.sameSite})`);
}

describe('sign in as a demo user', () => {
  for (const role of ['triage_clinician', 'analyst']) {
    test(`${role}: sign in through the form, reach /home, no serious or critical axe violations`, async () => {
      const login = loginFor(role);
      await withPage(`home-${role}`, {}, async (page, { consoleErrors }) => {
        await signIn(page, login);
        await assertHome(page, login);
        await assertNoSeriousAxeViolations(page, `/home as ${role}`);
        assert.deepEqual(consoleErrors, [], 'signing in and showing /home should log no browser console errors (e.g. CSP violations)');
      });
    });
  }

  test('a wrong password keeps the user on the sign-in page, with no server error', async () => {
    const login = loginFor('triage_clinician');
    await withPage('wrong-password', {}, async (page) => {
      await page.goto('/sign-in');
      const form = signInForm(page);
      await form.locator('input[name="username"]').fill(login.username);
      await form.locator('input[name="password"]').fill(`${login.password}-wrong`);
      const [response] = await Promise.all([
        page.waitForNavigation({ timeout: 15_000 }),
        form.locator('button[type="submit"], input[type="submit"], button:not([type])').first().click(),
      ]);
      const status = response?.status() ?? 0;
      assert.ok(status >= 200 && status < 500, `a failed sign-in should not be a server error (got ${status})`);
      assert.notEqual(new URL(page.url()).pathname, '/home', 'a wrong password must not reach /home');
      assert.equal(await page.locator('input[name="password"]').count(), 1, 'the sign-in form should be shown again');
      await assertNoSeriousAxeViolations(page, 'the sign-in page after a failed attempt');
    });
  });
});

describe('sign-in page', () => {
  test('phone-sized viewport (390x844): form usable, no horizontal scrolling, no serious or critical axe violations', async () => {
    await withPage('sign-in-phone', { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 }, async (page, { consoleErrors }) => {
      const response = await page.goto('/sign-in');
      assert.equal(response?.status(), 200);
      const form = signInForm(page);
      for (const name of ['username', 'password']) {
        const input = form.locator(`input[name="${name}"]`);
        assert.ok(await input.isVisible(), `the ${name} input should be visible on a phone`);
        const box = await input.boundingBox();
        assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `the ${name} input should fit in 390 px (box ${JSON.stringify(box)})`);
        // Every input needs a visible <label> (explicit or wrapping), not just a placeholder.
        const labelText = await input.evaluate((el) => Array.from(el.labels ?? []).map((l) => l.innerText.trim()).join(' '));
        assert.ok(labelText.length > 0, `the ${name} input should have a visible <label>`);
      }
      assert.ok(
        (await page.getByText(/synthetic/i).filter({ visible: true }).count()) > 0,
        'the demo sign-in page should also show the banner saying the data is synthetic',
      );
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `the sign-in page scrolls sideways by ${overflow}px on a 390 px wide screen`);
      await assertNoSeriousAxeViolations(page, '/sign-in at 390x844');
      assert.deepEqual(consoleErrors, [], 'the sign-in page should log no browser console errors (e.g. CSP violations)');
    });
  });

  test('security headers: a Content-Security-Policy without inline script, nosniff, frame-ancestors none', async () => {
    await withPage('security-headers', {}, async (page) => {
      const response = await page.request.get('/sign-in');
      assert.equal(response.status(), 200);
      const headers = response.headers();
      const csp = headers['content-security-policy'] ?? '';
      assert.ok(csp !== '', 'GET /sign-in should send a Content-Security-Policy header');
      const directives = Object.fromEntries(
        csp
          .split(';')
          .map((d) => d.trim().split(/\s+/))
          .filter((parts) => parts[0])
          .map(([name, ...values]) => [name.toLowerCase(), values]),
      );
      const scriptSrc = directives['script-src'] ?? directives['default-src'] ?? [];
      assert.ok(scriptSrc.length > 0, `the CSP should restrict scripts (script-src or default-src): ${csp}`);
      assert.ok(!scriptSrc.includes("'unsafe-inline'"), `the CSP should not allow inline script: ${csp}`);
      assert.deepEqual(directives['frame-ancestors'], ["'none'"], `the CSP should say frame-ancestors 'none': ${csp}`);
      assert.equal(headers['x-content-type-options'], 'nosniff');
      assert.ok(headers['referrer-policy'], 'a Referrer-Policy header should be sent');
    });
  });
});
