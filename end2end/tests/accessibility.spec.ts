import { expect, test, type Locator, type Page } from '@playwright/test';
import { expectNoSeriousViolations, latestCode, loaded, sql, uniqueEmail } from './helpers';

/**
 * Every kind of page, scanned with axe at both widths. Add a page here to scan it too:
 * `path` may be a function when the URL comes from the database; `signedIn` pages are
 * scanned in a session that has an account.
 */
type Scanned = { name: string; path: string | (() => string); signedIn?: boolean };
const PAGES: Scanned[] = [
  { name: 'home', path: '/' },
  { name: 'category listing', path: '/c/hoodies' },
  { name: 'filtered listing', path: '/c/audio?stock=1' },
  { name: 'collection', path: '/collections/winter-edit' },
  { name: 'search with results', path: '/search?q=hoodie' },
  { name: 'search corrected', path: '/search?q=Costal' },
  { name: 'search with none', path: '/search?q=zzzzqqq' },
  { name: 'product', path: () => `/p/${sql('select slug from products where is_active and deleted_at is null order by rating_count desc, slug limit 1')}` },
  { name: 'lookbook', path: () => `/lookbooks/${sql('select slug from lookbooks where is_active and published_at <= now() order by published_at desc limit 1')}` },
  { name: 'journal', path: '/journal' },
  { name: 'article', path: () => `/journal/${sql("select slug from articles where status = 'published' and published_at <= now() and deleted_at is null order by published_at desc limit 1")}` },
  { name: 'wishlist', path: '/wishlist' },
  { name: 'sign-in', path: '/sign-in' },
  { name: 'sign-up', path: '/sign-up' },
  { name: 'reset-password', path: '/reset-password' },
  { name: 'cookie settings', path: '/privacy/cookies' },
  { name: 'newsletter sign-up', path: '/newsletter' },
  { name: 'not found', path: '/no/such/page' },
  { name: 'cart (empty)', path: '/cart' },
  { name: 'checkout (empty cart)', path: '/checkout' },
  { name: 'account', path: '/account', signedIn: true },
  { name: 'orders', path: '/account/orders', signedIn: true },
];

const WIDTHS = [
  { label: 'desktop', width: 1280, height: 800 },
  { label: 'phone', width: 360, height: 740 },
];

/** The cookie question answered (no tracking), so scans see the page itself. */
async function answerCookies(page: Page, baseURL: string) {
  await page.context().addCookies([{ name: 'larkspur_consent', value: '2026-11:00', url: baseURL }]);
}


async function signUp(page: Page) {
  const email = uniqueEmail('axe');
  await loaded(page, '/sign-up');
  await page.getByLabel('Your name').fill('Ada Scan');
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByRole('button', { name: 'Send code' }).click();
  await page.getByLabel('Code').fill(await latestCode(email));
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/account$/);
}

for (const size of WIDTHS) {
  test.describe(`axe at ${size.width} px`, () => {
    test.use({ viewport: { width: size.width, height: size.height } });

    test('every page kind has no serious or critical violations', async ({ page, baseURL }) => {
      test.setTimeout(180_000);
      await answerCookies(page, baseURL!);
      for (const entry of PAGES.filter((p) => !p.signedIn)) {
        const path = typeof entry.path === 'function' ? entry.path() : entry.path;
        await loaded(page, path);
        await expectNoSeriousViolations(page, `${entry.name} (${path}) at ${size.width} px`);
      }
    });

    test('signed-in pages and the cookie banner have no serious or critical violations', async ({ page, baseURL }) => {
      test.setTimeout(120_000);
      await loaded(page, '/');
      await expect(page.getByTestId('consent-banner')).toBeVisible();
      await expectNoSeriousViolations(page, `home with the cookie banner at ${size.width} px`);
      await answerCookies(page, baseURL!);
      await signUp(page);
      for (const entry of PAGES.filter((p) => p.signedIn)) {
        const path = typeof entry.path === 'function' ? entry.path() : entry.path;
        await loaded(page, path);
        await expectNoSeriousViolations(page, `${entry.name} (${path}) at ${size.width} px`);
      }
    });
  });
}

