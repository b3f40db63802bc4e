import { execFileSync } from 'node:child_process';
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';

/** One value from the test database (the suite's server uses the same DATABASE_URL). */
export function sql(query: string): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set (run the suite through scripts/test)');
  return execFileSync('psql', [url, '-qtAc', query], { encoding: 'utf8' }).trim();
}

const maildev = process.env.MAILDEV_URL ?? 'http://127.0.0.1:1080';

type Mail = { subject: string; to: { address: string }[]; text?: string; date: string };

/** The newest six-digit code MailDev received for `to`. */
export async function latestCode(to: string, subject?: RegExp): Promise<string> {
  let code = '';
  await expect
    .poll(async () => {
      const mails: Mail[] = await (await fetch(`${maildev}/api/email`)).json();
      const mine = mails.filter((m) => m.to.some((t) => t.address === to) && (!subject || subject.test(m.subject)));
      const newest = mine.sort((a, b) => Date.parse(b.date) - Date.parse(a.date))[0];
      code = (newest?.subject.match(/code is (\d{6})/) ?? newest?.text?.match(/code is (\d{6})/))?.[1] ?? '';
      return code;
    }, { timeout: 15_000 })
    .toMatch(/^\d{6}$/);
  return code;
}

export function uniqueEmail(label: string): string {
  return `${label}.${Date.now()}.${Math.floor(Math.random() * 1e6)}@example.com`;
}

/** Waits until the islands on the page are interactive. */
export async function loaded(page: Page, path: string) {
  await page.goto(path, { waitUntil: 'networkidle' });
}

export async function acceptCookies(page: Page) {
  const banner = page.getByTestId('consent-banner');
  await banner.getByRole('button', { name: 'Accept all' }).click();
  await expect(banner).toBeHidden();
}

/** Fails on any serious or critical axe violation of the page as it is now. */
export async function expectNoSeriousViolations(page: Page, what: string) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']).analyze();
  const serious = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join('\n    ')}`);
  expect(serious, `${what}\n${serious.join('\n')}`).toEqual([]);
}
