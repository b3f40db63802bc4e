import { expect, test } from '@playwright/test';
import { acceptCookies, loaded, sql } from './helpers';

test('browse: home → category → filter by colour and size → product → switch colour → wishlist', async ({ page }) => {
  await loaded(page, '/');
  await acceptCookies(page);
  await page.getByRole('navigation', { name: 'Categories' }).first().getByRole('link', { name: 'Hoodies' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Hoodies' })).toBeVisible();
  const all = Number((await page.getByTestId('result-count').textContent())!.split(' ')[0]);

  // The colour with the most hoodies, then size M, through the filter form.
  const colour = sql(`select k.slug from colours k join product_colours x on x.colour_id = k.id
    join product_categories pc on pc.product_id = x.product_id join categories c on c.id = pc.category_id and c.slug = 'hoodies'
    group by k.slug order by count(*) desc, k.slug limit 1`);
  const form = page.getByRole('form', { name: 'Filter products' });
  await form.locator(`#f-colour-${colour}`).check();
  await form.locator('#f-size-m').check();
  await form.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/colour=.*size=m/);
  const filtered = Number((await page.getByTestId('result-count').textContent())!.split(' ')[0]);
  expect(filtered).toBeGreaterThan(0);
  expect(filtered).toBeLessThanOrEqual(all);
  await expect(form.locator(`#f-colour-${colour}`)).toBeChecked();

  // Open the newest hoodie that offers a second colour with photos of every colour (other
  // tests may add hoodies of their own, some without photos).
  const multi = sql(`select p.name from products p join product_categories pc on pc.product_id = p.id
    join categories c on c.id = pc.category_id and c.slug = 'hoodies'
    where p.is_live and (select count(*) from product_colours x where x.product_id = p.id) > 1
      and not exists (select 1 from product_colours x where x.product_id = p.id
        and not exists (select 1 from product_colour_images i where i.product_colour_id = x.id))
    order by p.created_at desc limit 1`);
  await loaded(page, '/c/hoodies');
  await page.getByRole('link', { name: multi }).first().click();
  await expect(page.getByRole('heading', { level: 1, name: multi })).toBeVisible();
  await page.waitForLoadState('networkidle');

  const image = page.getByTestId('main-image');
  const firstSrc = await image.getAttribute('src');
  const firstColour = await page.getByTestId('colour-name').textContent();
  await page.locator('input[name="colour"]').nth(1).check({ force: true });
  await expect(page.getByTestId('colour-name')).not.toHaveText(firstColour!);
  await expect(image).not.toHaveAttribute('src', firstSrc!);
  // The no-JavaScript way to switch colour is gone once the page is live.
  await expect(page.getByRole('button', { name: 'Show this colour' })).toHaveCount(0);

  // A size that is in stock becomes choosable and the availability updates.
  const size = page.locator('input[name="variant_id"]:not([disabled])').first();
  await size.check({ force: true });
  await expect(page.getByTestId('availability')).toHaveText(/In stock|Only \d+ left/);
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await expect(page.getByText(/Added to your cart/)).toBeVisible();

  await page.getByRole('button', { name: 'Add to wishlist' }).click();
  await expect(page.getByRole('button', { name: 'Saved to wishlist' })).toBeVisible();
  await loaded(page, '/wishlist');
  await expect(page.getByTestId('product-name')).toHaveText([multi]);
});

test('search with a typo finds the product, with suggestions while typing', async ({ page }) => {
  await loaded(page, '/');
  const box = page.getByRole('combobox', { name: 'Search products' });
  await box.fill('hodie');
  await expect(page.getByTestId('suggestions')).toContainText('Hoodie');
  await box.press('Enter');
  await expect(page).toHaveURL(/\/search\?q=hodie/);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('hodie');
  await expect(page.getByTestId('product-name').first()).toContainText('Hoodie');
});

test('product page HTML carries valid Product and BreadcrumbList JSON-LD', async ({ request }) => {
  const slug = sql('select slug from products where rating_count > 0 order by slug limit 1');
  const html = await (await request.get(`/p/${slug}`)).text();
  const blocks = [...html.matchAll(/<script type="application\/ld\+json">([\s\S]*?)<\/script>/g)].map((m) => JSON.parse(m[1]));
  const product = blocks.find((b) => b['@type'] === 'Product');
  const crumbs = blocks.find((b) => b['@type'] === 'BreadcrumbList');
  expect(product.offers.priceCurrency).toBe('USD');
  expect(product.offers.price).toMatch(/^\d+\.\d{2}$/);
  expect(product.offers.availability).toMatch(/^https:\/\/schema\.org\/(InStock|OutOfStock)$/);
  expect(Number(product.aggregateRating.reviewCount)).toBeGreaterThan(0);
  expect(crumbs.itemListElement.at(-1).item).toContain(`/p/${slug}`);
  expect(html).toContain(`rel="canonical"`);
});

test('an out-of-stock size is shown but cannot be chosen', async ({ page }) => {
  const slug = sql(`select p.slug from products p join product_colours pc on pc.product_id = p.id and pc.sort_order = 0
    join product_sizes ps on ps.product_colour_id = pc.id where ps.stock = 0 and p.is_active order by p.slug limit 1`);
  await loaded(page, `/p/${slug}`);
  await expect(page.locator('input[name="variant_id"][disabled]').first()).toBeAttached();
  await expect(page.getByText('(sold out)').first()).toBeAttached();
});
