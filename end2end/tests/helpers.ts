import { execFileSync } from 'node:child_process';
import { deflateSync } from 'node:zlib';
import AxeBuilder from '@axe-core/playwright';
import { expect, type Browser, type Page } from '@playwright/test';

/** One value from the test database (the suite's server uses the same DATABASE_URL). */
export function sql(query: string): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set (run the suite through scripts/test)');
  return execFileSync('psql', [url, '-qtAc', query], { encoding: 'utf8' }).trim();
}

const maildev = process.env.MAILDEV_URL ?? 'http://127.0.0.1:1080';

// MailDev names the time a mail arrived `time` (`date` is absent from its API).
export type Mail = { id: string; subject: string; to: { address: string }[]; text?: string; time: string };

/** Where MailDev shows one mail's HTML, as a mail program would open it. */
export const mailHtmlUrl = (mail: Mail) => `${maildev}/api/email/${mail.id}/html`;

/** The newest six-digit code MailDev received for `to` (sent at `since` or later). */
export async function latestCode(to: string, subject?: RegExp, since = 0): Promise<string> {
  let code = '';
  await expect
    .poll(async () => {
      const mails: Mail[] = await (await fetch(`${maildev}/api/email`)).json();
      const mine = mails.filter(
        (m) => m.to.some((t) => t.address === to) && (!subject || subject.test(m.subject)) && Date.parse(m.time) >= since,
      );
      const newest = mine.sort((a, b) => Date.parse(b.time) - Date.parse(a.time))[0];
      code = (newest?.subject.match(/code is (\d{6})/) ?? newest?.text?.match(/code is (\d{6})/))?.[1] ?? '';
      return code;
    }, { timeout: 15_000 })
    .toMatch(/^\d{6}$/);
  return code;
}

/** The newest mail MailDev received for `to` whose subject matches (at `since` or later), once it arrived. */
export async function latestMail(to: string, subject: RegExp, since = 0): Promise<Mail> {
  let found: Mail | undefined;
  await expect
    .poll(async () => {
      const mails: Mail[] = await (await fetch(`${maildev}/api/email`)).json();
      found = mails
        .filter((m) => m.to.some((t) => t.address === to) && subject.test(m.subject) && Date.parse(m.time) >= since)
        .sort((a, b) => Date.parse(b.time) - Date.parse(a.time))[0];
      return Boolean(found);
    }, { timeout: 20_000 })
    .toBe(true);
  return found!;
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

/** Signs in with a password in a fresh browser (cookies accepted first). A staff account
 * answers its second step with the code emailed to it. */
export async function signIn(page: Page, email: string, password: string) {
  await loaded(page, '/sign-in');
  await acceptCookies(page);
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByRole('textbox', { name: 'Password', exact: true }).fill(password);
  const since = Date.now() - 2_000;
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/account$|\/sign-in\/second-factor$/);
  if (page.url().endsWith('/sign-in/second-factor')) await answerSecondFactor(page, email, since);
  await expect(page).toHaveURL(/\/account$/);
}

/** Types the dashboard code emailed to `email` (at `since` or later) on the second-factor page. */
export async function answerSecondFactor(page: Page, email: string, since: number) {
  await page.getByLabel('Code').fill(await latestCode(email, /dashboard code/, since));
  await page.getByRole('button', { name: 'Continue' }).click();
}

export const ADMIN = { email: 'admin@larkspur.local', password: 'larkspur-admin-2026' };

/** A signed-in admin in a browser of its own, beside the customer's. */
export async function adminPage(browser: Browser) {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await signIn(page, ADMIN.email, ADMIN.password);
  return page;
}

/** Fails on any serious or critical axe violation of the page as it is now. */
export async function expectNoSeriousViolations(page: Page, what: string) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']).analyze();
  const serious = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join('\n    ')}`);
  expect(serious, `${what}\n${serious.join('\n')}`).toEqual([]);
}

/** A real PNG of `width` × `height` in one colour (what a photo upload looks like to the server). */
export function pngOf(width: number, height: number, [r, g, b]: [number, number, number]): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Buffer) => {
    let c = 0xffffffff;
    for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([length, body, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // truecolour
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => [r, g, b]).flat())]);
  const pixels = deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', pixels), chunk('IEND', Buffer.alloc(0))]);
}
