// Real-browser check for crisis plans: a responder on a phone-sized viewport finds a person by family
// name and date of birth and sees only the plan sections shared with police under the person's consent;
// axe-core reports no serious or critical violations on the search and person pages.
//
// Harness in harness.mjs (Debian Chromium via playwright-core, BASE_URL and DATA_DIR set,
// a demo server running). Run with
//   cd tests/browser && BASE_URL=… DATA_DIR=… node --test plans.test.mjs
//
// Which person? A crisis clinician of the trust (who sees the whole plan and the consent) looks through
// the plans due for review and the support list for someone who agreed to share with police; the
// expected sections are those that clinician's page marks "All responders" and the person consented to.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoSeriousAxeViolations, loginFor, signIn, withPage } from './harness.mjs';

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
      // "In my own words" has no sharing hint: only the plan's own sections are compared.
      if (!id || !id.startsWith('sec-')) continue;
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
      // A compact header: the plan starts on the first screen of a 390x844 phone (issue 12).
      const headerHeight = await page.locator('header.header').evaluate((h) => h.getBoundingClientRect().height);
      const firstSectionY = await page.locator('section.plan-section').first().evaluate((s) => s.getBoundingClientRect().top + window.scrollY);
      console.log(`responder on a phone: header ${Math.round(headerHeight)} px tall, first plan section at y = ${Math.round(firstSectionY)} of 844`);
      assert.ok(headerHeight <= 120, `the header is compact on a phone (${headerHeight} px tall)`);
      assert.ok(firstSectionY < 844, `the first plan section starts within the first screen (y = ${firstSectionY})`);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 390, `no horizontal scrolling on a phone (scrollWidth ${width})`);
      await assertNoSeriousAxeViolations(page, 'the person page on a phone');
      assert.deepEqual(consoleErrors, [], 'no browser console errors');
    });
  });

  test('on a phone the header folds its navigation behind a Menu that works without JavaScript', async () => {
    await withPage('header-menu-phone', { ...PHONE, javaScriptEnabled: false }, async (page) => {
      await signIn(page, loginFor('responder'));
      const header = page.locator('header.header');
      const height = await header.evaluate((h) => h.getBoundingClientRect().height);
      assert.ok(height <= 120, `the header is compact on a phone (${height} px tall)`);
      assert.match(await header.locator('.role-short').innerText(), /^Responder$/, 'the role is a short label');
      const find = header.locator('nav a[href="/people"]');
      assert.equal(await find.isVisible(), false, 'the navigation starts folded away');
      await header.locator('summary', { hasText: 'Menu' }).click();
      assert.equal(await find.isVisible(), true, 'opening the menu shows the navigation');
      assert.equal(await header.getByRole('button', { name: 'Sign out' }).isVisible(), true, 'and the sign-out button');
      await Promise.all([page.waitForURL((url) => url.pathname === '/people'), find.click()]);
    });
    await withPage('header-menu-desktop', { viewport: { width: 1280, height: 800 } }, async (page) => {
      await signIn(page, loginFor('responder'));
      const header = page.locator('header.header');
      assert.equal(await header.locator('summary').isVisible(), false, 'no Menu button on a wide screen');
      assert.equal(await header.locator('nav a[href="/people"]').isVisible(), true, 'the navigation is laid open on a wide screen');
    });
  });
});