// ---- keyboard -----------------------------------------------------------------------------

/** Presses Tab until `target` has focus (at most `limit` times). */
async function tabTo(page: Page, target: Locator, limit = 120) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((el) => el === document.activeElement)) return;
  }
  throw new Error(`Tab never reached ${target}`);
}

/**
 * The focused control is fully in the viewport, the element at its centre is the control,
 * and neither the sticky header nor the cookie banner overlaps it (unless it is inside them).
 */
async function expectFocusedUncovered(page: Page, what: string) {
  const report = await page.evaluate(() => {
    const el = document.activeElement as HTMLElement;
    const r = el.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    const overlapping = [document.querySelector('header'), document.querySelector('[data-testid="consent-banner"]')]
      .filter((cover): cover is Element => cover !== null && !cover.contains(el))
      .filter((cover) => {
        const c = cover.getBoundingClientRect();
        return r.top < c.bottom && r.bottom > c.top && r.left < c.right && r.right > c.left;
      })
      .map((cover) => `${cover.tagName} ${JSON.stringify(cover.getBoundingClientRect())}`);
    return {
      centre: hit !== null && (hit === el || el.contains(hit)),
      centreHit: hit ? `${hit.tagName}.${hit.className.toString().slice(0, 40)}` : 'nothing',
      overlapping,
      inView: r.top >= 0 && r.bottom <= window.innerHeight,
      rect: [Math.round(r.top), Math.round(r.bottom)],
      viewport: window.innerHeight,
    };
  });
  const detail = JSON.stringify(report);
  expect(report.inView, `${what} is within the viewport: ${detail}`).toBe(true);
  expect(report.overlapping, `${what} is under the header or the banner: ${detail}`).toEqual([]);
  expect(report.centre, `${what} is the element at its centre: ${detail}`).toBe(true);
}

test.describe('keyboard at 360 px with the cookie banner open', () => {
  test.use({ viewport: { width: 360, height: 740 } });

  test('Add to cart is not hidden by the sticky header or the banner', async ({ page }) => {
    const slug = sql(`select p.slug from products p join product_colours x on x.product_id = p.id
      join product_sizes ps on ps.product_colour_id = x.id where p.is_active and p.deleted_at is null and ps.stock > ps.reserved
      group by p.slug order by count(*) desc, p.slug limit 1`);
    await loaded(page, `/p/${slug}`);
    await expect(page.getByTestId('consent-banner')).toBeVisible();
    const add = page.getByRole('button', { name: 'Add to cart' });
    await tabTo(page, add);
    await expectFocusedUncovered(page, 'Add to cart');
    // Coming back up from the end of the page: Shift+Tab scrolls it clear of the sticky header.
    const after = await page.evaluate(() => {
      const controls = [...document.querySelectorAll<HTMLElement>('main a[href], main button, main input, main select, main textarea')];
      const add = controls.find((el) => el.textContent?.trim() === 'Add to cart')!;
      const next = controls.slice(controls.indexOf(add) + 1).find((el) => !el.hasAttribute('disabled') && el.tabIndex >= 0 && el.offsetParent !== null)!;
      next.setAttribute('data-after-add', '');
      return true;
    });
    expect(after).toBe(true);
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await page.locator('[data-after-add]').evaluate((el) => (el as HTMLElement).focus({ preventScroll: true }));
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await page.keyboard.press('Shift+Tab');
    await expect(add).toBeFocused();
    await expectFocusedUncovered(page, 'Add to cart, reached backwards');
  });

  test('Sign in (header link and form button) is not hidden', async ({ page }) => {
    await loaded(page, '/journal');
    const headerLink = page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Sign in' });
    await tabTo(page, headerLink);
    await expectFocusedUncovered(page, 'the header Sign in link');
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(/\/sign-in/);
    await page.waitForLoadState('networkidle');
    const submit = page.getByRole('tabpanel').getByRole('button', { name: 'Sign in' });
    await tabTo(page, submit);
    await expectFocusedUncovered(page, 'the Sign in button');
  });

  test('choosing in the banner moves focus into the page, not to the body', async ({ page }) => {
    await loaded(page, '/');
    const reject = page.getByTestId('consent-banner').getByRole('button', { name: 'Reject non-essential' });
    await tabTo(page, reject, 200);
    await expectFocusedUncovered(page, 'the banner button');
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('consent-banner')).toHaveCount(0);
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('main');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.closest('main') !== null)).toBe(true);
  });

  test('the banner is compact on phones', async ({ page }) => {
    await loaded(page, '/');
    const box = await page.getByTestId('consent-banner').boundingBox();
    expect(box!.height).toBeLessThanOrEqual(130);
  });
});

