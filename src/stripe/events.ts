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
/** The subscription metadata key naming the user who may change its seats. */
export const OWNER_METADATA_KEY = 'settle_owner';

export type EventIntent =
  | {
      kind: 'outcome';
      status: OutcomeStatus;
      /** The ways to the order; the SQL function tries them in this order. */
      match: OrderMatch;
      /** See sql/005: a declined card inside Checkout is no outcome. */
      onlyOutsideCheckout: boolean;
      /** What the paying object says was paid; null when it says nothing. */
      paid: PaidAmount | null;
      /** Where the customer confirms, for ACTION_REQUIRED. */
      actionUrl: string | null;
      /** Why no order may be found: the event names none of ours. */
      reason: 'no_order_id' | 'foreign_order_id' | null;
    }
  | { kind: 'ignore'; match: OrderMatch; reason: string };

export interface OrderMatch {
  /** The settle order id the object itself carries. */
  orderId: string | null;
  checkoutSessionId: string | null;
  invoiceId: string | null;
  /** The order id in the metadata of an invoice's subscription. */
  subscriptionOrderId: string | null;
}

export interface PaidAmount {
  amount: number;
  currency: string;
}

const OUTCOME_BY_EVENT_TYPE: Readonly<Record<string, OutcomeStatus>> = {
  'checkout.session.completed': 'SUCCEEDED',
  'checkout.session.async_payment_succeeded': 'SUCCEEDED',
  'payment_intent.succeeded': 'SUCCEEDED',
  'invoice.paid': 'SUCCEEDED',
  'invoice.payment_action_required': 'ACTION_REQUIRED',
  'payment_intent.requires_action': 'ACTION_REQUIRED',
  'checkout.session.async_payment_failed': 'FAILED',
  'payment_intent.payment_failed': 'FAILED',
  'invoice.payment_failed': 'FAILED',
  'checkout.session.expired': 'EXPIRED',
};

/** The event types that may change an order: what the reconciler asks Stripe for. */
export const OUTCOME_EVENT_TYPES: readonly string[] = Object.keys(OUTCOME_BY_EVENT_TYPE);

/**
 * Not outcomes while the customer is on a Checkout page, which handles a
 * declined card or a confirmation itself.
 */
const ONLY_OUTSIDE_CHECKOUT = new Set([
  'payment_intent.payment_failed',
  'payment_intent.requires_action',
  'invoice.payment_action_required',
]);

/** A completed Checkout Session is paid only in these states. */
const PAID_CHECKOUT_STATES = new Set(['paid', 'no_payment_required']);

export function readEventIntent(event: StripeEvent): EventIntent {
  const object = event.data.object;
  const match = findOrderMatch(object);

  const status = OUTCOME_BY_EVENT_TYPE[event.type];
  if (status === undefined) {
    // invoice.payment_succeeded is no outcome: invoice.paid is the one that counts.
    const reason = 'not_an_outcome';
    return { kind: 'ignore', match, reason };
  }
  const namesNoOrder = match.orderId === null && match.subscriptionOrderId === null;
  const noOrderReason = hasForeignOrderId(object) ? 'foreign_order_id' : 'no_order_id';
  if (namesNoOrder && match.checkoutSessionId === null && match.invoiceId === null) {
    return { kind: 'ignore', match, reason: noOrderReason };
  }
  if (
    event.type === 'checkout.session.completed' &&
    !(
      typeof object.payment_status === 'string' &&
      PAID_CHECKOUT_STATES.has(object.payment_status)
    )
  ) {
    // Delayed payment methods: the async_payment_* event will follow.
    return { kind: 'ignore', match, reason: 'checkout_not_paid' };
  }

  return {
    kind: 'outcome',
    status,
    match,
    onlyOutsideCheckout: ONLY_OUTSIDE_CHECKOUT.has(event.type),
    paid: paidAmountOf(object),
    actionUrl: status === 'ACTION_REQUIRED' ? actionUrlOf(object) : null,
    reason: namesNoOrder ? noOrderReason : null,
  };
}

/**
 * Where the object leads to an order: the order id in its own metadata or a
 * Checkout Session's client_reference_id; the Checkout Session or invoice it
 * is or belongs to; and for an invoice, the order id in its subscription's
 * metadata (subscription_details before API version 2025-03-31, then
 * parent.subscription_details). A value that is not a uuid belongs to some
 * other integration and leads nowhere.
 */
function findOrderMatch(object: Record<string, unknown>): OrderMatch {
  const own = [metadataOrderId(object.metadata), object.client_reference_id];
  const subscription = [
    metadataOrderId(recordAt(object, 'subscription_details')?.metadata),
    metadataOrderId(
      recordAt(recordAt(object, 'parent'), 'subscription_details')?.metadata,
    ),
  ];
  const kind = object.object;
  return {
    orderId: firstOrderId(own),
    checkoutSessionId: kind === 'checkout.session' ? stripeId(object.id) : null,
    invoiceId:
      kind === 'invoice'
        ? stripeId(object.id)
        : kind === 'payment_intent'
          ? stripeId(object.invoice)
          : null,
    subscriptionOrderId: kind === 'invoice' ? firstOrderId(subscription) : null,
  };
}

function firstOrderId(candidates: unknown[]): string | null {
  const orderId = candidates.find(isOrderId);
  return orderId === undefined ? null : orderId.toLowerCase();
}

function hasForeignOrderId(object: Record<string, unknown>): boolean {
  const value = metadataOrderId(object.metadata) ?? object.client_reference_id;
  return typeof value === 'string' && value !== '';
}

function stripeId(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/**
 * What the object says was paid: a Checkout Session's total, a
 * PaymentIntent's amount received, an invoice's amount paid.
 */
function paidAmountOf(object: Record<string, unknown>): PaidAmount | null {
  const field =
    object.object === 'checkout.session'
      ? 'amount_total'
      : object.object === 'payment_intent'
        ? 'amount_received'
        : object.object === 'invoice'
          ? 'amount_paid'
          : undefined;
  const amount = field === undefined ? undefined : object[field];
  const currency = object.currency;
  return Number.isSafeInteger(amount) && typeof currency === 'string'
    ? { amount: amount as number, currency: currency.toLowerCase() }
    : null;
}

/** A hosted invoice page, or a PaymentIntent's redirect for 3-D Secure. */
function actionUrlOf(object: Record<string, unknown>): string | null {
  const url =
    object.object === 'invoice'
      ? object.hosted_invoice_url
      : recordAt(recordAt(object, 'next_action'), 'redirect_to_url')?.url;
  return typeof url === 'string' && url.startsWith('https://') && url.length <= 2048
    ? url
    : null;
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
