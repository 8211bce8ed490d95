/**
 * The stripe_events ledger: every verified event, once.
 */
import type { Kysely } from 'kysely';

import type { Database, EventDisposition } from '../db/schema.js';
import type { StripeEvent } from './verify.js';

/**
 * Records the event; false when it was recorded before (a redelivery).
 *
 * A concurrent copy of the same event waits on the primary key until the
 * first transaction ends, then finds the row: only one copy ever applies.
 */
export async function recordEvent(
  db: Kysely<Database>,
  event: StripeEvent,
  orderId: string | null,
  disposition: EventDisposition,
): Promise<boolean> {
  const objectId = event.data.object.id;
  const inserted = await db
    .insertInto('stripe_events')
    .values({
      id: event.id,
      type: event.type,
      created: new Date(event.created * 1000),
      api_version: event.api_version ?? null,
      livemode: event.livemode,
      stripe_object_id: typeof objectId === 'string' ? objectId : null,
      order_id: orderId,
      disposition,
    })
    .onConflict((conflict) => conflict.column('id').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function setDisposition(
  db: Kysely<Database>,
  eventId: string,
  disposition: EventDisposition,
): Promise<void> {
  await db
    .updateTable('stripe_events')
    .set({ disposition })
    .where('id', '=', eventId)
    .execute();
}

export async function readDisposition(
  db: Kysely<Database>,
  eventId: string,
): Promise<EventDisposition> {
  const row = await db
    .selectFrom('stripe_events')
    .select('disposition')
    .where('id', '=', eventId)
    .executeTakeFirstOrThrow();
  return row.disposition;
}
