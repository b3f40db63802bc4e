import { expect, test } from '@playwright/test';

// These tests look at the page itself: answer the cookie question up front.
test.beforeEach(async ({ context, baseURL }) => {
  await context.addCookies([{ name: 'larkspur_consent', value: '2026-11:00', url: baseURL! }]);
});

test('home page HTML already lists products before any script runs', async ({ browser, request }) => {
  const html = await (await request.get('/')).text();
  const names = [...html.matchAll(/data-testid="product-name"[^>]*>([^<]+)</g)].map((m) => m[1].trim());
  expect(names.length).toBeGreaterThanOrEqual(8);

  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'New arrivals' })).toBeVisible();
  await expect(page.getByTestId('product-name').first()).toHaveText(names[0]);
  await context.close();
});

test('the hydrated "Show more" island loads more products through a server function', async ({ page }) => {
  await page.goto('/', { waitUntil: 'networkidle' });
  const cards = page.locator('section[aria-labelledby="new-arrivals"]').getByTestId('product-name');
  await expect(cards).toHaveCount(8);
  const serverCall = page.waitForResponse((res) => res.url().includes('/api/catalog/new-arrivals') && res.ok());
  await page.getByRole('button', { name: 'Show more' }).click();
  await serverCall;
  await expect(cards).toHaveCount(16);
  const names = await cards.allTextContents();
  expect(new Set(names.map((n) => n.trim())).size).toBeGreaterThan(8);
});

test('an unknown URL answers 404 with the not-found page', async ({ page }) => {
  const response = await page.goto('/this/page/does-not-exist');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Back to the shop' })).toBeVisible();
});

test('readiness reports PostgreSQL and Redis', async ({ request }) => {
  const res = await request.get('/readyz');
  expect(res.status()).toBe(200);
  expect(await res.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok', worker: 'ok' } });
});

test('pages fit a 360 px wide phone without sideways scrolling', async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  for (const path of ['/sign-in', '/journal', '/search?q=hoodie', '/', '/c/hoodies']) {
    await page.goto(path, { waitUntil: 'networkidle' });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, path).toBeLessThanOrEqual(0);
  }
  const product = await page.locator('a[href^="/p/"]').first().getAttribute('href');
  await page.goto(product!, { waitUntil: 'networkidle' });
  expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
  // The search box spans the width under the logo.
  const box = await page.getByRole('combobox', { name: 'Search products' }).boundingBox();
  expect(box!.width).toBeGreaterThan(300);
});
