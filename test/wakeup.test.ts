/**
 * The main path end to end: a signed Stripe event reaches the webhook, the
 * trigger notifies, the listener wakes the stream, the stream sends one
 * message and ends.
 */
import { describe, expect, it } from 'vitest';

import { loadFixture } from '../src/cli/shared.js';
import type { OpenStream } from '../src/client/event-stream.js';
import { aimEventAtOrder } from '../src/stripe/replay.js';
import { recordNotifications } from './helpers/notifications.js';
import { startTestSettle, TEST_PAYMENT, useTestSettle } from './helpers/settle.js';

const PAID = 'checkout.session.completed.syncengine.json';
const CARD_DECLINED = 'payment_intent.payment_failed.stripemock.json';
const INVOICE_FAILED = 'invoice.payment_failed.stripemock.json';
const INVOICE_PAID = 'invoice.paid.stripemock.json';

const app = useTestSettle();

/** Opens a stream and waits until it is registered and waiting. */
async function waitingStream(orderId: string, headers?: Record<string, string>) {
  const stream = await app().openStream(orderId, headers);
  expect(stream.status).toBe(200);
  await stream.retryMs;
  return stream;
}

async function nextMessage(stream: OpenStream) {
  const message = await stream.next();
  expect(message).toBeDefined();
  return { ...message!, json: JSON.parse(message!.data) as Record<string, unknown> };
}

async function expectEnded(stream: OpenStream) {
  expect(await stream.next()).toBeUndefined();
}

async function orderRow(orderId: string) {
  const result = await app().sql.query(
    'SELECT status, version FROM orders WHERE id = $1',
    [orderId],
  );
  return result.rows[0] as { status: string; version: number };
}

describe('waking a stream', () => {
  it('wakes a stream that waits when the webhook lands', async () => {
    const { orderId } = await app().createOrder();
    const stream = await waitingStream(orderId);

    const answer = await app().sendFixture(PAID, orderId);
    const message = await nextMessage(stream);

    expect(answer).toMatchObject({ status: 200, body: { disposition: 'applied' } });
    expect(message.event).toBe('order.succeeded');
    expect(message.id).toBe('1');
    expect(message.json).toMatchObject({ orderId, status: 'SUCCEEDED', version: 1 });
    expect(Date.parse(String(message.json.updatedAt))).not.toBeNaN();
    await expectEnded(stream);
  });

  it('answers at once when the webhook landed before the stream opened', async () => {
    const { orderId } = await app().createOrder();
    await app().sendFixture(PAID, orderId);

    const stream = await app().openStream(orderId);
    const message = await nextMessage(stream);

    expect(message.event).toBe('order.succeeded');
    expect(message.json).toMatchObject({ orderId, status: 'SUCCEEDED', version: 1 });
    await expectEnded(stream);
  });

  it('never loses a webhook that races the opening of the stream', async () => {
    const rounds = 25;
    const orders = await Promise.all(
      Array.from({ length: rounds }, () => app().createOrder()),
    );

    const messages = await Promise.all(
      orders.map(async ({ orderId }) => {
        const [stream] = await Promise.all([
          app().openStream(orderId),
          app().sendFixture(PAID, orderId),
        ]);
        return nextMessage(stream);
      }),
    );

    expect(messages.map((message) => message.json.status)).toEqual(
      Array(rounds).fill('SUCCEEDED'),
    );
  });

  it('wakes every stream of one order (two tabs)', async () => {
    const { orderId } = await app().createOrder();
    const first = await waitingStream(orderId);
    const second = await waitingStream(orderId);
    expect(app().settle.waiters.size).toBe(2);

    await app().sendFixture(PAID, orderId);

    expect((await nextMessage(first)).json.version).toBe(1);
    expect((await nextMessage(second)).json.version).toBe(1);
  });

  it('wakes only the streams of the order that was paid', async () => {
    const paid = await app().createOrder();
    const other = await app().createOrder();
    const otherStream = await waitingStream(other.orderId);
    const paidStream = await waitingStream(paid.orderId);

    await app().sendFixture(PAID, paid.orderId);
    await nextMessage(paidStream);

    expect(app().settle.waiters.size).toBe(1);
    otherStream.close();
  });
});

describe('the instance that records the outcome', () => {
  it('wakes its own streams from what the statement returned, without NOTIFY', async () => {
    const alone = await startTestSettle({ database: app().database });
    try {
      // No listener: only the webhook's own result can wake this stream.
      await alone.settle.listener.close();
      const { orderId } = await alone.createOrder();
      const stream = await alone.openStream(orderId);
      await stream.retryMs;

      await alone.sendFixture(PAID, orderId);

      const message = await stream.next();
      expect(message?.event).toBe('order.succeeded');
      expect(message?.id).toBe('1');
    } finally {
      await alone.close();
    }
  });
});

