/**
 * What a Stripe event must show before it settles an order: the amount,
 * currency and mode that were ordered; how an order is found without an order
 * id in the event; and ACTION_REQUIRED, which tells the page where the
 * customer confirms.
 */
import { describe, expect, it } from 'vitest';

import { aimEventAtOrder } from '../src/stripe/replay.js';
import { loadFixture } from '../src/stripe/fixtures.js';
import { startTestSettle, TEST_PAYMENT, useTestSettle } from './helpers/settle.js';

const PAID = 'checkout.session.completed.syncengine.json';
const INVOICE_PAID_OLD = 'invoice.paid.stripemock.json';
const INVOICE_PAID_NEW = 'invoice.paid.syncengine.json';
const ACTION_OLD = 'invoice.payment_action_required.stripemock.json';
const ACTION_NEW = 'invoice.payment_action_required.payrails.json';
const PI_ACTION = 'payment_intent.requires_action.lago.json';

const app = useTestSettle();

async function orderRow(orderId: string) {
  const { rows } = await app().sql.query(
    'SELECT status, version, action_url FROM orders WHERE id = $1',
    [orderId],
  );
  return rows[0];
}

async function ledgerRow(eventId: string) {
  const { rows } = await app().sql.query(
    'SELECT order_id, disposition, reason FROM stripe_events WHERE id = $1',
    [eventId],
  );
  return rows[0];
}

async function refusedCount(reason: string): Promise<number> {
  const text = await (await fetch(`${app().baseUrl}/metrics`)).text();
  const prefix = `settle_stripe_events_total{disposition="refused",reason="${reason}"} `;
  const line = text.split('\n').find((candidate) => candidate.startsWith(prefix));
  return line === undefined ? 0 : Number(line.slice(prefix.length));
}

describe('what was paid must be what was ordered', () => {
  it.each([
    ['a smaller amount', { amount: 999, currency: 'usd' }],
    ['another currency', { amount: TEST_PAYMENT.amount, currency: 'eur' }],
  ])('refuses %s: the order stays PENDING, counted', async (_name, paid) => {
    const { orderId } = await app().createOrder();
    const before = await refusedCount('amount_mismatch');

    const answer = await app().sendFixture(PAID, orderId, { paid });

    expect(answer).toMatchObject({
      status: 200,
      body: { disposition: 'refused', reason: 'amount_mismatch' },
    });
    expect(await orderRow(orderId)).toMatchObject({ status: 'PENDING', version: 0 });
    expect(await ledgerRow(answer.eventId)).toEqual({
      order_id: orderId,
      disposition: 'refused',
      reason: 'amount_mismatch',
    });
    expect(await refusedCount('amount_mismatch')).toBe(before + 1);
  });

  it('settles the exact amount, from an invoice in either shape', async () => {
    for (const fixture of [INVOICE_PAID_OLD, INVOICE_PAID_NEW]) {
      const { orderId } = await app().createOrder();

      const answer = await app().sendFixture(fixture, orderId);

      expect(answer.body).toMatchObject({ disposition: 'applied' });
      expect(await orderRow(orderId)).toMatchObject({ status: 'SUCCEEDED', version: 1 });
    }
  });

  it('does not check an order created without an amount', async () => {
    const { orderId } = await app().createOrder({});

    const answer = await app().sendFixture(PAID, orderId, { paid: undefined });

    expect(answer.body).toMatchObject({ disposition: 'applied' });
  });

  it('refuses an event of the other mode than the configured key', async () => {
    const { orderId } = await app().createOrder();
    const event = aimEventAtOrder(await loadFixture(PAID), orderId, {
      paid: TEST_PAYMENT,
    });
    const otherMode = await startTestSettle({
      database: app().database,
      stripeLivemode: !event.livemode,
    });
    try {
      const answer = await otherMode.sendEvent(event);

      expect(answer.body).toMatchObject({
        disposition: 'refused',
        reason: 'livemode_mismatch',
      });
      expect(await orderRow(orderId)).toMatchObject({ status: 'PENDING', version: 0 });
    } finally {
      await otherMode.close();
    }
  });
});

describe('finding the order without an order id in the event', () => {
  it('through the Checkout Session settle stored for it', async () => {
    const { orderId } = await app().createOrder();
    const event = aimEventAtOrder(await loadFixture(PAID), orderId, {
      paid: TEST_PAYMENT,
    });
    const session = (event as any).data.object;
    delete session.metadata.order_id;
    await app().sql.query(
      'UPDATE orders SET stripe_checkout_session_id = $2 WHERE id = $1',
      [orderId, session.id],
    );

    const answer = await app().sendEvent(event);

    expect(answer.body).toMatchObject({ disposition: 'applied' });
    expect(await orderRow(orderId)).toMatchObject({ status: 'SUCCEEDED' });
  });

  it('through the stored invoice, before the subscription order it also names', async () => {
    // The subscription was bought by one order (settled long ago); a seat
    // change's invoice carries that order in its subscription's metadata.
    const bought = await app().createOrder();
    await app().sendFixture(PAID, bought.orderId);
    const seats = await app().createOrder();
    const event = aimEventAtOrder(await loadFixture(INVOICE_PAID_NEW), bought.orderId, {
      paid: TEST_PAYMENT,
    });
    await app().sql.query('UPDATE orders SET stripe_invoice_id = $2 WHERE id = $1', [
      seats.orderId,
      (event as any).data.object.id,
    ]);

    const answer = await app().sendEvent(event);

    expect(answer.body).toMatchObject({ disposition: 'applied' });
    expect(await orderRow(seats.orderId)).toMatchObject({ status: 'SUCCEEDED' });
    expect(await orderRow(bought.orderId)).toMatchObject({ version: 1 });
  });

  it('ignores an event whose stored ids settle does not know', async () => {
    const event = await loadFixture(PAID);
    (event as any).id = `evt_test_unknown_${Date.now()}`;
    (event as any).data.object.id = `cs_test_unknown_${Date.now()}`;

    const answer = await app().sendEvent(event);

    expect(answer.body).toMatchObject({ disposition: 'ignored', reason: 'no_order_id' });
  });
});