test.describe('keyboard patterns', () => {
  test.beforeEach(async ({ page, baseURL }) => answerCookies(page, baseURL!));

  test('sign-in tabs: arrow keys, Home and End move the selection; one tab stop', async ({ page }) => {
    await loaded(page, '/sign-in');
    const tabs = page.getByRole('tablist', { name: 'Ways to sign in' }).getByRole('tab');
    await expect(tabs).toHaveCount(4);
    const password = page.getByRole('tab', { name: 'Password' });
    await expect(password).toHaveAttribute('aria-selected', 'true');
    await expect(tabs.nth(1)).toHaveAttribute('tabindex', '-1');
    await password.focus();
    await page.keyboard.press('ArrowRight');
    const emailCode = page.getByRole('tab', { name: 'Email code' });
    await expect(emailCode).toBeFocused();
    await expect(emailCode).toHaveAttribute('aria-selected', 'true');
    await expect(page.getByRole('tabpanel')).toHaveAttribute('aria-labelledby', 'tab-email-code');
    await page.keyboard.press('End');
    await expect(page.getByRole('tab', { name: 'Email link' })).toBeFocused();
    await page.keyboard.press('ArrowRight');
    await expect(password).toBeFocused();
    // Tab leaves the tab list for the panel.
    await page.keyboard.press('Tab');
    await expect(page.getByRole('tabpanel').getByLabel('Email', { exact: true })).toBeFocused();
  });

  test('sign-in tabs work without JavaScript', async ({ browser, baseURL }) => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await answerCookies(page, baseURL!);
    await page.goto('/sign-in');
    await page.getByRole('tab', { name: 'Text message' }).click();
    await expect(page).toHaveURL(/tab=text-message/);
    await expect(page.getByRole('tab', { name: 'Text message' })).toHaveAttribute('aria-selected', 'true');
    await context.close();
  });

  test('search combobox: arrows pick a suggestion, Enter opens it, Escape closes', async ({ page }) => {
    await loaded(page, '/');
    const box = page.getByRole('combobox', { name: 'Search products' });
    await box.fill('hoodie');
    const list = page.getByRole('listbox', { name: 'Suggestions' });
    await expect(list.getByRole('option').first()).toBeVisible();
    await expect(list.locator('a, button')).toHaveCount(0);
    await box.press('ArrowDown');
    await expect(box).toHaveAttribute('aria-activedescendant', 'search-suggestion-0');
    await expect(list.getByRole('option').first()).toHaveAttribute('aria-selected', 'true');
    await box.press('ArrowDown');
    await box.press('ArrowUp');
    await expect(box).toHaveAttribute('aria-activedescendant', 'search-suggestion-0');
    await box.press('Escape');
    await expect(box).toHaveAttribute('aria-expanded', 'false');
    await expect(box).not.toHaveAttribute('aria-activedescendant', /./);
    await box.press('ArrowDown');
    const name = (await list.getByRole('option').first().locator('span').first().textContent())!.trim();
    await box.press('Enter');
    await expect(page).toHaveURL(/\/p\//);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(name);
  });

  test('the wishlist answers a visitor with a page, not an error', async ({ page }) => {
    const response = await page.goto('/wishlist');
    expect(response?.status()).toBe(200);
    await expect(page.getByTestId('wishlist-prompt')).toBeVisible();
  });
});