describe('duplicate and reordered events', () => {
  it('applies a redelivered event once and answers 200 both times', async () => {
    const { orderId } = await app().createOrder();
    const recorder = await recordNotifications(app().database.url);
    try {
      const event = aimEventAtOrder(await loadFixture(PAID), orderId, {
        paid: TEST_PAYMENT,
      });
      const first = await app().sendEvent(event);
      const again = await app().sendEvent(event);

      expect(first).toMatchObject({ status: 200, body: { duplicate: false } });
      expect(again).toMatchObject({ status: 200, body: { duplicate: true } });
      expect(await orderRow(orderId)).toEqual({ status: 'SUCCEEDED', version: 1 });
      await app().sendFixture(PAID, (await app().createOrder()).orderId); // a marker after
      await expect.poll(() => recorder.payloads.length).toBe(2);
      expect(recorder.payloads.filter((p) => p.order_id === orderId)).toHaveLength(1);
    } finally {
      await recorder.close();
    }
  });

  it('applies two copies delivered at once exactly once', async () => {
    const { orderId } = await app().createOrder();
    const recorder = await recordNotifications(app().database.url);
    try {
      const event = aimEventAtOrder(await loadFixture(INVOICE_FAILED), orderId, {
        paid: TEST_PAYMENT,
      });

      const answers = await Promise.all([app().sendEvent(event), app().sendEvent(event)]);

      expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
      expect(answers.map((answer) => answer.body.duplicate).sort()).toEqual([
        false,
        true,
      ]);
      expect(await orderRow(orderId)).toEqual({ status: 'FAILED', version: 1 });
      const ledger = await app().sql.query(
        'SELECT count(*)::int AS n FROM stripe_events WHERE id = $1',
        [event.id],
      );
      expect(ledger.rows[0].n).toBe(1);
      await app().sendFixture(PAID, (await app().createOrder()).orderId); // a marker after
      await expect.poll(() => recorder.payloads.length).toBe(2);
      expect(recorder.payloads.filter((p) => p.order_id === orderId)).toHaveLength(1);
    } finally {
      await recorder.close();
    }
  });

  it('refuses a failure after a success: no change, 200', async () => {
    const { orderId } = await app().createOrder();
    await app().sendFixture(PAID, orderId);

    const late = await app().sendFixture(INVOICE_FAILED, orderId);

    expect(late).toMatchObject({ status: 200, body: { disposition: 'refused' } });
    expect(await orderRow(orderId)).toEqual({ status: 'SUCCEEDED', version: 1 });
  });

  it('lets a success win after a failure, for a client that saw the failure', async () => {
    const { orderId } = await app().createOrder();
    await app().sendFixture(INVOICE_FAILED, orderId);
    const stream = await waitingStream(orderId, { 'Last-Event-ID': '1' });

    await app().sendFixture(INVOICE_PAID, orderId);
    const message = await nextMessage(stream);

    expect(message.event).toBe('order.succeeded');
    expect(message.id).toBe('2');
    expect(message.json).toMatchObject({ status: 'SUCCEEDED', version: 2 });
  });

  it('records a second failed attempt as a new version the client hears', async () => {
    const { orderId } = await app().createOrder();
    await app().sendFixture(INVOICE_FAILED, orderId);
    const stream = await waitingStream(orderId, { 'Last-Event-ID': '1' });

    await app().sendFixture(INVOICE_FAILED, orderId);
    const message = await nextMessage(stream);

    expect(message.event).toBe('order.failed');
    expect(message.json).toMatchObject({ status: 'FAILED', version: 2 });
    expect(await orderRow(orderId)).toEqual({ status: 'FAILED', version: 2 });
  });

  it('answers 204 to a reconnect that has seen the final version', async () => {
    const { orderId } = await app().createOrder();
    await app().sendFixture(PAID, orderId);

    const stream = await app().openStream(orderId, { 'Last-Event-ID': '1' });

    expect(stream.status).toBe(204);
  });

  it('sends a FAILED order at once to a client that has not seen it', async () => {
    const { orderId } = await app().createOrder();
    await app().sendFixture(INVOICE_FAILED, orderId);

    const stream = await app().openStream(orderId);
    const message = await nextMessage(stream);

    expect(message.event).toBe('order.failed');
    expect(message.id).toBe('1');
  });
});