describe('one Stripe object settles one order', () => {
  /** A paid Checkout Session event whose session `holder` stored, naming `named`. */
  async function sessionEvent(holder: string, named: string) {
    const event = aimEventAtOrder(await loadFixture(PAID), named, { paid: TEST_PAYMENT });
    const sessionId = `cs_test_held_${holder.replaceAll('-', '')}`;
    (event as any).data.object.id = sessionId;
    await app().sql.query(
      'UPDATE orders SET stripe_checkout_session_id = $2 WHERE id = $1',
      [holder, sessionId],
    );
    return event;
  }

  it("refuses an event naming one order about another order's session", async () => {
    const holder = await app().createOrder();
    const named = await app().createOrder();
    const event = await sessionEvent(holder.orderId, named.orderId);

    const answer = await app().sendEvent(event);
    const again = await app().sendEvent({ ...event, id: `${event.id}_2` });

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      disposition: 'refused',
      reason: 'stripe_object_of_another_order',
    });
    expect(again.body).toMatchObject({ reason: 'stripe_object_of_another_order' });
    expect(await orderRow(named.orderId)).toMatchObject({
      status: 'PENDING',
      version: 0,
    });
    expect(await orderRow(holder.orderId)).toMatchObject({
      status: 'PENDING',
      version: 0,
    });
  });

  it('refuses a session for an order that holds another session', async () => {
    const holder = await app().createOrder();
    const other = await app().createOrder();
    await sessionEvent(other.orderId, other.orderId);
    const event = await sessionEvent(holder.orderId, holder.orderId);
    (event as any).data.object.metadata.order_id = other.orderId;
    await app().sql.query(
      'UPDATE orders SET stripe_checkout_session_id = NULL WHERE id = $1',
      [holder.orderId],
    );

    const answer = await app().sendEvent(event);

    expect(answer.body).toMatchObject({ reason: 'stripe_object_of_another_order' });
    expect(await orderRow(other.orderId)).toMatchObject({ status: 'PENDING' });
  });

  it('finds the holder when the metadata names no order that exists', async () => {
    const holder = await app().createOrder();
    const event = await sessionEvent(
      holder.orderId,
      '00000000-0000-4000-8000-000000000000',
    );

    const answer = await app().sendEvent(event);

    expect(answer.body).toMatchObject({ disposition: 'applied' });
    expect(await orderRow(holder.orderId)).toMatchObject({ status: 'SUCCEEDED' });
  });
});

describe('ACTION_REQUIRED', () => {
  it.each([ACTION_OLD, ACTION_NEW])(
    'tells the stream where to confirm (%s), then the payment settles it',
    async (fixture) => {
      const { orderId } = await app().createOrder();
      const stream = await app().openStream(orderId);
      await stream.retryMs;

      await app().sendFixture(fixture, orderId);
      const message = await stream.next();

      const invoice = (await loadFixture(fixture)) as any;
      expect(message?.event).toBe('order.action_required');
      expect(message?.id).toBe('1');
      expect(JSON.parse(message!.data)).toMatchObject({
        orderId,
        status: 'ACTION_REQUIRED',
        version: 1,
        actionUrl: invoice.data.object.hosted_invoice_url,
      });

      const after = await app().openStream(orderId, { 'Last-Event-ID': '1' });
      await after.retryMs;
      await app().sendFixture(INVOICE_PAID_OLD, orderId);
      const paid = await after.next();
      expect(paid?.event).toBe('order.succeeded');
      expect(JSON.parse(paid!.data)).not.toHaveProperty('actionUrl');
      expect(await orderRow(orderId)).toMatchObject({ status: 'SUCCEEDED', version: 2 });
    },
  );

  it('carries a PaymentIntent redirect outside Checkout, and is ignored inside', async () => {
    const outside = await app().createOrder();
    const inside = await app().createOrder();
    await app().sql.query(
      "UPDATE orders SET stripe_checkout_session_id = 'cs_test_inside' WHERE id = $1",
      [inside.orderId],
    );

    const first = await app().sendFixture(PI_ACTION, outside.orderId);
    const second = await app().sendFixture(PI_ACTION, inside.orderId);

    expect(first.body).toMatchObject({ disposition: 'applied' });
    expect((await orderRow(outside.orderId)).action_url).toMatch(
      /^https:\/\/hooks\.stripe\.com\/redirect\//,
    );
    expect(second.body).toMatchObject({
      disposition: 'ignored',
      reason: 'inside_checkout',
    });
    expect(await orderRow(inside.orderId)).toMatchObject({ status: 'PENDING' });
  });

  it('shows the URL on GET /orders/:id while the customer must act', async () => {
    const { orderId } = await app().createOrder();
    await app().sendFixture(ACTION_NEW, orderId);

    const response = await fetch(`${app().baseUrl}/orders/${orderId}`, {
      headers: app().authHeaders,
    });

    expect(await response.json()).toMatchObject({
      status: 'ACTION_REQUIRED',
      actionUrl: 'https://invoice.stripe.com/',
    });
  });
});
