/**
 * Reading ids and headers from a request, with the error a caller can act on.
 */
import { ValidationError } from '../errors.js';
import { isOrderId } from '../orders/orders.js';

export function parseOrderIdParam(value: string | undefined): string {
  if (!isOrderId(value)) {
    throw new ValidationError('invalid_order_id', 'order id must be a uuid');
  }
  return value.toLowerCase();
}

/**
 * The version a reconnecting client has seen, from Last-Event-ID; undefined
 * for a first connection.
 */
export function parseLastEventId(value: string | undefined): number | undefined {
  if (value === undefined || value === '') {
    return undefined;
  }
  const version = Number(value);
  if (!/^\d{1,9}$/.test(value) || !Number.isSafeInteger(version)) {
    throw new ValidationError(
      'invalid_last_event_id',
      'Last-Event-ID (or lastEventId) must be an order version (a whole number)',
    );
  }
  return version;
}
