/**
 * make bench: starts PostgreSQL (embedded unless DATABASE_URL is set) and
 * settle, drives them from worker processes over real HTTP, prints one
 * table and writes the same figures as JSON under bench/results/.
 *
 * SCENARIOS=latency,capacity,burst,throughput,alternatives picks scenarios;
 * BENCH_SCALE=0.1 scales every count and duration down for a quick try.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { signUserToken } from '../src/http/auth/users.js';
import { openBenchDatabase } from './lib/database.js';
import { describeMachine } from './lib/machine.js';
import { startServer, type ServerProcess } from './lib/processes.js';
import { startWorker, type Worker } from './lib/rpc.js';
import { renderReport, type BenchResults } from './report.js';
import { naiveListen, polling } from './scenarios/alternatives.js';
import { burst } from './scenarios/burst.js';
import { capacity } from './scenarios/capacity.js';
import type { BenchContext } from './scenarios/context.js';
import { latency, notifyReference } from './scenarios/latency.js';
import { throughput } from './scenarios/throughput.js';

const BENCH_DIRECTORY = path.dirname(fileURLToPath(import.meta.url));
const PROJECT_ROOT = path.dirname(BENCH_DIRECTORY);
const RESULTS_DIRECTORY = path.join(BENCH_DIRECTORY, 'results');
const ALL_SCENARIOS = ['latency', 'capacity', 'burst', 'throughput', 'alternatives'];

const OWNER = 'bench-user';
const AUTH_SECRET = 'bench-only-auth-secret-0123456789abcdef';
const WAIT_TOKEN_SECRET = 'bench-only-wait-token-secret-0123456789';
const WEBHOOK_SECRET = 'whsec_bench_only_secret_0123456789';
const HEARTBEAT_INTERVAL_MS = 5_000;
const POOL_SIZE = 10;

/** settle as production runs it, but for a stream timeout that outlasts the run. */
const SETTLE_ENV: Record<string, string> = {
  NODE_ENV: 'production',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  DATABASE_POOL_SIZE: String(POOL_SIZE),
  HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_INTERVAL_MS),
  STREAM_TIMEOUT_MS: '1800000',
  MAX_STREAMS: '20000',
};

async function main(): Promise<void> {
  const scenarios = (process.env.SCENARIOS ?? ALL_SCENARIOS.join(',')).split(',');
  const unknown = scenarios.filter((name) => !ALL_SCENARIOS.includes(name));
  if (unknown.length > 0) {
    throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${ALL_SCENARIOS}`);
  }
  const scale = Number(process.env.BENCH_SCALE ?? 1);
  const startedAt = new Date().toISOString();
  await mkdir(RESULTS_DIRECTORY, { recursive: true });
  const log = (message: string) => process.stderr.write(`bench: ${message}\n`);

  const db = await openBenchDatabase();
  log(`PostgreSQL ${db.version} (${db.kind})`);
  const servers: ServerProcess[] = [];
  const workers: Worker[] = [];
  let settleCount = 0;

  const startSettle = async () => {
    settleCount += 1;
    const settle = await startServer({
      script: path.join(PROJECT_ROOT, 'src/main.ts'),
      env: {
        ...SETTLE_ENV,
        DATABASE_URL: db.url,
        STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
        AUTH_JWT_SECRET: AUTH_SECRET,
        WAIT_TOKEN_SECRET,
      },
      logFile: path.join(RESULTS_DIRECTORY, `settle-${settleCount}.log`),
      readyPath: '/readyz',
      // BENCH_SETTLE_NODE_ARGS="--cpu-prof --cpu-prof-dir=bench/results": a profile.
      nodeArgs: process.env.BENCH_SETTLE_NODE_ARGS?.split(' ').filter(Boolean),
    });
    servers.push(settle);
    return settle;
  };
  const worker = (name: string) => {
    const started = startWorker(path.join(BENCH_DIRECTORY, 'workers', `${name}.ts`));
    workers.push(started);
    return started;
  };

  const results: BenchResults = {
    startedAt,
    machine: await describeMachine(),
    postgres: { version: db.version, kind: db.kind },
    settle: { ...SETTLE_ENV, BENCH_SCALE: String(scale) },
  };
  try {
    const context: BenchContext = {
      db,
      settle: await startSettle(),
      token: await signUserToken(AUTH_SECRET, OWNER, '2h'),
      owner: OWNER,
      webhookSecret: WEBHOOK_SECRET,
      heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
      streams: worker('streams'),
      startSettle,
      worker,
      async server(name, env = {}) {
        const server = await startServer({
          script: path.join(BENCH_DIRECTORY, 'servers', `${name}.ts`),
          env,
          logFile: path.join(RESULTS_DIRECTORY, `${name}.log`),
          readyPath: '/healthz',
        });
        servers.push(server);
        return server;
      },
      scale,
      log,
    };

    if (scenarios.includes('latency')) {
      results.reference = await notifyReference(context);
      results.latency = await latency(context);
    }
    if (scenarios.includes('capacity')) {
      results.capacity = await capacity(context);
    }
    if (scenarios.includes('burst')) {
      results.burst = await burst(context);
    }
    if (scenarios.includes('throughput')) {
      results.throughput = await throughput(context, POOL_SIZE);
    }
    if (scenarios.includes('alternatives')) {
      results.polling = await polling(context);
      results.naive = await naiveListen(context);
    }
  } finally {
    await Promise.all(workers.map((started) => started.stop()));
    await Promise.all(servers.map((server) => server.stop()));
    await db.close();
  }

  const report = renderReport(results);
  const file = path.join(RESULTS_DIRECTORY, `${startedAt.replaceAll(':', '-')}.json`);
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(path.join(RESULTS_DIRECTORY, 'latest.txt'), `${report}\n`);
  process.stdout.write(`${report}\n\nfigures: ${path.relative(PROJECT_ROOT, file)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : error}\n`);
  process.exit(1);
});
