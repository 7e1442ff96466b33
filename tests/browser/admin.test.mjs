// Real-browser check of administration: an administrator invites a triage clinician; the invited person
// opens the link, sets a username and password and enrols MFA; the administrator disables them and their
// session ends (the next page is the sign-in page). axe-core must report no serious or critical violations
// on any admin page, the acceptance page or the error summaries.
//
// Harness in harness.mjs: Debian's Chromium (/usr/bin/chromium) via playwright-core, and a running demo
// server (BASE_URL, DATA_DIR with demo-logins.txt; CHROMIUM optional).
//   cd tests/browser && BASE_URL=… DATA_DIR=… node --test admin.test.mjs

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { assertNoSeriousAxeViolations, loginFor, signIn, withPage } from './harness.mjs';

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s) from a base32 secret, as an authenticator app computes it. */
function totp(secretBase32, at = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secretBase32.replace(/=+$/, '').toUpperCase()) {
    const v = alphabet.indexOf(c);
    if (v < 0) throw new Error(`not base32: ${c}`);
    bits += v.toString(2).padStart(5, '0');
  }
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(code).padStart(6, '0');
}

/** Console errors apart from the 422 answers to the deliberately bad forms above. */
function unexpected(errors) {
  return errors.filter((e) => !/status of 422/.test(e));
}

describe('administration', () => {
  test('invite, accept with a password and MFA, then disabling ends the session', async () => {
    const admin = loginFor('administrator');
    const suffix = Date.now().toString(36);
    const username = `browser.${suffix}`;
    const name = `Browser Tester ${suffix}`;
    const password = 'lantern orchard pebble';
    await withPage('admin-admin', {}, async (adminPage, adminCtx) => {
      await signIn(adminPage, admin);
      await adminPage.getByRole('link', { name: 'Users' }).first().click();
      await adminPage.waitForURL((url) => url.pathname === '/admin/users');
      assert.equal(await adminPage.locator('h1').innerText(), 'Users');
      await assertNoSeriousAxeViolations(adminPage, '/admin/users');

      await adminPage.getByRole('link', { name: 'Invite someone' }).click();
      await adminPage.waitForURL((url) => url.pathname === '/admin/invitations/new');
      await assertNoSeriousAxeViolations(adminPage, '/admin/invitations/new');
      // Bad input: the error summary names the fields.
      await adminPage.getByRole('button', { name: 'Create the invitation' }).click();
      const summary = adminPage.locator('.error-summary');
      await summary.waitFor();
      assert.match(await summary.innerText(), /Enter the person's name/);
      assert.match(await summary.innerText(), /Choose the role/);
      await assertNoSeriousAxeViolations(adminPage, 'the invitation form with errors');

      await adminPage.getByLabel('Their name').fill(name);
      await adminPage.getByLabel('Role').selectOption('triage_clinician');
      await adminPage.getByRole('button', { name: 'Create the invitation' }).click();
      await adminPage.locator('h1', { hasText: 'Invitation created' }).waitFor();
      const link = await adminPage.getByLabel('Invitation link').inputValue();
      assert.match(link, /\/invite\?token=[A-Za-z0-9_-]{40,}$/);
      await assertNoSeriousAxeViolations(adminPage, 'the invitation link page');

      await withPage('admin-invited', {}, async (page, ctx) => {
        await page.goto(link);
        assert.equal(await page.locator('h1').innerText(), 'Accept your invitation');
        assert.match(await page.locator('main').innerText(), new RegExp(`Welcome, ${name}`));
        await assertNoSeriousAxeViolations(page, '/invite');
        // A weak password is refused by field.
        await page.getByLabel('Choose a username').fill(username);
        await page.getByLabel('Choose a password').fill('short');
        await page.getByLabel('Type the password again').fill('short');
        await page.getByRole('button', { name: 'Create my account' }).click();
        await page.locator('.error-summary').waitFor();
        assert.match(await page.locator('.error-summary').innerText(), /12/);
        await assertNoSeriousAxeViolations(page, '/invite with errors');

        await page.getByLabel('Choose a password').fill(password);
        await page.getByLabel('Type the password again').fill(password);
        await Promise.all([
          page.waitForURL((url) => url.pathname === '/mfa/enrol'),
          page.getByRole('button', { name: 'Create my account' }).click(),
        ]);
        const secret = (await page.locator('code.secret').innerText()).trim();
        await page.getByLabel('Security code').fill(totp(secret));
        await page.getByRole('button', { name: 'Turn on' }).click();
        await page.locator('h1', { hasText: /recovery codes/i }).waitFor();
        await page.goto('/home');
        assert.equal(new URL(page.url()).pathname, '/home');
        assert.match(await page.locator('header').innerText(), new RegExp(name));

        // The administrator disables the new account.
        await adminPage.goto('/admin/users');
        await adminPage.getByRole('link', { name, exact: true }).click();
        await adminPage.waitForURL((url) => /^\/admin\/users\/\d+$/.test(url.pathname));
        assert.doesNotMatch(await adminPage.locator('.summary').innerText(), /Last sign-in\s+never/);
        await assertNoSeriousAxeViolations(adminPage, 'a user page');
        await adminPage.getByRole('button', { name: 'Disable the account' }).click();
        await adminPage.locator('.banner.notice').waitFor();
        assert.match(await adminPage.locator('#status').innerText(), /Disabled/);
        await assertNoSeriousAxeViolations(adminPage, 'a user page after disabling');

        // The disabled user's next request gets the sign-in page.
        await page.goto('/home');
        assert.equal(new URL(page.url()).pathname, '/sign-in');
        assert.deepEqual(unexpected(ctx.consoleErrors), [], 'no console errors on the invited side');
      });

      await adminPage.goto('/admin/organisations');
      await assertNoSeriousAxeViolations(adminPage, '/admin/organisations');
      await adminPage.locator('table a').first().click();
      await adminPage.waitForURL((url) => /^\/admin\/organisations\/\d+$/.test(url.pathname));
      await assertNoSeriousAxeViolations(adminPage, 'an organisation form');
      assert.deepEqual(unexpected(adminCtx.consoleErrors), [], 'no console errors on the admin side');
    });
  });
});
