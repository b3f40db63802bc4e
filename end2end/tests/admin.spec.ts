import { expect, test, type Page } from '@playwright/test';
import { expectNoSeriousViolations, loaded, pngOf, signIn, sql } from './helpers';

test('an admin changes a price and the stock in the dashboard; the store and the audit log follow', async ({ page }) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 1280, height: 900 });
  // A live product none of whose sizes is held by an unpaid order.
  const [id, slug, name] = sql(`select p.id || '|' || p.slug || '|' || p.name from products p
    where p.is_active and p.deleted_at is null
      and exists (select 1 from product_colours pc where pc.product_id = p.id)
      and not exists (select 1 from product_colours pc join product_sizes ps on ps.product_colour_id = pc.id
                      where pc.product_id = p.id and ps.reserved > 0)
    order by p.slug desc limit 1`).split('|');
  expect(name).toBeTruthy();
  // The demo seeder made the product through the dashboard's own functions: its history starts there.
  const audited = Number(sql(`select count(*) from audit_log where entity_id = '${id}'`));
  await signIn(page, 'admin@larkspur.local', 'larkspur-admin-2026');

  await loaded(page, '/admin');
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
  await expect(page.getByTestId('low-stock')).toBeVisible();
  await expectNoSeriousViolations(page, 'dashboard overview');

  await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Products' }).click();
  await expect(page.getByRole('heading', { name: 'Products' })).toBeVisible();
  await expectNoSeriousViolations(page, 'product list');
  await page.getByLabel('Search by name or URL name').fill(name);
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/q=/);
  await page.getByRole('link', { name, exact: true }).click();
  await expect(page).toHaveURL(new RegExp(`/admin/products/${id}$`));
  await expectNoSeriousViolations(page, 'product editor');

  // A bad price is refused beside the field, and what was typed stays.
  await page.getByLabel('Price (USD)').fill('12.345');
  await page.getByRole('button', { name: 'Save product' }).click();
  await expect(page.getByText('Enter an amount like 49.00.')).toBeVisible();
  await expect(page.getByLabel('Price (USD)')).toHaveValue('12.345');
  await page.getByLabel('Price (USD)').fill('123.45');
  await page.getByLabel('Sale price (USD, optional)').fill('');
  await page.getByRole('button', { name: 'Save product' }).click();
  await expect(page.getByText('Product saved.')).toBeVisible();

  await loaded(page, `/p/${slug}`);
  await expect(page.getByTestId('price')).toContainText('$123.45');

  // Every size at 0: the store shows it sold out.
  await loaded(page, `/admin/products/${id}`);
  const cells = page.getByTestId('stock-grid').locator('input[inputmode="numeric"]');
  for (let i = 0; i < (await cells.count()); i++) await cells.nth(i).fill('0');
  await page.getByRole('button', { name: 'Save stock' }).click();
  await expect(page.getByText('Stock saved.')).toBeVisible();
  await loaded(page, `/p/${slug}`);
  await expect(page.getByTestId('availability')).toHaveText('Sold out in this colour');

  await loaded(page, `/admin/audit`);
  await expectNoSeriousViolations(page, 'audit log');
  const rows = page.getByTestId('table-row').filter({ hasText: 'admin@larkspur.local' });
  await expect(rows.filter({ hasText: 'stock' }).first()).toBeVisible();
  await expect(rows.filter({ hasText: 'price_minor' }).first()).toContainText('12345');
  expect(Number(sql(`select count(*) from audit_log where entity_id = '${id}'`))).toBe(audited + 2);
});

