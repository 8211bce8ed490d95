/**
 * GET /healthz: the process is alive; it checks nothing outside it, so that
 * a database outage never gets every instance restarted at once.
 * GET /readyz: it can do its job: the pool answers, the listener is
 * connected, and the database has every migration this code ships. Each
 * check says how long it took. A load balancer sends streams only while 200.
 * GET /metrics: Prometheus metrics.
 */
import type Router from '@koa/router';
import { sql } from 'kysely';

import { migrationNames } from '../../db/migrate.js';
import type { AppDependencies } from '../context.js';

interface CheckResult {
  ok: boolean;
  ms: number;
  error?: string;
}

/** A check slower than this fails: a readiness probe must answer quickly. */
const CHECK_TIMEOUT_MS = 2_000;

export function registerHealthRoutes(router: Router, deps: AppDependencies): void {
  const startedAt = Date.now();
  // Read once: the files do not change while the process runs.
  let shippedMigrations: Promise<string[]> | undefined;

  router.get('/healthz', (ctx) => {
    ctx.body = {
      status: 'ok',
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    };
  });

  router.get('/readyz', async (ctx) => {
    const [pool, listener, migrations] = await Promise.all([
      timed(async () => {
        await sql`SELECT 1`.execute(deps.db).catch(databaseDidNotAnswer);
      }),
      timed(async () => {
        if (!deps.listener.isListening) {
          throw new Error('not connected');
        }
      }),
      timed(async () => {
        shippedMigrations ??= migrationNames();
        const applied = await deps.db
          .selectFrom('settle_migrations')
          .select('name')
          .execute();
        const appliedNames = new Set(applied.map((row) => row.name));
        const missing = (await shippedMigrations).filter(
          (name) => !appliedNames.has(name),
        );
        if (missing.length > 0) {
          throw new Error(`not applied: ${missing.join(', ')}`);
        }
      }),
    ]);
    const ready = pool.ok && listener.ok && migrations.ok;
    ctx.status = ready ? 200 : 503;
    ctx.body = {
      status: ready ? 'ready' : 'not_ready',
      checks: { pool, listener, migrations },
    };
  });

  router.get('/metrics', async (ctx) => {
    ctx.type = deps.metrics.contentType;
    ctx.body = await deps.metrics.render();
  });
}

async function timed(check: () => Promise<void>): Promise<CheckResult> {
  const startedAt = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return { ok: true, ms: elapsedMs(startedAt) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'failed';
    return { ok: false, ms: elapsedMs(startedAt), error: reason.slice(0, 200) };
  } finally {
    clearTimeout(timer);
  }
}

/** The database's own words (hosts, users) stay in the log, not in the answer. */
function databaseDidNotAnswer(): never {
  throw new Error('the database did not answer');
}

function elapsedMs(startedAt: number): number {
  return Math.round((performance.now() - startedAt) * 100) / 100;
}
