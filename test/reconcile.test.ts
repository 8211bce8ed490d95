/**
 * When webhooks do not come: the reconciler asks Stripe (the local stand-in)
 * for the events settle's ledger lacks, and looks up PENDING orders by their
 * stored Stripe ids. An order settled this way wakes its stream like any
 * other. And with STRIPE_VERIFY_WITH_API, Stripe's current state wins over
 * an event's snapshot.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { aimEventAtOrder } from '../src/stripe/replay.js';
import { loadFixture } from '../src/stripe/fixtures.js';
import { startTestSettle, type TestSettle } from './helpers/settle.js';
import {
  createStripeOrder,
  STAND_IN_SECRET_KEY,
  standInConfig,
  startStripeStandIn,
  type StripeStandIn,
} from './helpers/stripe-stand-in.js';

const PRICE = 'price_standin_reconcile';
const SUBSCRIPTION = 'sub_standin_reconcile';

let stripe: StripeStandIn;
let settle: TestSettle;
let verifying: TestSettle;

beforeAll(async () => {
  stripe = await startStripeStandIn();
  stripe.prices.set(PRICE, { unitAmount: 700, currency: 'eur' });
  const stripeConfig = standInConfig(stripe);
  settle = await startTestSettle({ ...stripeConfig, reconcilePendingAfterMs: 0 });
  verifying = await startTestSettle({
    ...stripeConfig,
    database: settle.database,
    stripeVerifyWithApi: true,
  });
});

afterAll(async () => {
  await verifying?.close();
  await settle?.close();
  await stripe?.close();
});

function order(body: Record<string, unknown>) {
  return createStripeOrder(settle, body);
}

async function status(orderId: string) {
  const { rows } = await settle.sql.query(
    'SELECT status, version FROM orders WHERE id = $1',
    [orderId],
  );
  return rows[0];
}

/** A recorded event about one of the stand-in's objects, as Stripe lists it. */
async function eventAbout(fixture: string, object: Record<string, unknown>, ageS = 300) {
  const event = (await loadFixture(fixture)) as any;
  event.id = `evt_standin_${String(object.id)}_${event.type}`;
  event.created = Math.floor(Date.now() / 1000) - ageS;
  event.livemode = false;
  event.data.object = structuredClone(object);
  return event;
}

/** `make reconcile`, as a process of its own against the test's database. */
function runReconcileCommand(): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/reconcile.ts'], {
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: settle.database.url,
      STRIPE_SECRET_KEY: STAND_IN_SECRET_KEY,
      STRIPE_API_BASE: stripe.url,
      RECONCILE_PENDING_AFTER_MS: String(3_600_000),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  return new Promise((resolve) =>
    child.once('exit', (code) => resolve({ code, stdout })),
  );
}

describe('make reconcile', () => {
  it('settles an order whose webhook never came, and wakes its stream', async () => {
    const { orderId, sessionId } = await order({
      mode: 'payment',
      priceId: PRICE,
      quantity: 2,
    });
    const stream = await settle.openStream(orderId);
    await stream.retryMs;
    const session = stripe.objects.get(sessionId!)!;
    Object.assign(session, { status: 'complete', payment_status: 'paid' });
    stripe.events.push(
      await eventAbout('checkout.session.completed.syncengine.json', session),
    );

    const first = await runReconcileCommand();

    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({
      ran: true,
      eventsHandled: 1,
      ordersSettled: 1,
    });
    const message = await stream.next();
    expect(message?.event).toBe('order.succeeded');
    expect(await status(orderId)).toEqual({ status: 'SUCCEEDED', version: 1 });

    const again = await runReconcileCommand();
    expect(JSON.parse(again.stdout)).toMatchObject({
      eventsHandled: 0,
      ordersSettled: 0,
    });
  });

  it('asks only for the outcome event types, newer than the lookback', async () => {
    const listed = stripe.requests.filter((request) => request.path === '/v1/events');
    const query = listed.at(-1)!.form;
    const types = Object.entries(query)
      .filter(([key]) => key.startsWith('types['))
      .map(([, value]) => value);

    expect(types).toContain('invoice.paid');
    expect(types).toContain('checkout.session.expired');
    expect(types).not.toContain('customer.created');
    const lookbackS = Math.floor(Date.now() / 1000) - Number(query['created[gte]']);
    expect(lookbackS).toBeGreaterThan(3 * 86_400 - 60);
    expect(lookbackS).toBeLessThanOrEqual(3 * 86_400 + 60);
  });
});

