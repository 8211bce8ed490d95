/**
 * `make migrate`: applies sql/ to DATABASE_URL and exits. settle also
 * migrates at every start; this is for a deploy step that runs it first.
 */
import { createDatabase } from '../db/database.js';
import { migrate } from '../db/migrate.js';
import { createLogger } from '../logger.js';

const databaseUrl = process.env.DATABASE_URL;
if (databaseUrl === undefined || databaseUrl === '') {
  console.error('migrate: DATABASE_URL is not set');
  process.exit(2);
}

const logger = createLogger({
  level: process.env.LOG_LEVEL ?? 'info',
  name: 'settle-migrate',
});
const database = createDatabase({
  connectionString: databaseUrl,
  applicationName: 'settle-migrate',
  logger,
});
try {
  await migrate(database.pool, logger);
} catch (error) {
  logger.fatal({ err: error }, 'migration failed');
  process.exitCode = 1;
} finally {
  await database.close();
}
