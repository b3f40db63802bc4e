import { expect, test, type Page } from '@playwright/test';
import { adminPage, latestMail, mailHtmlUrl, sql } from './helpers';

/** Script tags, event handlers, `javascript:` and `data:` URLs, SVG, broken markup and
 * template-looking text. Each one that could make an element carries `data-xss`, so an
 * injection shows in the DOM even where the CSP would stop it from running. */
const PAYLOADS = [
  `<script data-xss>window.__xss=1</script>`,
  `<img src=x data-xss onerror="window.__xss=1">`,
  `<svg data-xss onload="window.__xss=1">`,
  `"><b data-xss>quoted</b>`,
  `'><i data-xss>single</i>`,
  `</title><b data-xss>title</b>`,
  `</textarea><b data-xss>textarea</b>`,
  `<iframe data-xss src="javascript:window.__xss=1"></iframe>`,
  `<a data-xss href="javascript:window.__xss=1">link</a>`,
  `<body data-xss onload="window.__xss=1">`,
  `<details data-xss open ontoggle="window.__xss=1">`,
  `<math><mtext><table><mglyph><style><img data-xss src=x onerror=window.__xss=1>`,
  `<input data-xss autofocus onfocus="window.__xss=1">`,
  `<video data-xss><source onerror="window.__xss=1"></video>`,
  `<object data-xss data="data:text/html,<script>window.__xss=1</script>"></object>`,
  `<embed data-xss src="javascript:window.__xss=1">`,
  `<form data-xss action="javascript:window.__xss=1"><button>go</button></form>`,
  `<style data-xss>*{display:none}</style>`,
  `<link data-xss rel=stylesheet href="data:text/css,*{}">`,
  `<meta data-xss http-equiv="refresh" content="0;url=javascript:window.__xss=1">`,
  `<base data-xss href="https://evil.example/">`,
  `{{constructor.constructor('window.__xss=1')()}}`,
  '${window.__xss=1}',
  `<!--<img data-xss src=x onerror=window.__xss=1>-->`,
  `<<b data-xss>>`,
  `<scr<script>ipt data-xss>window.__xss=1</scr</script>ipt>`,
  `&lt;b data-xss&gt;escaped&lt;/b&gt;`,
  `<svg><a data-xss xlink:href="javascript:window.__xss=1"><text>x</text></a></svg>`,
  `<marquee data-xss onstart="window.__xss=1">`,
  `javascript:window.__xss=1`,
  `data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==`,
  `<img data-xss src="x`,
  `\u2028\u2029</script><b data-xss>separators</b>`,
];

/** What an injection left on the page as it is now. */
async function injected(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    for (const el of document.querySelectorAll('[data-xss]')) found.push(`element <${el.tagName.toLowerCase()} data-xss>`);
    for (const el of document.querySelectorAll('[href], [src], [action], [formaction], [data]')) {
      for (const attribute of ['href', 'src', 'action', 'formaction', 'data']) {
        const value = el.getAttribute(attribute) ?? '';
        if (/^\s*javascript:/i.test(value) || (attribute !== 'src' && /^\s*data:/i.test(value))) found.push(`${attribute}="${value.slice(0, 40)}"`);
      }
    }
    if ((window as unknown as { __xss?: number }).__xss) found.push('a payload ran');
    return found;
  });
}

const q = (value: string) => `$xss$${value}$xss$`;

