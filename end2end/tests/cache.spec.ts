import { expect, test } from '@playwright/test';
import { acceptCookies, loaded, signIn, sql } from './helpers';

// The storefront keeps catalogue reads, and whole pages for visitors without a session, in
// memory; what belongs to one visitor (cart count, wishlist hearts, sign-in state, the
// cookie question) must never travel with them.
test('no per-visitor part leaks between two browsers reading the same cached pages', async ({ browser }) => {
  const slug = sql(`select p.slug from products p join product_categories pc on pc.product_id = p.id
    join categories c on c.id = pc.category_id and c.slug = 'hoodies'
    where p.is_live and exists (select 1 from product_colours x join product_sizes ps on ps.product_colour_id = x.id
      where x.product_id = p.id and ps.available > 5)
      and not exists (select 1 from wishlist_items w join users u on u.id = w.user_id
        where u.email = 'editor@larkspur.local' and w.product_id = p.id)
    order by p.created_at desc limit 1`);
  const shopper = await browser.newContext();
  const other = await browser.newContext();
  const a = await shopper.newPage();
  const b = await other.newPage();

  // The second browser reads the pages first, so the first one is served from memory.
  await loaded(b, `/p/${slug}`);
  await loaded(b, '/c/hoodies');

  await signIn(a, 'editor@larkspur.local', 'larkspur-editor-2026');
  await loaded(a, `/p/${slug}`);
  await a.locator('input[name="variant_id"]:not([disabled])').first().check({ force: true });
  await a.getByRole('button', { name: 'Add to cart' }).click();
  await expect(a.getByText(/Added to your cart/)).toBeVisible();
  await a.getByRole('button', { name: 'Add to wishlist' }).click();
  await expect(a.getByRole('button', { name: 'Saved to wishlist' })).toBeVisible();
  await loaded(a, '/c/hoodies');
  await expect(a.getByTestId('cart-count')).not.toHaveText('0');
  await expect(a.locator('[aria-pressed="true"]')).not.toHaveCount(0);
  const accountNav = (page: typeof a) => page.getByRole('navigation', { name: 'Account' });
  await expect(accountNav(a).getByRole('link', { name: 'Account', exact: true })).toBeVisible();
  await expect(accountNav(a).getByRole('link', { name: 'Dashboard', exact: true })).toBeVisible();

  // The other browser sees the same pages as a stranger: empty cart, nothing saved, not
  // signed in, and still asked about cookies.
  for (const path of [`/p/${slug}`, '/c/hoodies', '/']) {
    await loaded(b, path);
    await expect(b.getByTestId('cart-count')).toHaveText('0');
    await expect(accountNav(b).getByRole('link', { name: 'Sign in', exact: true })).toBeVisible();
    await expect(accountNav(b).getByRole('link', { name: 'Dashboard', exact: true })).toHaveCount(0);
    await expect(b.getByTestId('consent-banner')).toBeVisible();
  }
  await loaded(b, `/p/${slug}`);
  await expect(b.getByRole('button', { name: 'Add to wishlist' })).toBeVisible();
  await expect(b.getByRole('button', { name: 'Saved to wishlist' })).toHaveCount(0);
  await loaded(b, '/c/hoodies');
  await expect(b.locator('[aria-pressed="true"]')).toHaveCount(0);
  // The other browser has no session, so it was served whole kept pages, each answer with
  // its own nonce: their islands still hydrate under the Content-Security-Policy.
  expect((await other.cookies()).map((c) => c.name)).not.toContain('larkspur_session');
  await b.getByRole('combobox', { name: 'Search products' }).fill('hoodie');
  await expect(b.getByRole('listbox', { name: 'Suggestions' }).getByRole('option').first()).toBeVisible();

  await shopper.close();
  await other.close();
});

for (const javaScriptEnabled of [true, false]) {
  test(`listings, filters and search work with JavaScript ${javaScriptEnabled ? 'on' : 'off'}`, async ({ browser }) => {
    const context = await browser.newContext({ javaScriptEnabled });
    const page = await context.newPage();
    await page.goto('/c/hoodies');
    // The cookie question is a plain form too; answered, it no longer covers the filters.
    await acceptCookies(page);
    const all = Number((await page.getByTestId('result-count').textContent())!.split(' ')[0]);
    expect(all).toBeGreaterThan(0);

    const form = page.getByRole('form', { name: 'Filter products' });
    await form.locator('#f-size-m').check();
    await form.getByRole('button', { name: 'Apply' }).click();
    await expect(page).toHaveURL(/size=m/);
    const filtered = Number((await page.getByTestId('result-count').textContent())!.split(' ')[0]);
    expect(filtered).toBeGreaterThan(0);
    expect(filtered).toBeLessThanOrEqual(all);
    await expect(form.locator('#f-size-m')).toBeChecked();

    // Another sort, then a search with a typo.
    await page.goto('/c/hoodies?sort=price-asc');
    await expect(page.getByTestId('product-name')).toHaveCount(Math.min(all, 24));
    await page.goto('/search?q=hodie');
    await expect(page.getByRole('heading', { level: 1 })).toContainText('hodie');
    await expect(page.getByTestId('product-name').first()).toContainText('Hoodie');
    await context.close();
  });
}
