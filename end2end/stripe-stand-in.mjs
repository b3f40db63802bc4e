// A local stand-in for the few Stripe endpoints the store uses: it creates Checkout
// Sessions, shows a hosted payment page, and after "Pay" sends the store a
// `checkout.session.completed` event signed exactly as Stripe signs webhooks
// (HMAC-SHA256 of `timestamp.payload` with the endpoint secret) when the test posts to
// /deliver. Refunds are made at once (one per idempotency key, as Stripe does) and
// announced by a `charge.refunded` event, delivered the same way. Tests only.
import { createHmac, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

const port = Number(process.env.STRIPE_STAND_IN_PORT ?? 12111);
const secret = process.env.STRIPE_WEBHOOK_SECRET;
const webhook = `${process.env.SITE_URL}/webhooks/stripe`;
const sessions = new Map();
const outbox = [];
// What each payment intent charged and has refunded, and the refund made for each key.
const charges = new Map();
const refundsByKey = new Map();

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

// A Checkout Session as Stripe's API returns it (with every field the store's client
// requires).
const checkoutSession = (s, paymentStatus, paymentIntent) => ({
  id: s.id, object: 'checkout.session', mode: 'payment', livemode: false,
  status: paymentStatus === 'paid' ? 'complete' : 'open', payment_status: paymentStatus, payment_intent: paymentIntent,
  client_reference_id: s.order_id, metadata: { order_id: s.order_id }, customer_email: s.email,
  currency: s.currency, amount_subtotal: s.amount, amount_total: s.amount,
  created: s.created, expires_at: s.expires_at, success_url: s.success_url, cancel_url: s.cancel_url,
  url: paymentStatus === 'paid' ? null : `http://127.0.0.1:${port}/pay/${s.id}`,
  automatic_tax: { enabled: false, liability: null, provider: null, status: null },
  custom_fields: [], custom_text: { after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null },
  payment_method_types: ['card'], shipping_options: [],
});

const event = (type, object) => JSON.stringify({
  id: `evt_${randomBytes(12).toString('hex')}`, object: 'event', type,
  created: Math.floor(Date.now() / 1000), livemode: false, pending_webhooks: 1, api_version: '2026-09-30.endive',
  request: { id: null, idempotency_key: null }, data: { object },
});

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
      email: form.get('customer_email'),
      success_url: form.get('success_url'),
      cancel_url: form.get('cancel_url'),
      created: Math.floor(Date.now() / 1000),
      expires_at: Number(form.get('expires_at')),
    };
    sessions.set(id, session);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(checkoutSession(session, 'unpaid', null)));
    return;
  }
  const expiring = url.pathname.match(/^\/v1\/checkout\/sessions\/([^/]+)\/expire$/);
  if (req.method === 'POST' && expiring && sessions.has(expiring[1])) {
    // Closes the page of a session the store superseded.
    const s = sessions.get(expiring[1]);
    sessions.delete(expiring[1]);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ...checkoutSession(s, 'unpaid', null), status: 'expired', url: null }));
    return;
  }
  const session = sessions.get(url.pathname.split('/')[2]);
  if (url.pathname.startsWith('/pay/') && session && req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/html' }).end(page(session));
    return;
  }
  if (url.pathname.startsWith('/pay/') && session && req.method === 'POST') {
    // Like Stripe's, a session is paid once: pressing Pay again (another tab) only goes back.
    if (session.paid) {
      res.writeHead(303, { location: session.success_url }).end();
      return;
    }
    session.paid = true;
    const intent = `pi_${randomBytes(8).toString('hex')}`;
    charges.set(intent, { amount: session.amount, currency: session.currency, refunded: 0 });
    const payload = event('checkout.session.completed', checkoutSession(session, 'paid', intent));
    // Like Stripe, the shopper is sent back at once and the event follows on its own: it
    // waits here until a test asks for it (POST /deliver), so the test decides when.
    outbox.push(payload);
    res.writeHead(303, { location: session.success_url }).end();
    return;
  }
  if (req.method === 'POST' && url.pathname === '/v1/refunds') {
    const form = await readBody(req);
    const key = req.headers['idempotency-key'];
    const intent = form.get('payment_intent');
    const charge = charges.get(intent);
    const amount = Number(form.get('amount') ?? charge?.amount ?? 0);
    let refund = key && refundsByKey.get(key);
    if (!refund) {
      if (!charge || amount <= 0 || charge.refunded + amount > charge.amount) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { type: 'invalid_request_error', message: 'Refund amount is greater than the unrefunded amount.' } }));
        return;
      }
      charge.refunded += amount;
      refund = { id: `re_${randomBytes(10).toString('hex')}`, object: 'refund', amount, currency: charge.currency,
        created: Math.floor(Date.now() / 1000), status: 'succeeded', payment_intent: intent, metadata: {} };
      if (key) refundsByKey.set(key, refund);
      outbox.push(event('charge.refunded', {
        id: `ch_${intent.slice(3)}`, object: 'charge', amount: charge.amount, amount_captured: charge.amount, amount_refunded: charge.refunded,
        refunded: charge.refunded >= charge.amount, captured: true, paid: true, disputed: false, status: 'succeeded',
        currency: charge.currency, created: refund.created, livemode: false, metadata: {}, payment_intent: intent,
        billing_details: { address: null, email: null, name: null, phone: null, tax_id: null },
      }));
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(refund));
    return;
  }
  if (req.method === 'POST' && url.pathname === '/deliver') {
    const statuses = [];
    for (const payload of outbox.splice(0)) {
      const delivered = await fetch(webhook, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': sign(payload) }, body: payload });
      statuses.push(delivered.status);
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ delivered: statuses }));
    return;
  }
  res.writeHead(404).end();
}).listen(port, '127.0.0.1');