test('stored and reflected text stays text on the storefront and in the dashboard', async ({ browser }) => {
  test.setTimeout(600_000);
  // The places written to: an approved review (its title, comment and staff reply, its
  // author's name), the reviewed product (name, description) and its category, the first
  // banner, the newest article, the first coupon's description, and the newest order's
  // shipping address and a note on it.
  const [reviewId, productId, authorId] = sql(`select id, product_id, user_id from reviews where status = 'approved' order by created_at limit 1`).split('|');
  const slug = sql(`select slug from products where id = '${productId}'`);
  const [categoryId, category] = sql(
    `select c.id, c.slug from categories c join product_categories pc on pc.category_id = c.id where pc.product_id = '${productId}' and c.is_active limit 1`,
  ).split('|');
  const bannerId = sql(`select id from banners order by created_at limit 1`);
  const [articleId, articleSlug] = sql(`select id, slug from articles where status = 'published' and deleted_at is null order by published_at desc limit 1`).split('|');
  const couponId = sql(`select id from coupons order by created_at limit 1`);
  const [orderId, orderNumber] = sql(`select id, number from orders order by created_at desc limit 1`).split('|');
  const saved = {
    reply: sql(`select jsonb_build_array(reply, replied_at)::text from reviews where id = '${reviewId}'`),
    category: sql(`select jsonb_build_array(name, description)::text from categories where slug = '${category}'`),
    address: sql(`select shipping_address::text from orders where id = '${orderId}'`),
    review: sql(`select title || E'\\x1f' || comment from reviews where id = '${reviewId}'`),
    product: sql(`select name || E'\\x1f' || description from products where id = '${productId}'`),
    author: sql(`select name from users where id = '${authorId}'`),
    banner: sql(`select title || E'\\x1f' || subtitle || E'\\x1f' || button_text from banners where id = '${bannerId}'`),
    article: sql(`select title || E'\\x1f' || excerpt from articles where id = '${articleId}'`),
    coupon: sql(`select description from coupons where id = '${couponId}'`),
  };
  const page = await adminPage(browser);
  const dialogs: string[] = [];
  const blocked: string[] = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
  page.on('console', (m) => { if (/Content Security Policy/.test(m.text()) && /Refused to (execute|load|apply)/.test(m.text())) blocked.push(m.text()); });
  const pages = [
    `/p/${slug}`, `/c/${category}`, '/', '/journal', `/journal/${articleSlug}`,
    '/admin/products', `/admin/products/${productId}`, '/admin/reviews', `/admin/reviews/${reviewId}`, '/admin/categories',
    `/admin/categories/${categoryId}`, '/admin/customers', '/admin/coupons', `/admin/orders/${orderNumber}`,
  ];
  const problems: string[] = [];
  try {
    for (const [n, payload] of PAYLOADS.entries()) {
      const p = q(payload);
      sql(`update reviews set title = ${p}, comment = ${p} where id = '${reviewId}'`);
      sql(`update products set name = ${p}, description = ${p} where id = '${productId}'`);
      sql(`update users set name = ${p} where id = '${authorId}'`);
      sql(`update banners set title = ${p}, subtitle = ${p}, button_text = ${p} where id = '${bannerId}'`);
      sql(`update articles set title = ${p}, excerpt = ${p} where id = '${articleId}'`);
      sql(`update coupons set description = ${p} where id = '${couponId}'`);
      sql(`insert into order_notes (order_id, body) values ('${orderId}', ${p})`);
      sql(`update reviews set reply = ${p}, replied_at = coalesce(replied_at, now()) where id = '${reviewId}'`);
      sql(`update categories set name = ${p}, description = ${p} where slug = '${category}'`);
      sql(`update orders set shipping_address = shipping_address || jsonb_build_object('recipient_name', ${p}::text, 'line1', ${p}::text) where id = '${orderId}'`);
      for (const path of [...pages, `/search?q=${encodeURIComponent(payload)}`]) {
        const res = await page.goto(path);
        expect(res?.status(), `${path} with payload ${n}`).toBeLessThan(500);
        for (const found of await injected(page)) problems.push(`payload ${n} on ${path}: ${found}`);
      }
      // The text is on the page as text (where the page shows it in full).
      await page.goto(`/p/${slug}`);
      expect(await page.getByRole('heading', { level: 1 }).textContent(), `payload ${n} as the product's name`).toContain(payload.slice(0, 12));
    }
  } finally {
    const [title, comment] = saved.review.split('\x1f');
    sql(`update reviews set title = ${q(title)}, comment = ${q(comment)} where id = '${reviewId}'`);
    const [name, description] = saved.product.split('\x1f');
    sql(`update products set name = ${q(name)}, description = ${q(description)} where id = '${productId}'`);
    sql(`update users set name = ${q(saved.author)} where id = '${authorId}'`);
    const [bannerTitle, subtitle, button] = saved.banner.split('\x1f');
    sql(`update banners set title = ${q(bannerTitle)}, subtitle = ${q(subtitle)}, button_text = ${q(button)} where id = '${bannerId}'`);
    const [articleTitle, excerpt] = saved.article.split('\x1f');
    sql(`update articles set title = ${q(articleTitle)}, excerpt = ${q(excerpt)} where id = '${articleId}'`);
    sql(`update coupons set description = ${q(saved.coupon)} where id = '${couponId}'`);
    sql(`delete from order_notes where order_id = '${orderId}' and author_user_id is null`);
    const [reply, named] = [`(${q(saved.reply)}::jsonb)`, `(${q(saved.category)}::jsonb)`];
    sql(`update reviews set reply = ${reply}->>0, replied_at = (${reply}->>1)::timestamptz where id = '${reviewId}'`);
    sql(`update categories set name = ${named}->>0, description = ${named}->>1 where slug = '${category}'`);
    sql(`update orders set shipping_address = ${q(saved.address)}::jsonb where id = '${orderId}'`);
  }
  expect(problems, problems.join('\n')).toEqual([]);
  expect(dialogs).toEqual([]);
  expect(blocked, 'the CSP had to stop something that was injected').toEqual([]);
});

