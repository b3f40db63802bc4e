import { expect, test } from '@playwright/test';
import { acceptCookies, answerSecondFactor, latestCode, loaded, sql, uniqueEmail } from './helpers';

test.describe.configure({ mode: 'serial' });

test('accepting cookies registers the device and an anonymous shopper', async ({ page, context }) => {
  const devicesBefore = Number(sql('select count(*) from devices'));
  await loaded(page, '/');
  await expect(page.getByRole('region', { name: 'Cookie consent' })).toBeVisible();
  await acceptCookies(page);
  const names = (await context.cookies()).map((c) => c.name).sort();
  expect(names).toEqual(['larkspur_consent', 'larkspur_session']);
  expect(Number(sql('select count(*) from devices'))).toBe(devicesBefore + 1);
  await page.reload();
  await expect(page.getByTestId('consent-banner')).toHaveCount(0);
});

test('rejecting cookies creates no device and no tracking cookie', async ({ page, context }) => {
  const devicesBefore = sql('select count(*) from devices');
  const anonymousBefore = sql('select count(*) from anonymous_users');
  await loaded(page, '/');
  const banner = page.getByTestId('consent-banner');
  await banner.getByRole('button', { name: 'Reject non-essential' }).click();
  await expect(banner).toBeHidden();
  const names = (await context.cookies()).map((c) => c.name);
  expect(names).toEqual(['larkspur_consent']);
  expect(sql('select count(*) from devices')).toBe(devicesBefore);
  expect(sql('select count(*) from anonymous_users')).toBe(anonymousBefore);
  // The shop still works.
  await page.getByRole('link', { name: 'Hoodies' }).first().isVisible();
  await expect(page.getByRole('heading', { name: 'New arrivals' })).toBeVisible();
});

test('the banner is usable with the keyboard alone', async ({ page }) => {
  await loaded(page, '/');
  const accept = page.getByTestId('consent-banner').getByRole('button', { name: 'Accept all' });
  await accept.focus();
  await expect(accept).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('consent-banner')).toBeHidden();
});

test('sign up with a code read from the email', async ({ page }) => {
  const email = uniqueEmail('nia');
  await loaded(page, '/sign-up');
  await page.getByLabel('Your name').fill('Nia Okafor');
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByRole('button', { name: 'Send code' }).click();
  await expect(page.getByText(`We sent a 6-digit code to ${email}`)).toBeVisible();
  await page.getByLabel('Code').fill(await latestCode(email));
  await page.getByLabel('Password (optional)').fill('a long walk home');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole('heading', { name: 'Hello, Nia Okafor' })).toBeVisible();
});

test('a wrong code is explained beside the field and keeps what was typed', async ({ page }) => {
  const email = uniqueEmail('typo');
  await loaded(page, '/sign-up');
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByRole('button', { name: 'Send code' }).click();
  const real = await latestCode(email);
  await page.getByLabel('Code').fill(real === '000000' ? '111111' : '000000');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByText("That code isn't right")).toBeVisible();
  await expect(page.getByLabel('Email', { exact: true })).toHaveValue(email);
  await expect(page.getByLabel('Code')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel('Code')).toHaveAccessibleDescription(/code isn't right/);
  await expect(page.getByLabel('Email', { exact: true })).not.toHaveAttribute('aria-invalid', /./);
});

test('password sign-in and sign-out', async ({ page }) => {
  await loaded(page, '/sign-in');
  await page.getByLabel('Email', { exact: true }).fill('admin@larkspur.local');
  await page.getByRole('textbox', { name: 'Password', exact: true }).fill('larkspur-admin-2026');
  const since = Date.now() - 2_000;
  await page.getByRole('button', { name: 'Sign in' }).click();
  // An admin gives a second factor next: here the emailed code.
  await expect(page).toHaveURL(/\/sign-in\/second-factor$/);
  await answerSecondFactor(page, 'admin@larkspur.local', since);
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole('link', { name: 'Dashboard', exact: true })).toBeVisible();
  await expect(page.getByTestId('session-list')).toContainText('This device');
  await page.getByRole('button', { name: 'Sign out' }).first().click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();
  const account = await page.goto('/account');
  expect(page.url()).toContain('/sign-in');
  expect(account?.ok()).toBeTruthy();
});

test('sign in with Google through the OAuth stand-in', async ({ page }) => {
  await loaded(page, '/sign-in');
  await page.getByRole('link', { name: 'Continue with Google' }).click();
  await expect(page).toHaveURL(/\/account/);
  await expect(page.getByRole('heading', { name: 'Hello, Grace Hopper' })).toBeVisible();
  await expect(page.getByTestId('sign-in-methods')).toContainText('Google');
  expect(sql("select count(*) from user_identities where provider = 'google'")).toBe('1');
});

test('five wrong passwords lock this device with a clear message', async ({ page }) => {
  await loaded(page, '/');
  await acceptCookies(page);
  await loaded(page, '/sign-in');
  await page.getByLabel('Email', { exact: true }).fill('admin@larkspur.local');
  for (let attempt = 1; attempt <= 4; attempt++) {
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill(`wrong guess ${attempt}`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByTestId('form-error')).toHaveText('The email or password is incorrect.');
  }
  await page.getByRole('textbox', { name: 'Password', exact: true }).fill('wrong guess 5');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('form-error')).toContainText('locked for 5 minutes');
  await page.getByRole('textbox', { name: 'Password', exact: true }).fill('larkspur-admin-2026');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('form-error')).toContainText('locked for 4 minutes');
});

test('an anonymous cart survives signing in', async ({ page }) => {
  await loaded(page, '/');
  await acceptCookies(page);
  // The newest anonymous shopper is this browser (the suite runs one test at a time).
  const anonymous = sql('select id from anonymous_users order by created_at desc limit 1');
  const variant = sql('select id from product_sizes where stock >= 5 order by sku limit 1');
  const cart = sql(`insert into carts (anonymous_user_id) values ('${anonymous}') returning id`);
  sql(`insert into cart_items (cart_id, product_size_id, quantity) values ('${cart}', '${variant}', 2)`);
  await page.reload();
  await expect(page.getByTestId('cart-count')).toHaveText('2');

  const email = uniqueEmail('cart');
  await loaded(page, '/sign-up');
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByRole('button', { name: 'Send code' }).click();
  await page.getByLabel('Code').fill(await latestCode(email));
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByTestId('cart-count')).toHaveText('2');
  expect(sql(`select count(*) from carts where anonymous_user_id = '${anonymous}'`)).toBe('0');
});