describe('a reconciliation pass in settle', () => {
  it('looks up a PENDING Checkout order and records what Stripe says now', async () => {
    const paid = await order({ mode: 'subscription', priceId: PRICE, quantity: 1 });
    const expired = await order({ mode: 'payment', priceId: PRICE, quantity: 1 });
    const open = await order({ mode: 'payment', priceId: PRICE, quantity: 1 });
    Object.assign(stripe.objects.get(paid.sessionId!)!, {
      status: 'complete',
      payment_status: 'paid',
    });
    Object.assign(stripe.objects.get(expired.sessionId!)!, { status: 'expired' });
    const stream = await settle.openStream(paid.orderId);
    await stream.retryMs;

    const summary = await settle.settle.reconciler!.runOnce();

    expect(summary).toMatchObject({ ran: true, ordersSettled: 2 });
    expect((await stream.next())?.event).toBe('order.succeeded');
    expect(await status(paid.orderId)).toEqual({ status: 'SUCCEEDED', version: 1 });
    expect(await status(expired.orderId)).toEqual({ status: 'EXPIRED', version: 1 });
    expect(await status(open.orderId)).toEqual({ status: 'PENDING', version: 0 });
    const { rows } = await settle.sql.query(
      'SELECT id, disposition FROM stripe_events WHERE order_id = $1',
      [paid.orderId],
    );
    expect(rows).toEqual([
      {
        id: `reconciled_${paid.sessionId}_checkout.session.completed`,
        disposition: 'applied',
      },
    ]);

    const again = await settle.settle.reconciler!.runOnce();
    expect(again.ordersSettled).toBe(0);
  });

  it('looks up a seat change by its invoice, never by the subscription', async () => {
    stripe.subscriptions.set(SUBSCRIPTION, { priceId: PRICE, quantity: 2 });
    const seats = await order({
      mode: 'seats',
      subscriptionId: SUBSCRIPTION,
      priceId: PRICE,
      quantity: 3,
    });
    Object.assign(stripe.objects.get(seats.invoiceId!)!, {
      status: 'paid',
      amount_paid: 700,
    });

    await settle.settle.reconciler!.runOnce();

    expect(await status(seats.orderId)).toEqual({ status: 'SUCCEEDED', version: 1 });
  });

  it('does nothing while another settle holds the reconciliation lock', async () => {
    const client = await settle.sql.connect();
    try {
      await client.query('SELECT pg_advisory_lock(7341865202)');
      const summary = await settle.settle.reconciler!.runOnce();
      expect(summary).toMatchObject({ ran: false, eventsListed: 0 });
    } finally {
      await client.query('SELECT pg_advisory_unlock(7341865202)');
      client.release();
    }
  });
});

