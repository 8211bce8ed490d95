/**
 * Migrations: each file once, in order, whoever runs them and however often.
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';

import { migrate, MigrationChecksumError, SQL_DIRECTORY } from '../src/db/migrate.js';
import { createLogger } from '../src/logger.js';
import {
  createTestDatabase,
  createTestPool,
  type TestDatabase,
} from './helpers/database.js';

const run = promisify(execFile);
const logger = createLogger({ level: 'silent' });
const sqlFiles = readdirSync(SQL_DIRECTORY)
  .filter((name) => name.endsWith('.sql'))
  .sort();

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup();
  }
});

async function freshDatabase(): Promise<{ database: TestDatabase; pool: pg.Pool }> {
  const database = await createTestDatabase();
  const pool = createTestPool(database.url);
  cleanups.push(
    () => database.drop(),
    () => pool.end(),
  );
  return { database, pool };
}

async function schemaOf(pool: pg.Pool) {
  const tables = await pool.query(
    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
  );
  const applied = await pool.query('SELECT name FROM settle_migrations ORDER BY name');
  const triggers = await pool.query(
    'SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname',
  );
  return {
    tables: tables.rows.map((row) => row.tablename),
    applied: applied.rows.map((row) => row.name),
    triggers: triggers.rows.map((row) => row.tgname),
  };
}

const EXPECTED_SCHEMA = {
  tables: ['order_status_history', 'orders', 'settle_migrations', 'stripe_events'],
  applied: sqlFiles,
  triggers: [
    'orders_enforce_status_rules',
    'orders_notify_outcome',
    'orders_status_history',
    'stripe_events_remember_id',
  ],
};

describe('migrations', () => {
  it('apply every file once, and nothing on a second run', async () => {
    const { pool } = await freshDatabase();

    const first = await migrate(pool, logger);
    const second = await migrate(pool, logger);

    expect(first.applied).toEqual(sqlFiles);
    expect(second).toEqual({ applied: [], alreadyApplied: sqlFiles.length });
    expect(await schemaOf(pool)).toEqual(EXPECTED_SCHEMA);
  });

  it('leave one schema when two processes start them at once', async () => {
    const { database, pool } = await freshDatabase();
    const migrateInChild = () =>
      run(process.execPath, ['--import', 'tsx', 'src/cli/migrate.ts'], {
        env: { ...process.env, DATABASE_URL: database.url, LOG_LEVEL: 'info' },
      });

    const [first, second] = await Promise.all([migrateInChild(), migrateInChild()]);

    const appliedCounts = [first, second].map(
      (child) => JSON.parse(child.stdout.trim().split('\n').at(-1)!).applied.length,
    );
    expect(appliedCounts.sort()).toEqual([0, sqlFiles.length]);
    expect(await schemaOf(pool)).toEqual(EXPECTED_SCHEMA);
  });

  it('refuse to start when an applied file was edited afterwards', async () => {
    const { pool } = await freshDatabase();
    await migrate(pool, logger);
    await pool.query("UPDATE settle_migrations SET checksum = 'edited' WHERE name = $1", [
      sqlFiles[0],
    ]);

    await expect(migrate(pool, logger)).rejects.toBeInstanceOf(MigrationChecksumError);
  });
});
