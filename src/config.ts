/**
 * settle's configuration, read once from the environment at start-up.
 *
 * Every variable is checked here, and a bad one stops the start with a
 * message that names it. The result is frozen: nothing else reads
 * `process.env`.
 */
import { readBoolean, readHttpUrl, readInteger, readOptional } from './env.js';
import { ConfigError } from './errors.js';
import { readAuth, readStripeSecretKey, readWebhookSecrets } from './secrets.js';

export {
  DEVELOPMENT_JWT_SECRET,
  DEVELOPMENT_WAIT_TOKEN_SECRET,
  DEVELOPMENT_WEBHOOK_SECRET,
} from './secrets.js';

export type Environment = 'development' | 'test' | 'production';

export interface Config {
  readonly environment: Environment;
  readonly host: string;
  /** 0 asks the operating system for a free port (tests do). */
  readonly port: number;
  /** Undefined in development and tests: settle starts an embedded PostgreSQL. */
  readonly databaseUrl: string | undefined;
  /**
   * Where the listener connects, when not DATABASE_URL: LISTEN needs a
   * session, so with a pooler in transaction mode it must bypass the pooler.
   */
  readonly listenDatabaseUrl: string | undefined;
  readonly databasePoolSize: number;
  /** Bounds every query, lock waits included: one hot row cannot hold the pool. */
  readonly databaseStatementTimeoutMs: number;
  /** One or more signing secrets; an event verified by any of them is accepted. */
  readonly stripeWebhookSecrets: readonly string[];
  readonly usesDevelopmentWebhookSecret: boolean;
  /** Lets settle call Stripe (create payments, reconcile); undefined: it never does. */
  readonly stripeSecretKey: string | undefined;
  /** The key's mode: an event of the other mode settles nothing. */
  readonly stripeLivemode: boolean | undefined;
  /** Another address for Stripe's API (a local stand-in); undefined: Stripe's. */
  readonly stripeApiBase: string | undefined;
  /** Where Checkout sends the customer back; {ORDER_ID} is replaced. */
  readonly checkoutSuccessUrl: string;
  readonly checkoutCancelUrl: string;
  /** Read the object from Stripe's API before settling, over the event's snapshot. */
  readonly stripeVerifyWithApi: boolean;
  /** How often the reconciler asks Stripe for missed events; 0: never on its own. */
  readonly reconcileIntervalMs: number;
  /** How far back it looks (Stripe keeps events for 30 days). */
  readonly reconcileLookbackDays: number;
  /** A PENDING order older than this is looked up by its stored Stripe ids. */
  readonly reconcilePendingAfterMs: number;
  readonly webhookBodyLimitBytes: number;
  readonly streamTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly reconnectDelayMs: number;
  readonly listenerCheckIntervalMs: number;
  /** A check slower than this counts as a lost connection (half-open). */
  readonly listenerCheckTimeoutMs: number;
  /** How often every waited-for order is read again, notification or not. */
  readonly backstopIntervalMs: number;
  /** Open streams per process; past it, new streams get 503. */
  readonly maxStreams: number;
  /** Open streams per order; past it, new streams for that order get 429. */
  readonly maxStreamsPerOrder: number;
  /** How long the start-up NOTIFY may take to reach the listener. */
  readonly startupProbeTimeoutMs: number;
  /** How long a stop may take before the process exits anyway. */
  readonly shutdownTimeoutMs: number;
  readonly logLevel: string;
  /** Verifies users' bearer tokens (HS256); or see authJwksUrl. */
  readonly authJwtSecret: string | undefined;
  /** An identity provider's JWKS, for its RS256/ES256 tokens. */
  readonly authJwksUrl: string | undefined;
  readonly authJwtIssuer: string | undefined;
  readonly authJwtAudience: string | undefined;
  readonly usesDevelopmentAuthSecrets: boolean;
  /** Signs the per-order wait tokens that `?token=` carries (HS256). */
  readonly waitTokenSecret: string;
  readonly waitTokenTtlSeconds: number;
  /** Origins a browser may call settle from; empty: no CORS headers. */
  readonly corsOrigins: readonly string[];
  /** Where the embedded PostgreSQL keeps its files; undefined picks a default. */
  readonly embeddedDataDir: string | undefined;
}

/** Checkout's way back to the demo page, outside production. */
const DEVELOPMENT_RETURN_URL = 'http://127.0.0.1:3000/#order={ORDER_ID}';

