/**
 * The stripe_events ledger: every verified event, once, and the outcome it
 * means recorded with it.
 *
 * Both happen in one call of the SQL function settle_record_stripe_event
 * (sql/006), one round trip that commits on its own: the ledger row first,
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
  /** Why it was refused or ignored, when known (see stripe_events.reason). */
  reason: string | null;
  /** The order the event led to, whether or not it changed it. */
  orderId: string | null;
  /** The order's new outcome, when this event applied one. */
  applied: OrderOutcome | undefined;
}

export interface RecordOptions {
  /** The configured key's mode; an event of the other mode changes nothing. */
  expectedLivemode: boolean | undefined;
}

interface RecordRow {
  is_duplicate: boolean;
  event_disposition: EventDisposition;
  event_reason: string | null;
  matched_order_id: string | null;
  order_status: OutcomeStatus | null;
  order_version: number | null;
  order_updated_at: Date | null;
}

export async function recordStripeEvent(
  db: Kysely<Database>,
  event: StripeEvent,
  intent: EventIntent,
  options: RecordOptions,
): Promise<RecordedEvent> {
  const objectId = event.data.object.id;
  const { match } = intent;
  const outcome = intent.kind === 'outcome' ? intent : undefined;

  const { rows } = await sql<RecordRow>`
    SELECT * FROM settle_record_stripe_event(
      ${event.id}, ${event.type}, ${new Date(event.created * 1000)}::timestamptz,
      ${event.api_version ?? null}, ${event.livemode}::boolean,
      ${typeof objectId === 'string' ? objectId : null},
      ${match.orderId}::uuid, ${match.subscriptionOrderId}::uuid,
      ${match.checkoutSessionId}, ${match.invoiceId},
      ${outcome?.status ?? null}, ${outcome?.onlyOutsideCheckout ?? false}::boolean,
      ${outcome?.paid?.amount ?? null}::bigint, ${outcome?.paid?.currency ?? null},
      ${options.expectedLivemode ?? null}::boolean, ${outcome?.actionUrl ?? null},
      ${intent.reason}
    )`.execute(db);
  const row = rows[0]!;

  const applied =
    row.event_disposition === 'applied' && !row.is_duplicate && row.matched_order_id
      ? {
          orderId: row.matched_order_id,
          status: row.order_status!,
          version: row.order_version!,
          updatedAt: row.order_updated_at!.toISOString(),
          actionUrl: outcome?.actionUrl ?? null,
        }
      : undefined;
  return {
    duplicate: row.is_duplicate,
    disposition: row.event_disposition,
    reason: row.event_reason,
    orderId: row.matched_order_id,
    applied,
  };
}
