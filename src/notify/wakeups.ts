/**
 * Turning notifications into wake-ups, checked against the orders table.
 *
 * A notification only says "look at order X": any role that can log in to
 * the database can NOTIFY on the channel, so what a client is told is always
 * read from the table, never taken from the payload. The orders named in one
 * turn of the event loop are read in one query, and an order that nobody
 * waits for is not read at all. A read that fails is tried again after a
 * delay, for the orders still waited for.
 */
import type { Logger } from '../logger.js';
import type { OrderOutcome } from '../orders/outcomes.js';
import type { WaiterRegistry } from './waiters.js';

export interface WakeupOptions {
  waiters: WaiterRegistry;
  readOutcomes: (orderIds: readonly string[]) => Promise<OrderOutcome[]>;
  retryDelayMs: number;
  logger: Logger;
  /** Called with how many waiters one read woke. */
  onWoken?: (count: number) => void;
}

export interface Wakeups {
  /** Reads these orders soon and wakes their waiters if they have news. */
  request(orderIds: Iterable<string>): void;
  /** Stops reading; a read in flight still wakes its waiters. */
  close(): void;
}

export function createWakeups(options: WakeupOptions): Wakeups {
  const { waiters, logger } = options;
  const pending = new Set<string>();
  let flushScheduled: NodeJS.Immediate | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let closed = false;

  const request = (orderIds: Iterable<string>) => {
    if (closed) {
      return;
    }
    for (const orderId of orderIds) {
      if (waiters.hasWaiters(orderId)) {
        pending.add(orderId);
      }
    }
    if (pending.size > 0 && flushScheduled === undefined) {
      flushScheduled = setImmediate(() => void flush());
    }
  };

  const flush = async () => {
    flushScheduled = undefined;
    const orderIds = [...pending];
    pending.clear();

    try {
      const outcomes = await options.readOutcomes(orderIds);
      let woken = 0;
      for (const outcome of outcomes) {
        woken += waiters.resolve(outcome);
      }
      options.onWoken?.(woken);
      logger.debug({ orders: orderIds.length, woken }, 'wake-up read');
    } catch (error) {
      logger.error({ err: error, orders: orderIds.length }, 'wake-up read failed');
      retryTimer ??= setTimeout(() => {
        retryTimer = undefined;
        request(orderIds);
      }, options.retryDelayMs);
    }
  };

  return {
    request,
    close() {
      closed = true;
      pending.clear();
      if (flushScheduled !== undefined) {
        clearImmediate(flushScheduled);
      }
      clearTimeout(retryTimer);
    },
  };
}
