import { expect, test } from '@playwright/test';
import { expectNoSeriousViolations, loaded, signIn } from './helpers';

test('an editor reads a year of trade on the analytics page: charts, the same figures as tables, tooltips', async ({ page }) => {
  test.setTimeout(90_000);
  await page.setViewportSize({ width: 1280, height: 900 });
  await signIn(page, 'editor@larkspur.local', 'larkspur-editor-2026');
  await loaded(page, '/admin');
  await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Analytics' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Analytics' })).toBeVisible();

  await page.getByRole('navigation', { name: 'Periods' }).getByRole('link', { name: 'Last 12 months' }).click();
  await expect(page).toHaveURL(/preset=365d/);
  await expect(page.getByTestId('period')).toContainText('per week');
  const sales = page.getByTestId('sales-chart');
  await expect(sales.locator('svg').first()).toBeVisible();
  // A year of weeks, this period and the one before, each week a point.
  expect(await sales.locator('svg').first().locator('circle').count()).toBeGreaterThanOrEqual(104);
  const total = await page.locator('dt', { hasText: 'Orders' }).locator('xpath=following-sibling::dd[1]').textContent();
  expect(Number(total)).toBeGreaterThan(100);
  await expect(page.getByTestId('top-products').locator('rect').first()).toBeVisible();
  await expect(page.getByTestId('funnel').locator('tbody tr')).toHaveCount(5);

  // The island shows a point's figure beside it.
  await sales.locator('svg').first().locator('circle').nth(40).hover();
  await expect(sales.locator('div[aria-hidden="true"]').filter({ hasText: '$' })).toBeVisible();

  // The same figures as a table.
  await sales.getByText('Sales and orders as a table').click();
  expect(await sales.locator('tbody tr').count()).toBeGreaterThanOrEqual(52);
  await expectNoSeriousViolations(page, 'analytics');

  // A custom period that ends before it starts is explained beside the field.
  const custom = page.getByRole('form', { name: 'Custom period' });
  await custom.getByLabel('From').fill('2026-03-10');
  await custom.getByLabel('To').fill('2026-03-01');
  await custom.getByRole('button', { name: 'Show' }).click();
  await expect(page.getByText('The end comes before the start.')).toBeVisible();
  await expect(custom.getByLabel('From')).toHaveValue('2026-03-10');
});
