// Buying in the browser, step by step: shared by the checkout and dashboard specs.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Page } from '@playwright/test';
import { acceptCookies, loaded, sql } from './helpers';

/** The newest code texted to `phone` (the store writes texts to its outbox here). */
export async function latestSmsCode(phone: string): Promise<string> {
  const dir = join(process.env.OUTBOX_DIR ?? 'outbox', 'sms');
  let code = '';
  await expect
    .poll(() => {
      const mine = readdirSync(dir).filter((f) => f.endsWith(`${phone.slice(1)}.txt`)).sort();
      const newest = mine.at(-1);
      code = newest ? (readFileSync(join(dir, newest), 'utf8').match(/code is (\d{6})/)?.[1] ?? '') : '';
      return code;
    }, { timeout: 15_000 })
    .toMatch(/^\d{6}$/);
  return code;
}

export function uniquePhone(): string {
  return `+1555${String(Date.now()).slice(-7)}`;
}

/** A product with at least two sizes in stock in its first colour. */
export function productWithSizes(): string {
  return sql(`select p.slug from products p join product_colours pc on pc.product_id = p.id
    join product_sizes ps on ps.product_colour_id = pc.id
    where p.is_active and p.deleted_at is null and ps.stock - ps.reserved >= 3
    group by p.slug, pc.id having count(*) >= 2 order by p.slug limit 1`);
}

export async function addTwoSizes(page: Page) {
  await loaded(page, `/p/${productWithSizes()}`);
  const sizes = page.locator('input[name="variant_id"]:not([disabled])');
  const add = page.getByRole('button', { name: 'Add to cart' });
  await sizes.nth(0).check({ force: true });
  await add.click();
  await expect(page.getByTestId('cart-count')).toHaveText('1');
  await sizes.nth(1).check({ force: true });
  await add.click();
  // The header follows without a reload, and focus stays where it was.
  await expect(page.getByTestId('cart-count')).toHaveText('2');
  await expect(add).toBeFocused();
}

export async function contactStep(page: Page, phone: string) {
  const email = `buyer.${phone.slice(1)}@example.com`;
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Mobile number').fill(phone);
  await page.getByRole('button', { name: 'Text me a code' }).click();
  // The code step says where the code went (the number masked) and the email typed with it.
  await expect(page.getByTestId('code-phone')).toHaveText(`+1 555 ••• ${phone.slice(-4)}`);
  await expect(page.getByTestId('code-email')).toHaveText(email);
  await expect(page.getByText('Use another number')).toBeVisible();
  await page.getByLabel('6-digit code').fill(await latestSmsCode(phone));
  await page.getByRole('button', { name: 'Confirm number' }).click();
}

export async function addressStep(page: Page, postalCode = '94105') {
  await page.waitForLoadState('networkidle');
  const form = page.getByTestId('new-address');
  await form.getByLabel("Recipient's name").fill('Grace Hopper');
  await form.getByLabel('Country').selectOption({ label: 'United States' });
  await form.getByLabel('State / region').selectOption({ label: 'California' });
  await form.getByLabel('City').selectOption({ label: 'San Francisco' });
  await form.getByLabel('Street address').fill('1 Market Street');
  await form.getByLabel('Postal code').fill(postalCode);
  await form.getByRole('button', { name: 'Deliver to this address' }).click();
}

/** A new shopper's two-size order, placed: for a card, the browser is on the payment page;
 * otherwise on the order's page. */
export async function placeOrder(page: Page, { express, payment = 'Card (secure payment page by Stripe)' }: { express: boolean; payment?: string }) {
  await loaded(page, '/');
  await acceptCookies(page);
  await addTwoSizes(page);
  await loaded(page, '/checkout');
  await contactStep(page, uniquePhone());
  await addressStep(page);
  if (express) await page.getByLabel('Express delivery (next working day)').check();
  await page.getByRole('button', { name: 'Continue to review' }).click();
  await page.getByLabel(payment).check();
  await page.getByRole('button', { name: /Place order/ }).click();
}

