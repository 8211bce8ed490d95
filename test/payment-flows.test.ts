/**
 * The events of each mode's payment, replayed from the recorded fixtures at
 * orders settle started: in the order Stripe sends them, reversed, and each
 * one twice. Whatever the order, the order ends in the same final outcome,
 * each event is recorded once, and a duplicate changes nothing.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadFixture } from '../src/stripe/fixtures.js';
import { startTestSettle, type TestSettle } from './helpers/settle.js';
import {
  createStripeOrder,
  standInConfig,
  startStripeStandIn,
  type StripeStandIn,
} from './helpers/stripe-stand-in.js';

const PRICE = 'price_standin_flow';
const UNIT_AMOUNT = 900;
const QUANTITY = 2;
const SUBSCRIPTION = 'sub_standin_flow';
const FINAL = new Set(['SUCCEEDED', 'EXPIRED']);

let stripe: StripeStandIn;
let settle: TestSettle;

beforeAll(async () => {
  stripe = await startStripeStandIn();
  stripe.prices.set(PRICE, { unitAmount: UNIT_AMOUNT, currency: 'eur' });
  settle = await startTestSettle(standInConfig(stripe));
});

afterAll(async () => {
  await settle?.close();
  await stripe?.close();
});

type Mode = 'local' | 'payment' | 'subscription' | 'seats';

interface StartedOrder {
  orderId: string;
  mode: Mode;
  sessionId: string | null;
  invoiceId: string | null;
  amount: number;
}

async function startOrder(mode: Mode): Promise<StartedOrder> {
  stripe.subscriptions.set(SUBSCRIPTION, { priceId: PRICE, quantity: 1 });
  const body =
    mode === 'local'
      ? { mode, amount: UNIT_AMOUNT, currency: 'eur' }
      : mode === 'seats'
        ? { mode, subscriptionId: SUBSCRIPTION, priceId: PRICE, quantity: 1 + QUANTITY }
        : { mode, priceId: PRICE, quantity: QUANTITY };
  const { orderId, amount, sessionId, invoiceId } = await createStripeOrder(settle, body);
  return { orderId, mode, sessionId, invoiceId, amount: amount! };
}

/**
 * The recorded event, about this order's objects, carrying the order where
 * Stripe would for its mode: a Checkout Session and what it creates carry
 * settle's metadata; a seat change's invoice is known by its stored id only
 * (its subscription's metadata names no order).
 */
async function eventFor(fixture: string, order: StartedOrder) {
  const event = (await loadFixture(fixture)) as any;
  event.id = `evt_flow_${randomBytes(8).toString('hex')}`;
  event.livemode = false;
  const object = event.data.object;
  object.livemode = false;
  object.currency = 'eur';
  const metadata = order.mode === 'seats' ? {} : { order_id: order.orderId };
  const paying = /(paid|succeeded|completed)$/.test(event.type);

  if (object.object === 'checkout.session') {
    object.id = order.sessionId ?? `cs_flow_${order.orderId}`;
    object.metadata = metadata;
    object.client_reference_id = order.sessionId === null ? null : order.orderId;
    object.amount_subtotal = order.amount;
    object.amount_total = order.amount;
  } else if (object.object === 'payment_intent') {
    object.metadata = metadata;
    object.invoice = null;
    object.amount = order.amount;
    object.amount_received = paying ? order.amount : 0;
  } else if (object.object === 'invoice') {
    object.id = order.invoiceId ?? `in_flow_${order.orderId.replaceAll('-', '')}`;
    object.metadata = {};
    const holder = { metadata };
    if ('parent' in object || event.api_version >= '2025-03-31') {
      object.parent = { type: 'subscription_details', subscription_details: holder };
      delete object.subscription_details;
    } else {
      object.subscription_details = holder;
    }
    object.amount_due = order.amount;
    object.amount_paid = paying ? order.amount : 0;
  } else {
    object.metadata = metadata;
  }
  return event;
}

async function orderState(orderId: string) {
  const { rows } = await settle.sql.query(
    'SELECT status, version FROM orders WHERE id = $1',
    [orderId],
  );
  return rows[0];
}

async function ledgerCount(orderId: string): Promise<number> {
  const { rows } = await settle.sql.query(
    'SELECT count(*)::int AS count FROM stripe_events WHERE order_id = $1',
    [orderId],
  );
  return rows[0].count;
}

interface Flow {
  name: string;
  mode: Mode;
  /** As Stripe sends them. */
  fixtures: string[];
  final: 'SUCCEEDED' | 'EXPIRED';
  /** The order's version after the events in order: one per status change. */
  versionInOrder: number;
}

