/**
 * The one LISTEN connection of a settle process.
 *
 * It listens on the outcome channel and wakes the waiters of the order each
 * notification names. A notification is a hint, not the news: the order is
 * read from the table before any waiter hears of it (see wakeups.ts).
 *
 * NOTIFY makes settle fast; these make it correct when a notification is lost:
 * - after every reconnect, every order that has waiters is read again, in one
 *   query (PostgreSQL keeps no notification for a listener that is away);
 * - a backstop reads them all again every `backstopIntervalMs`, one query per
 *   interval, however many streams wait;
 * - a check query every `checkIntervalMs`, which must answer within
 *   `checkTimeoutMs`, finds a half-open connection and replaces it.
 *
 * pg-listen keeps the connection; its defaults do not fit settle, so:
 * - its JSON parsing is replaced by ours (it would report a bad payload on
 *   the same `error` event as a lost connection), so junk is logged and
 *   ignored;
 * - it would stop reconnecting after 3 s; we retry with a capped backoff for
 *   as long as the process lives.
 */
import { randomUUID } from 'node:crypto';
import pgListen, { type Subscriber } from 'pg-listen';

import type { Logger } from '../logger.js';
import type { OrderOutcome } from '../orders/outcomes.js';
import { parseNotification } from './payload.js';
import type { WaiterRegistry } from './waiters.js';
import { createWakeups } from './wakeups.js';

/** Must match the channel in sql/003_order_outcome_notify.sql. */
export const OUTCOME_CHANNEL = 'settle_order_outcomes';

// pg-listen is CommonJS: at run time its default import is the factory, which
// also carries itself as `.default`; its types only know the latter.
const createSubscriber = pgListen.default;

const FIRST_RETRY_DELAY_MS = 100;
const MAX_RETRY_DELAY_MS = 5_000;
const WAKEUP_RETRY_DELAY_MS = 1_000;
const KEEPALIVE_IDLE_MS = 10_000;
/** Logged payloads are cut: a NOTIFY payload may be up to 8000 bytes. */
const LOGGED_PAYLOAD_CHARS = 200;

export interface OutcomeListenerOptions {
  connectionString: string;
  /** Shown in pg_stat_activity, so a DBA can find this connection. */
  applicationName: string;
  waiters: WaiterRegistry;
  readOutcomes: (orderIds: readonly string[]) => Promise<OrderOutcome[]>;
  checkIntervalMs: number;
  checkTimeoutMs: number;
  backstopIntervalMs: number;
  logger: Logger;
  /** For metrics: what the listener saw and did. */
  observer?: ListenerObserver;
}

export interface ListenerObserver {
  notification(kind: 'order' | 'probe' | 'malformed'): void;
  reconnected(): void;
  /** Waiters woken with an outcome by one read. */
  woke(count: number): void;
}

export interface OutcomeListener {
  /** Connects and LISTENs; rejects when the database cannot be reached. */
  start(): Promise<void>;
  /**
   * Sends one notification through `notify` (another connection) and waits
   * for it here; rejects with ListenerProbeError when it does not arrive.
   */
  proveDelivery(
    notify: (payload: string) => Promise<unknown>,
    timeoutMs: number,
  ): Promise<void>;
  close(): Promise<void>;
  /** True while connected and listening. */
  readonly isListening: boolean;
}

export class ListenerProbeError extends Error {
  constructor(timeoutMs: number) {
    super(
      `a NOTIFY sent through the pool did not reach the listener within ${timeoutMs} ms: ` +
        'LISTEN cannot work through a pooler in transaction mode, and a listener ' +
        'on another database than the pool hears nothing; point LISTEN_DATABASE_URL ' +
        '(or DATABASE_URL) at the same database, on PostgreSQL or a session-mode pooler',
    );
    this.name = 'ListenerProbeError';
  }
}

export function createOutcomeListener(options: OutcomeListenerOptions): OutcomeListener {
  const { waiters, logger } = options;
  let listening = false;
  let started = false;
  let closed = false;
  let backstop: NodeJS.Timeout | undefined;
  const probes = new Map<string, () => void>();

  const subscriber: Subscriber = createSubscriber(
    {
      connectionString: options.connectionString,
      application_name: options.applicationName,
      // Bounds the periodic check, so a half-open connection fails it, and
      // each reconnect attempt, which would otherwise hang on a dead path
      // until the server's authentication_timeout or the kernel gives up.
      query_timeout: options.checkTimeoutMs,
      connectionTimeoutMillis: options.checkTimeoutMs,
      keepAliveInitialDelayMillis: KEEPALIVE_IDLE_MS,
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
  const wakeups = createWakeups({
    waiters,
    readOutcomes: options.readOutcomes,
    retryDelayMs: WAKEUP_RETRY_DELAY_MS,
    logger,
    ...(options.observer === undefined ? {} : { onWoken: options.observer.woke }),
  });

  subscriber.notifications.on(OUTCOME_CHANNEL, (payload: unknown) => {
    const text = typeof payload === 'string' ? payload : undefined;
    const notification = parseNotification(text);
    if (notification === undefined) {
      options.observer?.notification('malformed');
      logger.warn(
        { payload: text?.slice(0, LOGGED_PAYLOAD_CHARS), bytes: text?.length ?? 0 },
        'ignored malformed notification',
      );
      return;
    }

    options.observer?.notification(notification.kind);
    if (notification.kind === 'probe') {
      probes.get(notification.probeId)?.();
      return;
    }
    logger.debug({ orderId: notification.orderId }, 'outcome notification');
    wakeups.request([notification.orderId]);
  });

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
    options.observer?.reconnected();
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
      backstop = setInterval(
        () => wakeups.request(waiters.orderIds()),
        options.backstopIntervalMs,
      );
      logger.info({ channel: OUTCOME_CHANNEL }, 'listener started');
    },

    async proveDelivery(notify, timeoutMs) {
      const probeId = randomUUID();
      let timer: NodeJS.Timeout | undefined;
      const arrived = new Promise<void>((resolve, reject) => {
        probes.set(probeId, resolve);
        timer = setTimeout(() => reject(new ListenerProbeError(timeoutMs)), timeoutMs);
      });

      try {
        await notify(JSON.stringify({ probe: probeId }));
        await arrived;
      } finally {
        clearTimeout(timer);
        probes.delete(probeId);
      }
      logger.info('notification path proven');
    },

    async close() {
      if (closed) {
        return;
      }
      closed = true;
      listening = false;
      clearInterval(backstop);
      wakeups.close();

      subscriber.notifications.removeAllListeners(OUTCOME_CHANNEL);
      await subscriber.close().then(
        () => logger.info('listener closed'),
        (error: unknown) => logger.warn({ err: error }, 'listener close failed'),
      );
    },
  };
}
