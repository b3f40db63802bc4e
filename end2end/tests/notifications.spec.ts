import { expect, test } from '@playwright/test';
import { adminPage, expectNoSeriousViolations, loaded, sql } from './helpers';
import { placeOrder } from './shopping';


test('an admin ships an order: the customer\'s bell shows it without a reload, with the tracking number; review news can be turned off', async ({ page, browser }) => {
  test.setTimeout(180_000);
  await page.setViewportSize({ width: 1280, height: 800 });
  await placeOrder(page, { express: false, payment: 'Bank transfer' });
  await expect(page).toHaveURL(/\/account\/orders\/\d+/);
  const number = page.url().match(/orders\/(\d+)/)![1];

  const staff = await adminPage(browser);
  await loaded(staff, `/admin/orders/${number}`);
  await staff.getByTestId('order-steps').getByRole('button', { name: 'Mark paid: transfer received' }).click();
  await expect(staff.getByTestId('order-status')).toHaveText('Paid');
  await staff.getByTestId('order-steps').getByRole('button', { name: 'Start processing' }).click();
  await expect(staff.getByTestId('order-status')).toHaveText('Processing');

  // Placed and paid are news already: read them, so the bell starts at nothing.
  const bell = page.getByTestId('notification-bell');
  await expect(bell).toBeVisible();
  await loaded(page, '/account/notifications');
  await expect(page.getByRole('heading', { name: 'Notifications' })).toBeVisible();
  await expect(page.getByTestId('notifications')).toContainText(`Order #${number} placed`);
  await expect(page.getByTestId('notifications')).toContainText(`Payment received for #${number}`);
  await expectNoSeriousViolations(page, 'notifications page');
  await page.getByRole('button', { name: 'Mark all read' }).click();
  await expect(page.getByTestId('unread-summary')).toHaveText('Nothing unread.');
  await loaded(page, `/account/orders/${number}`);
  await expect(page.getByTestId('notification-count')).toHaveText('0');

  await staff.getByTestId('ship-form').getByLabel('Carrier').fill('DHL');
  await staff.getByTestId('ship-form').getByLabel('Tracking number').fill('JD014600006281');
  await staff.getByTestId('ship-form').getByRole('button', { name: 'Mark shipped' }).click();
  await expect(staff.getByTestId('order-status')).toHaveText('Shipped');

  // No reload: the bell asks by itself.
  await expect(page.getByTestId('notification-count')).toHaveText('1', { timeout: 20_000 });
  await bell.click();
  await expect(page).toHaveURL(/\/account\/notifications$/);
  const shipped = page.getByTestId('notification').first();
  await expect(shipped).toContainText(`Order #${number} has shipped`);
  await expect(shipped).toContainText('JD014600006281');
  await expect(shipped).toHaveAttribute('data-read', 'false');
  await shipped.getByRole('button', { name: 'Mark read' }).click();
  await expect(page.getByTestId('notification').first()).toHaveAttribute('data-read', 'true');
  await expect(page.getByTestId('notification-count')).toHaveText('0');

  // Review news off, in the settings form.
  await page.getByRole('link', { name: 'Settings', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Notification settings' })).toBeVisible();
  await expectNoSeriousViolations(page, 'notification settings');
  await expect(page.getByLabel('Order receipts by email')).toBeDisabled();
  await expect(page.getByLabel('Order receipts by email')).toBeChecked();
  await page.getByLabel('Your reviews in the store').uncheck();
  await page.getByLabel('Your reviews by email').uncheck();
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByText('Your notification settings are saved.')).toBeVisible();
  await expect(page.getByLabel('Your reviews in the store')).not.toBeChecked();

  // The customer's review of what they bought is approved: no bell, nothing listed.
  const review = sql(`insert into reviews (product_id, user_id, rating, title, comment)
    select oi.product_id, o.user_id, 5, 'Just right', 'Soft, and true to size.' from orders o join order_items oi on oi.order_id = o.id
    where o.number = ${number} limit 1 returning id`);
  await loaded(staff, `/admin/reviews/${review}`);
  await staff.getByRole('button', { name: 'Approve' }).click();
  await expect(staff.getByTestId('review-status')).toContainText('Approved');
  await loaded(page, `/account/orders/${number}`);
  await expect(page.getByTestId('notification-count')).toHaveText('0');
  await loaded(page, '/account/notifications');
  await expect(page.getByTestId('notifications')).not.toContainText('Just right');
  await expect(page.getByTestId('notifications')).not.toContainText('review');
});

test('a shopper asks to hear when a sold-out size is back, and is told when staff restock it', async ({ page }) => {
  test.setTimeout(120_000);
  const [slug, variant] = sql(`select p.slug || '|' || ps.id from product_sizes ps join product_colours pc on pc.id = ps.product_colour_id
    join products p on p.id = pc.product_id where p.is_live and ps.stock - ps.reserved > 0 order by p.slug desc limit 1`).split('|');
  sql(`update product_sizes set stock = reserved where id = '${variant}'`);
  await placeOrder(page, { express: false, payment: 'Bank transfer' });
  await expect(page).toHaveURL(/\/account\/orders\/\d+/);
  await loaded(page, `/p/${slug}`);
  const wait = page.getByLabel("Size sold out? We'll tell you when it's back");
  await wait.selectOption(variant);
  await page.getByRole('button', { name: 'Notify me' }).click();
  await expect(page.getByText(/We'll tell you when size .* is back/)).toBeVisible();
  await loaded(page, '/account/notifications');
  await page.getByRole('button', { name: 'Mark all read' }).click();

  sql(`update product_sizes set stock = reserved + 4 where id = '${variant}'`);
  await loaded(page, '/account/notifications');
  await expect
    .poll(async () => {
      await page.reload();
      return page.getByTestId('notification').first().textContent();
    }, { timeout: 20_000 })
    .toContain('is back in');
  await expect(page.getByTestId('notification-count')).toHaveText('1');
});
