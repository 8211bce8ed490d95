/**
 * STRIPE_VERIFY_WITH_API: before an event may change an order, its object is
 * read again from Stripe's API, and the current state wins over the event's
 * snapshot.
 *
 * An event whose outcome the object no longer bears out (an
 * invoice.payment_failed for an invoice paid since) is stale: it is recorded
 * as ignored, and the event of the current state settles the order. When it
 * is borne out, the fresh object replaces the snapshot, so that the amount
 * checked is the one Stripe holds now.
 */
import type { Logger } from '../logger.js';
import { UpstreamError } from '../errors.js';
import type { StripeClient } from './client.js';
import type { StripeEvent } from './verify.js';

export type Confirmation =
  | { kind: 'current'; event: StripeEvent }
  | { kind: 'stale'; reason: 'stale_in_stripe' | 'not_in_stripe' };

type StripeObject = Record<string, unknown>;

/** What the object must look like now for each outcome event to hold. */
const STATE_BEARING_OUT: Readonly<Record<string, (object: StripeObject) => boolean>> = {
  'checkout.session.completed': (session) => session.status === 'complete',
  'checkout.session.async_payment_succeeded': (session) =>
    session.payment_status === 'paid',
  'checkout.session.async_payment_failed': (session) =>
    session.status === 'complete' && session.payment_status === 'unpaid',
  'checkout.session.expired': (session) => session.status === 'expired',
  'payment_intent.succeeded': (intent) => intent.status === 'succeeded',
  'payment_intent.payment_failed': (intent) =>
    intent.status === 'requires_payment_method',
  'payment_intent.requires_action': (intent) => intent.status === 'requires_action',
  'invoice.paid': (invoice) => invoice.status === 'paid',
  'invoice.payment_failed': (invoice) => invoice.status === 'open',
  'invoice.payment_action_required': (invoice) => invoice.status === 'open',
};

export async function confirmWithStripe(
  stripe: StripeClient,
  event: StripeEvent,
  logger: Logger,
): Promise<Confirmation> {
  const bearsOut = STATE_BEARING_OUT[event.type];
  const objectId = event.data.object.id;
  if (bearsOut === undefined || typeof objectId !== 'string') {
    // Not an outcome: nothing to confirm, and nothing it could change.
    return { kind: 'current', event };
  }

  const current = await retrieveObject(stripe, event.data.object.object, objectId);
  if (current === undefined) {
    logger.error(
      { eventId: event.id, type: event.type, objectId },
      "the event's object is not in the Stripe account of STRIPE_SECRET_KEY",
    );
    return { kind: 'stale', reason: 'not_in_stripe' };
  }
  if (!bearsOut(current)) {
    return { kind: 'stale', reason: 'stale_in_stripe' };
  }
  return { kind: 'current', event: { ...event, data: { object: current } } };
}

/** The object as Stripe holds it now; undefined when Stripe has no such object. */
async function retrieveObject(
  stripe: StripeClient,
  kind: unknown,
  id: string,
): Promise<StripeObject | undefined> {
  try {
    const object =
      kind === 'checkout.session'
        ? await stripe.checkout.sessions.retrieve(id)
        : kind === 'payment_intent'
          ? await stripe.paymentIntents.retrieve(id)
          : kind === 'invoice'
            ? await stripe.invoices.retrieve(id)
            : undefined;
    return object as unknown as StripeObject | undefined;
  } catch (error) {
    if (isMissing(error)) {
      return undefined;
    }
    // Stripe is unreachable or failing: the webhook answers 502 and Stripe
    // delivers the event again later; nothing is recorded now.
    throw new UpstreamError(
      'stripe_unavailable',
      'could not read the event from Stripe to confirm it; deliver it again',
      error,
    );
  }
}

function isMissing(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { code?: unknown }).code === 'resource_missing'
  );
}
