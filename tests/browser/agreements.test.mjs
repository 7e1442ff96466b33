// Real-browser check of sharing agreements as a workflow: the trust's administrator drafts an agreement
// with the police, the trust's privacy officer and the police's privacy officer each sign it, and the
// printable summary then shows it in force with both signatures. axe-core must report no serious or
// critical violations on the list, the draft form (with its error summary) and the summary.
//
// The police's privacy officer (demo.police.privacy) is not one of the printed demo logins; every demo
// account shares the demo password, so it signs in with the privacy officer login's password.
//
// Harness in harness.mjs: Debian's Chromium (/usr/bin/chromium) via playwright-core, and a running demo
// server (BASE_URL, DATA_DIR with demo-logins.txt; CHROMIUM optional).
//   cd tests/browser && BASE_URL=… DATA_DIR=… node --test agreements.test.mjs

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoSeriousAxeViolations, loginFor, signIn, withPage } from './harness.mjs';

/** Console errors apart from the 422 answers to the deliberately bad form. */
function unexpected(errors) {
  return errors.filter((e) => !/status of 422/.test(e));
}

async function signAs(login, url, position) {
  await withPage(`agreements-sign-${login.username}`, {}, async (page, ctx) => {
    await signIn(page, login);
    await page.goto(url);
    await page.getByLabel('Your position').fill(position);
    await Promise.all([
      page.waitForURL((u) => u.pathname === new URL(url, 'http://x').pathname && /done=/.test(u.search)),
      page.getByRole('button', { name: 'Sign the agreement' }).click(),
    ]);
    assert.match(await page.locator('.banner.notice').innerText(), /signature is recorded|Every party has signed/);
    assert.deepEqual(unexpected(ctx.consoleErrors), []);
  });
}

describe('sharing agreements', () => {
  test('an administrator drafts, both parties sign, the summary shows it in force', async () => {
    const admin = loginFor('administrator');
    const trustPrivacy = loginFor('privacy_officer');
    const policePrivacy = { ...trustPrivacy, username: 'demo.police.privacy' };
    const title = `Identity for officers ${Date.now().toString(36)}`;
    let url = '';
    await withPage('agreements-draft', {}, async (page, ctx) => {
      await signIn(page, admin);
      await page.getByRole('link', { name: 'Sharing agreements' }).first().click();
      await page.waitForURL((u) => u.pathname === '/agreements');
      await assertNoSeriousAxeViolations(page, '/agreements');
      await page.getByRole('link', { name: 'Draft an agreement' }).click();
      await page.waitForURL((u) => u.pathname === '/agreements/new');
      // Bad input: the error summary names each field.
      await page.getByRole('button', { name: 'Save the draft' }).click();
      const summary = page.locator('.error-summary');
      await summary.waitFor();
      assert.match(await summary.innerText(), /Enter a title/);
      assert.match(await summary.innerText(), /Choose at least one category/);
      await assertNoSeriousAxeViolations(page, '/agreements (errors)');

      await page.getByLabel('Title').fill(title);
      await page.getByLabel('Purpose').fill('Officers at the scene confirm who a person in crisis is.');
      await page.getByLabel('Received by').selectOption({ label: 'Northvale Police' });
      await page.getByLabel('Identity').check();
      await page.getByLabel('Legal basis').selectOption('direct_care');
      await Promise.all([
        page.waitForURL((u) => /^\/agreements\/\d+$/.test(u.pathname)),
        page.getByRole('button', { name: 'Save the draft' }).click(),
      ]);
      url = new URL(page.url()).pathname;
      assert.match(await page.locator('#status').innerText(), /Draft: waiting for signatures/);
      assert.deepEqual(unexpected(ctx.consoleErrors), []);
    });

    await signAs(trustPrivacy, url, 'Caldicott Guardian');
    await signAs(policePrivacy, url, 'Data Protection Officer');

    await withPage('agreements-summary', {}, async (page, ctx) => {
      await signIn(page, admin);
      await page.goto(url);
      assert.equal(await page.locator('h1').innerText(), title);
      assert.match(await page.locator('#status').innerText(), /In force/);
      const signatures = await page.locator('table').innerText();
      assert.match(signatures, /Caldicott Guardian/);
      assert.match(signatures, /Data Protection Officer/);
      assert.match(signatures, /Ian Trelawney/);
      await assertNoSeriousAxeViolations(page, url);
      // The printed summary leaves out the forms and the way back.
      await page.emulateMedia({ media: 'print' });
      assert.equal(await page.locator('form').first().isVisible(), false);
      assert.equal(await page.locator('.header').first().isVisible(), false);
      assert.equal(await page.locator('#status').isVisible(), true);
      assert.deepEqual(unexpected(ctx.consoleErrors), []);
    });
  });
});