const ONE_MIB = 1024 * 1024;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const environment = readEnvironment(env);
  const isProduction = environment === 'production';

  const databaseUrl = readOptional(env, 'DATABASE_URL');
  if (databaseUrl === undefined && isProduction) {
    throw new ConfigError(
      'DATABASE_URL',
      'is required in production (the embedded PostgreSQL is for development and tests)',
    );
  }
  if (databaseUrl !== undefined) {
    checkDatabaseUrl('DATABASE_URL', databaseUrl);
  }
  const listenDatabaseUrl = readOptional(env, 'LISTEN_DATABASE_URL');
  if (listenDatabaseUrl !== undefined) {
    checkDatabaseUrl('LISTEN_DATABASE_URL', listenDatabaseUrl);
  }

  const secrets = readWebhookSecrets(env, isProduction);
  const stripeSecretKey = readStripeSecretKey(env);
  if (isProduction && stripeSecretKey !== undefined) {
    for (const name of ['CHECKOUT_SUCCESS_URL', 'CHECKOUT_CANCEL_URL']) {
      if (readOptional(env, name) === undefined) {
        throw new ConfigError(name, 'is required in production with STRIPE_SECRET_KEY');
      }
    }
  }
  if (readBoolean(env, 'STRIPE_VERIFY_WITH_API') && stripeSecretKey === undefined) {
    throw new ConfigError('STRIPE_VERIFY_WITH_API', 'needs STRIPE_SECRET_KEY');
  }
  const auth = readAuth(env, isProduction);

  return Object.freeze({
    environment,
    host: readOptional(env, 'HOST') ?? (isProduction ? '0.0.0.0' : '127.0.0.1'),
    port: readInteger(env, 'PORT', 3000, { min: 0, max: 65535 }),
    databaseUrl,
    listenDatabaseUrl,
    databasePoolSize: readInteger(env, 'DATABASE_POOL_SIZE', 10, { min: 1, max: 500 }),
    databaseStatementTimeoutMs: readInteger(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 5_000, {
      min: 100,
      max: 600_000,
    }),
    stripeWebhookSecrets: Object.freeze(secrets.values),
    usesDevelopmentWebhookSecret: secrets.isDevelopmentDefault,
    stripeSecretKey,
    stripeApiBase: readHttpUrl(env, 'STRIPE_API_BASE'),
    checkoutSuccessUrl:
      readHttpUrl(env, 'CHECKOUT_SUCCESS_URL') ?? DEVELOPMENT_RETURN_URL,
    checkoutCancelUrl: readHttpUrl(env, 'CHECKOUT_CANCEL_URL') ?? DEVELOPMENT_RETURN_URL,
    stripeLivemode:
      stripeSecretKey === undefined ? undefined : stripeSecretKey.includes('_live_'),
    stripeVerifyWithApi: readBoolean(env, 'STRIPE_VERIFY_WITH_API'),
    reconcileIntervalMs: readInteger(env, 'RECONCILE_INTERVAL_MS', 600_000, {
      min: 0,
      max: 86_400_000,
    }),
    reconcileLookbackDays: readInteger(env, 'RECONCILE_LOOKBACK_DAYS', 3, {
      min: 1,
      max: 30,
    }),
    reconcilePendingAfterMs: readInteger(env, 'RECONCILE_PENDING_AFTER_MS', 900_000, {
      min: 0,
      max: 30 * 86_400_000,
    }),
    webhookBodyLimitBytes: readInteger(env, 'WEBHOOK_BODY_LIMIT_BYTES', ONE_MIB, {
      min: 1024,
      max: 64 * ONE_MIB,
    }),
    streamTimeoutMs: readInteger(env, 'STREAM_TIMEOUT_MS', 60_000, {
      min: 1,
      max: 3_600_000,
    }),
    heartbeatIntervalMs: readInteger(env, 'HEARTBEAT_INTERVAL_MS', 15_000, {
      min: 10,
      max: 300_000,
    }),
    reconnectDelayMs: readInteger(env, 'RECONNECT_DELAY_MS', 3_000, {
      min: 0,
      max: 600_000,
    }),
    listenerCheckIntervalMs: readInteger(env, 'LISTENER_CHECK_INTERVAL_MS', 10_000, {
      min: 50,
      max: 3_600_000,
    }),
    listenerCheckTimeoutMs: readInteger(env, 'LISTENER_CHECK_TIMEOUT_MS', 5_000, {
      min: 50,
      max: 600_000,
    }),
    backstopIntervalMs: readInteger(env, 'BACKSTOP_INTERVAL_MS', 30_000, {
      min: 50,
      max: 3_600_000,
    }),
    maxStreams: readInteger(env, 'MAX_STREAMS', 20_000, { min: 1, max: 1_000_000 }),
    maxStreamsPerOrder: readInteger(env, 'MAX_STREAMS_PER_ORDER', 10, {
      min: 1,
      max: 10_000,
    }),
    startupProbeTimeoutMs: readInteger(env, 'STARTUP_PROBE_TIMEOUT_MS', 5_000, {
      min: 10,
      max: 600_000,
    }),
    shutdownTimeoutMs: readInteger(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, {
      min: 100,
      max: 600_000,
    }),
    logLevel: readLogLevel(env),
    ...auth,
    waitTokenTtlSeconds: readInteger(env, 'WAIT_TOKEN_TTL_S', 900, {
      min: 10,
      max: 86_400,
    }),
    corsOrigins: Object.freeze(readCorsOrigins(env)),
    embeddedDataDir: readOptional(env, 'EMBEDDED_PG_DATA_DIR'),
  });
}

function readEnvironment(env: NodeJS.ProcessEnv): Environment {
  const value = readOptional(env, 'NODE_ENV') ?? 'development';
  if (value !== 'development' && value !== 'test' && value !== 'production') {
    throw new ConfigError(
      'NODE_ENV',
      `must be development, test or production, got "${value}"`,
    );
  }
  return value;
}

function readCorsOrigins(env: NodeJS.ProcessEnv): string[] {
  const origins = (readOptional(env, 'CORS_ORIGINS') ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  for (const origin of origins) {
    if (!/^https?:\/\/[^/]+$/.test(origin)) {
      throw new ConfigError(
        'CORS_ORIGINS',
        `"${origin}" is not an origin (scheme://host[:port], no path)`,
      );
    }
  }
  return origins;
}

function checkDatabaseUrl(name: string, value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, 'is not a URL (postgres://user@host:port/db)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(
      name,
      `must start with postgres:// or postgresql://, got ${url.protocol}//`,
    );
  }
}

function readLogLevel(env: NodeJS.ProcessEnv): string {
  const value = readOptional(env, 'LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(value)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  }
  return value;
}
