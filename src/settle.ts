/**
 * A running settle: database, migrations, listener, then HTTP, started in
 * that order and closed in reverse. main.ts runs one per process; the tests
 * run one per test file, on an ephemeral port.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Config } from './config.js';
import { createDatabase, type SettleDatabase } from './db/database.js';
import { migrate } from './db/migrate.js';
import { createApp } from './http/app.js';
import type { Logger } from './logger.js';
import { createMetrics } from './metrics.js';
import { createStripeClient } from './stripe/client.js';
import { confirmWithStripe } from './stripe/confirm.js';
import { createReconciler, type Reconciler } from './stripe/reconciler.js';
import type { StripeEvent } from './stripe/verify.js';
import { handleStripeEvent } from './stripe/webhook.js';
import {
  createOutcomeListener,
  OUTCOME_CHANNEL,
  type OutcomeListener,
} from './notify/listener.js';
import { WaiterRegistry } from './notify/waiters.js';
import { readOutcomes } from './orders/outcomes.js';

export interface Settle {
  /** http://host:port of the HTTP server. */
  readonly url: string;
  readonly port: number;
  readonly database: SettleDatabase;
  readonly waiters: WaiterRegistry;
  readonly listener: OutcomeListener;
  /** Undefined without STRIPE_SECRET_KEY. */
  readonly reconciler: Reconciler | undefined;
  /** Stops taking connections, ends open streams, then closes the rest. */
  close(): Promise<void>;
}

export interface StartOptions {
  config: Config;
  databaseUrl: string;
  logger: Logger;
}

const APPLICATION_NAME = 'settle';
const LISTENER_APPLICATION_NAME = 'settle-listener';
/**
 * How long a client may take to send a whole request (Node's default is five
 * minutes). A stream's response may last far longer: this bounds only the
 * request, so a slow sender cannot hold a connection.
 */
const REQUEST_TIMEOUT_MS = 30_000;
const HEADERS_TIMEOUT_MS = 10_000;

export async function startSettle(options: StartOptions): Promise<Settle> {
  const { config, databaseUrl, logger } = options;
  const closers: Array<() => Promise<void>> = [];
  const closeStarted = async () => {
    for (const close of [...closers].reverse()) {
      await close();
    }
  };

  try {
    const database = createDatabase({
      connectionString: databaseUrl,
      applicationName: APPLICATION_NAME,
      maxConnections: config.databasePoolSize,
      statementTimeoutMs: config.databaseStatementTimeoutMs,
      logger,
    });
    closers.push(() => database.close());
    await migrate(database.pool, logger);

    const waiters = new WaiterRegistry();
    const metrics = createMetrics({
      openStreams: () => waiters.size,
      waitedOrders: () => waiters.orderCount,
    });
    const listener = createOutcomeListener({
      connectionString: config.listenDatabaseUrl ?? databaseUrl,
      applicationName: LISTENER_APPLICATION_NAME,
      waiters,
      readOutcomes: (orderIds) => readOutcomes(database.db, orderIds),
      checkIntervalMs: config.listenerCheckIntervalMs,
      checkTimeoutMs: config.listenerCheckTimeoutMs,
      backstopIntervalMs: config.backstopIntervalMs,
      logger: logger.child({ component: 'listener' }),
      observer: {
        notification: (kind) => metrics.notifications.inc({ kind }),
        reconnected: () => metrics.listenerReconnects.inc(),
        woke: (count) => metrics.wakeups.inc(count),
      },
    });
    await listener.start();
    closers.push(() => listener.close());
    await listener.proveDelivery(
      (payload) =>
        database.pool.query('SELECT pg_notify($1, $2)', [OUTCOME_CHANNEL, payload]),
      config.startupProbeTimeoutMs,
    );

    const stripe = createStripeClient(config);
    const confirm =
      stripe !== undefined && config.stripeVerifyWithApi
        ? (event: StripeEvent) => confirmWithStripe(stripe, event, logger)
        : undefined;
    const handleEvent = async (event: StripeEvent, eventLogger = logger) => {
      const result = await handleStripeEvent(database.db, event, {
        logger: eventLogger,
        expectedLivemode: config.stripeLivemode,
        beforeRecording: (orderId) => waiters.markCommitting(orderId),
        onRecorded: ({ disposition, reason }) =>
          metrics.stripeEvents.inc({ disposition, reason: reason ?? 'none' }),
        ...(confirm === undefined ? {} : { confirm }),
      });
      // The statement has committed and returned the outcome: this instance's
      // streams need not wait for the notification and a read of the row.
      // Other instances hear of it through NOTIFY, as always.
      if (result.applied !== undefined) {
        metrics.wakeups.inc(waiters.resolve(result.applied));
      }
      return result;
    };
    const app = createApp({
      config,
      db: database.db,
      waiters,
      listener,
      metrics,
      stripe,
      handleStripeEvent: handleEvent,
      logger,
    });
    const server = http.createServer(
      { requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: HEADERS_TIMEOUT_MS },
      app.callback(),
    );
    await listen(server, config.port, config.host);
    closers.push(() => closeServer(server, waiters, config.shutdownTimeoutMs / 2));

    const { port } = server.address() as AddressInfo;
    const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
    logger.info({ url }, 'settle listening');

    const reconciler =
      stripe === undefined
        ? undefined
        : createReconciler({
            db: database.db,
            stripe,
            handleEvent,
            lookbackDays: config.reconcileLookbackDays,
            pendingAfterMs: config.reconcilePendingAfterMs,
            intervalMs: config.reconcileIntervalMs,
            logger: logger.child({ component: 'reconciler' }),
          });
    reconciler?.start();
    if (reconciler !== undefined) {
      closers.push(() => reconciler.close());
    }

    let closing: Promise<void> | undefined;
    return {
      url,
      port,
      database,
      waiters,
      listener,
      reconciler,
      close() {
        closing ??= closeStarted();
        return closing;
      },
    };
  } catch (error) {
    await closeStarted();
    throw error;
  }
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Stops accepting, tells every waiting stream to reconnect elsewhere, lets
 * requests in flight (a webhook committing) finish, and drops the connections
 * left idle. One still busy after `graceMs` is cut.
 */
function closeServer(
  server: http.Server,
  waiters: WaiterRegistry,
  graceMs: number,
): Promise<void> {
  return new Promise((resolve) => {
    const forceTimer = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearTimeout(forceTimer);
      resolve();
    });
    waiters.closeAll();
    // The streams just ended leave keep-alive connections idle a tick later.
    setImmediate(() => server.closeIdleConnections());
  });
}
