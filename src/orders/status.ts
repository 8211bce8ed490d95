/**
 * The status rules as the code sees them. sql/002_order_status_rules.sql
 * enforces the same rules in the database.
 *
 * PENDING may become any outcome. ACTION_REQUIRED (the customer must
 * confirm the payment) and FAILED may become any outcome, themselves again
 * included. SUCCEEDED and EXPIRED are final.
 */

export const ORDER_STATUSES = [
  'PENDING',
  'ACTION_REQUIRED',
  'FAILED',
  'SUCCEEDED',
  'EXPIRED',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Any status but PENDING. */
export type OutcomeStatus = Exclude<OrderStatus, 'PENDING'>;

const FINAL_STATUSES: ReadonlySet<OrderStatus> = new Set(['SUCCEEDED', 'EXPIRED']);

export function isFinal(status: OrderStatus): boolean {
  return FINAL_STATUSES.has(status);
}

export function isOutcome(status: OrderStatus): status is OutcomeStatus {
  return status !== 'PENDING';
}
