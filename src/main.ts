/**
 * The settle process: read the configuration, start the database when it is
 * embedded, start settle, and stop it all on SIGINT or SIGTERM.
 */
import { readConfig, type Config } from './config.js';
import {
  DEVELOPMENT_DATABASE_NAME,
  developmentDataDir,
  ensureDatabase,
  startDevelopmentServer,
} from './db/development.js';
import type { EmbeddedPostgres } from './db/embedded.js';
import { ConfigError } from './errors.js';
import { createLogger, type Logger } from './logger.js';
import { startSettle } from './settle.js';

async function main(): Promise<void> {
  const config = readConfigOrExit();
  const logger = createLogger({
    level: config.logLevel,
    // JSON for log collectors; readable lines for a developer's terminal.
    pretty: process.stdout.isTTY === true && config.environment !== 'production',
  });
  if (config.usesDevelopmentWebhookSecret) {
    logger.warn(
      'STRIPE_WEBHOOK_SECRET is not set: using the public development secret ' +
        '(only for development; events signed by Stripe will not verify)',
    );
  }

  if (config.usesDevelopmentAuthSecrets) {
    logger.warn(
      'AUTH_JWT_SECRET/AUTH_JWKS_URL or WAIT_TOKEN_SECRET is not set: using public ' +
        'development secrets (anyone can sign tokens; never in production)',
    );
  }

  let embedded: EmbeddedPostgres | undefined;
  let settle: Awaited<ReturnType<typeof startSettle>> | undefined;
  const stop = async (signal: string) => {
    logger.info({ signal, timeoutMs: config.shutdownTimeoutMs }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error('shutdown took longer than SHUTDOWN_TIMEOUT_MS; exiting anyway');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    deadline.unref();

    await settle?.close();
    await embedded?.stop();
    logger.info('stopped');
  };
  onShutdownSignal(stop, logger);

  try {
    let databaseUrl = config.databaseUrl;
    if (databaseUrl === undefined) {
      const dataDir = await developmentDataDir(config.embeddedDataDir, logger);
      embedded = await startDevelopmentServer(dataDir, logger);
      databaseUrl = await ensureDatabase(embedded.url, DEVELOPMENT_DATABASE_NAME);
    }
    settle = await startSettle({ config, databaseUrl, logger });
  } catch (error) {
    logger.fatal({ err: error }, 'settle could not start');
    await embedded?.stop().catch(() => undefined);
    process.exit(1);
  }
}

function readConfigOrExit(): Config {
  try {
    return readConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      createLogger({ level: 'info' }).fatal(
        { variable: error.variable },
        `invalid configuration: ${error.message}`,
      );
      process.exit(1);
    }
    throw error;
  }
}

/** settle owns SIGINT, SIGTERM and SIGHUP: the first starts a clean stop. */
function onShutdownSignal(stop: (signal: string) => Promise<void>, logger: Logger): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (stopping) {
        return;
      }
      stopping = true;
      stop(signal).then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
}

await main();
