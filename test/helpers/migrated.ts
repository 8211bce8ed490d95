/**
 * A migrated database of its own, without a running settle, for tests of
 * the SQL itself.
 */
import pg from 'pg';

import { migrate } from '../../src/db/migrate.js';
import { createLogger } from '../../src/logger.js';
import { createTestDatabase, createTestPool, type TestDatabase } from './database.js';

export async function createMigratedDatabase(): Promise<{
  database: TestDatabase;
  pool: pg.Pool;
  close(): Promise<void>;
}> {
  const database = await createTestDatabase();
  const pool = createTestPool(database.url);
  await migrate(pool, createLogger({ level: 'silent' }));
  return {
    database,
    pool,
    async close() {
      await pool.end();
      await database.drop();
    },
  };
}
