/**
 * `make reconcile`: one reconciliation pass by hand, then exit. It asks
 * Stripe for the events settle's ledger lacks and looks up the PENDING orders
 * older than RECONCILE_PENDING_AFTER_MS, as a running settle does on its
 * interval. Orders it settles wake their streams on every settle process,
 * through the same trigger as a webhook.
 *
 * Needs DATABASE_URL (the database settle uses) and STRIPE_SECRET_KEY.
 */
import { readConfig, type Config } from '../config.js';
import { createDatabase } from '../db/database.js';
import { migrate } from '../db/migrate.js';
import { ConfigError } from '../errors.js';
import { createLogger } from '../logger.js';
import { createStripeClient } from '../stripe/client.js';
import { confirmWithStripe } from '../stripe/confirm.js';
import { createReconciler } from '../stripe/reconciler.js';
import type { StripeEvent } from '../stripe/verify.js';
import { handleStripeEvent } from '../stripe/webhook.js';

const config = readConfigOrExit();
const stripe = createStripeClient(config);
if (config.databaseUrl === undefined || stripe === undefined) {
  console.error('reconcile: needs DATABASE_URL and STRIPE_SECRET_KEY');
  process.exit(2);
}

const logger = createLogger({ level: config.logLevel, name: 'settle-reconcile' });
const database = createDatabase({
  connectionString: config.databaseUrl,
  applicationName: 'settle-reconcile',
  statementTimeoutMs: config.databaseStatementTimeoutMs,
  logger,
});
const confirm = config.stripeVerifyWithApi
  ? (event: StripeEvent) => confirmWithStripe(stripe, event, logger)
  : undefined;
const reconciler = createReconciler({
  db: database.db,
  stripe,
  handleEvent: (event) =>
    handleStripeEvent(database.db, event, {
      logger,
      expectedLivemode: config.stripeLivemode,
      ...(confirm === undefined ? {} : { confirm }),
    }),
  lookbackDays: config.reconcileLookbackDays,
  pendingAfterMs: config.reconcilePendingAfterMs,
  intervalMs: 0,
  logger,
});

try {
  await migrate(database.pool, logger);
  const summary = await reconciler.runOnce();
  console.log(JSON.stringify(summary));
  if (summary.errors.length > 0) {
    process.exitCode = 1;
  }
} catch (error) {
  logger.fatal({ err: error }, 'reconciliation failed');
  process.exitCode = 1;
} finally {
  await reconciler.close();
  await database.close();
}

/** settle's own configuration, as `make start` reads it; a bad value is named. */
function readConfigOrExit(): Config {
  try {
    return readConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`reconcile: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
}
