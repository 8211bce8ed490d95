/**
 * Handling one verified Stripe event: record it in the ledger and apply the
 * outcome it means, in one statement that commits on its own (see ledger.ts).
 *
 * The order's trigger sends the notification when that statement commits, so
 * a waiter can only hear of an outcome that is durable.
 */
import type { Kysely } from 'kysely';

import type { Database, EventDisposition } from '../db/schema.js';
import type { Logger } from '../logger.js';
import { checkoutSessionIdOf, readEventIntent } from './events.js';
import { recordStripeEvent } from './ledger.js';
import type { StripeEvent } from './verify.js';

export interface WebhookResult {
  eventId: string;
  duplicate: boolean;
  disposition: EventDisposition;
  orderId: string | null;
}

export interface HandleOptions {
  logger: Logger;
  /** Called just before the statement that may record, and commit, an outcome. */
  beforeRecording?: (orderId: string) => void;
}

export async function handleStripeEvent(
  db: Kysely<Database>,
  event: StripeEvent,
  options: HandleOptions,
): Promise<WebhookResult> {
  const intent = readEventIntent(event);
  const log = options.logger.child({
    eventId: event.id,
    type: event.type,
    orderId: intent.orderId,
  });

  if (intent.kind === 'outcome') {
    options.beforeRecording?.(intent.orderId);
  }
  const recorded = await recordStripeEvent(db, event, intent, checkoutSessionIdOf(event));

  if (recorded.duplicate) {
    log.info('duplicate event ignored');
  } else if (intent.kind === 'ignore') {
    log.info({ reason: intent.reason }, 'event ignored');
  } else {
    log.info(
      { status: intent.status, disposition: recorded.disposition },
      'event recorded',
    );
  }
  return {
    eventId: event.id,
    orderId: intent.orderId,
    duplicate: recorded.duplicate,
    disposition: recorded.disposition,
  };
}
