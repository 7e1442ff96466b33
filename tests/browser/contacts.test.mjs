// Real-browser checks for contacts partners can find and places of safety that tell the truth:
// a police officer records a contact choosing the person by searching from the form (no record
// number to type, no JavaScript needed), a paramedic finds it in their list and joins it; and the
// places page warns in words when a place of safety is over capacity. axe-core must report no
// serious or critical violations.
//
//   cd tests/browser && BASE_URL=… DATA_DIR=… node --test contacts.test.mjs

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, assertNoSeriousAxeViolations, loginFor, signIn, withPage } from './harness.mjs';

/** A family name nobody else has, so the test can run again on the same demo. */
function uniqueFamilyName() {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  let s = '';
  for (let i = 0; i < 8; i += 1) s += letters[Math.floor(Math.random() * letters.length)];
  return `Quill${s}`;
}

/** Creates a person held by the police through the API (demo logins skip MFA). */
async function policePerson(login, given, family, dob) {
  const session = await fetch(`${BASE_URL}/api/v1/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: login.username, password: login.password }),
  });
  assert.equal(session.status, 201, 'API sign-in');
  const { token } = await session.json();
  const res = await fetch(`${BASE_URL}/api/v1/people`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ given_name: given, family_name: family, date_of_birth: dob }),
  });
  assert.equal(res.status, 201, `create person: ${await res.clone().text()}`);
  return (await res.json()).id;
}

describe('contacts partners can find', () => {
  test('police record a contact choosing the person by search; a paramedic finds it and joins it', async () => {
    const police = loginFor('responder');
    // The paramedic is a second responder login; every demo login shares the demo password.
    const paramedic = { ...police, username: 'demo.paramedic' };
    const family = uniqueFamilyName();
    const person = await policePerson(police, 'Morwenna', family, '1990-05-06');
    let contactPath;

    await withPage('contact-police', { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }, async (page, { consoleErrors }) => {
      await signIn(page, police);
      await page.goto('/contacts/new');
      await page.getByLabel('Family name').fill(family);
      await page.getByLabel('Date of birth').fill('06/05/1990');
      await page.getByLabel('If not known: describe the person').fill('Seen near the canal');
      await Promise.all([
        page.waitForURL((url) => url.pathname === '/contacts'),
        page.getByRole('button', { name: 'Find the person' }).click(),
      ]);
      const choice = page.getByLabel(new RegExp(`Morwenna ${family}`));
      assert.ok(await choice.isVisible(), 'the search lists the person by name');
      assert.equal(
        await page.getByLabel('If not known: describe the person').inputValue(),
        'Seen near the canal',
        'what was typed is kept',
      );
      await assertNoSeriousAxeViolations(page, 'the contact form with search results on a phone');
      await choice.check();
      await Promise.all([
        page.waitForURL((url) => /^\/contacts\/\d+$/.test(url.pathname)),
        page.getByRole('button', { name: 'Save as a draft' }).click(),
      ]);
      contactPath = new URL(page.url()).pathname;
      assert.ok(await page.getByLabel(new RegExp(`Morwenna ${family}`)).isChecked(), 'the contact names the person chosen');
      // The police list it with who it is about.
      await page.goto('/contacts?today=1');
      const line = page.locator('li', { has: page.locator(`a[href="${contactPath}"]`) });
      assert.match(await line.innerText(), new RegExp(`Morwenna ${family}`));
      await assertNoSeriousAxeViolations(page, '/contacts on a phone');
      assert.deepEqual(consoleErrors, []);
    });

    await withPage('contact-paramedic', {}, async (page, { consoleErrors }) => {
      await signIn(page, paramedic);
      await page.goto('/contacts');
      const line = page.locator('li', { has: page.locator(`a[href="${contactPath}"]`) });
      assert.equal(await line.count(), 1, "the police's draft is in the paramedic's list");
      assert.match(await line.innerText(), new RegExp(`Morwenna ${family}`));
      await assertNoSeriousAxeViolations(page, "/contacts as a partner");
      await Promise.all([
        page.waitForURL((url) => url.pathname === contactPath),
        line.getByRole('button', { name: /Join this contact/ }).click(),
      ]);
      assert.match(await page.locator('main').innerText(), /joined by/);
      assert.equal(await page.getByRole('button', { name: 'Join this contact' }).count(), 0, 'joined once');
      await page.goto('/contacts?drafts=1');
      const joined = page.locator('li', { has: page.locator(`a[href="${contactPath}"]`) });
      assert.match(await joined.innerText(), /your organisation joined/);
      assert.deepEqual(consoleErrors, []);
    });
    assert.ok(person > 0);
  });
});

describe('places of safety tell the truth', () => {
  test('a place over capacity is warned about in words, on the place and on recording a detention', async () => {
    const login = loginFor('pos_coordinator');
    await withPage('places-over-capacity', {}, async (page, { consoleErrors }) => {
      await signIn(page, login);
      // Record detentions at the smallest health-based place until it is over capacity (the person
      // still needs somewhere safe: each one is accepted, with a warning).
      let warned = false;
      for (let i = 0; i < 8 && !warned; i += 1) {
        await page.goto('/episodes/new');
        const select = page.locator('select[name="stays[0].place_id"]');
        const options = await select.locator('option').allInnerTexts();
        const easterby = options.find((o) => o.startsWith('Easterby Place of Safety'));
        assert.ok(easterby, `the Easterby place of safety is listed (${options.join(' | ')})`);
        if (/over capacity/.test(easterby) && i > 0) break;
        await select.selectOption({ label: easterby });
        await page.getByLabel('Detaining officer (name or collar number)').fill('PC 4321');
        await page.getByLabel('Age in years (if known)').fill('30');
        await page.locator('select[name="consultation.with"]').selectOption('nurse');
        const detained = await page.locator('input[name="detained_at"]').inputValue();
        await page.locator('input[name="stays[0].arrived_at"]').fill(detained);
        await Promise.all([
          page.waitForURL((url) => /^\/episodes\/\d+$/.test(url.pathname)),
          page.getByRole('button', { name: 'Record the detention' }).click(),
        ]);
        warned = (await page.locator('#place-warning').count()) === 1;
      }
      assert.ok(warned, 'recording a detention at a place over capacity warns in words');
      assert.match(await page.locator('#place-warning').innerText(), /Over capacity/);
      await assertNoSeriousAxeViolations(page, 'an episode at a place over capacity');

      await page.goto('/places');
      const card = page.locator('li.card', { has: page.getByRole('heading', { name: /^Easterby Place of Safety/ }) });
      const text = await card.innerText();
      assert.match(text, /Over capacity/);
      assert.match(text, /Warning:/);
      assert.match(text, /01632 960\d{3}/, 'a phone number to ring ahead');
      assert.match(text, /Last updated .* by Mags Penrose/, 'who updated it, by name');
      assert.match(await page.locator('main').innerText(), /(Open now|Closed now)/);
      await assertNoSeriousAxeViolations(page, '/places with a warning');
      assert.deepEqual(consoleErrors, []);
    });
  });
});
