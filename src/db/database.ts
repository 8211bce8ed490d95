/**
 * The connection pool and the kysely instance over it.
 */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';

import type { Logger } from '../logger.js';
import type { Database } from './schema.js';

export interface SettleDatabase {
  readonly pool: pg.Pool;
  readonly db: Kysely<Database>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  connectionString: string;
  /** Shown in pg_stat_activity, so a DBA can tell settle's connections apart. */
  applicationName: string;
  maxConnections?: number;
  /** Ends a query, or its wait for a lock, after this long. */
  statementTimeoutMs?: number;
  logger: Logger;
}

const DEFAULT_MAX_CONNECTIONS = 10;
const CONNECT_TIMEOUT_MS = 5_000;

export function createDatabase(options: DatabaseOptions): SettleDatabase {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    application_name: options.applicationName,
    max: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    ...(options.statementTimeoutMs === undefined
      ? {}
      : { statement_timeout: options.statementTimeoutMs }),
    keepAlive: true,
  });
  // A client that loses its connection emits 'error'. The pool listens only
  // while a client is idle; a checked-out one (mid-transaction) would crash the
  // process with nobody listening. Its query fails on its own, so logging is
  // all that is left to do. Only the message and code: pg hangs the whole
  // client on some errors.
  const logLostConnection = (error: Error & { code?: string }) => {
    const { message, code } = error;
    options.logger.warn({ error: { message, code } }, 'database connection lost');
  };
  pool.on('error', logLostConnection);
  pool.on('connect', (client) => {
    client.on('error', logLostConnection);
  });

  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });

  let closing: Promise<void> | undefined;
  return {
    pool,
    db,
    close() {
      closing ??= (async () => {
        await db.destroy();
        // kysely ends the pool only if it ever used it; migrations use the pool
        // directly, so end it here too, or its idle clients hold the process.
        if (!pool.ended) {
          await pool.end();
        }
      })();
      return closing;
    },
  };
}
