import { expect, test, type Browser, type Page } from '@playwright/test';
import { adminPage, latestCode, loaded, sql, uniqueEmail } from './helpers';

test.describe.configure({ mode: 'serial' });

test('a script in the search query never runs', async ({ page }) => {
  let dialogs = 0;
  page.on('dialog', async (dialog) => {
    dialogs += 1;
    await dialog.dismiss();
  });
  const payload = '</title><script>alert(document.domain)</script>';
  await loaded(page, `/search?q=${encodeURIComponent(payload)}`);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  expect(await page.title()).toContain('</title><script>');
  expect(dialogs).toBe(0);
});

/** Records every Content Security Policy refusal the page reports (scripts and styles alike). */
function cspViolations(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && message.text().includes('Content Security Policy')) violations.push(`${page.url()}: ${message.text()}`);
  });
  return violations;
}

async function expectStrictPolicy(page: Page, path: string) {
  const response = await page.goto(path, { waitUntil: 'networkidle' });
  const policy = response?.headers()['content-security-policy'] ?? '';
  const directive = (name: string) => policy.split(';').map((d) => d.trim()).find((d) => d.startsWith(`${name} `)) ?? '';
  expect(directive('script-src'), path).toContain("'nonce-");
  expect(directive('script-src'), path).not.toContain('unsafe-inline');
  expect(directive('style-src'), path).toBe("style-src 'self'");
}

test('every page kind forbids inline scripts and styles and still hydrates', async ({ page }) => {
  const product = sql("select slug from products where is_active and deleted_at is null and rating_count > 0 order by slug limit 1");
  const kinds = ['/', '/c/hoodies', '/c/hoodies?colour=black', `/p/${product}`, '/search?q=hoodie', '/sign-in', '/journal', '/wishlist', '/no-such-page'];
  const violations = cspViolations(page);
  for (const path of kinds) await expectStrictPolicy(page, path);
  // The colour dots and the ratings' bars are drawn, not styled inline.
  await loaded(page, `/p/${product}`);
  await expect(page.locator('svg circle[fill^="#"]').first()).toBeAttached();
  await expect(page.getByRole('list', { name: 'Ratings breakdown' }).locator('rect').first()).toBeAttached();
  expect(violations).toEqual([]);
  // Hydrated: the sign-in tabs switch in place instead of loading a page.
  await loaded(page, '/sign-in');
  await page.getByRole('tab', { name: 'Email code' }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  await expect(page.getByRole('button', { name: 'Send code' })).toBeVisible();
});

test('the dashboard keeps the same policy: swatches, charts and their tips', async ({ browser }) => {
  const page = await adminPage(browser);
  const violations = cspViolations(page);
  for (const path of ['/admin', '/admin/colours', '/admin/analytics', '/admin/products']) await expectStrictPolicy(page, path);
  await loaded(page, '/admin/analytics');
  // The tip beside a chart's mark is placed through the CSSOM, which the policy allows.
  const sales = page.getByTestId('sales-chart');
  await sales.locator('svg').first().locator('circle').nth(40).hover();
  await expect(sales.locator('div[aria-hidden="true"]').filter({ hasText: '$' })).toBeVisible();
  expect(violations).toEqual([]);
  await page.context().close();
});

/** A browser with JavaScript off that records every URL it requests. */
async function withoutJavaScript(browser: Browser) {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const urls: string[] = [];
  page.on('request', (request) => urls.push(request.url()));
  return { context, page, urls };
}

function expectNoSecretIn(urls: string[], secret: string) {
  for (const url of urls) {
    expect(url).not.toContain(encodeURIComponent(secret));
    expect(url).not.toContain(secret.replace(/ /g, '+'));
  }
}

async function signedInAs(page: Page, name: string) {
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole('heading', { name: `Hello, ${name}` })).toBeVisible();
}

