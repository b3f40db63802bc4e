import { expect, test, type Page } from '@playwright/test';
import { acceptCookies, expectNoSeriousViolations, latestCode, latestMail, loaded, pngOf, signIn, uniqueEmail } from './helpers';

test.describe.configure({ mode: 'serial' });

const PASSWORD = 'a long walk home';

/** The code of the mail that confirms deleting the account (MailDev's list is not in
 * date order, so it is picked by what it says). */
async function deletionCode(to: string): Promise<string> {
  let code = '';
  await expect
    .poll(async () => {
      const mails: { to: { address: string }[]; subject: string; text?: string }[] = await (await fetch(`${process.env.MAILDEV_URL ?? 'http://127.0.0.1:1080'}/api/email`)).json();
      const mail = mails.find((m) => m.to.some((t) => t.address === to) && (m.text ?? '').includes('to delete your Larkspur account'));
      code = mail?.subject.match(/code is (\d{6})/)?.[1] ?? '';
      return code;
    }, { timeout: 20_000 })
    .toMatch(/^\d{6}$/);
  return code;
}

async function signUp(page: Page, name: string, email: string) {
  await loaded(page, '/sign-up');
  await acceptCookies(page);
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByRole('button', { name: 'Send code' }).click();
  const code = await latestCode(email);
  await page.getByLabel('Code').fill(code);
  await page.getByLabel('Password (optional)').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/account$/);
  return code;
}

test('a customer adds a second email, verifies it from the mail, makes it primary and signs in with it', async ({ page, browser }) => {
  test.setTimeout(120_000);
  const first = uniqueEmail('wren');
  const second = uniqueEmail('wren.work');
  await signUp(page, 'Wren Adair', first);
  await expectNoSeriousViolations(page, 'account page');

  const emails = page.getByRole('region', { name: 'Email addresses' });
  await emails.getByLabel('Add an email address').fill(second);
  await emails.getByRole('button', { name: 'Send code' }).click();
  await emails.getByLabel('Code').fill(await latestCode(second));
  await emails.getByRole('button', { name: 'Confirm' }).click();
  const list = page.getByTestId('email-list');
  await expect(list).toContainText(second);
  await expect(list.getByRole('listitem').filter({ hasText: first })).toContainText('Primary');

  await list.getByRole('button', { name: `Make primary: ${second}` }).click();
  await expect(page.getByText(`${second} is now your primary one.`)).toBeVisible();
  await expect(page.getByTestId('email-list').getByRole('listitem').filter({ hasText: second })).toContainText('Primary');

  // Either address signs in; the new primary in a browser of its own.
  const other = await (await browser.newContext()).newPage();
  await signIn(other, second, PASSWORD);
  await expect(other.getByRole('heading', { name: 'Hello, Wren Adair' })).toBeVisible();
});

test('a customer chooses a square of their picture, downloads their data, then deletes the account and can no longer sign in', async ({ page }) => {
  test.setTimeout(210_000);
  const email = uniqueEmail('ivo');
  const codeSentAt = Date.now();
  const signUpCode = await signUp(page, 'Ivo Brandt', email);

  // The picture: chosen, cropped in the browser, shown in the header.
  await page.waitForLoadState('networkidle');
  const profile = page.getByTestId('profile-picture');
  await profile.getByLabel('Profile picture').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: pngOf(300, 200, [30, 90, 200]) });
  await expect(page.getByTestId('picture-cropper')).toBeVisible();
  await page.getByLabel('Zoom').fill('150');
  await expect(page.locator('input[name="size"]')).toHaveValue(/^0\.66/);
  await profile.getByRole('button', { name: 'Upload picture' }).click();
  await expect(page.getByText('Your picture is saved.')).toBeVisible();
  await expect(page.locator('header img[src*="/media/avatars/"]')).toHaveCount(1);

  // The copy of the data: asked for, prepared by the worker, downloaded once.
  const data = page.getByRole('region', { name: 'Your data' });
  await data.getByRole('button', { name: 'Prepare a copy of my data' }).click();
  await expect(page.getByText("We're preparing your data.")).toBeVisible();
  await latestMail(email, /Your Larkspur data is ready/);
  await page.reload();
  const download = page.waitForEvent('download');
  await page.getByRole('region', { name: 'Your data' }).getByRole('button', { name: 'Download your data' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^larkspur-data-\d{4}-\d{2}-\d{2}\.zip$/);
  await page.reload();
  await expect(page.getByTestId('export-state')).toContainText('Get a copy of everything');

  // Deleting, with the emailed code: one code per address a minute, so after the sign-up's.
  await page.waitForTimeout(Math.max(0, codeSentAt + 68_000 - Date.now()));
  await page.getByRole('button', { name: 'Send me a code to delete my account' }).click();
  const code = await deletionCode(email);
  expect(code).not.toBe(signUpCode);
  await page.getByLabel('Code').fill(code);
  await page.getByRole('button', { name: 'Delete my account' }).click();
  await expect(page).toHaveURL(/\/\?account=deleted$/);
  await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();

  await loaded(page, '/sign-in');
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByRole('textbox', { name: 'Password', exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByText('The email or password is incorrect.')).toBeVisible();
});