describe('finding the order in an event', () => {
  it.each([
    ['subscription_details', 'invoice.paid.stripemock.json'],
    ['parent', 'invoice.paid.syncengine.json'],
  ] as const)(
    'reads an invoice that carries the order id in %s',
    async (shape, fixture) => {
      const { orderId } = await app().createOrder();

      const answer = await app().sendFixture(fixture, orderId, { invoiceShape: shape });

      expect(answer.body.disposition).toBe('applied');
      expect(await orderRow(orderId)).toEqual({ status: 'SUCCEEDED', version: 1 });
    },
  );

  it('reads a Checkout Session that carries the order id in client_reference_id', async () => {
    // No amount: the fixture is sent as recorded, with its own amount.
    const { orderId } = await app().createOrder({});
    const event = await loadFixture(PAID);
    (event as any).id = `evt_test_cri_${orderId}`;
    (event as any).data.object.client_reference_id = orderId;
    // Its own session: a session settle has stored leads to its order.
    (event as any).data.object.id = `cs_test_cri_${orderId}`;

    const answer = await app().sendEvent(event);

    expect(answer.body.disposition).toBe('applied');
    expect(await orderRow(orderId)).toEqual({ status: 'SUCCEEDED', version: 1 });
  });

  it('ignores a declined card on an order paid through Checkout', async () => {
    const { orderId } = await app().createOrder();
    await app().sql.query(
      "UPDATE orders SET stripe_checkout_session_id = 'cs_test_1' WHERE id = $1",
      [orderId],
    );

    const answer = await app().sendFixture(CARD_DECLINED, orderId);

    expect(answer).toMatchObject({ status: 200, body: { disposition: 'ignored' } });
    expect(await orderRow(orderId)).toEqual({ status: 'PENDING', version: 0 });
  });

  it('learns the Checkout Session from its events, then ignores a declined card', async () => {
    const { orderId } = await app().createOrder();
    const unpaid = aimEventAtOrder(await loadFixture(PAID), orderId, {
      paid: TEST_PAYMENT,
    });
    (unpaid as any).data.object.payment_status = 'unpaid';

    const started = await app().sendEvent(unpaid);
    const declined = await app().sendFixture(CARD_DECLINED, orderId);

    expect(started.body.disposition).toBe('ignored');
    expect(declined).toMatchObject({ status: 200, body: { disposition: 'ignored' } });
    expect(await orderRow(orderId)).toEqual({ status: 'PENDING', version: 0 });
  });

  it('records a declined card as FAILED on an order without Checkout', async () => {
    const { orderId } = await app().createOrder();

    const answer = await app().sendFixture(CARD_DECLINED, orderId);

    expect(answer.body.disposition).toBe('applied');
    expect(await orderRow(orderId)).toEqual({ status: 'FAILED', version: 1 });
  });

  it('ignores an order id that is not a uuid (another integration), with 200', async () => {
    const answer = await app().sendFixture(PAID, 'order-1234');

    expect(answer).toMatchObject({ status: 200, body: { disposition: 'ignored' } });
    const ledger = await app().sql.query(
      'SELECT order_id, disposition FROM stripe_events WHERE id = $1',
      [answer.eventId],
    );
    expect(ledger.rows).toEqual([{ order_id: null, disposition: 'ignored' }]);
  });

  it('ignores an event that carries no order id, with 200', async () => {
    const event = await loadFixture(PAID);
    (event as any).id = 'evt_test_no_order_id';

    const answer = await app().sendEvent(event);

    expect(answer).toMatchObject({ status: 200, body: { disposition: 'ignored' } });
  });

  it('records an order id that does not exist as unmatched, with 200', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';

    const answer = await app().sendFixture(PAID, missing);

    expect(answer).toMatchObject({ status: 200, body: { disposition: 'unmatched' } });
    const ledger = await app().sql.query(
      'SELECT order_id FROM stripe_events WHERE id = $1',
      [answer.eventId],
    );
    expect(ledger.rows).toEqual([{ order_id: missing }]);
  });
});

describe('a database failure', () => {
  it('answers 500 so that Stripe retries, and the retry applies', async () => {
    const { orderId } = await app().createOrder();
    const event = aimEventAtOrder(await loadFixture(PAID), orderId, {
      paid: TEST_PAYMENT,
    });
    await app().sql.query('ALTER TABLE stripe_events RENAME TO stripe_events_away');

    let failed;
    try {
      failed = await app().sendEvent(event);
    } finally {
      await app().sql.query('ALTER TABLE stripe_events_away RENAME TO stripe_events');
    }
    const beforeRetry = await orderRow(orderId);
    const retried = await app().sendEvent(event);

    expect(failed).toEqual({
      status: 500,
      body: { error: { code: 'internal_error', message: 'internal error' } },
    });
    expect(beforeRetry).toEqual({ status: 'PENDING', version: 0 });
    expect(retried).toMatchObject({ status: 200, body: { duplicate: false } });
    expect(await orderRow(orderId)).toEqual({ status: 'SUCCEEDED', version: 1 });
  });
});
