import { createHmac } from 'node:crypto';
import { expect, test, type Browser, type Page } from '@playwright/test';
import { acceptCookies, expectNoSeriousViolations, loaded, signIn, sql, uniqueEmail } from './helpers';

const PASSWORD = 'larkspur-editor-2026';

/** RFC 4648 base32 to bytes (the key the setup page shows, spaces allowed). */
function base32(key: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of key.replace(/[\s=]/g, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  return Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
}

/** What an authenticator app shows for `key` at `at` (RFC 6238: SHA-1, 6 digits, 30 s). */
function appCode(key: string, at = Date.now()): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const mac = createHmac('sha1', base32(key)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/** A fresh browser through the password step, at the second-factor page. */
async function passwordStep(browser: Browser, email: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await loaded(page, '/sign-in');
  await acceptCookies(page);
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByRole('textbox', { name: 'Password', exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/sign-in\/second-factor$/);
  return page;
}

test('an editor sets up an authenticator app, then signs in with it and with a recovery code', async ({ page, browser }) => {
  test.setTimeout(120_000);
  // An editor of their own (with the demo editor's password), so the demo accounts keep
  // signing in by emailed code in the other tests.
  const email = uniqueEmail('editor');
  sql(`insert into users (email, email_verified_at, name, password_hash, role)
       select '${email}', now(), 'Noor Editor', password_hash, 'editor' from users where email = 'editor@larkspur.local'`);
  await signIn(page, email, PASSWORD);

  await loaded(page, '/account');
  const panel = page.getByRole('region', { name: 'Two-step sign-in' });
  await expect(panel.getByTestId('second-factor-state')).toContainText('not set up');
  await panel.getByRole('button', { name: 'Set up an authenticator app' }).click();
  await expect(panel.getByRole('img', { name: 'QR code of the authenticator key' })).toBeVisible();
  const key = (await panel.getByTestId('authenticator-key').textContent())!;
  await expectNoSeriousViolations(page, 'account page with the authenticator setup');
  await panel.getByLabel('Code from the app').fill('000000');
  await panel.getByRole('button', { name: 'Turn on' }).click();
  await expect(panel.getByText('That code is not right')).toBeVisible();
  await panel.getByLabel('Code from the app').fill(appCode(key));
  await panel.getByRole('button', { name: 'Turn on' }).click();
  const codes = panel.getByTestId('recovery-codes').getByRole('listitem');
  await expect(codes).toHaveCount(10);
  const recovery = (await codes.first().textContent())!;
  await expect(panel.getByTestId('second-factor-state')).toContainText('Recovery codes left: 10');

  // A new browser: the password, then the app's code (the next one, as the app shows it
  // when the one used for the setup has gone by).
  const other = await passwordStep(browser, email);
  await expect(other.getByText('the 6-digit code your authenticator app shows')).toBeVisible();
  await expectNoSeriousViolations(other, 'second-factor page');
  await other.getByLabel('Code').fill(appCode(key, Date.now() + 30_000));
  await other.getByRole('button', { name: 'Continue' }).click();
  await expect(other).toHaveURL(/\/account$/);

  // And once more with a recovery code, which then stops working.
  const third = await passwordStep(browser, email);
  await third.getByLabel('Code').fill(recovery);
  await third.getByRole('button', { name: 'Continue' }).click();
  await expect(third).toHaveURL(/\/account$/);
  await expect(third.getByRole('region', { name: 'Two-step sign-in' }).getByTestId('second-factor-state')).toContainText('Recovery codes left: 9');
});
