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
import type { OrderOutcome } from '../orders/outcomes.js';
import type { Confirmation } from './confirm.js';
import { readEventIntent, type EventIntent } from './events.js';
import { recordStripeEvent } from './ledger.js';
import type { StripeEvent } from './verify.js';

export interface WebhookResult {
  eventId: string;
  duplicate: boolean;
  disposition: EventDisposition;
  reason: string | null;
  orderId: string | null;
  /** The outcome this event recorded, as committed; undefined when it recorded none. */
  applied: OrderOutcome | undefined;
}

export interface HandleOptions {
  logger: Logger;
  /** The configured Stripe key's mode; undefined when no key is set. */
  expectedLivemode: boolean | undefined;
  /** Called just before the statement that may record, and commit, an outcome. */
  beforeRecording?: (orderId: string) => void;
  /** Called once per event recorded for the first time. */
  onRecorded?: (result: WebhookResult) => void;
  /** STRIPE_VERIFY_WITH_API: the object's current state in Stripe, over the event's. */
  confirm?: (event: StripeEvent) => Promise<Confirmation>;
}

/**
 * Refusals that mean money and order disagree: someone must look, so they
 * are logged as errors, not as the harmless refusal of a late event.
 */
const MISMATCH_REASONS = new Set([
  'amount_mismatch',
  'livemode_mismatch',
  'stripe_object_of_another_order',
]);

export async function handleStripeEvent(
  db: Kysely<Database>,
  event: StripeEvent,
  options: HandleOptions,
): Promise<WebhookResult> {
  const startedAt = performance.now();
  const intent = await readConfirmedIntent(event, options.confirm);
  const knownOrderId = intent.match.orderId ?? intent.match.subscriptionOrderId;
  const log = options.logger.child({ eventId: event.id, type: event.type });

  if (intent.kind === 'outcome' && knownOrderId !== null) {
    options.beforeRecording?.(knownOrderId);
  }
  const recorded = await recordStripeEvent(db, event, intent, {
    expectedLivemode: options.expectedLivemode,
  });
  const result: WebhookResult = {
    eventId: event.id,
    orderId: recorded.orderId,
    duplicate: recorded.duplicate,
    disposition: recorded.disposition,
    reason: recorded.reason,
    applied: recorded.applied,
  };

  const fields = {
    orderId: result.orderId,
    disposition: result.disposition,
    reason: result.reason,
    ms: Math.round((performance.now() - startedAt) * 10) / 10,
  };
  if (recorded.duplicate) {
    log.info(fields, 'duplicate event ignored');
    return result;
  }
  options.onRecorded?.(result);
  if (result.reason !== null && MISMATCH_REASONS.has(result.reason)) {
    const paid = intent.kind === 'outcome' ? intent.paid : null;
    log.error(
      { ...fields, paid, livemode: event.livemode },
      'payment does not match its order: not settled',
    );
  } else if (result.disposition === 'applied' && intent.kind === 'outcome') {
    log.info({ ...fields, status: intent.status }, 'event applied');
  } else {
    log.info(fields, `event ${result.disposition}`);
  }
  return result;
}

/** The event's intent; with `confirm`, as Stripe's current state bears it out. */
async function readConfirmedIntent(
  event: StripeEvent,
  confirm: HandleOptions['confirm'],
): Promise<EventIntent> {
  const intent = readEventIntent(event);
  if (confirm === undefined || intent.kind === 'ignore') {
    return intent;
  }
  const confirmation = await confirm(event);
  return confirmation.kind === 'current'
    ? readEventIntent(confirmation.event)
    : { kind: 'ignore', match: intent.match, reason: confirmation.reason };
}
