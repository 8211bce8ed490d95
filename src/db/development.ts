/**
 * The development database: settle's own embedded PostgreSQL, in
 * `.data/postgres` (or EMBEDDED_PG_DATA_DIR), used when DATABASE_URL is unset.
 * `make start` runs it; `make db-inspect` finds it, running or not.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import pg from 'pg';

import type { Logger } from '../logger.js';
import {
  chooseDataDir,
  DEVELOPMENT_CREDENTIALS,
  startEmbeddedPostgres,
  type EmbeddedPostgres,
} from './embedded.js';

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEFAULT_DATA_DIR = path.join(PROJECT_ROOT, '.data', 'postgres');
/** The database settle uses on that server. */
export const DEVELOPMENT_DATABASE_NAME = 'settle';

/** Where the development server keeps its files. */
export function developmentDataDir(
  configured: string | undefined,
  logger: Logger,
): Promise<string> {
  return chooseDataDir(configured ?? DEFAULT_DATA_DIR, logger);
}

export function startDevelopmentServer(
  dataDir: string,
  logger: Logger,
): Promise<EmbeddedPostgres> {
  return startEmbeddedPostgres({
    dataDir,
    persistent: true,
    logger: logger.child({ component: 'embedded-postgres' }),
  });
}

/**
 * The URL of the server a running settle started on `dataDir`, or undefined
 * when none runs there. PostgreSQL writes its port on the fourth line of
 * postmaster.pid, beside the pid of the server that holds the folder.
 */
export async function runningServerUrl(dataDir: string): Promise<string | undefined> {
  let lines: string[];
  try {
    lines = (await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port) || !isAlive(pid)) {
    return undefined;
  }
  const { user, password } = DEVELOPMENT_CREDENTIALS;
  return `postgres://${user}:${password}@127.0.0.1:${port}/postgres`;
}

/** The URL of database `name` on the server, created if it is missing. */
export async function ensureDatabase(serverUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      name,
    ]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
    }
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, but another user's (the server runs as `postgres` under root).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
