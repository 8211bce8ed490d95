/**
 * What a Stripe event means for an order: which order, and which outcome.
 *
 * This module only reads the event; it touches no database. The order id is
 * looked for where Stripe carries it for each kind of object, and an event
 * that names no settle order, or is not an outcome, is ignored.
 */
import { isOrderId } from '../orders/orders.js';
import type { OutcomeStatus } from '../orders/status.js';
import type { StripeEvent } from './verify.js';

/** The metadata key under which a shop puts settle's order id. */
export const ORDER_ID_METADATA_KEY = 'order_id';

export type EventIntent =
  | {
      kind: 'outcome';
      orderId: string;
      status: OutcomeStatus;
      /** See OutcomeChange.onlyOutsideCheckout. */
      onlyOutsideCheckout: boolean;
    }
  | { kind: 'ignore'; orderId: string | null; reason: string };

const OUTCOME_BY_EVENT_TYPE: Readonly<Record<string, OutcomeStatus>> = {
  'checkout.session.completed': 'SUCCEEDED',
  'checkout.session.async_payment_succeeded': 'SUCCEEDED',
  'payment_intent.succeeded': 'SUCCEEDED',
  'invoice.paid': 'SUCCEEDED',
  'checkout.session.async_payment_failed': 'FAILED',
  'payment_intent.payment_failed': 'FAILED',
  'invoice.payment_failed': 'FAILED',
  'checkout.session.expired': 'EXPIRED',
};

/** A completed Checkout Session is paid only in these states. */
const PAID_CHECKOUT_STATES = new Set(['paid', 'no_payment_required']);

export function readEventIntent(event: StripeEvent): EventIntent {
  const object = event.data.object;
  const found = findOrderId(object);
  const orderId = found.kind === 'found' ? found.orderId : null;

  const status = OUTCOME_BY_EVENT_TYPE[event.type];
  if (status === undefined) {
    const reason =
      event.type === 'invoice.payment_succeeded'
        ? 'invoice.paid is the invoice event that counts'
        : 'event type is not an outcome';
    return { kind: 'ignore', orderId, reason };
  }
  if (found.kind === 'none') {
    return { kind: 'ignore', orderId, reason: 'event carries no order id' };
  }
  if (found.kind === 'foreign') {
    return { kind: 'ignore', orderId, reason: 'order id is not a settle order id' };
  }
  if (
    event.type === 'checkout.session.completed' &&
    !(
      typeof object.payment_status === 'string' &&
      PAID_CHECKOUT_STATES.has(object.payment_status)
    )
  ) {
    // Delayed payment methods: the async_payment_* event will follow.
    return { kind: 'ignore', orderId, reason: 'checkout session is not paid yet' };
  }

  return {
    kind: 'outcome',
    orderId: found.orderId,
    status,
    onlyOutsideCheckout: event.type === 'payment_intent.payment_failed',
  };
}

/** The Checkout Session's id when the event is about one, else null. */
export function checkoutSessionIdOf(event: StripeEvent): string | null {
  const { object } = event.data;
  return object.object === 'checkout.session' && typeof object.id === 'string'
    ? object.id
    : null;
}

type FoundOrderId =
  { kind: 'found'; orderId: string } | { kind: 'foreign' } | { kind: 'none' };

/**
 * The first place that holds a settle order id: the object's metadata, a
 * Checkout Session's client_reference_id, or on an invoice the subscription's
 * metadata (subscription_details before API version 2025-03-31, then
 * parent.subscription_details). A value that is not a uuid belongs to some
 * other integration.
 */
function findOrderId(object: Record<string, unknown>): FoundOrderId {
  const candidates = [
    metadataOrderId(object.metadata),
    object.client_reference_id,
    metadataOrderId(recordAt(object, 'subscription_details')?.metadata),
    metadataOrderId(
      recordAt(recordAt(object, 'parent'), 'subscription_details')?.metadata,
    ),
  ].filter((value) => typeof value === 'string' && value !== '');

  const orderId = candidates.find(isOrderId);
  if (orderId !== undefined) {
    return { kind: 'found', orderId: orderId.toLowerCase() };
  }
  return candidates.length > 0 ? { kind: 'foreign' } : { kind: 'none' };
}

function metadataOrderId(metadata: unknown): unknown {
  return typeof metadata === 'object' && metadata !== null
    ? (metadata as Record<string, unknown>)[ORDER_ID_METADATA_KEY]
    : undefined;
}

function recordAt(
  value: Record<string, unknown> | undefined,
  key: string,
): Record<string, unknown> | undefined {
  const child = value?.[key];
  return typeof child === 'object' && child !== null
    ? (child as Record<string, unknown>)
    : undefined;
}
