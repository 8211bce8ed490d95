/**
 * Replaying a recorded Stripe event at one of our orders, signed as Stripe
 * signs it. This is how the demo, the tests and anyone without a Stripe
 * account drive settle with real event payloads.
 */
import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';

import { ORDER_ID_METADATA_KEY } from './events.js';

/** From this API version on, an invoice carries its subscription under `parent`. */
const INVOICE_PARENT_API_VERSION = '2025-03-31';

export interface AimOptions {
  /** The event id to send, e.g. one sent before, to resend it. Default: a fresh id. */
  eventId?: string;
  /** For invoices: where the order id goes. Default: as the event's API version has it. */
  invoiceShape?: 'subscription_details' | 'parent';
  /**
   * What the paying object says was paid. settle settles an order with an
   * amount only when the event pays exactly that, so aim at it too.
   */
  paid?: { amount: number; currency: string } | undefined;
}

/** Where each paying object says what it asks for, and what was paid. */
const AMOUNT_FIELDS: Readonly<Record<string, { asked: string[]; paid: string }>> = {
  'checkout.session': { asked: ['amount_subtotal'], paid: 'amount_total' },
  payment_intent: { asked: ['amount'], paid: 'amount_received' },
  invoice: { asked: ['amount_due', 'subtotal', 'total'], paid: 'amount_paid' },
};

/** Objects settle finds orders by (the ids it stores): one per order. */
const ID_PREFIX_BY_OBJECT: Readonly<Record<string, string>> = {
  'checkout.session': 'cs_replay_',
  invoice: 'in_replay_',
};

/**
 * A copy of `event` whose object names `orderId` where Stripe would carry it:
 * the object's metadata, or for an invoice its subscription's metadata. The
 * fixtures reuse event ids across files, so the copy gets a fresh event id
 * unless given one, and a Checkout Session or invoice an id of its order's.
 * With `paid`, the object asks for and (on success) pays that amount.
 */
export function aimEventAtOrder<T extends Record<string, unknown>>(
  event: T,
  orderId: string,
  options: AimOptions = {},
): T {
  const copy = structuredClone(event) as Record<string, any>;
  copy.id = options.eventId ?? `evt_replay_${randomBytes(12).toString('hex')}`;

  const object = copy.data?.object;
  if (typeof object !== 'object' || object === null) {
    throw new Error('event has no data.object to aim at an order');
  }

  if (object.object === 'invoice') {
    const shape = options.invoiceShape ?? invoiceShapeOf(copy.api_version);
    const holder =
      shape === 'parent'
        ? ((object.parent ??= { type: 'subscription_details' }).subscription_details ??=
            {})
        : (object.subscription_details ??= {});
    holder.metadata = { ...holder.metadata, [ORDER_ID_METADATA_KEY]: orderId };
  } else {
    object.metadata = { ...object.metadata, [ORDER_ID_METADATA_KEY]: orderId };
  }

  // The fixtures share object ids; a Checkout Session or an invoice belongs
  // to one order, so each order gets its own, the same for all its events.
  const prefix = ID_PREFIX_BY_OBJECT[String(object.object)];
  if (prefix !== undefined) {
    object.id = `${prefix}${orderId.replaceAll('-', '')}`;
  }

  const amounts = AMOUNT_FIELDS[String(object.object)];
  if (options.paid !== undefined && amounts !== undefined) {
    for (const field of amounts.asked) {
      object[field] = options.paid.amount;
    }
    // Only a payment pays: a failed invoice's amount_paid stays as it was.
    if (/(paid|succeeded|completed)$/.test(String(copy.type))) {
      object[amounts.paid] = options.paid.amount;
    }
    object.currency = options.paid.currency;
  }
  return copy as T;
}

/** The Stripe-Signature header Stripe would send: t=…,v1=HMAC-SHA256(t.payload). */
export function signPayload(
  payload: string,
  secret: string,
  timestampSeconds?: number,
): string {
  return Stripe.webhooks.generateTestHeaderString({
    payload,
    secret,
    ...(timestampSeconds === undefined ? {} : { timestamp: timestampSeconds }),
  });
}

function invoiceShapeOf(apiVersion: unknown): 'subscription_details' | 'parent' {
  return typeof apiVersion === 'string' && apiVersion >= INVOICE_PARENT_API_VERSION
    ? 'parent'
    : 'subscription_details';
}
