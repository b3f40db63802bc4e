import { expect, test, type Page } from '@playwright/test';
import { acceptCookies, expectNoSeriousViolations, loaded, sql } from './helpers';
import { addTwoSizes, addressStep, contactStep, latestSmsCode, placeOrder, productWithSizes, uniquePhone } from './shopping';

// A product with two or more colours, each with a size in stock.
function productWithColours(): string {
  return sql(`select p.slug from products p where p.is_active and p.deleted_at is null
    and (select count(*) from product_colours pc where pc.product_id = p.id) >= 2
    and not exists (select 1 from product_colours pc where pc.product_id = p.id and not exists (
      select 1 from product_sizes ps where ps.product_colour_id = pc.id and ps.stock - ps.reserved >= 3))
    order by p.slug limit 1`);
}

/** The address step as a browser without JavaScript does it: the lists narrow through
 * "Show choices", and what was typed stays. */
async function addressStepWithoutJavaScript(page: Page) {
  const form = page.getByTestId('new-address');
  await form.getByLabel("Recipient's name").fill('Ada NoScript');
  await form.getByLabel('Country').selectOption({ label: 'United Kingdom' });
  await form.getByRole('button', { name: 'Show choices' }).click();
  await page.getByTestId('new-address').getByLabel('State / region').selectOption({ label: 'England' });
  await page.getByTestId('new-address').getByRole('button', { name: 'Show choices' }).click();
  const narrowed = page.getByTestId('new-address');
  await expect(narrowed.getByLabel("Recipient's name")).toHaveValue('Ada NoScript');
  await narrowed.getByLabel('City').selectOption({ label: 'London' });
  await narrowed.getByLabel('Street address').fill('10 Downing Street');
  await narrowed.getByLabel('Postal code').fill('SW1A 2AA');
  await narrowed.getByRole('button', { name: 'Deliver to this address' }).click();
}

