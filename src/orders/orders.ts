/**
 * Reading orders. They are created by startOrder (payments.ts).
 */
import type { Kysely } from 'kysely';

import type { Database, OrderMode, OrderRow } from '../db/schema.js';
import type { OrderStatus } from './status.js';

/** An order as settle shows it to its callers. */
export interface Order {
  orderId: string;
  owner: string;
  status: OrderStatus;
  version: number;
  amount: number | null;
  currency: string | null;
  /** Where the customer confirms the payment, while ACTION_REQUIRED. */
  actionUrl: string | null;
  mode: OrderMode;
  /** The Checkout Session's page, for orders settle started in Checkout. */
  checkoutUrl: string | null;
  /** Stripe's error code, when starting the payment failed. */
  stripeErrorCode: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a string can be an order id at all (a uuid), before any query. */
export function isOrderId(value: unknown): value is string {
  return typeof value === 'string' && UUID_PATTERN.test(value);
}

export async function readOrder(
  db: Kysely<Database>,
  orderId: string,
): Promise<Order | undefined> {
  const row = await db
    .selectFrom('orders')
    .selectAll()
    .where('id', '=', orderId)
    .executeTakeFirst();
  return row === undefined ? undefined : toOrder(row);
}

export function toOrder(row: OrderRow): Order {
  return {
    orderId: row.id,
    owner: row.owner,
    status: row.status,
    version: row.version,
    amount: row.amount === null ? null : Number(row.amount),
    currency: row.currency,
    actionUrl: row.status === 'ACTION_REQUIRED' ? row.action_url : null,
    mode: row.mode,
    checkoutUrl: row.checkout_url,
    stripeErrorCode: row.stripe_error_code,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
