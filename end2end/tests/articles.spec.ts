import { expect, test } from '@playwright/test';
import { expectNoSeriousViolations, loaded, pngOf, signIn, sql } from './helpers';

test('an editor writes an article with a tag and an image, previews and publishes it; it reaches the journal, its tag page and the home page', async ({ page, browser }) => {
  test.setTimeout(180_000);
  await page.setViewportSize({ width: 1280, height: 900 });
  const stamp = Date.now() % 1_000_000;
  const title = `Waterproofing boots ${stamp}`;
  const slug = `waterproofing-boots-${stamp}`;
  const tag = `Boot care ${stamp}`;
  const tagSlug = `boot-care-${stamp}`;
  const body = 'Wax keeps the water out and the leather supple.\n\n## Before you start\n\nClean the boots and let them dry overnight.';
  await signIn(page, 'editor@larkspur.local', 'larkspur-editor-2026');

  await loaded(page, '/admin');
  await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Articles' }).click();
  await expect(page.getByRole('heading', { name: 'Articles', level: 1 })).toBeVisible();
  await expectNoSeriousViolations(page, 'article list');

  // Write: the live preview follows the typing, drawn by the function that publishes.
  await loaded(page, '/admin/articles/new');
  await page.getByLabel('Title', { exact: true }).fill(title);
  await page.getByLabel('Body (Markdown)').fill(body);
  const preview = page.getByTestId('article-preview');
  await expect(preview.getByRole('heading', { name: 'Before you start' })).toBeVisible();
  await page.getByLabel('Excerpt (optional)').fill('How we wax our boots before the winter.');
  await page.getByLabel('Tags (optional)').fill(`${tag}, care`);
  await page.getByRole('button', { name: 'Save article' }).click();
  await expect(page.getByText('Article saved.')).toBeVisible();
  await expect(page.getByTestId('article-state')).toHaveText('Draft');
  const id = page.url().match(/\/admin\/articles\/([0-9a-f-]{36})/)![1];
  await expectNoSeriousViolations(page, 'article editor');

  // A draft answers "not found" to readers and is a preview for staff.
  const anonymous = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const reader = await anonymous.newPage();
  expect((await reader.goto(`/journal/${slug}`))?.status()).toBe(404);
  await page.getByRole('link', { name: 'Open the preview ↗' }).click();
  await expect(page.getByTestId('preview-banner')).toContainText('draft');
  await expect(page.getByRole('heading', { name: title, level: 1 })).toBeVisible();

  // The featured image, through the image pipeline.
  await loaded(page, `/admin/articles/${id}`);
  await page.getByLabel('Description (alt text)').fill('Leather boots drying by a window');
  await page.getByLabel('Image file').setInputFiles({ name: 'boots.png', mimeType: 'image/png', buffer: pngOf(960, 540, [120, 80, 40]) });
  await page.getByRole('button', { name: 'Upload image' }).click();
  await expect(page.getByText('Featured image uploaded.')).toBeVisible();
  await expect(page.getByTestId('current-image')).toBeVisible();

  // "Preview" posts the form: the page comes back with the preview of what was typed.
  await page.getByLabel('Body (Markdown)').fill(`${body}\n\n## Drying\n\nNever next to a radiator.`);
  await page.getByRole('button', { name: 'Preview', exact: true }).click();
  await expect(preview.getByRole('heading', { name: 'Drying' })).toBeVisible();
  await expect(page.getByLabel('Body (Markdown)')).toHaveValue(/Never next to a radiator/);

  // Publish.
  await page.getByRole('radio', { name: /^Published/ }).check();
  await page.getByRole('button', { name: 'Save article' }).click();
  await expect(page.getByText('Article saved.')).toBeVisible();
  await expect(page.getByTestId('article-state')).toHaveText('Published');
  expect(sql(`select count(*) from audit_log where entity_kind = 'article' and entity_id = '${id}'`)).toBe('3');

  // Readers find it on the journal, on its tag page and on the home page.
  await reader.goto('/journal', { waitUntil: 'networkidle' });
  await reader.getByRole('link', { name: new RegExp(title) }).click();
  await expect(reader).toHaveURL(new RegExp(`/journal/${slug}$`));
  await expect(reader.getByRole('heading', { name: title, level: 1 })).toBeVisible();
  await expect(reader.getByRole('heading', { name: 'Drying' })).toBeVisible();
  await expect(reader.getByTestId('featured-image')).toHaveAttribute('alt', 'Leather boots drying by a window');
  await expect(reader.getByText('1 min read')).toBeVisible();
  await expect(reader.getByTestId('preview-banner')).toHaveCount(0);
  const ld = await reader.locator('script[type="application/ld+json"]').allTextContents();
  expect(ld.some((json) => JSON.parse(json)['@type'] === 'Article' && JSON.parse(json).headline === title)).toBe(true);
  await expectNoSeriousViolations(reader, 'article page');

  await reader.getByRole('link', { name: `#${tag}` }).click();
  await expect(reader).toHaveURL(new RegExp(`/journal/tag/${tagSlug}$`));
  await expect(reader.getByRole('heading', { name: tag, level: 1 })).toBeVisible();
  await expect(reader.getByRole('link', { name: new RegExp(title) })).toBeVisible();

  await reader.goto('/', { waitUntil: 'networkidle' });
  await expect(reader.getByRole('region', { name: 'From the journal' }).getByRole('link', { name: new RegExp(title) })).toBeVisible();
  await anonymous.close();
});

test('an editor cannot open products or orders', async ({ page }) => {
  await signIn(page, 'editor@larkspur.local', 'larkspur-editor-2026');
  await loaded(page, '/admin');
  const menu = page.getByRole('navigation', { name: 'Dashboard' });
  await expect(menu.getByRole('link', { name: 'Articles' })).toBeVisible();
  for (const [path, label] of [['/admin/products', 'Products'], ['/admin/orders', 'Orders']]) {
    await expect(menu.getByRole('link', { name: label, exact: true })).toHaveCount(0);
    const res = await page.goto(path);
    expect(res?.status(), path).toBe(403);
    await expect(page.getByRole('heading', { name: 'Access denied' })).toBeVisible();
  }
});
