/**
 * Applies the plain SQL files of sql/ in file-name order, each exactly once.
 *
 * The whole run holds a transaction-scoped advisory lock, so several settle
 * processes starting together queue up: the first applies what is missing,
 * the others then find nothing left to do. Applied files are recorded with a
 * checksum; a recorded file whose text has since changed stops the start, as
 * migrations only ever move forward.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type pg from 'pg';

import type { Logger } from '../logger.js';

export const SQL_DIRECTORY = fileURLToPath(new URL('../../sql/', import.meta.url));

/** Any fixed number works; it only has to be the same in every process. */
const MIGRATION_LOCK_KEY = 7_341_865_201;
const MIGRATION_FILE_PATTERN = /^\d{3}_[a-z0-9_]+\.sql$/;

export interface MigrationResult {
  applied: string[];
  alreadyApplied: number;
}

export class MigrationChecksumError extends Error {
  constructor(readonly file: string) {
    super(
      `migration ${file} was changed after it was applied; ` +
        'write a new numbered file instead of editing an applied one',
    );
    this.name = 'MigrationChecksumError';
  }
}

export async function migrate(
  pool: pg.Pool,
  logger: Logger,
  directory: string = SQL_DIRECTORY,
): Promise<MigrationResult> {
  const files = await readMigrationFiles(directory);
  const client = await pool.connect();

  try {
    await client.query('BEGIN');
    // Waiting for another process's migrations, or running a long one, is
    // not a stuck query: lift the pool's statement timeout for this run.
    await client.query('SET LOCAL statement_timeout = 0');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await ensureMigrationsTable(client);

    const recorded = await readRecordedChecksums(client);
    const applied: string[] = [];
    for (const file of files) {
      const known = recorded.get(file.name);
      if (known !== undefined) {
        if (known !== file.checksum) {
          throw new MigrationChecksumError(file.name);
        }
        continue;
      }

      await client.query(file.text);
      await client.query(
        'INSERT INTO settle_migrations (name, checksum) VALUES ($1, $2)',
        [file.name, file.checksum],
      );
      applied.push(file.name);
    }

    await client.query('COMMIT');
    logger.info({ applied, alreadyApplied: recorded.size }, 'migrations up to date');
    return { applied, alreadyApplied: recorded.size };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

interface MigrationFile {
  name: string;
  text: string;
  checksum: string;
}

/** The migration files this code ships, by name, in the order they apply. */
export async function migrationNames(
  directory: string = SQL_DIRECTORY,
): Promise<string[]> {
  return (await readdir(directory))
    .filter((name) => MIGRATION_FILE_PATTERN.test(name))
    .sort();
}

async function readMigrationFiles(directory: string): Promise<MigrationFile[]> {
  const names = await migrationNames(directory);

  return Promise.all(
    names.map(async (name) => {
      const text = await readFile(path.join(directory, name), 'utf8');
      const checksum = createHash('sha256').update(text).digest('hex');
      return { name, text, checksum };
    }),
  );
}

async function ensureMigrationsTable(client: pg.PoolClient): Promise<void> {
  // Runs under the advisory lock: two concurrent CREATE TABLE IF NOT EXISTS
  // can otherwise both miss the table and collide on its type name.
  const existing = await client.query<{ found: string | null }>(
    "SELECT to_regclass('settle_migrations')::text AS found",
  );
  if (existing.rows[0]?.found != null) {
    return;
  }

  await client.query(`
    CREATE TABLE settle_migrations (
      name text PRIMARY KEY,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
  await client.query(`
    COMMENT ON TABLE settle_migrations IS
      'Which files of settle''s sql/ folder were applied, and when. '
      'Written by settle at start-up; never edit by hand.'`);
}

async function readRecordedChecksums(
  client: pg.PoolClient,
): Promise<Map<string, string>> {
  const result = await client.query<{ name: string; checksum: string }>(
    'SELECT name, checksum FROM settle_migrations',
  );
  return new Map(result.rows.map((row) => [row.name, row.checksum]));
}