test('stored text stays text in the emails the store sends', async ({ page }) => {
  test.setTimeout(120_000);
  // Every payload at once in each text an email repeats: the address a shopper typed, the
  // names of what they bought and a notification's title and body (and one in each of the
  // carrier and tracking number staff type). An unescaped payload leaves a `data-xss` element.
  const all = q(PAYLOADS.join(' '));
  // Order mail goes only to a confirmed address: the customer's is confirmed for the test.
  const [orderId, userId, email, verified] = sql(
    `select o.id, o.user_id, o.email, coalesce(u.email_verified_at::text, '') from orders o join users u on u.id = o.user_id and u.email = o.email
     where u.email like 'customer%@larkspur.local' and u.deleted_at is null order by o.placed_at desc limit 1`,
  ).split('|');
  const itemId = sql(`select id from order_items where order_id = '${orderId}' order by id limit 1`);
  const savedOrder = sql(`select jsonb_build_array(shipping_address, carrier, tracking_number)::text from orders where id = '${orderId}'`);
  const savedItem = sql(`select jsonb_build_array(product_name, colour_name, size_label)::text from order_items where id = '${itemId}'`);
  const since = Date.now();
  let notificationId = '';
  try {
    sql(`update users set email_verified_at = now() where id = '${userId}'`);
    // The carrier and tracking number hold 60 and 80 characters: one payload each.
    sql(`update orders set carrier = ${q(PAYLOADS[1])}, tracking_number = ${q(PAYLOADS[0])},
           shipping_address = shipping_address || jsonb_build_object('recipient_name', ${all}::text, 'line1', ${all}::text, 'city', ${all}::text)
         where id = '${orderId}'`);
    sql(`update order_items set product_name = ${all}, colour_name = ${all}, size_label = ${all} where id = '${itemId}'`);
    // What the order email checks before it sends (`orders::server::detail`).
    expect(sql(`select exists(select 1 from orders o join users u on u.id = o.user_id and u.email = o.email and u.email_verified_at is not null
                where o.id = '${orderId}')`)).toBe('t');
    notificationId = sql(`insert into notifications (user_id, kind, title, body, event_key)
                          values ('${userId}', 'reviews', ${all}, ${all}, 'test:xss-email:${since}') returning id`);
    // Queued as the store queues them (`jobs::enqueue`): the kind, and the job inside.
    const job = (kind: string, fields: string) => `('${kind}', jsonb_build_object('kind', '${kind}', 'payload', jsonb_build_object(${fields})))`;
    sql(`insert into jobs (kind, payload) values
           ${job('order_email', `'order_id', '${orderId}', 'event', 'Placed'`)},
           ${job('order_email', `'order_id', '${orderId}', 'event', 'Shipped'`)},
           ${job('notification_email', `'notification_id', '${notificationId}'`)}`);
    const mails = [
      await latestMail(email, /We've received your order/, since),
      await latestMail(email, /is on its way/, since),
      await latestMail(email, /data-xss/, since),
    ];
    let dialogs = 0;
    page.on('dialog', (d) => { dialogs += 1; void d.dismiss(); });
    for (const mail of mails) {
      await page.goto(mailHtmlUrl(mail));
      expect(await injected(page), `the mail "${mail.subject.slice(0, 40)}"`).toEqual([]);
      // The payloads are there, as text.
      expect(await page.locator('body').textContent()).toContain(PAYLOADS[0]);
    }
    expect(dialogs).toBe(0);
  } finally {
    const [o, i] = [`(${q(savedOrder)}::jsonb)`, `(${q(savedItem)}::jsonb)`];
    sql(`update orders set shipping_address = ${o}->0, carrier = ${o}->>1, tracking_number = ${o}->>2 where id = '${orderId}'`);
    sql(`update order_items set product_name = ${i}->>0, colour_name = ${i}->>1, size_label = ${i}->>2 where id = '${itemId}'`);
    if (notificationId) sql(`delete from notifications where id = '${notificationId}'`);
    sql(`update users set email_verified_at = ${verified ? `'${verified}'` : 'null'} where id = '${userId}'`);
  }
});
