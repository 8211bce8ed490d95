/**
 * Reading the payload of a notification on the outcome channel.
 *
 * Anyone with access to the database can NOTIFY on the channel, so the text
 * is checked field by field; anything else is refused, never trusted.
 */
import { isOrderId } from '../orders/orders.js';
import type { OrderOutcome } from '../orders/outcomes.js';
import type { OutcomeStatus } from '../orders/status.js';

const OUTCOME_STATUSES: ReadonlySet<string> = new Set<OutcomeStatus>([
  'FAILED',
  'SUCCEEDED',
  'EXPIRED',
]);

/** The outcome the payload announces, or undefined when it is not one. */
export function parseOutcomePayload(
  payload: string | undefined,
): OrderOutcome | undefined {
  if (payload === undefined) {
    return undefined;
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) {
    return undefined;
  }

  const fields = parsed as Record<string, unknown>;
  const { order_id: orderId, status, version, updated_at: updatedAt } = fields;
  if (
    !isOrderId(orderId) ||
    typeof status !== 'string' ||
    !OUTCOME_STATUSES.has(status) ||
    typeof version !== 'number' ||
    !Number.isSafeInteger(version) ||
    version < 1 ||
    typeof updatedAt !== 'string' ||
    Number.isNaN(Date.parse(updatedAt))
  ) {
    return undefined;
  }

  return {
    orderId: orderId.toLowerCase(),
    status: status as OutcomeStatus,
    version,
    updatedAt: new Date(updatedAt).toISOString(),
  };
}
