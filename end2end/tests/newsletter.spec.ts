import { expect, test } from '@playwright/test';
import { acceptCookies, expectNoSeriousViolations, latestMail, loaded, sql, uniqueEmail } from './helpers';

/** The path and query of a link found in a mail's text (the suite's server is the base URL). */
function pathOf(text: string, pattern: RegExp): string {
  const found = text.match(pattern);
  expect(found, `no link matching ${pattern} in:\n${text}`).not.toBeNull();
  const url = new URL(found![0]);
  return url.pathname + url.search;
}

test('a visitor subscribes from the footer, confirms from the email and unsubscribes from the next', async ({ page }) => {
  test.setTimeout(90_000);
  const email = uniqueEmail('newsletter');
  await loaded(page, '/');
  await acceptCookies(page);

  const footer = page.getByTestId('newsletter-footer');
  await footer.getByLabel('Email address').fill(email);
  await footer.getByRole('button', { name: 'Sign up' }).click();
  await expect(footer.getByTestId('newsletter-notice')).toContainText('Check your inbox to confirm');
  await expect(footer.getByLabel('Email address')).toHaveValue('');
  expect(sql(`select status from subscribers where email = '${email}'`)).toBe('pending');

  // The link in the email opens a page that asks; the button confirms.
  const mail = await latestMail(email, /Confirm your Larkspur newsletter subscription/);
  const confirm = pathOf(mail.text ?? '', /https?:\/\/\S+\/newsletter\/confirm\?token=[\w-]+/);
  await loaded(page, confirm);
  await expect(page.getByRole('heading', { level: 1, name: 'Confirm your subscription' })).toBeVisible();
  await expectNoSeriousViolations(page, 'the confirmation page');
  expect(sql(`select status from subscribers where email = '${email}'`)).toBe('pending');
  await page.getByRole('button', { name: 'Confirm my subscription' }).click();
  await expect(page.getByTestId('newsletter-confirmed')).toContainText("you're subscribed");
  expect(sql(`select status from subscribers where email = '${email}'`)).toBe('confirmed');

  // Following the link again says so, without an error.
  await loaded(page, confirm);
  await expect(page.getByTestId('newsletter-confirmed')).toContainText('already confirmed');
  await expect(page.getByRole('button', { name: 'Confirm my subscription' })).toHaveCount(0);

  // The welcome email carries an unsubscribe link that needs no sign-in.
  const welcome = await latestMail(email, /Welcome to the Larkspur newsletter/);
  const unsubscribe = pathOf(welcome.text ?? '', /https?:\/\/\S+\/newsletter\/unsubscribe\?token=[\w-]+/);
  await loaded(page, unsubscribe);
  await page.getByRole('button', { name: 'Unsubscribe' }).click();
  await expect(page.getByTestId('newsletter-unsubscribed')).toContainText("You're unsubscribed");
  expect(sql(`select status from subscribers where email = '${email}'`)).toBe('unsubscribed');
});

test('the footer form works without JavaScript and keeps what was typed', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/');
  // Out of the way first: the cookie banner sits over the bottom of the page.
  await page.getByRole('button', { name: 'Reject non-essential' }).click();
  await expect(page.getByTestId('consent-banner')).toHaveCount(0);

  // An address the browser lets through but the store does not.
  const footer = page.getByTestId('newsletter-footer');
  await footer.getByLabel('Email address').fill('someone@nowhere');
  await footer.getByRole('button', { name: 'Sign up' }).click();
  await expect(page).toHaveURL(/\/newsletter$/);
  const form = page.getByTestId('newsletter-page');
  await expect(form.getByLabel('Email address')).toHaveValue('someone@nowhere');
  await expect(form.getByText('Enter a valid email address')).toBeVisible();

  const email = uniqueEmail('no-js');
  await form.getByLabel('Email address').fill(email);
  await form.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByTestId('newsletter-page').getByTestId('newsletter-notice')).toContainText('Check your inbox to confirm');
  await latestMail(email, /Confirm your Larkspur newsletter subscription/);
  await context.close();
});
