import { expect, test, type Page } from '@playwright/test';
import { acceptCookies, expectNoSeriousViolations, loaded, sql } from './helpers';

async function signIn(page: Page, email: string, password: string) {
  await loaded(page, '/sign-in');
  await acceptCookies(page);
  await page.getByLabel('Email').fill(email);
  await page.getByRole('textbox', { name: 'Password', exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/account$/);
}

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
  expect(sql(`select count(*) from audit_log where entity_id = '${id}'`)).toBe('2');
});

test('an editor cannot open products, and the menu does not offer them', async ({ page }) => {
  await signIn(page, 'editor@larkspur.local', 'larkspur-editor-2026');
  await loaded(page, '/admin');
  await expect(page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Products' })).toHaveCount(0);
  const res = await page.goto('/admin/products');
  expect(res?.status()).toBe(403);
  await expect(page.getByRole('heading', { name: 'Access denied' })).toBeVisible();
});