test('an editor cannot open products, and the menu does not offer them', async ({ page }) => {
  await signIn(page, 'editor@larkspur.local', 'larkspur-editor-2026');
  await loaded(page, '/admin');
  await expect(page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Products' })).toHaveCount(0);
  const res = await page.goto('/admin/products');
  expect(res?.status()).toBe(403);
  await expect(page.getByRole('heading', { name: 'Access denied' })).toBeVisible();
});

test('an admin builds a product from nothing; the store sells it, prices and stock follow, the audit log keeps each step', async ({ page }) => {
  test.setTimeout(180_000);
  await page.setViewportSize({ width: 1280, height: 900 });
  const word = `Quillon${Date.now() % 100000}`;
  const name = `${word} Field Hoodie`;
  await signIn(page, 'admin@larkspur.local', 'larkspur-admin-2026');

  // Create: name, price, category, active.
  await loaded(page, '/admin/products/new');
  await expectNoSeriousViolations(page, 'new product');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByRole('region', { name: 'Details' }).getByLabel('Description').fill('A heavyweight hoodie for cold mornings on the trail.');
  await page.getByLabel('Price (USD)').fill('80.00');
  await page.getByRole('checkbox', { name: 'Hoodies' }).check();
  await page.getByRole('checkbox', { name: 'Active (shown in the store)' }).check();
  await page.getByRole('button', { name: 'Save product' }).click();
  await expect(page.getByText('Product saved.')).toBeVisible();
  const id = page.url().match(/\/admin\/products\/([0-9a-f-]{36})/)![1];
  const slug = sql(`select slug from products where id = '${id}'`);

  // Two colours, two sizes each.
  for (const colour of ['Black', 'Navy']) {
    await page.getByLabel('Colour', { exact: true }).selectOption({ label: colour });
    await page.getByRole('checkbox', { name: 'S', exact: true }).check();
    await page.getByRole('checkbox', { name: 'M', exact: true }).check();
    await page.getByRole('button', { name: 'Add sizes' }).click();
    await expect(page.getByText('Sizes added. Enter their stock below.')).toBeVisible();
  }
  for (const cell of ['Black, S', 'Black, M', 'Navy, S', 'Navy, M']) {
    await page.getByLabel(`Stock of ${cell}`).fill('7');
  }
  // The totals follow what is typed, before anything is saved.
  await expect(page.getByTestId('stock-total')).toHaveText('28');
  await page.getByLabel('Stock of Navy, M').fill('x');
  await expect(page.getByTestId('stock-total')).toHaveText('—');
  await page.getByLabel('Stock of Navy, M').fill('7');
  await expect(page.getByTestId('stock-total')).toHaveText('28');
  await page.getByRole('button', { name: 'Save stock' }).click();
  await expect(page.getByText('Stock saved.')).toBeVisible();

  // Images for each colour, uploaded as files; a text file dressed as a photo is refused.
  const uploads = page.locator('form[action="/admin/uploads/product-images"]');
  await expect(uploads).toHaveCount(2);
  await uploads.nth(0).getByLabel('Description (alt text)').fill('Notes');
  await uploads.nth(0).getByLabel('Image files').setInputFiles({ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('just some text, not a picture') });
  await uploads.nth(0).getByRole('button', { name: 'Upload images' }).click();
  await expect(page.getByTestId('upload-error').or(page.getByRole('alert').filter({ hasText: /image/i })).first()).toBeVisible();
  expect(sql(`select count(*) from product_colour_images i join product_colours pc on pc.id = i.product_colour_id where pc.product_id = '${id}'`)).toBe('0');
  for (const [n, colour, rgb] of [[0, 'black', [28, 25, 23]], [1, 'navy', [30, 58, 138]]] as const) {
    await loaded(page, `/admin/products/${id}`);
    const form = uploads.nth(n);
    await form.getByLabel('Description (alt text)').fill(`${name} in ${colour}, front`);
    await form.getByLabel('Image files').setInputFiles([
      { name: `${colour}-front.png`, mimeType: 'image/png', buffer: pngOf(900, 1200, [...rgb]) },
      { name: `${colour}-back.png`, mimeType: 'image/png', buffer: pngOf(700, 900, [...rgb]) },
    ]);
    await form.getByRole('button', { name: 'Upload images' }).click();
    // The page opens again with the notice once the upload is stored; wait for it, so the
    // next navigation does not race the upload's own.
    await expect(page.getByText('Images uploaded.')).toBeVisible({ timeout: 30_000 });
    await expect
      .poll(() => sql(`select count(*) from product_colour_images i join product_colours pc on pc.id = i.product_colour_id where pc.product_id = '${id}'`), { timeout: 30_000 })
      .toBe(String(2 * (n + 1)));
  }
  await loaded(page, `/admin/products/${id}`);
  await expect(page.getByTestId('image-card')).toHaveCount(4);

  // Dragging the second black image before the first saves the new order.
  const order = () => sql(`select string_agg(i.id::text, ',' order by i.sort_order) from product_colour_images i
    join product_colours pc on pc.id = i.product_colour_id join colours k on k.id = pc.colour_id
    where pc.product_id = '${id}' and k.name = 'Black'`);
  const [first, second] = order().split(',');
  const cards = page.getByTestId('image-card');
  await cards.nth(1).dragTo(cards.nth(0));
  await expect(page.getByText('Image order saved.')).toBeVisible();
  expect(order()).toBe(`${second},${first}`);
  await expect(page.getByTestId('image-card')).toHaveCount(4);
  await expect(page.getByLabel('Description of image 1').first()).toHaveValue(`${name} in black, front`);

  // The store sells it: its page, its category and search.
  await loaded(page, `/p/${slug}`);
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
  await expect(page.getByTestId('price')).toContainText('$80.00');
  const main = page.getByTestId('main-image');
  await expect(main).toHaveAttribute('alt', `${name} in black, front`);
  await expect(main).toHaveAttribute('srcset', /\/media\/.+ 640w/);
  await expect(page.locator('picture source[type="image/webp"]').first()).toHaveAttribute('srcset', /\.webp 320w/);
  expect((await page.request.get((await main.getAttribute('src'))!)).status()).toBe(200);
  await loaded(page, '/c/hoodies?sort=newest');
  await expect(page.getByRole('link', { name }).first()).toBeVisible();
  await loaded(page, `/search?q=${word}`);
  await expect(page.getByRole('link', { name }).first()).toBeVisible();

  // The price changes from the product table: select the row, +10 %.
  await loaded(page, `/admin/products?q=${word}`);
  await page.getByRole('checkbox', { name: `Select ${name}` }).check();
  await page.getByLabel('With selected').selectOption({ label: 'Change price by %' });
  await page.getByLabel('Percent (for price)').fill('10');
  await page.getByTestId('bulk-form').getByRole('button', { name: 'Apply' }).click();
  await expect(page.getByText('1 product changed.')).toBeVisible();
  await expect(page.getByTestId('table-row').filter({ hasText: name })).toContainText('$88.00');
  await loaded(page, `/p/${slug}`);
  await expect(page.getByTestId('price')).toContainText('$88.00');

  // One size at 0: the store shows that size sold out.
  await loaded(page, `/admin/products/${id}`);
  await page.getByLabel('Stock of Black, S').fill('0');
  await page.getByRole('button', { name: 'Save stock' }).click();
  await expect(page.getByText('Stock saved.')).toBeVisible();
  await loaded(page, `/p/${slug}`);
  await expect(page.getByRole('radio', { name: 'S (sold out)' })).toBeDisabled();
  await expect(page.getByRole('radio', { name: 'M', exact: true })).toBeEnabled();

  // The audit log lists each change to this product.
  await loaded(page, `/admin/audit?kind=product&entity=${id}`);
  const rows = page.getByTestId('table-row');
  await expect(rows.filter({ hasText: 'create' }).first()).toBeVisible();
  await expect(rows.filter({ hasText: 'price_minor' }).first()).toContainText('8800');
  await expect(rows.filter({ hasText: 'stock' }).first()).toBeVisible();
  expect(Number(sql(`select count(*) from audit_log where entity_id = '${id}'`))).toBeGreaterThanOrEqual(6);
});

/** Signs the admin in at this screen width and lists the sections the dashboard menu offers. */
async function adminSections(page: Page, width: number, height: number): Promise<string[]> {
  await page.setViewportSize({ width, height });
  await signIn(page, 'admin@larkspur.local', 'larkspur-admin-2026');
  await loaded(page, '/admin');
  const menu = page.getByRole('navigation', { name: 'Dashboard' });
  const links = await menu.getByRole('link').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? '').filter((h) => h.startsWith('/admin')));
  expect(links.length).toBeGreaterThanOrEqual(6);
  return links;
}