test('an anonymous shopper buys two sizes with a texted code, a new address, a promo code and offline payment', async ({ page, baseURL }) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  await loaded(page, '/');
  await acceptCookies(page);
  await addTwoSizes(page);

  await loaded(page, '/cart');
  await expect(page.getByTestId('cart-line')).toHaveCount(2);
  await expectNoSeriousViolations(page, 'cart with items');
  await page.getByRole('link', { name: 'Go to checkout' }).click();

  await expectNoSeriousViolations(page, 'checkout contact step');
  const phone = uniquePhone();
  await contactStep(page, phone);

  await expect(page.getByRole('heading', { name: /Delivery address/ })).toBeVisible();
  await expectNoSeriousViolations(page, 'checkout address step');
  // A wrong postal code is refused by the server beside the field, and what was typed stays.
  await addressStep(page, '123');
  await expect(page.getByText('Enter a ZIP code like 94105 or 94105-1234.')).toBeVisible();
  await expect(page.getByTestId('new-address').getByLabel("Recipient's name")).toHaveValue('Grace Hopper');
  await expect(page.getByTestId('new-address').getByLabel('Postal code')).toHaveAttribute('aria-invalid', 'true');
  await addressStep(page);

  // Before delivery is chosen, the total holds the goods alone and says so.
  await expect(page.getByTestId('delivery-price')).toHaveText('Chosen next');
  await expect(page.getByTestId('checkout-totals')).toContainText('Total before delivery');
  await expect(page.getByTestId('checkout-total')).toHaveText((await page.getByTestId('subtotal').innerText()).trim());
  await page.getByLabel('Promo code (optional)').fill('welcome10');
  await page.getByRole('button', { name: 'Continue to review' }).click();
  await expect(page.getByTestId('discount')).toBeVisible();
  await expectNoSeriousViolations(page, 'checkout review step');
  await page.getByLabel('Cash on delivery').check();
  await page.getByRole('button', { name: /Place order/ }).click();

  await expect(page).toHaveURL(/\/account\/orders\/\d+/);
  await expect(page.getByTestId('order-status')).toHaveText('Pending');
  await expectNoSeriousViolations(page, 'order page');
  await expect(page.getByTestId('cart-count')).toHaveText('0');

  // Coming back later, the shopper is signed in as that customer.
  const later = await page.context().newPage();
  await loaded(later, '/account/orders');
  await expect(later).toHaveURL(/\/account\/orders$/);
  await expect(later.getByRole('link', { name: /Order #\d+/ })).toHaveCount(1);
  expect(sql(`select count(*) from users where phone = '${phone}' and phone_verified_at is not null`)).toBe('1');
  // The account page leads to the orders, with the latest one's status.
  await loaded(later, '/account');
  await expect(later.getByTestId('latest-order-status')).toHaveText('Pending');
  await later.getByRole('link', { name: /All your orders/ }).click();
  await expect(later).toHaveURL(/\/account\/orders$/);
  void baseURL;
});

test('on a phone, a shopper pays by card on the payment page and a signed event marks the order paid', async ({ page }) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 360, height: 740 });
  await placeOrder(page, { express: true });

  // The stand-in's hosted page; the order is only paid once the signed event arrives.
  await expect(page.getByRole('heading', { name: /^Pay / })).toBeVisible();
  await page.getByRole('button', { name: 'Pay' }).click();
  await expect(page).toHaveURL(/\/account\/orders\/\d+\?payment=success/);
  // Back before the event: still pending, and the page shows "Paid" by itself once it lands.
  await expect(page.getByTestId('order-status')).toHaveText('Pending');
  await expect(page.getByText("We're waiting for the payment provider")).toBeVisible();
  const delivery = await page.request.post(`http://127.0.0.1:${process.env.STRIPE_STAND_IN_PORT ?? 12111}/deliver`);
  expect(await delivery.json()).toEqual({ delivered: [200] });
  await expect(page.getByTestId('order-status')).toHaveText('Paid', { timeout: 15_000 });
  await expectNoSeriousViolations(page, 'paid order at 360 px');

  // Paid: no Cancel button, and the post it would have made, forged, is refused on the page.
  await expect(page.getByRole('button', { name: 'Cancel order' })).toHaveCount(0);
  const number = page.url().match(/orders\/(\d+)/)![1];
  const forged = await page.request.post('/api/orders/cancel', {
    form: { number },
    headers: { accept: 'text/html', referer: page.url() },
    maxRedirects: 0,
  });
  expect(forged.status()).toBe(302);
  expect(forged.headers().location).not.toContain('__err');
  await page.reload();
  await expect(page.getByRole('alert')).toContainText('can no longer be cancelled');
  await expect(page.getByTestId('order-status')).toHaveText('Paid');
  expect(sql(`select count(*) from refunds r join payments p on p.id = r.payment_id join orders o on o.id = p.order_id where o.number = ${number}`)).toBe('0');
});

test('two tabs paying one order reach one payment page, and the order is paid once', async ({ page }) => {
  test.setTimeout(120_000);
  await placeOrder(page, { express: false });
  await expect(page.getByRole('heading', { name: /^Pay / })).toBeVisible();
  const payPage = page.url();
  // The shopper goes back to the order in another tab and presses "Pay now" there too.
  const order = sql(`select number from orders where id = (select order_id from payments order by created_at desc limit 1)`);
  const second = await page.context().newPage();
  await loaded(second, `/account/orders/${order}`);
  await second.getByRole('button', { name: /Pay now/ }).click();
  await expect(second.getByRole('heading', { name: /^Pay / })).toBeVisible();
  expect(second.url()).toBe(payPage);
  await page.getByRole('button', { name: 'Pay' }).click();
  await second.getByRole('button', { name: 'Pay' }).click();
  const delivery = await page.request.post(`http://127.0.0.1:${process.env.STRIPE_STAND_IN_PORT ?? 12111}/deliver`);
  expect((await delivery.json()).delivered).toEqual([200]);
  await loaded(second, `/account/orders/${order}`);
  await expect(second.getByTestId('order-status')).toHaveText('Paid');
  expect(sql(`select count(*) from payments p join orders o on o.id = p.order_id where o.number = ${order}`)).toBe('1');
});

