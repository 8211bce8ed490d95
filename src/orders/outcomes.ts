/**
 * Recording outcomes, and reading them back for waiters.
 *
 * An outcome is applied with one conditional UPDATE: the row changes only if
 * the status rules allow it at that moment. Two events racing for the same
 * order are thus serialized by the row lock, and the loser's UPDATE, which
 * PostgreSQL re-checks against the committed row, finds nothing to change.
 */
import { sql, type Kysely } from 'kysely';

import type { Database } from '../db/schema.js';
import {
  STATUSES_OPEN_TO_OUTCOMES,
  type OrderStatus,
  type OutcomeStatus,
} from './status.js';

/** What a waiter is told: the order's outcome as of one version. */
export interface OrderOutcome {
  orderId: string;
  status: OutcomeStatus;
  version: number;
  updatedAt: string;
}

export interface OutcomeChange {
  orderId: string;
  status: OutcomeStatus;
  /**
   * A declined card inside Stripe Checkout is not an outcome: the customer is
   * still on the page and may try another card. Such a failure applies only
   * to an order that is not paid through a Checkout Session.
   */
  onlyOutsideCheckout?: boolean;
}

export type ApplyResult =
  | { result: 'applied'; outcome: OrderOutcome }
  | { result: 'refused'; currentStatus: OrderStatus }
  | { result: 'inside_checkout' }
  | { result: 'missing' };

export async function applyOutcome(
  db: Kysely<Database>,
  change: OutcomeChange,
): Promise<ApplyResult> {
  const updated = await db
    .updateTable('orders')
    .set((eb) => ({ status: change.status, version: eb('version', '+', 1) }))
    .where('id', '=', change.orderId)
    .where('status', 'in', STATUSES_OPEN_TO_OUTCOMES)
    .$if(change.onlyOutsideCheckout === true, (query) =>
      query.where('stripe_checkout_session_id', 'is', null),
    )
    .returning(['id', 'status', 'version', 'updated_at'])
    .executeTakeFirst();

  if (updated !== undefined) {
    return {
      result: 'applied',
      outcome: {
        orderId: updated.id,
        status: updated.status as OutcomeStatus,
        version: updated.version,
        updatedAt: updated.updated_at.toISOString(),
      },
    };
  }

  // Nothing changed; say why, for the ledger and the log.
  const current = await db
    .selectFrom('orders')
    .select(['status', 'stripe_checkout_session_id'])
    .where('id', '=', change.orderId)
    .executeTakeFirst();
  if (current === undefined) {
    return { result: 'missing' };
  }
  if (STATUSES_OPEN_TO_OUTCOMES.includes(current.status)) {
    return { result: 'inside_checkout' };
  }
  return { result: 'refused', currentStatus: current.status };
}

/**
 * The outcomes of those orders among `orderIds` that have one, in one query.
 * Used to catch up on notifications a listener may have missed.
 */
export async function readOutcomes(
  db: Kysely<Database>,
  orderIds: readonly string[],
): Promise<OrderOutcome[]> {
  if (orderIds.length === 0) {
    return [];
  }

  const rows = await db
    .selectFrom('orders')
    .select(['id', 'status', 'version', 'updated_at'])
    // One array parameter, however many ids: a list of 10,000 placeholders
    // would approach the protocol's limit of 65,535 parameters.
    .where(sql<boolean>`id = any(${orderIds}::uuid[])`)
    .where('status', '<>', 'PENDING')
    .execute();
  return rows.map((row) => ({
    orderId: row.id,
    status: row.status as OutcomeStatus,
    version: row.version,
    updatedAt: row.updated_at.toISOString(),
  }));
}
