import { expect, test } from '@playwright/test';
import { ADMIN, adminPage, expectNoSeriousViolations, latestMail, loaded, sql } from './helpers';
import { placeOrder } from './shopping';


test('an admin marks a bank transfer paid and ships it; the customer sees the tracking number and is emailed', async ({ page, browser }) => {
  test.setTimeout(150_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  await placeOrder(page, { express: false, payment: 'Bank transfer' });
  await expect(page).toHaveURL(/\/account\/orders\/\d+/);
  const number = page.url().match(/orders\/(\d+)/)![1];
  // The shopper confirmed their email earlier (the store writes only to confirmed addresses).
  const email = sql(`update users u set email = o.email, email_verified_at = now() from orders o
    where o.number = ${number} and u.id = o.user_id returning u.email`);

  const staff = await adminPage(browser);
  await loaded(staff, '/admin/orders');
  await expect(staff.getByRole('heading', { name: 'Orders' })).toBeVisible();
  await expect(staff.getByTestId('order-totals')).toBeVisible();
  await expectNoSeriousViolations(staff, 'order list');
  await staff.getByLabel('Order number, email or phone').fill(`#${number}`);
  await staff.getByRole('button', { name: 'Apply filters' }).click();
  await expect(staff.getByTestId('table-row')).toHaveCount(1);
  await staff.getByRole('link', { name: `#${number}` }).click();
  await expect(staff).toHaveURL(new RegExp(`/admin/orders/${number}$`));
  await expectNoSeriousViolations(staff, 'order page');

  // Only the steps the order may take are offered.
  const steps = staff.getByTestId('order-steps');
  await expect(steps.getByRole('button', { name: 'Mark shipped' })).toHaveCount(0);
  await steps.getByRole('button', { name: 'Mark paid: transfer received' }).click();
  await expect(staff.getByTestId('order-status')).toHaveText('Paid');
  await staff.getByTestId('order-steps').getByRole('button', { name: 'Start processing' }).click();
  await expect(staff.getByTestId('order-status')).toHaveText('Processing');
  // Shipping without a tracking number is refused beside the field, keeping what was typed.
  const ship = staff.getByTestId('ship-form');
  await ship.getByLabel('Carrier').fill('DHL');
  await ship.getByRole('button', { name: 'Mark shipped' }).click();
  await expect(staff.getByText('Enter the tracking number the carrier gave you.')).toBeVisible();
  await expect(staff.getByTestId('ship-form').getByLabel('Carrier')).toHaveValue('DHL');
  await staff.getByTestId('ship-form').getByLabel('Tracking number').fill('JD014600006281');
  await staff.getByTestId('ship-form').getByRole('button', { name: 'Mark shipped' }).click();
  await expect(staff.getByTestId('order-status')).toHaveText('Shipped');
  await expect(staff.getByTestId('status-history')).toContainText(ADMIN.email);

  await page.reload();
  await expect(page.getByTestId('order-status')).toHaveText('Shipped');
  await expect(page.getByTestId('tracking')).toContainText('JD014600006281');
  await expect(page.getByTestId('tracking')).toContainText('DHL');
  const mail = await latestMail(email, /is on its way/);
  expect(mail.text).toContain('JD014600006281');

  // Each step is in the audit log under the admin's name.
  await staff.getByRole('link', { name: 'History' }).click();
  await expect(staff.getByTestId('table-row')).toHaveCount(3);
  await expect(staff.getByText('ship', { exact: true })).toBeVisible();
});

test('an admin refunds one line of a card order through Stripe and returns it to stock', async ({ page, browser }) => {
  test.setTimeout(150_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  await placeOrder(page, { express: false });
  await page.getByRole('button', { name: 'Pay' }).click();
  await expect(page).toHaveURL(/\/account\/orders\/\d+/);
  const number = page.url().match(/orders\/(\d+)/)![1];
  const delivered = await page.request.post(`http://127.0.0.1:${process.env.STRIPE_STAND_IN_PORT ?? 12111}/deliver`);
  expect((await delivered.json()).delivered).toEqual([200]);
  await expect(page.getByTestId('order-status')).toHaveText('Paid', { timeout: 15_000 });
  const [size, unit] = sql(`select i.product_size_id || '|' || i.unit_price_minor from order_items i join orders o on o.id = i.order_id
    where o.number = ${number} order by i.id limit 1`).split('|');
  const stockBefore = Number(sql(`select stock from product_sizes where id = '${size}'`));

  const staff = await adminPage(browser);
  await loaded(staff, `/admin/orders/${number}`);
  const refund = staff.getByTestId('refund-form');
  await refund.getByRole('textbox', { name: /^Units of .* to refund$/ }).first().fill('1');
  await refund.getByRole('checkbox', { name: /^Return refunded units of/ }).first().check();
  await refund.getByLabel('Reason').fill('Too small');
  // Unconfirmed: refused beside the box, nothing given back.
  await refund.getByRole('button', { name: 'Refund' }).click();
  await expect(staff.getByText('Tick the box to confirm the refund.')).toBeVisible();
  expect(sql(`select count(*) from refunds r join payments p on p.id = r.payment_id join orders o on o.id = p.order_id where o.number = ${number}`)).toBe('0');
  const again = staff.getByTestId('refund-form');
  await again.getByRole('textbox', { name: /^Units of .* to refund$/ }).first().fill('1');
  await again.getByRole('checkbox', { name: /^Return refunded units of/ }).first().check();
  await again.getByLabel('Give this money back now').check();
  await again.getByRole('button', { name: 'Refund' }).click();
  await expect(staff.getByText('Refund recorded.')).toBeVisible();
  const refunds = staff.getByTestId('refunds');
  await expect(refunds).toContainText('Refunded to the card');
  await expect(refunds).toContainText(`$${(Number(unit) / 100).toFixed(2)}`);
  await expect(refunds).toContainText('(back in stock)');
  expect(Number(sql(`select stock from product_sizes where id = '${size}'`))).toBe(stockBefore + 1);
  // Stripe's event confirms it on the payment.
  await page.request.post(`http://127.0.0.1:${process.env.STRIPE_STAND_IN_PORT ?? 12111}/deliver`);
  await staff.reload();
  await expect(staff.getByText(/^Card · Partly refunded/)).toBeVisible();

  // Bulk: the paid order's packing slip prints from the list.
  await loaded(staff, `/admin/orders?q=${number}`);
  await staff.getByRole('checkbox', { name: `Select #${number}` }).check();
  await staff.getByLabel('With selected').selectOption('slips');
  await staff.getByRole('button', { name: 'Apply', exact: true }).click();
  await expect(staff).toHaveURL(/\/admin\/packing-slips\?numbers=/);
  await expect(staff.getByTestId('packing-slip')).toHaveCount(1);
  await expectNoSeriousViolations(staff, 'packing slips');
});
