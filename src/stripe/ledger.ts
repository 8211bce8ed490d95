/**
 * The stripe_events ledger: every verified event, once, and the outcome it
 * means recorded with it.
 *
 * Both happen in one call of the SQL function settle_record_stripe_event
 * (sql/005), one round trip that commits on its own: the ledger row first,
 * then the conditional UPDATE of the order. A concurrent copy of the same
 * event waits on the ledger's primary key until the first commits, then
 * finds the row: only one copy ever applies.
 */
import { sql, type Kysely } from 'kysely';

import type { Database, EventDisposition } from '../db/schema.js';
import type { OrderOutcome } from '../orders/outcomes.js';
import type { OutcomeStatus } from '../orders/status.js';
import type { EventIntent } from './events.js';
import type { StripeEvent } from './verify.js';

export interface RecordedEvent {
  /** A redelivery: the event was recorded before, and nothing changed now. */
  duplicate: boolean;
  disposition: EventDisposition;
  /** The order's new outcome, when this event applied one. */
  applied: OrderOutcome | undefined;
}

interface RecordRow {
  is_duplicate: boolean;
  event_disposition: EventDisposition;
  order_status: OutcomeStatus | null;
  order_version: number | null;
  order_updated_at: Date | null;
}

export async function recordStripeEvent(
  db: Kysely<Database>,
  event: StripeEvent,
  intent: EventIntent,
  checkoutSessionId: string | null,
): Promise<RecordedEvent> {
  const objectId = event.data.object.id;
  const outcome = intent.kind === 'outcome' ? intent.status : null;
  const onlyOutsideCheckout = intent.kind === 'outcome' && intent.onlyOutsideCheckout;

  const { rows } = await sql<RecordRow>`
    SELECT * FROM settle_record_stripe_event(
      ${event.id}, ${event.type}, ${new Date(event.created * 1000)}::timestamptz,
      ${event.api_version ?? null}, ${event.livemode}::boolean,
      ${typeof objectId === 'string' ? objectId : null},
      ${intent.orderId}::uuid, ${checkoutSessionId},
      ${outcome}, ${onlyOutsideCheckout}::boolean
    )`.execute(db);
  const row = rows[0]!;

  const applied =
    row.event_disposition === 'applied' && !row.is_duplicate && intent.orderId !== null
      ? {
          orderId: intent.orderId,
          status: row.order_status!,
          version: row.order_version!,
          updatedAt: row.order_updated_at!.toISOString(),
        }
      : undefined;
  return { duplicate: row.is_duplicate, disposition: row.event_disposition, applied };
}
