// Real-browser check for the alliance (issue 14, first part: members). A coordinator adds an
// unregistered community group with a local identifier and invites an expert by experience; the
// expert by experience, on a 390x844 phone, sees the alliance, opens a member's profile, and keeps
// their lived experience to themselves on their own profile. axe-core reports no serious or critical
// violations on each page; no horizontal scrolling on the phone.
//
// Harness in harness.mjs. Run with
//   cd tests/browser && BASE_URL=… DATA_DIR=… node --test alliance.test.mjs

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoSeriousAxeViolations, loginFor, signIn, withPage } from './harness.mjs';

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

describe('the alliance', () => {
  test('a coordinator adds a community group and invites a person; an expert by experience on a phone sees the members and their own profile', async () => {
    const group = `Canal Walkers ${Date.now() % 100000}`;
    await withPage('alliance-coordinator', {}, async (page, { consoleErrors }) => {
      await signIn(page, loginFor('alliance_coordinator'));
      await page.locator('a[href="/alliance"]').first().click();
      await page.waitForURL((u) => u.pathname === '/alliance');
      await assertNoSeriousAxeViolations(page, 'the alliance page (coordinator)');
      await page.goto('/alliance/members/new');
      await assertNoSeriousAxeViolations(page, 'the add-a-member page');
      // A bad identifier is named.
      await page.locator('#name').fill(group);
      await page.locator('#org_size-community_group').check();
      await page.locator('#org_identifier').fill('CANAL WALKERS');
      await Promise.all([page.waitForLoadState('load'), page.locator('form[action="/alliance/members"] button[type="submit"]').click()]);
      assert.match(await page.locator('main').innerText(), /LOCAL- and a short name/);
      await assertNoSeriousAxeViolations(page, 'the add-a-member page with an error');
      await page.locator('#org_identifier').fill(`LOCAL-CANAL-WALKERS-${Date.now() % 100000}`);
      await Promise.all([
        page.waitForURL((u) => /^\/alliance\/members\/\d+$/.test(u.pathname)),
        page.locator('form[action="/alliance/members"] button[type="submit"]').click(),
      ]);
      assert.equal((await page.locator('h1').innerText()).trim(), group);
      await page.goto('/alliance/members/new');
      await page.locator('#display_name').fill('Ash Browning');
      await page.locator('#role-ebe').check();
      await Promise.all([page.waitForLoadState('load'), page.locator('form[action="/alliance/invitations"] button[type="submit"]').click()]);
      assert.match(await page.locator('#link').inputValue(), /\/invite\?token=/);
      // The one 422 is the form sent back with the identifier's error, as intended.
      const unexpected = consoleErrors.filter((e) => !/status of 422 .*\/alliance\/members\)$/.test(e));
      assert.deepEqual(unexpected, [], 'no other browser console errors');
    });
    await withPage('alliance-ebe-phone', PHONE, async (page, { consoleErrors }) => {
      await signIn(page, loginFor('expert_by_experience'));
      await page.goto('/alliance');
      await assertNoSeriousAxeViolations(page, 'the alliance page on a phone');
      const text = await page.locator('main').innerText();
      assert.ok(text.includes(group), 'the new community group is listed');
      assert.ok(text.includes('Priya Oduya'), 'the other experts by experience are listed');
      let width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 390, `no horizontal scrolling on a phone (scrollWidth ${width})`);
      // Priya keeps her lived experience for the coordinators: another member does not see it.
      await page.locator('a', { hasText: 'Priya Oduya' }).click();
      await page.waitForURL((u) => /^\/alliance\/members\/\d+$/.test(u.pathname));
      const profile = await page.locator('main').innerText();
      assert.ok(profile.includes('Co-chairs the crisis pathway subcommittee'));
      assert.ok(!profile.includes('Lived experience'), 'no lived experience shown without her choice');
      await assertNoSeriousAxeViolations(page, 'a member profile on a phone');
      await page.goto('/alliance/profile');
      await assertNoSeriousAxeViolations(page, 'my profile on a phone');
      assert.ok(await page.locator('#lived_experience_visibility-alliance').isChecked(), 'the demo expert chose to share with the alliance');
      await page.locator('#lived_experience_visibility-only_me').check();
      await Promise.all([page.waitForURL((u) => u.pathname === '/alliance/profile' && u.search.includes('done=saved')), page.locator('form[action="/alliance/profile"] button[type="submit"]').click()]);
      assert.ok(await page.locator('#lived_experience_visibility-only_me').isChecked());
      // Put the demo's choice back, so the test can run again on the same server.
      await page.locator('#lived_experience_visibility-alliance').check();
      await Promise.all([page.waitForURL((u) => u.pathname === '/alliance/profile' && u.search.includes('done=saved')), page.locator('form[action="/alliance/profile"] button[type="submit"]').click()]);
      width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 390, `no horizontal scrolling on the profile form (scrollWidth ${width})`);
      assert.deepEqual(consoleErrors, [], 'no browser console errors');
    });
  });
});
