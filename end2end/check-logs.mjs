// After the browser suite: the server's log of the whole run must hold none of the configured
// secrets, and none of the one-time codes and link tokens the store sent during the run (by
// email, read back from MailDev; by text message, from the outbox directory).
// Usage: node end2end/check-logs.mjs SERVER_LOG OUTBOX_DIR
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [logPath, outbox] = process.argv.slice(2);
const log = readFileSync(logPath, 'utf8');
const maildev = process.env.MAILDEV_URL ?? 'http://127.0.0.1:1080';

const secrets = ['AUTH_SECRET', 'STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET', 'GOOGLE_CLIENT_SECRET']
  .map((name) => [name, process.env[name]])
  .filter(([, value]) => value);

const texts = [];
for (const mail of await (await fetch(`${maildev}/api/email`)).json()) texts.push(`${mail.subject}\n${mail.text ?? ''}\n${mail.html ?? ''}`);
const sms = join(outbox, 'sms');
if (existsSync(sms)) for (const file of readdirSync(sms)) texts.push(readFileSync(join(sms, file), 'utf8'));

const codes = new Set();
const tokens = new Set();
for (const text of texts) {
  for (const m of text.matchAll(/code is (\d{6})/g)) codes.add(m[1]);
  for (const m of text.matchAll(/[?&;]token=([A-Za-z0-9_-]{20,})/g)) tokens.add(m[1]);
}

const found = [];
for (const [name, value] of secrets) if (log.includes(value)) found.push(`the value of ${name}`);
for (const token of tokens) if (log.includes(token)) found.push(`a link token that was emailed (${token.slice(0, 6)}…)`);
for (const code of codes) {
  // A code as a number of its own: not a timestamp's fraction (.123456) or an order number.
  const alone = new RegExp(`(?<![\\d.]|order=|order_number=)${code}(?!\\d)`);
  const line = log.split('\n').find((l) => alone.test(l));
  if (line) found.push(`the code ${code}, sent during the run: ${line.slice(0, 200)}`);
}

console.log(`checked the server log (${log.length} bytes) for ${secrets.length} secrets, ${codes.size} codes and ${tokens.size} link tokens that were sent`);
if (found.length) {
  console.error(`found in the log:\n  ${found.join('\n  ')}`);
  process.exit(1);
}