test('every dashboard section an admin can open passes axe, from the menu itself', async ({ page }) => {
  test.setTimeout(120_000);
  const links = await adminSections(page, 1024, 800);
  for (const href of links) {
    const res = await page.goto(href, { waitUntil: 'networkidle' });
    expect(res?.status(), href).toBe(200);
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    await expectNoSeriousViolations(page, `dashboard section ${href}`);
  }
});

test('at 768 px every dashboard page fits the screen: wide tables scroll in their own frame, never the page', async ({ page }) => {
  test.setTimeout(120_000);
  const links = await adminSections(page, 768, 1024);
  const product = sql(`select id from products where is_live order by created_at limit 1`);
  const order = sql(`select number from orders order by number limit 1`);
  const customer = sql(`select id from users where role = 'customer' order by created_at limit 1`);
  const pages = [...links, `/admin/products/${product}`, '/admin/products/new', `/admin/customers/${customer}`, '/admin/import'];
  if (order) pages.push(`/admin/orders/${order}`);
  for (const href of pages) {
    const res = await page.goto(href, { waitUntil: 'networkidle' });
    expect(res?.status(), href).toBe(200);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${href} scrolls sideways`).toBeLessThanOrEqual(0);
    await expect(page.getByRole('heading', { level: 1 }), href).toBeInViewport();
  }
});