const FLOWS: Flow[] = [
  {
    name: 'local, a declined card and then a payment (PaymentIntent)',
    mode: 'local',
    fixtures: [
      'payment_intent.payment_failed.lago.json',
      'payment_intent.succeeded.lago.json',
    ],
    final: 'SUCCEEDED',
    versionInOrder: 2,
  },
  {
    name: "local, the shop's own Checkout Session",
    mode: 'local',
    fixtures: [
      'checkout.session.completed.payrails.json',
      'payment_intent.succeeded.stripemock.json',
    ],
    final: 'SUCCEEDED',
    versionInOrder: 1,
  },
  {
    name: 'payment, a decline inside Checkout and then the payment',
    mode: 'payment',
    fixtures: [
      'payment_intent.payment_failed.stripemock.json',
      'checkout.session.completed.syncengine.json',
      'payment_intent.succeeded.lago.json',
    ],
    final: 'SUCCEEDED',
    versionInOrder: 1,
  },
  {
    name: 'payment, a delayed method that then pays',
    mode: 'payment',
    fixtures: [
      'checkout.session.async_payment_failed.djstripe.json',
      'checkout.session.async_payment_succeeded.triggerdev.json',
    ],
    final: 'SUCCEEDED',
    versionInOrder: 2,
  },
  {
    name: 'payment, abandoned until the session expires',
    mode: 'payment',
    fixtures: ['checkout.session.expired.stripeopenapi.json'],
    final: 'EXPIRED',
    versionInOrder: 1,
  },
  {
    name: 'subscription, with the first invoice in the older shape',
    mode: 'subscription',
    fixtures: [
      'customer.subscription.created.syncengine.json',
      'invoice.paid.stripemock.json',
      'checkout.session.completed.syncengine.json',
    ],
    final: 'SUCCEEDED',
    versionInOrder: 1,
  },
  {
    name: 'subscription, with the first invoice in the 2025-03-31+ shape',
    mode: 'subscription',
    fixtures: [
      'customer.subscription.created.stripemock.json',
      'invoice.paid.syncengine.json',
      'checkout.session.completed.syncengine.json',
    ],
    final: 'SUCCEEDED',
    versionInOrder: 1,
  },
  {
    name: 'seats, confirmation asked, a failure, then paid (older shape)',
    mode: 'seats',
    fixtures: [
      'invoice.payment_action_required.stripemock.json',
      'invoice.payment_failed.stripemock.json',
      'invoice.paid.stripemock.json',
    ],
    final: 'SUCCEEDED',
    versionInOrder: 3,
  },
  {
    name: 'seats, confirmation asked, a failure, then paid (2025-03-31+ shape)',
    mode: 'seats',
    fixtures: [
      'invoice.payment_action_required.payrails.json',
      'invoice.payment_failed.payrails.json',
      'invoice.paid.syncengine.json',
    ],
    final: 'SUCCEEDED',
    versionInOrder: 3,
  },
];

describe.each(FLOWS)('$name', (flow) => {
  async function replay(order: StartedOrder, fixtures: string[], times = 1) {
    const answers = [];
    for (const fixture of fixtures) {
      const event = await eventFor(fixture, order);
      for (let copy = 0; copy < times; copy += 1) {
        const answer = await settle.sendEvent(event);
        expect(answer.status).toBe(200);
        answers.push(answer.body);
      }
    }
    return answers;
  }

  it('in order, each change waking a stream that waits for it', async () => {
    const order = await startOrder(flow.mode);

    for (const fixture of flow.fixtures) {
      const before = await orderState(order.orderId);
      const stream = FINAL.has(before.status)
        ? undefined
        : await settle.openStream(order.orderId, {
            'Last-Event-ID': String(before.version),
          });
      await stream?.retryMs;

      await replay(order, [fixture]);

      const after = await orderState(order.orderId);
      if (after.version > before.version) {
        const message = await stream!.next();
        expect(message?.id).toBe(String(after.version));
        expect(message?.event).toBe(`order.${after.status.toLowerCase()}`);
      }
      stream?.close();
    }

    expect(await orderState(order.orderId)).toEqual({
      status: flow.final,
      version: flow.versionInOrder,
    });
    expect(await ledgerCount(order.orderId)).toBe(flow.fixtures.length);
  });

  it('reversed: the final outcome first, and the rest change nothing', async () => {
    const order = await startOrder(flow.mode);

    const answers = await replay(order, [...flow.fixtures].reverse());

    expect(answers[0]).toMatchObject({ disposition: 'applied' });
    expect(await orderState(order.orderId)).toEqual({ status: flow.final, version: 1 });
    for (const later of answers.slice(1)) {
      expect(later.disposition).not.toBe('applied');
    }
  });

  it('each event twice: the copies are duplicates', async () => {
    const order = await startOrder(flow.mode);

    const answers = await replay(order, flow.fixtures, 2);

    expect(answers.filter((answer) => answer.duplicate)).toHaveLength(
      flow.fixtures.length,
    );
    expect(await orderState(order.orderId)).toEqual({
      status: flow.final,
      version: flow.versionInOrder,
    });
    expect(await ledgerCount(order.orderId)).toBe(flow.fixtures.length);
  });
});
