/**
 * POST /orders starting the payment in Stripe: the real `stripe` client
 * against a local stand-in, which records what it was sent. Then the events
 * of the objects it created settle the orders.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { STRIPE_API_VERSION } from '../src/stripe/client.js';
import { loadFixture } from '../src/stripe/fixtures.js';
import { startTestSettle, type TestSettle, useTestSettle } from './helpers/settle.js';
import {
  STAND_IN_SECRET_KEY,
  standInConfig,
  startStripeStandIn,
  type StripeStandIn,
} from './helpers/stripe-stand-in.js';
import { TEST_USER } from './helpers/tokens.js';

const PRICE = 'price_standin_seat';
const SUBSCRIPTION = 'sub_standin_team';

let stripe: StripeStandIn;
let settle: TestSettle;
const withoutKey = useTestSettle();

beforeAll(async () => {
  stripe = await startStripeStandIn();
  stripe.prices.set(PRICE, { unitAmount: 1200, currency: 'eur' });
  settle = await startTestSettle(standInConfig(stripe));
});

afterAll(async () => {
  await settle?.close();
  await stripe?.close();
});

async function post(body: unknown, headers: Record<string, string> = {}, app = settle) {
  const response = await fetch(`${app.baseUrl}/orders`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...app.authHeaders, ...headers },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    replayed: response.headers.get('idempotent-replayed'),
    body: (await response.json()) as any,
  };
}

async function row(orderId: string) {
  const { rows } = await settle.sql.query(
    `SELECT status, version, mode, amount::int, currency, stripe_checkout_session_id,
            stripe_invoice_id, stripe_error_code
     FROM orders WHERE id = $1`,
    [orderId],
  );
  return rows[0];
}

function requestsFor(orderId: string) {
  return stripe.requests.filter(
    (request) =>
      request.idempotencyKey === orderId ||
      request.form['metadata[order_id]'] === orderId,
  );
}

/** A recorded event of `fixture`, about the Stripe object settle stored. */
async function eventAbout(fixture: string, objectId: string, amount: number) {
  const event = (await loadFixture(fixture)) as any;
  event.id = `evt_standin_${objectId}_${fixture}`;
  event.livemode = false;
  const object = event.data.object;
  object.id = objectId;
  object.metadata = {};
  delete object.subscription_details;
  object.parent = null;
  object.amount_due = amount;
  object.amount_paid = fixture.startsWith('invoice.paid') ? amount : 0;
  object.currency = 'eur';
  return event;
}

