/**
 * Verifying a webhook's Stripe-Signature header, with the Stripe SDK.
 *
 * Several signing secrets may be configured at once (a rotation, or the
 * Stripe CLI's endpoint beside the dashboard's); an event that verifies with
 * any of them is accepted. The timestamp tolerance is the SDK's default.
 */
import Stripe from 'stripe';

import { SignatureError, ValidationError } from '../errors.js';

/** The parts of an event settle reads; Stripe sends many more. */
export interface StripeEvent {
  id: string;
  type: string;
  created: number;
  api_version: string | null;
  livemode: boolean;
  data: { object: Record<string, unknown> };
}

const MAX_TEXT_LENGTH = 255;
/** How JSON writes a NUL character inside a string. */
const ESCAPED_NUL = '\\u0000';
/** Year 2500: a `created` past it is not a Unix time in seconds. */
const LATEST_PLAUSIBLE_UNIX_S = 16_725_225_600;

export function verifyStripeEvent(
  payload: Buffer,
  signatureHeader: string | undefined,
  secrets: readonly string[],
): StripeEvent {
  if (signatureHeader === undefined || signatureHeader === '') {
    throw new SignatureError('missing Stripe-Signature header');
  }

  let lastFailure: unknown;
  for (const secret of secrets) {
    let event: unknown;
    try {
      event = Stripe.webhooks.constructEvent(payload, signatureHeader, secret);
    } catch (error) {
      if (error instanceof Stripe.errors.StripeSignatureVerificationError) {
        lastFailure = error;
        continue;
      }
      // The signature matched, so the body is Stripe's, but it is not JSON.
      throw new ValidationError('invalid_payload', 'webhook body is not JSON', {
        cause: error,
      });
    }
    if (payload.includes(ESCAPED_NUL)) {
      // PostgreSQL text holds no NUL: a string with one (a currency, a URL)
      // would fail the database write on every delivery, for days.
      throw new ValidationError(
        'invalid_event',
        'webhook body holds a NUL character (\\u0000), which no Stripe event has',
      );
    }
    return checkEventShape(event);
  }

  throw new SignatureError(firstSentence(lastFailure), { cause: lastFailure });
}

function checkEventShape(event: unknown): StripeEvent {
  const candidate = event as Partial<StripeEvent> | null;
  const object = candidate?.data?.object;
  if (
    !isBoundedText(candidate?.id) ||
    !isBoundedText(candidate?.type) ||
    !isPlausibleUnixTime(candidate?.created) ||
    typeof candidate?.livemode !== 'boolean' ||
    !(
      candidate.api_version === null ||
      candidate.api_version === undefined ||
      isBoundedText(candidate.api_version)
    ) ||
    typeof object !== 'object' ||
    object === null ||
    Array.isArray(object) ||
    !(object.id === undefined || isBoundedText(object.id))
  ) {
    throw new ValidationError(
      'invalid_event',
      'webhook body is not a Stripe event (id, type, created, livemode, data.object)',
    );
  }
  return candidate as StripeEvent;
}

/**
 * Stripe's ids and names are short; the ledger's columns hold 255 characters,
 * and PostgreSQL text can hold no NUL character at all.
 */
function isBoundedText(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= MAX_TEXT_LENGTH &&
    !value.includes('\u0000')
  );
}

function isPlausibleUnixTime(value: unknown): value is number {
  return (
    Number.isSafeInteger(value) &&
    (value as number) >= 0 &&
    (value as number) < LATEST_PLAUSIBLE_UNIX_S
  );
}

/** The SDK's messages go on with advice; the first sentence says what failed. */
function firstSentence(error: unknown): string {
  const message = error instanceof Error ? error.message : 'signature does not verify';
  return message.split(/(?<=\.)\s/)[0]?.trim() ?? message;
}
