// Real-browser check of the site header and wide pages on a 390x844 phone (Concordat issue 12):
// for every demo role the header is at most 120 px tall with the role as a short label, the Menu opens
// with JavaScript switched off and shows the navigation with the current page marked (aria-current),
// and /organisations and /dashboard never scroll the whole page sideways (wide tables and charts scroll
// inside their own boxes).
//
// Harness in harness.mjs (Debian Chromium via playwright-core, BASE_URL and DATA_DIR set, a demo
// server running). Run with
//   cd tests/browser && BASE_URL=… DATA_DIR=… node --test header.test.mjs

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoSeriousAxeViolations, readLogins, DATA_DIR, signIn, withPage } from './harness.mjs';

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

/** One login per role, in the order the demo wrote them. */
function oneLoginPerRole() {
  const seen = new Map();
  for (const l of readLogins(DATA_DIR)) if (!seen.has(l.role)) seen.set(l.role, l);
  return [...seen.values()];
}

async function horizontalOverflow(page) {
  return page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
}

describe('the header on a phone', () => {
  for (const login of oneLoginPerRole()) {
    test(`${login.role}: compact header, a Menu that works without JavaScript, the current page marked`, async () => {
      await withPage(`header-${login.role}`, { ...PHONE, javaScriptEnabled: false }, async (page) => {
        await signIn(page, login);
        const header = page.locator('header.header');
        const height = await header.evaluate((h) => h.getBoundingClientRect().height);
        console.log(`${login.role}: header ${Math.round(height)} px tall at 390 px`);
        assert.ok(height <= 120, `${login.role}: the header is at most 120 px tall on a phone (${height} px)`);
        const short = (await header.locator('.role-short').innerText()).trim();
        assert.ok(short.length > 0 && !short.includes('('), `${login.role}: the role is a short label (${short})`);

        const nav = header.locator('nav[aria-label="Main"]');
        assert.equal(await nav.isVisible(), false, 'the navigation starts folded');
        await header.locator('summary', { hasText: 'Menu' }).click();
        assert.equal(await nav.isVisible(), true, 'the Menu opens without JavaScript');
        const current = nav.locator('a[aria-current="page"]');
        assert.equal(await current.count(), 1, 'exactly one link marks the current page');
        assert.equal(await current.getAttribute('href'), '/home');
        // Opening the menu pushes nothing sideways either.
        const { scrollWidth, innerWidth } = await horizontalOverflow(page);
        assert.ok(scrollWidth <= innerWidth, `/home with the menu open: ${scrollWidth} > ${innerWidth}`);
      });
    });
  }
});

describe('wide pages on a phone', () => {
  // The administrator sees every organisation's table; the analyst sees the dashboard's charts.
  const cases = [
    ['administrator', '/organisations'],
    ['analyst', '/dashboard'],
    ['administrator', '/dashboard'],
  ];
  for (const [role, path] of cases) {
    test(`${path} as ${role} does not scroll the page sideways at 390 px`, async () => {
      const login = readLogins(DATA_DIR).find((l) => l.role === role);
      assert.ok(login, `a demo login with role ${role}`);
      await withPage(`wide-${role}-${path}`, PHONE, async (page) => {
        await signIn(page, login);
        const res = await page.goto(path);
        assert.equal(res?.status(), 200, `${path} answers 200`);
        const { scrollWidth, innerWidth } = await horizontalOverflow(page);
        console.log(`${path} as ${role}: scrollWidth ${scrollWidth}, innerWidth ${innerWidth}`);
        assert.ok(scrollWidth <= innerWidth, `${path}: the page is ${scrollWidth} px wide on a ${innerWidth} px screen`);
        if (path === '/dashboard') {
          // Each chart says what it shows in a sentence, and the method sits behind "How this was worked out".
          assert.ok((await page.locator('details summary', { hasText: 'How this was worked out' }).count()) >= 1);
          assert.ok((await page.getByText('The chart shows', { exact: false }).count()) >= 2);
        }
        await assertNoSeriousAxeViolations(page, `${path} at 390 px`);
      });
    });
  }
});
