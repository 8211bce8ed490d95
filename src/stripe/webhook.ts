/**
 * Handling one verified Stripe event: record it in the ledger and apply the
 * outcome it means, in one transaction.
 *
 * The ledger row is written first: a redelivered event finds it and changes
 * nothing. The order's trigger sends the notification when this transaction
 * commits, so a waiter can only hear of an outcome that is durable.
 */
import type { Kysely } from 'kysely';

import type { Database, EventDisposition } from '../db/schema.js';
import type { Logger } from '../logger.js';
import { rememberCheckoutSession } from '../orders/orders.js';
import { applyOutcome, type ApplyResult } from '../orders/outcomes.js';
import { checkoutSessionIdOf, readEventIntent } from './events.js';
import { readDisposition, recordEvent, setDisposition } from './ledger.js';
import type { StripeEvent } from './verify.js';

export interface WebhookResult {
  eventId: string;
  duplicate: boolean;
  disposition: EventDisposition;
  orderId: string | null;
}

const DISPOSITION_BY_APPLY_RESULT: Readonly<
  Record<ApplyResult['result'], EventDisposition>
> = {
  applied: 'applied',
  refused: 'refused',
  inside_checkout: 'ignored',
  missing: 'unmatched',
};

export interface HandleOptions {
  logger: Logger;
  /** Called just before COMMIT of a transaction that recorded an outcome. */
  beforeCommit?: (orderId: string) => void;
}

export async function handleStripeEvent(
  db: Kysely<Database>,
  event: StripeEvent,
  options: HandleOptions,
): Promise<WebhookResult> {
  const { logger } = options;
  const intent = readEventIntent(event);
  const log = logger.child({
    eventId: event.id,
    type: event.type,
    orderId: intent.orderId,
  });

  const result = await db.transaction().execute(async (trx): Promise<WebhookResult> => {
    // Written as 'applied' first, the common case, and corrected below if not.
    const firstGuess = intent.kind === 'outcome' ? 'applied' : 'ignored';
    const isNew = await recordEvent(trx, event, intent.orderId, firstGuess);
    const answer = { eventId: event.id, orderId: intent.orderId };
    if (!isNew) {
      return {
        ...answer,
        duplicate: true,
        disposition: await readDisposition(trx, event.id),
      };
    }
    const sessionId = checkoutSessionIdOf(event);
    if (sessionId !== null && intent.orderId !== null) {
      // Marks the order as paid through Checkout, where a declined card is no
      // outcome: the customer is still on the page.
      await rememberCheckoutSession(trx, intent.orderId, sessionId);
    }
    if (intent.kind === 'ignore') {
      return { ...answer, duplicate: false, disposition: 'ignored' };
    }

    const applied = await applyOutcome(trx, intent);
    const disposition = DISPOSITION_BY_APPLY_RESULT[applied.result];
    if (disposition !== firstGuess) {
      await setDisposition(trx, event.id, disposition);
    }
    if (applied.result === 'applied') {
      options.beforeCommit?.(intent.orderId);
    }
    return { ...answer, duplicate: false, disposition };
  });

  if (result.duplicate) {
    log.info('duplicate event ignored');
  } else if (intent.kind === 'ignore') {
    log.info({ reason: intent.reason }, 'event ignored');
  } else {
    log.info(
      { status: intent.status, disposition: result.disposition },
      'event recorded',
    );
  }
  return result;
}
