// A local stand-in for the few Stripe endpoints the store uses: it creates Checkout
// Sessions, shows a hosted payment page, and on "Pay" sends the store a
// `checkout.session.completed` event signed exactly as Stripe signs webhooks
// (HMAC-SHA256 of `timestamp.payload` with the endpoint secret). Tests only.
import { createHmac, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

const port = Number(process.env.STRIPE_STAND_IN_PORT ?? 12111);
const secret = process.env.STRIPE_WEBHOOK_SECRET;
const webhook = `${process.env.SITE_URL}/webhooks/stripe`;
const sessions = new Map();

function sign(payload) {
  const t = Math.floor(Date.now() / 1000);
  const v1 = createHmac('sha256', secret).update(`${t}.${payload}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

async function readBody(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

const page = (s) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Pay — Stripe stand-in</title></head>
<body><main><h1>Pay ${(s.amount / 100).toFixed(2)} ${s.currency.toUpperCase()}</h1>
<form method="post" action="/pay/${s.id}"><button type="submit">Pay</button></form>
<a href="${s.cancel_url}">Cancel</a></main></body></html>`;

createServer(async (req, res) => {
  const url = new URL(req.url, `http://127.0.0.1:${port}`);
  if (req.method === 'POST' && url.pathname === '/v1/checkout/sessions') {
    if (req.headers.authorization !== `Bearer ${process.env.STRIPE_SECRET_KEY}`) {
      res.writeHead(401).end('{"error":{"message":"Invalid API key"}}');
      return;
    }
    const form = await readBody(req);
    const id = `cs_test_${randomBytes(12).toString('hex')}`;
    const session = {
      id,
      order_id: form.get('metadata[order_id]'),
      amount: Number(form.get('line_items[0][price_data][unit_amount]')),
      currency: form.get('line_items[0][price_data][currency]'),
      success_url: form.get('success_url'),
      cancel_url: form.get('cancel_url'),
    };
    sessions.set(id, session);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id, object: 'checkout.session', url: `http://127.0.0.1:${port}/pay/${id}` }));
    return;
  }
  const session = sessions.get(url.pathname.split('/')[2]);
  if (url.pathname.startsWith('/pay/') && session && req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/html' }).end(page(session));
    return;
  }
  if (url.pathname.startsWith('/pay/') && session && req.method === 'POST') {
    const payload = JSON.stringify({
      id: `evt_${randomBytes(12).toString('hex')}`,
      type: 'checkout.session.completed',
      data: { object: { id: session.id, object: 'checkout.session', payment_status: 'paid', payment_intent: `pi_${randomBytes(8).toString('hex')}`,
        client_reference_id: session.order_id, metadata: { order_id: session.order_id } } },
    });
    const delivered = await fetch(webhook, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': sign(payload) }, body: payload });
    res.writeHead(303, { location: delivered.ok ? session.success_url : session.cancel_url }).end();
    return;
  }
  res.writeHead(404).end();
}).listen(port, '127.0.0.1');
