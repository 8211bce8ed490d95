/**
 * The bench's PostgreSQL: DATABASE_URL's server when set, otherwise an
 * embedded one in a temp folder. Either way the run gets a fresh database
 * of its own, dropped at the end, so figures never depend on earlier rows.
 */
import pg from 'pg';

import { startEmbeddedPostgres, temporaryDataDir } from '../../src/db/embedded.js';
import { migrate } from '../../src/db/migrate.js';
import { createLogger } from '../../src/logger.js';

export interface BenchDatabase {
  /** postgres://… of the bench's own database. */
  readonly url: string;
  readonly kind: 'embedded' | 'DATABASE_URL';
  readonly version: string;
  /** A small pool for setting up rows and reading statistics. */
  readonly pool: pg.Pool;
  /** Creates PENDING orders for `owner` in one statement; returns their ids. */
  createOrders(count: number, owner: string): Promise<string[]>;
  /** Transactions committed or rolled back in the bench database so far. */
  transactionCount(): Promise<number>;
  setting(name: string): Promise<string>;
  close(): Promise<void>;
}

const logger = createLogger({ level: 'warn' });

/** Every bench order's amount; the bench's webhooks pay exactly that. */
export const BENCH_PAYMENT = { amount: 1999, currency: 'usd' };

export async function openBenchDatabase(): Promise<BenchDatabase> {
  const external = process.env.DATABASE_URL;
  const embedded =
    external === undefined || external === ''
      ? await startEmbeddedPostgres({
          dataDir: temporaryDataDir(),
          persistent: false,
          logger,
        })
      : undefined;
  const serverUrl = embedded?.url ?? external!;

  const name = `settle_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();

  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
  await migrate(pool, logger);
  const version = (await pool.query('SHOW server_version')).rows[0]
    .server_version as string;

  return {
    url: url.toString(),
    kind: embedded === undefined ? 'DATABASE_URL' : 'embedded',
    version,
    pool,
    async createOrders(count, owner) {
      const result = await pool.query(
        `INSERT INTO orders (owner, amount, currency)
         SELECT $1, $3, $4 FROM generate_series(1, $2)
         RETURNING id`,
        [owner, count, BENCH_PAYMENT.amount, BENCH_PAYMENT.currency],
      );
      return result.rows.map((row: { id: string }) => row.id);
    },
    async transactionCount() {
      const result = await pool.query(
        `SELECT xact_commit + xact_rollback AS count
         FROM pg_stat_database WHERE datname = current_database()`,
      );
      return Number(result.rows[0].count);
    },
    async setting(settingName) {
      const result = await pool.query('SELECT current_setting($1) AS value', [
        settingName,
      ]);
      return result.rows[0].value as string;
    },
    async close() {
      await pool.end();
      const cleanup = new pg.Client({ connectionString: serverUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
      await embedded?.stop();
    },
  };
}
