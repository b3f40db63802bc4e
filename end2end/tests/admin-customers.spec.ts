import { expect, test } from '@playwright/test';
import { adminPage, answerSecondFactor, expectNoSeriousViolations, loaded, signIn, sql } from './helpers';

const EDITOR = { email: 'editor@larkspur.local', password: 'larkspur-editor-2026' };


test('an admin moves a review back to pending, approves it and replies; the product page shows both', async ({ page, browser }) => {
  test.setTimeout(120_000);
  const [id, slug, title] = sql(`select r.id || '|' || p.slug || '|' || r.title from reviews r join products p on p.id = r.product_id
    where r.status = 'approved' and r.title <> '' order by r.created_at limit 1`).split('|');
  const staff = await adminPage(browser);
  await loaded(staff, '/admin/reviews');
  await expect(staff.getByRole('heading', { name: 'Reviews' })).toBeVisible();
  await expectNoSeriousViolations(staff, 'review queue');
  await loaded(staff, `/admin/reviews/${id}`);
  await expectNoSeriousViolations(staff, 'review page');
  await staff.getByRole('button', { name: 'Move back to pending' }).click();
  await expect(staff.getByTestId('review-status')).toHaveText('Pending');
  await loaded(page, `/p/${slug}`);
  await expect(page.getByText(title, { exact: true })).toHaveCount(0);

  await staff.getByRole('button', { name: 'Approve' }).click();
  await expect(staff.getByTestId('review-status')).toContainText('Approved');
  await staff.getByLabel('Your reply').fill('Thank you! The linen softens with every wash.');
  await staff.getByRole('button', { name: 'Post reply' }).click();
  await expect(staff.getByTestId('current-reply')).toContainText('softens with every wash');

  await loaded(page, `/p/${slug}`);
  await expect(page.getByText(title, { exact: true })).toBeVisible();
  await expect(page.getByTestId('review-reply')).toContainText('Thank you! The linen softens with every wash.');
});

test('an admin unlocks a device that five wrong passwords locked, and it signs in at once', async ({ page, browser }) => {
  test.setTimeout(120_000);
  // The editor has used this browser before, so the device is theirs in the dashboard.
  await signIn(page, EDITOR.email, EDITOR.password);
  await page.getByRole('button', { name: 'Sign out' }).first().click();
  await expect(page).toHaveURL(/\/$/);
  await loaded(page, '/sign-in');
  await page.getByLabel('Email', { exact: true }).fill(EDITOR.email);
  for (let attempt = 1; attempt <= 5; attempt++) {
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill(`wrong guess ${attempt}`);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  await expect(page.getByTestId('form-error')).toContainText('locked');

  const staff = await adminPage(browser);
  await loaded(staff, '/admin/customers');
  await expectNoSeriousViolations(staff, 'customer list');
  await staff.getByLabel(/Search/).fill(EDITOR.email);
  await staff.getByRole('button', { name: 'Apply filters' }).click();
  await staff.getByRole('link', { name: /Editor|editor@larkspur\.local/ }).first().click();
  await expect(staff.getByTestId('customer-devices')).toBeVisible();
  await expectNoSeriousViolations(staff, 'customer page');
  await expect(staff.getByTestId('device-locked')).toHaveCount(1);
  await staff.getByTestId('customer-devices').getByRole('button', { name: /^Unlock / }).click();
  await expect(staff.getByTestId('device-locked')).toHaveCount(0);

  await page.getByRole('textbox', { name: 'Password', exact: true }).fill(EDITOR.password);
  const since = Date.now() - 2_000;
  await page.getByRole('button', { name: 'Sign in' }).click();
  // Staff give their second factor next.
  await expect(page).toHaveURL(/\/sign-in\/second-factor$/);
  await answerSecondFactor(page, EDITOR.email, since);
  await expect(page).toHaveURL(/\/account$/);
});