describe('a pass that meets trouble', () => {
  it('handles the missed events oldest first, across pages', async () => {
    const { orderId } = await settle.createOrder();
    const now = Math.floor(Date.now() / 1000);
    const aimed = async (fixture: string, ageS: number) => {
      const event = aimEventAtOrder(await loadFixture(fixture), orderId, {
        paid: { amount: 1999, currency: 'usd' },
      }) as any;
      event.created = now - ageS;
      event.livemode = false;
      return event;
    };
    // Newest first, as Stripe lists: the failure lands on the first page, the
    // older confirmation request on the second, behind 100 others.
    stripe.events.push(await aimed('payment_intent.payment_failed.lago.json', 600));
    for (let index = 0; index < 100; index += 1) {
      stripe.events.push({
        ...(await loadFixture('customer.subscription.updated.syncengine.json')),
        id: `evt_filler_${index}`,
        type: 'invoice.paid',
        created: now - 700 - index,
        livemode: false,
      } as any);
    }
    stripe.events.push(await aimed('payment_intent.requires_action.lago.json', 3_000));

    const summary = await settle.settle.reconciler!.runOnce();

    expect(summary.errors).toEqual([]);
    expect(summary.eventsListed).toBeGreaterThan(100);
    expect(await status(orderId)).toEqual({ status: 'FAILED', version: 2 });
  });

  it('still looks up PENDING orders when listing the events fails', async () => {
    const paid = await order({ mode: 'payment', priceId: PRICE, quantity: 1 });
    Object.assign(stripe.objects.get(paid.sessionId!)!, {
      status: 'complete',
      payment_status: 'paid',
    });
    stripe.failNext(1, 400, { type: 'invalid_request_error', code: 'stand_in_refuses' });

    const summary = await settle.settle.reconciler!.runOnce();

    expect(summary.errors).toEqual([expect.stringMatching(/^events: /)]);
    expect(await status(paid.orderId)).toEqual({ status: 'SUCCEEDED', version: 1 });
  });
});

describe('STRIPE_VERIFY_WITH_API', () => {
  async function seatOrder() {
    stripe.subscriptions.set(SUBSCRIPTION, { priceId: PRICE, quantity: 1 });
    return order({
      mode: 'seats',
      subscriptionId: SUBSCRIPTION,
      priceId: PRICE,
      quantity: 2,
    });
  }

  it("ignores an event that Stripe's current state contradicts", async () => {
    const { orderId, invoiceId } = await seatOrder();
    const invoice = stripe.objects.get(invoiceId!)!;
    const failed = await eventAbout('invoice.payment_failed.payrails.json', invoice, 0);
    Object.assign(invoice, { status: 'paid', amount_paid: 700 });

    const stale = await verifying.sendEvent(failed);
    expect(stale.body).toMatchObject({
      disposition: 'ignored',
      reason: 'stale_in_stripe',
    });
    expect(await status(orderId)).toEqual({ status: 'PENDING', version: 0 });

    // The paid event's snapshot says nothing was paid; Stripe's object says 700.
    const paid = await eventAbout(
      'invoice.paid.syncengine.json',
      { ...invoice, amount_paid: 0 },
      0,
    );
    const current = await verifying.sendEvent(paid);
    expect(current.body).toMatchObject({ disposition: 'applied' });
    expect(await status(orderId)).toEqual({ status: 'SUCCEEDED', version: 1 });
  });

  it('answers 502 while Stripe cannot be asked, and records nothing', async () => {
    const { orderId, invoiceId } = await seatOrder();
    const invoice = stripe.objects.get(invoiceId!)!;
    Object.assign(invoice, { status: 'paid', amount_paid: 700 });
    const paid = await eventAbout('invoice.paid.syncengine.json', invoice, 0);
    stripe.failNext(1, 400, { type: 'api_error', code: 'stand_in_down' });

    const refused = await verifying.sendEvent(paid);

    expect(refused.status).toBe(502);
    expect(refused.body).toMatchObject({ error: { code: 'stripe_unavailable' } });
    const { rows } = await settle.sql.query('SELECT 1 FROM stripe_events WHERE id = $1', [
      paid.id,
    ]);
    expect(rows).toEqual([]);
    const redelivered = await verifying.sendEvent(paid);
    expect(redelivered.body).toMatchObject({ disposition: 'applied' });
    expect(await status(orderId)).toEqual({ status: 'SUCCEEDED', version: 1 });
  });

  it('ignores an event about an object Stripe does not have', async () => {
    const { orderId } = await verifying.createOrder();
    const event = aimEventAtOrder(
      await loadFixture('payment_intent.succeeded.stripemock.json'),
      orderId,
    );

    const answer = await verifying.sendEvent(event);

    expect(answer.body).toMatchObject({
      disposition: 'ignored',
      reason: 'not_in_stripe',
    });
  });
});
