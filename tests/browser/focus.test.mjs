// Keyboard focus in the header (Concordat issue 12): tabbing through the header's links, each focused link's
// text has at least 4.5:1 contrast against its own background (NHS.UK focus: dark #212b32 text on
// yellow #ffeb3b), on a wide screen where the navigation is laid open.
//
// Harness in harness.mjs; run with
//   cd tests/browser && BASE_URL=… DATA_DIR=… node --test focus.test.mjs

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loginFor, signIn, withPage } from './harness.mjs';

/** The focused element's text and background colours, and their WCAG contrast ratio, computed in the page. */
async function focusedContrast(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    const parse = (c) => (c.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r, g, b]) => {
      const f = (v) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    // The background the text sits on: the first ancestor (or itself) with an opaque background.
    let bgEl = el;
    let bg = parse(getComputedStyle(bgEl).backgroundColor);
    while (bgEl && (bg.length === 4 && bg[3] === 0)) {
      bgEl = bgEl.parentElement;
      bg = bgEl ? parse(getComputedStyle(bgEl).backgroundColor) : [255, 255, 255];
    }
    const fg = parse(getComputedStyle(el).color);
    const [l1, l2] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    return {
      tag: el.tagName.toLowerCase(),
      text: (el.innerText || el.textContent || '').trim(),
      inHeader: !!el.closest('header'),
      color: getComputedStyle(el).color,
      background: getComputedStyle(bgEl ?? el).backgroundColor,
      ratio: (l1 + 0.05) / (l2 + 0.05),
    };
  });
}

describe('focus contrast', () => {
  for (const role of ['responder', 'privacy_officer']) {
    test(`${role}: every focused header link has dark text on yellow, at least 4.5:1`, async () => {
      await withPage(`focus-${role}`, { viewport: { width: 1280, height: 800 } }, async (page) => {
        await signIn(page, loginFor(role));
        const links = await page.locator('header a:visible').count();
        assert.ok(links >= 3, `the header has links (${links})`);
        await page.locator('body').focus();
        const seen = [];
        for (let i = 0; i < 40; i++) {
          await page.keyboard.press('Tab');
          const f = await focusedContrast(page);
          if (!f.inHeader) {
            if (seen.length > 0) break;
            continue;
          }
          seen.push(f);
          assert.ok(
            f.ratio >= 4.5,
            `focused ${f.tag} "${f.text}": ${f.color} on ${f.background} is ${f.ratio.toFixed(2)}:1, below 4.5:1`,
          );
        }
        const focusedLinks = seen.filter((f) => f.tag === 'a');
        assert.ok(focusedLinks.length >= links, `tabbing reached every header link (${focusedLinks.length} of ${links})`);
        console.log(`${role}: ${seen.length} header stops, lowest contrast ${Math.min(...seen.map((f) => f.ratio)).toFixed(2)}:1`);
      });
    });
  }
});