describe('POST /orders in Checkout', () => {
  it.each(['payment', 'subscription'] as const)(
    '%s: creates a Checkout Session that carries the order everywhere',
    async (mode) => {
      const answer = await post({ mode, priceId: PRICE, quantity: 3 });

      expect(answer.status).toBe(201);
      const { orderId } = answer.body;
      expect(answer.body).toMatchObject({
        status: 'PENDING',
        mode,
        amount: 3600,
        currency: 'eur',
        checkoutUrl: expect.stringMatching(/^https:\/\/checkout\.stripe\.com\//),
      });

      const [sent] = requestsFor(orderId);
      expect(sent).toMatchObject({
        method: 'POST',
        path: '/v1/checkout/sessions',
        idempotencyKey: orderId,
        stripeVersion: STRIPE_API_VERSION,
      });
      expect(sent!.form).toMatchObject({
        mode,
        'line_items[0][price]': PRICE,
        'line_items[0][quantity]': '3',
        client_reference_id: orderId,
        'metadata[order_id]': orderId,
      });
      const payment = sent!.form['payment_intent_data[metadata][order_id]'];
      const subscription = sent!.form['subscription_data[metadata][order_id]'];
      expect(
        mode === 'payment' ? [payment, subscription] : [subscription, payment],
      ).toEqual([orderId, undefined]);
      expect(await row(orderId)).toMatchObject({
        mode,
        stripe_checkout_session_id: expect.stringMatching(/^cs_test_standin/),
      });
    },
  );

  it('is settled by the session it created, paid in full', async () => {
    const { body } = await post({ mode: 'payment', priceId: PRICE, quantity: 1 });
    const { stripe_checkout_session_id: sessionId } = await row(body.orderId);
    const completed = await eventAbout(
      'checkout.session.completed.syncengine.json',
      sessionId,
      1200,
    );
    completed.data.object.amount_total = 1200;

    const answer = await settle.sendEvent(completed);

    expect(answer.body).toMatchObject({ disposition: 'applied' });
    expect(await row(body.orderId)).toMatchObject({ status: 'SUCCEEDED', version: 1 });
  });
});

describe('POST /orders for seats', () => {
  it('changes the quantity, to be paid at once, and settles from that invoice', async () => {
    stripe.subscriptions.set(SUBSCRIPTION, { priceId: PRICE, quantity: 4 });

    const answer = await post({
      mode: 'seats',
      subscriptionId: SUBSCRIPTION,
      priceId: PRICE,
      quantity: 5,
    });

    expect(answer.status).toBe(201);
    const { orderId } = answer.body;
    const [read, update] = stripe.requests
      .filter((request) => request.path === `/v1/subscriptions/${SUBSCRIPTION}`)
      .slice(-2);
    expect(read).toMatchObject({ method: 'GET' });
    expect(update).toMatchObject({ method: 'POST', idempotencyKey: orderId });
    expect(update!.form).toMatchObject({
      'items[0][id]': `si_standin_${SUBSCRIPTION}`,
      'items[0][quantity]': '5',
      proration_behavior: 'always_invoice',
      payment_behavior: 'pending_if_incomplete',
      'expand[0]': 'latest_invoice',
    });
    const stored = await row(orderId);
    expect(stored).toMatchObject({
      mode: 'seats',
      amount: 1200,
      currency: 'eur',
      stripe_invoice_id: expect.stringMatching(/^in_standin/),
    });

    const confirm = await eventAbout(
      'invoice.payment_action_required.payrails.json',
      stored.stripe_invoice_id,
      1200,
    );
    const confirmAnswer = await settle.sendEvent(confirm);
    const paid = await eventAbout(
      'invoice.paid.stripemock.json',
      stored.stripe_invoice_id,
      1200,
    );
    const paidAnswer = await settle.sendEvent(paid);

    expect(confirmAnswer.body).toMatchObject({ disposition: 'applied' });
    expect(paidAnswer.body).toMatchObject({ disposition: 'applied' });
    expect(await row(orderId)).toMatchObject({ status: 'SUCCEEDED', version: 2 });
  });

  it('refuses a price the subscription does not have: 422, order FAILED', async () => {
    stripe.prices.set('price_standin_other', { unitAmount: 100, currency: 'eur' });
    stripe.subscriptions.set('sub_standin_other', { priceId: PRICE, quantity: 1 });

    const answer = await post({
      mode: 'seats',
      subscriptionId: 'sub_standin_other',
      priceId: 'price_standin_other',
      quantity: 2,
    });

    expect(answer).toMatchObject({
      status: 422,
      body: { error: { code: 'price_not_on_subscription' } },
    });
  });
});

describe('what Stripe refuses', () => {
  it('an unknown price: 422 stripe_invalid_request, as a retry would get', async () => {
    const answer = await post({ mode: 'payment', priceId: 'price_unknown', quantity: 1 });

    expect(answer).toMatchObject({
      status: 422,
      body: { error: { code: 'stripe_invalid_request' } },
    });
    expect(answer.body.error.message).toContain('resource_missing');
  });

  it("seats on another user's subscription: 404, and no change asked of Stripe", async () => {
    stripe.subscriptions.set('sub_standin_victim', {
      priceId: PRICE,
      quantity: 2,
      owner: 'someone-else',
    });

    const answer = await post({
      mode: 'seats',
      subscriptionId: 'sub_standin_victim',
      priceId: PRICE,
      quantity: 50,
    });
    const missing = await post({
      mode: 'seats',
      subscriptionId: 'sub_standin_missing',
      priceId: PRICE,
      quantity: 50,
    });

    expect(answer).toMatchObject({
      status: 404,
      body: { error: { code: 'subscription_not_found' } },
    });
    expect(missing).toMatchObject({
      status: 404,
      body: { error: { code: 'subscription_not_found' } },
    });
    const changes = stripe.requests.filter(
      (request) =>
        request.method === 'POST' && request.path.includes('sub_standin_victim'),
    );
    expect(changes).toEqual([]);
    expect(stripe.subscriptions.get('sub_standin_victim')?.quantity).toBe(2);
  });

  it('a subscription bought through settle names its buyer as owner', async () => {
    const answer = await post({ mode: 'subscription', priceId: PRICE, quantity: 1 });

    const [sent] = requestsFor(answer.body.orderId);
    expect(sent!.form['subscription_data[metadata][settle_owner]']).toBe(TEST_USER);
  });
});

describe('when Stripe fails', () => {
  it('answers 502, keeps the order FAILED with the code, and a retry calls again', async () => {
    const key = `retry-${Date.now()}`;
    const body = { mode: 'payment', priceId: PRICE, quantity: 2 };
    // The client's own retries (2) meet the same failure.
    stripe.failNext(3, 503, { type: 'api_error', code: 'stand_in_unavailable' });

    const failed = await post(body, { 'Idempotency-Key': key });

    expect(failed).toMatchObject({
      status: 502,
      body: { error: { code: 'stripe_error' } },
    });
    expect(failed.body.error.message).toContain('stand_in_unavailable');
    const [order] = (
      await settle.sql.query(`SELECT id FROM orders WHERE idempotency_key = $1`, [key])
    ).rows;
    expect(await row(order.id)).toMatchObject({
      status: 'FAILED',
      version: 1,
      stripe_error_code: 'stand_in_unavailable',
    });

    const retried = await post(body, { 'Idempotency-Key': key });

    expect(retried).toMatchObject({ status: 201, replayed: 'true' });
    expect(retried.body).toMatchObject({
      orderId: order.id,
      checkoutUrl: expect.any(String),
    });
    expect(retried.body).not.toHaveProperty('stripeErrorCode');
    const calls = requestsFor(order.id).filter((r) => r.path === '/v1/checkout/sessions');
    expect(calls).toHaveLength(4);
    expect(new Set(calls.map((call) => call.idempotencyKey))).toEqual(
      new Set([order.id]),
    );
  });

  it('answers 502 when Stripe cannot be reached, and nothing stays PENDING', async () => {
    const closed = await startStripeStandIn();
    await closed.close();
    const unreachable = await startTestSettle({
      database: settle.database,
      stripeSecretKey: STAND_IN_SECRET_KEY,
      stripeApiBase: closed.url,
    });
    try {
      const answer = await post(
        { mode: 'payment', priceId: PRICE, quantity: 1 },
        {},
        unreachable,
      );

      expect(answer).toMatchObject({
        status: 502,
        body: { error: { code: 'stripe_error' } },
      });
      const { rows } = await settle.sql.query(
        `SELECT status, stripe_error_code FROM orders ORDER BY created_at DESC LIMIT 1`,
      );
      expect(rows[0]).toEqual({
        status: 'FAILED',
        stripe_error_code: 'StripeConnectionError',
      });
    } finally {
      await unreachable.close();
    }
  });
});

describe('Idempotency-Key', () => {
  it('gives a retry the same order and makes no second payment', async () => {
    const key = `same-${Date.now()}`;
    const body = { mode: 'payment', priceId: PRICE, quantity: 1 };

    const first = await post(body, { 'Idempotency-Key': key });
    const again = await post(body, { 'Idempotency-Key': key });

    expect(first.status).toBe(201);
    expect(again).toMatchObject({ status: 201, replayed: 'true' });
    expect(again.body.orderId).toBe(first.body.orderId);
    expect(again.body.checkoutUrl).toBe(first.body.checkoutUrl);
    expect(requestsFor(first.body.orderId)).toHaveLength(1);
  });

  it('answers 422 to the same key with another body', async () => {
    const key = `other-${Date.now()}`;
    await post(
      { mode: 'payment', priceId: PRICE, quantity: 1 },
      { 'Idempotency-Key': key },
    );

    const answer = await post(
      { mode: 'payment', priceId: PRICE, quantity: 2 },
      { 'Idempotency-Key': key },
    );

    expect(answer).toMatchObject({
      status: 422,
      body: { error: { code: 'idempotency_key_reused' } },
    });
  });
});

describe('POST /orders refuses', () => {
  it('a mode that calls Stripe without STRIPE_SECRET_KEY: 503, nothing written', async () => {
    const count = async () =>
      Number((await withoutKey().sql.query('SELECT count(*) FROM orders')).rows[0].count);
    const before = await count();

    const answer = await post(
      { mode: 'payment', priceId: PRICE, quantity: 1 },
      {},
      withoutKey(),
    );

    expect(answer).toMatchObject({
      status: 503,
      body: { error: { code: 'stripe_not_configured' } },
    });
    expect(await count()).toBe(before);
  });

  it.each([
    ['an unknown mode', { mode: 'crypto', priceId: PRICE, quantity: 1 }, 'mode'],
    [
      'an unknown field',
      { mode: 'payment', priceId: PRICE, quantity: 1, coupon: 'x' },
      'coupon',
    ],
    [
      'a price that is no price id',
      { mode: 'payment', priceId: 'sub_x', quantity: 1 },
      'priceId',
    ],
    [
      'no quantity',
      { mode: 'seats', subscriptionId: SUBSCRIPTION, priceId: PRICE },
      'quantity',
    ],
    ['a local order with a price', { priceId: PRICE, quantity: 1 }, 'priceId'],
    ['a mode that is no string', { mode: 7 }, 'mode'],
  ])('%s with 400, naming what is wrong', async (_name, body, named) => {
    const answer = await post(body);

    expect(answer).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_body' } },
    });
    expect(answer.body.error.message).toContain(named);
  });
});