test('sign-up, sign-in and reset work with JavaScript off, secrets never in a URL', async ({ browser }) => {
  const email = uniqueEmail('nojs');
  const password = 'plain forms still work';

  // Sign up by emailed code.
  const signUp = await withoutJavaScript(browser);
  await signUp.page.goto('/sign-up');
  await signUp.page.getByLabel('Your name').fill('Noa Script');
  await signUp.page.getByLabel('Email', { exact: true }).fill(email);
  await signUp.page.getByRole('button', { name: 'Send code' }).click();
  await expect(signUp.page.getByText(`We sent a 6-digit code to ${email}`)).toBeVisible();
  await signUp.page.getByLabel('Code').fill(await latestCode(email));
  await signUp.page.getByLabel('Password (optional)').fill(password);
  await signUp.page.getByRole('button', { name: 'Create account' }).click();
  await signedInAs(signUp.page, 'Noa Script');
  expectNoSecretIn(signUp.urls, password);
  await signUp.context.close();

  // Sign in with the password; a wrong one is explained and the email stays.
  const signIn = await withoutJavaScript(browser);
  await signIn.page.goto('/sign-in');
  await signIn.page.getByLabel('Email', { exact: true }).fill(email);
  await signIn.page.getByRole('textbox', { name: 'Password', exact: true }).fill('not my password');
  await signIn.page.getByRole('button', { name: 'Sign in' }).click();
  await expect(signIn.page.getByTestId('form-error')).toHaveText('The email or password is incorrect.');
  await expect(signIn.page.getByLabel('Email', { exact: true })).toHaveValue(email);
  await signIn.page.getByRole('textbox', { name: 'Password', exact: true }).fill(password);
  await signIn.page.getByRole('button', { name: 'Sign in' }).click();
  await expect(signIn.page).toHaveURL(/\/account$/);
  expectNoSecretIn(signIn.urls, password);
  expectNoSecretIn(signIn.urls, 'not my password');
  await signIn.context.close();

  // Reset the password with the emailed code.
  const newPassword = 'a brand new passphrase';
  const reset = await withoutJavaScript(browser);
  await reset.page.goto('/reset-password');
  await reset.page.getByLabel('Email', { exact: true }).fill(email);
  await reset.page.getByRole('button', { name: 'Send reset code' }).click();
  await expect(reset.page.getByLabel('Code')).toBeVisible();
  await reset.page.getByLabel('Code').fill(await latestCode(email, /Reset your Larkspur password/));
  await reset.page.getByLabel('New password').fill(newPassword);
  await reset.page.getByRole('button', { name: 'Set new password' }).click();
  await signedInAs(reset.page, 'Noa Script');
  expectNoSecretIn(reset.urls, newPassword);
  await reset.context.close();
});

test('another site cannot post to the store', async ({ page }) => {
  await loaded(page, '/');
  const status = await page.evaluate(async () => {
    const response = await fetch('/api/account/name', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'name=x',
    });
    return response.status;
  });
  expect(status, 'same-origin posts reach the handler (here: not signed in)').toBe(401);
  const crossSite = await page.request.post('/api/account/name', {
    headers: { Origin: 'https://evil.example', 'Content-Type': 'text/plain' },
    data: 'name=x',
  });
  expect(crossSite.status()).toBe(403);
});

test('the cookie banner and "Add to cart" work with JavaScript off', async ({ browser }) => {
  const { context, page } = await withoutJavaScript(browser);
  await page.goto('/');
  const banner = page.getByTestId('consent-banner');
  await banner.getByRole('button', { name: 'Reject non-essential' }).click();
  await expect(page.getByTestId('consent-banner')).toHaveCount(0);
  expect((await context.cookies()).map((c) => c.name)).toEqual(['larkspur_consent']);

  const slug = sql(
    `select p.slug from products p join product_colours c on c.product_id = p.id join product_sizes s on s.product_colour_id = c.id
     where p.is_active and p.deleted_at is null and s.stock >= 5 and c.sort_order = 0
       and (select count(*) from product_sizes x where x.product_colour_id = c.id) > 1 order by p.slug limit 1`,
  );
  await page.goto(`/p/${slug}`);
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'Choose a size.' })).toBeVisible();
  await page.locator('input[name="variant_id"]:not([disabled])').first().check({ force: true });
  await page.getByLabel('Quantity').fill('2');
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await expect(page.getByText('Added to your cart — 2 items in total.')).toBeVisible();
  await expect(page.getByTestId('cart-count')).toHaveText('2');
  await context.close();
});