test('a size that sells out while the shopper reviews is named on the checkout page, with and without JavaScript', async ({ browser }) => {
  test.setTimeout(120_000);
  for (const javaScriptEnabled of [true, false]) {
    const context = await browser.newContext({ javaScriptEnabled });
    const page = await context.newPage();
    await page.goto(`/p/${productWithSizes()}`, { waitUntil: 'networkidle' });
    if (javaScriptEnabled) await acceptCookies(page);
    await page.locator('input[name="variant_id"]:not([disabled])').first().check({ force: true });
    await page.getByRole('button', { name: 'Add to cart' }).click();
    // Wait for the cart's answer before leaving the page, or the navigation may cut it off.
    await expect(page.getByText(/Added to your cart/)).toBeVisible();
    await page.goto('/cart');
    await expect(page.getByTestId('cart-line')).toHaveCount(1);
    await page.goto('/checkout', { waitUntil: 'networkidle' });
    const phone = uniquePhone();
    await contactStep(page, phone);
    await (javaScriptEnabled ? addressStep(page) : addressStepWithoutJavaScript(page));
    await page.getByRole('button', { name: 'Continue to review' }).click();
    await page.getByLabel('Cash on delivery').check();
    // Someone else buys the last one meanwhile.
    const sold = sql(`update product_sizes ps set stock = ps.reserved from cart_items ci join carts c on c.id = ci.cart_id
      join users u on u.id = c.user_id where ci.product_size_id = ps.id and u.phone = '${phone}' returning ps.id`);
    expect(sold).not.toBe('');
    await page.getByRole('button', { name: /Place order/ }).click();
    const changed = page.getByTestId('cart-changed');
    await expect(changed).toContainText('has just sold out');
    await expect(changed.getByRole('listitem')).toContainText('sold out');
    expect(page.url()).not.toContain('__err');
    expect(page.url()).toMatch(/\/checkout$/);
    sql(`update product_sizes set stock = reserved + 20 where id = '${sold}'`);
    await context.close();
  }
});

test('checkout works without JavaScript', async ({ browser }) => {
  test.setTimeout(120_000);
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  // Another colour is chosen through "Show this colour", which reloads with its sizes.
  await page.goto(`/p/${productWithColours()}`);
  const second = page.locator('input[name="colour"]').nth(1);
  const slug = await second.getAttribute('value');
  const colourName = (await second.locator('xpath=..').innerText()).trim();
  await second.check({ force: true });
  await page.getByRole('button', { name: 'Show this colour' }).click();
  await expect(page).toHaveURL(new RegExp(`colour=${slug}`));
  await expect(page.getByTestId('colour-name')).toHaveText(colourName);
  await page.locator('input[name="variant_id"]:not([disabled])').first().check({ force: true });
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await expect(page.getByText(/Added to your cart/)).toBeVisible();
  await page.goto('/cart');
  await expect(page.getByTestId('cart-line')).toHaveCount(1);
  await expect(page.getByTestId('cart-line')).toContainText(colourName);
  await page.getByRole('link', { name: 'Go to checkout' }).click();
  await contactStep(page, uniquePhone());
  await addressStepWithoutJavaScript(page);
  await page.getByRole('button', { name: 'Continue to review' }).click();
  await page.getByLabel('Bank transfer').check();
  await page.getByRole('button', { name: /Place order/ }).click();
  await expect(page).toHaveURL(/\/account\/orders\/\d+/);
  await expect(page.getByTestId('order-status')).toHaveText('Pending');
  // Where to send the money, with the order number as the reference.
  const number = page.url().match(/orders\/(\d+)/)![1];
  await expect(page.getByTestId('transfer-instructions')).toContainText('IBAN GB33 BUKB 2020 1555 5555 55');
  await expect(page.getByTestId('transfer-instructions')).toContainText(`#${number}`);
  await context.close();
});
