/**
 * The one LISTEN connection of a settle process.
 *
 * It listens on the outcome channel and wakes the waiters of the order each
 * notification names. pg-listen keeps the connection; its defaults do not fit
 * settle, so they are set here:
 * - it would parse payloads as JSON and report a bad one on the same `error`
 *   event as a lost connection; we take the raw text and check it ourselves,
 *   so junk on the channel is logged and ignored;
 * - it would stop reconnecting after 3 s; we retry with a capped backoff for
 *   as long as the process lives.
 * A notification is a hint, not the news: the order is read from the table
 * before any waiter hears of it (see wakeups.ts). Notifications sent while the
 * connection is down are lost (PostgreSQL keeps none for a listener that is
 * not there), so after every reconnect all orders that have waiters are read
 * again, in one query.
 */
import pgListen, { type Subscriber } from 'pg-listen';

import type { Logger } from '../logger.js';
import type { OrderOutcome } from '../orders/outcomes.js';
import { parseOutcomePayload } from './payload.js';
import type { WaiterRegistry } from './waiters.js';
import { createWakeups } from './wakeups.js';

/** Must match the channel in sql/003_order_outcome_notify.sql. */
export const OUTCOME_CHANNEL = 'settle_order_outcomes';

// pg-listen is CommonJS: at run time its default import is the factory, which
// also carries itself as `.default`; its types only know the latter.
const createSubscriber = pgListen.default;

const FIRST_RETRY_DELAY_MS = 100;
const WAKEUP_RETRY_DELAY_MS = 1_000;
const MAX_RETRY_DELAY_MS = 5_000;
/** Logged payloads are cut: a NOTIFY payload may be up to 8000 bytes. */
const LOGGED_PAYLOAD_CHARS = 200;

export interface OutcomeListenerOptions {
  connectionString: string;
  /** Shown in pg_stat_activity, so a DBA can find this connection. */
  applicationName: string;
  waiters: WaiterRegistry;
  readOutcomes: (orderIds: readonly string[]) => Promise<OrderOutcome[]>;
  /** How often a trivial query checks that the connection still answers. */
  checkIntervalMs: number;
  logger: Logger;
}

export interface OutcomeListener {
  /** Connects and LISTENs; rejects when the database cannot be reached. */
  start(): Promise<void>;
  close(): Promise<void>;
  /** True while connected and listening. */
  readonly isListening: boolean;
}

export function createOutcomeListener(options: OutcomeListenerOptions): OutcomeListener {
  const { waiters, logger } = options;
  const subscriber: Subscriber = createSubscriber(
    {
      connectionString: options.connectionString,
      application_name: options.applicationName,
    },
    {
      parse: (text: string) => text,
      paranoidChecking: options.checkIntervalMs,
      retryInterval: (attempt: number) => {
        // pg-listen 1.7 goes on reconnecting after close(); throwing here is
        // the one way to end its retry loop.
        if (closed) {
          throw new Error('listener closed');
        }
        return Math.min(FIRST_RETRY_DELAY_MS * 2 ** attempt, MAX_RETRY_DELAY_MS);
      },
      retryTimeout: Number.POSITIVE_INFINITY,
    },
  );

  let listening = false;
  let started = false;
  let closed = false;
  const wakeups = createWakeups({
    waiters,
    readOutcomes: options.readOutcomes,
    retryDelayMs: WAKEUP_RETRY_DELAY_MS,
    logger,
  });

  const onNotification = (payload: unknown) => {
    const text = typeof payload === 'string' ? payload : undefined;
    const outcome = parseOutcomePayload(text);
    if (outcome === undefined) {
      logger.warn(
        { payload: text?.slice(0, LOGGED_PAYLOAD_CHARS), bytes: text?.length ?? 0 },
        'ignored malformed notification',
      );
      return;
    }

    logger.debug({ orderId: outcome.orderId }, 'outcome notification');
    wakeups.request([outcome.orderId]);
  };

  subscriber.notifications.on(OUTCOME_CHANNEL, onNotification);
  // Stays attached after close(): pg-listen may still report the end of its
  // retry loop, and an `error` event with no listener would crash the process.
  subscriber.events.on('error', (error: Error) => {
    listening = false;
    if (!closed) {
      logger.error({ err: error }, 'listener connection error');
    }
  });
  subscriber.events.on('reconnect', (attempt: number) => {
    listening = false;
    logger.warn({ attempt }, 'listener reconnecting');
  });
  subscriber.events.on('connected', () => {
    // pg-listen says `connected` once on start, then after each reconnect
    // once it has LISTENed again.
    if (closed) {
      // A reconnect that was under way when close() ran: end that connection.
      void subscriber.close().catch(() => undefined);
      return;
    }
    if (!started) {
      return;
    }
    listening = true;
    const waitingOrders = waiters.orderIds();
    logger.info(
      { waitingOrders: waitingOrders.length },
      'listener reconnected, catching up',
    );
    wakeups.request(waitingOrders);
  });

  return {
    get isListening() {
      return listening && !closed;
    },

    async start() {
      try {
        await subscriber.connect();
        await subscriber.listenTo(OUTCOME_CHANNEL);
      } catch (error) {
        // A failed first connect still sets pg-listen's reconnect loop going.
        await this.close();
        throw error;
      }
      started = true;
      listening = true;
      logger.info({ channel: OUTCOME_CHANNEL }, 'listener started');
    },

    async close() {
      if (closed) {
        return;
      }
      closed = true;
      listening = false;
      wakeups.close();

      subscriber.notifications.removeAllListeners(OUTCOME_CHANNEL);
      await subscriber.close().catch((error: unknown) => {
        logger.warn({ err: error }, 'listener close failed');
      });
    },
  };
}
