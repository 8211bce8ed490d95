/**
 * Reading outcomes back for waiters. They are recorded, with the Stripe
 * event that means them, by the SQL function settle_record_stripe_event
 * (see stripe/ledger.ts).
 */
import { sql, type Kysely } from 'kysely';

import type { Database } from '../db/schema.js';
import type { OutcomeStatus } from './status.js';

/** What a waiter is told: the order's outcome as of one version. */
export interface OrderOutcome {
  orderId: string;
  status: OutcomeStatus;
  version: number;
  updatedAt: string;
  /** Where the customer confirms the payment, with ACTION_REQUIRED. */
  actionUrl: string | null;
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
    .select(['id', 'status', 'version', 'updated_at', 'action_url'])
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
    actionUrl: row.status === 'ACTION_REQUIRED' ? row.action_url : null,
  }));
}
