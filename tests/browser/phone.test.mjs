// The plan first, at 2am, on a phone (issue 12), on a 390x844 viewport:
// - a responder types an exact NHS number and lands on the person's page (no tap through results),
//   and the first plan section's top is within the first screen;
// - a paramedic opening a plan the person has not shared with the ambulance service sees why in words
//   and the holding service's crisis line before the emergency-access (break-glass) button.
//
// Harness in harness.mjs (Debian Chromium via playwright-core, BASE_URL and DATA_DIR set, a demo
// server running). Run with
//   cd tests/browser && BASE_URL=… DATA_DIR=… node --test phone.test.mjs
//
// Which people? A crisis clinician of the trust (who sees the whole plan and the consent) looks through
// the plans due for review and the support list, as plans.test.mjs does.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoSeriousAxeViolations, loginFor, signIn, withPage } from './harness.mjs';

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

async function summaryValue(page, term) {
  const dt = page.locator('dl.summary dt', { hasText: new RegExp(`^${term}$`) }).first();
  if ((await dt.count()) === 0) return null;
  return (await dt.locator('xpath=following-sibling::dd[1]').innerText()).trim();
}

/** As a crisis clinician: the first person (of the lists) for whom `wanted(consent)` holds. */
async function findPerson(page, wanted) {
  const ids = new Set();
  for (const list of ['/plans/reviews', '/support/repeat-contact']) {
    await page.goto(list);
    for (const href of await page.locator('table a[href^="/people/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')))) {
      ids.add(href);
    }
  }
  assert.ok(ids.size > 0, 'the demo should list some people with plans for the crisis clinician');
  for (const href of [...ids].slice(0, 80)) {
    await page.goto(href);
    const nhs = await summaryValue(page, 'NHS number');
    if (!nhs || nhs === 'Not recorded') continue;
    // A consent with an end date in the past shares nothing any more.
    const until = await summaryValue(page, 'Until');
    // Pages write dates as "11 May 2024" (the NHS style); the day ends at midnight UTC for this purpose.
    const untilMs = until === null ? NaN : Date.parse(`${until} 00:00 UTC`);
    assert.ok(until === null || !Number.isNaN(untilMs), `a consent end date the test can read: ${until}`);
    const expired = until !== null && untilMs + 86_400_000 <= Date.now();
    const consent = {
      decision: expired ? 'Expired' : ((await summaryValue(page, 'Decision')) ?? 'none'),
      sharedWith: (await summaryValue(page, 'Shared with')) ?? '',
      sections: (await summaryValue(page, 'Sections')) ?? '',
      allResponders: await page.locator('section.plan-section .hint', { hasText: 'All responders' }).count(),
    };
    if (wanted(consent)) return { href, nhs };
  }
  return null;
}

describe('the plan first on a phone', () => {
  test('an exact NHS number goes straight to the person, whose plan starts on the first screen', async () => {
    let target;
    await withPage('phone-clinician-shared', {}, async (page) => {
      await signIn(page, loginFor('crisis_clinician'));
      target = await findPerson(page, (c) => c.decision === 'Consent given' && c.sharedWith.includes('Police force')
        && c.sections.includes('What helps') && c.allResponders > 0);
    });
    assert.ok(target, 'the demo should hold a plan shared with police, with an NHS number');
    await withPage('phone-responder-nhs', PHONE, async (page, { consoleErrors }) => {
      await signIn(page, loginFor('responder'));
      await page.goto('/people');
      await page.locator('input[name="nhs_number"]').fill(target.nhs);
      await Promise.all([
        page.waitForURL((url) => url.pathname === target.href, { timeout: 15_000 }),
        page.locator('form[action="/people"] button[type="submit"]').click(),
      ]);
      const first = page.locator('section.plan-section').first();
      assert.equal(await first.count(), 1, 'the responder sees a plan section');
      const top = await first.evaluate((s) => s.getBoundingClientRect().top + window.scrollY);
      console.log(`responder on a 390x844 phone: NHS number ${target.nhs.slice(0, 3)}… went straight to ${target.href}; first plan section at y = ${Math.round(top)} of 844`);
      assert.ok(top < 844, `the first plan section starts within the first screen (y = ${top})`);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 390, `no horizontal scrolling on a phone (scrollWidth ${width})`);
      await assertNoSeriousAxeViolations(page, 'the person page after an exact NHS number');
      assert.deepEqual(consoleErrors, [], 'no browser console errors');
    });
  });

  test('a withheld plan says why and whom to call before it offers emergency access', async () => {
    let target;
    await withPage('phone-clinician-withheld', {}, async (page) => {
      await signIn(page, loginFor('crisis_clinician'));
      target = await findPerson(page, (c) => !(c.decision === 'Consent given' && c.sharedWith.includes('Ambulance')) && c.allResponders > 0);
    });
    assert.ok(target, 'the demo should hold a plan not shared with the ambulance service');
    // Every demo account shares the demo password; demo-logins.txt lists one account per role (the
    // police responder), so the ambulance service's responder signs in with the same password.
    const paramedic = { ...loginFor('responder'), username: 'demo.paramedic' };
    await withPage('phone-paramedic-withheld', PHONE, async (page, { consoleErrors }) => {
      await signIn(page, paramedic);
      await page.goto('/people');
      await page.locator('input[name="nhs_number"]').fill(target.nhs);
      await Promise.all([
        page.waitForURL((url) => url.pathname === target.href, { timeout: 15_000 }),
        page.locator('form[action="/people"] button[type="submit"]').click(),
      ]);
      const withheld = page.locator('section.withheld');
      assert.equal(await withheld.count(), 1, 'the page says part of the plan is withheld');
      const reason = (await withheld.locator('.withheld-reason').first().innerText()).trim();
      assert.match(reason, /not agreed|withdrawn|not shared with your role|care team|agreement/, `a reason in words: ${reason}`);
      const line = withheld.locator('.crisis-line');
      assert.match(await line.innerText(), /crisis line on 0808 157 0136/, 'the trust\'s crisis line');
      const y = async (l) => l.evaluate((e) => e.getBoundingClientRect().top + window.scrollY);
      const emergency = page.locator('details.break-glass summary');
      assert.equal(await emergency.count(), 1, 'emergency access is offered');
      const [yReason, yLine, yEmergency] = [await y(withheld.locator('.withheld-reason').first()), await y(line), await y(emergency)];
      console.log(`paramedic: reason at y = ${Math.round(yReason)}, crisis line at ${Math.round(yLine)}, emergency access at ${Math.round(yEmergency)}`);
      assert.ok(yReason < yLine && yLine < yEmergency, 'the reason, then the crisis line, then emergency access');
      await assertNoSeriousAxeViolations(page, 'a withheld plan on a phone');
      assert.deepEqual(consoleErrors, [], 'no browser console errors');
    });
  });
});
