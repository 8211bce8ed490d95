/**
 * Reading a notification on the outcome channel.
 *
 * The trigger sends `{order_id, status, version, updated_at}`; settle's
 * start-up probe sends `{probe}`. Anyone who can log in may NOTIFY on the
 * channel, so nothing else in the payload is trusted: an order notification
 * only names the order to read again (see wakeups.ts).
 */
import { isOrderId } from '../orders/orders.js';

export type Notification =
  { kind: 'order'; orderId: string } | { kind: 'probe'; probeId: string };

/** What the payload says, or undefined when it is neither kind. */
export function parseNotification(payload: string | undefined): Notification | undefined {
  if (payload === undefined || payload === '') {
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
  if (isOrderId(fields.order_id)) {
    return { kind: 'order', orderId: fields.order_id.toLowerCase() };
  }
  if (typeof fields.probe === 'string' && fields.probe !== '') {
    return { kind: 'probe', probeId: fields.probe };
  }
  return undefined;
}
