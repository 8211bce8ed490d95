/**
 * Scenario 5: what settle replaces. (a) 1,000 clients polling
 * GET /orders/:id every 250 ms and every 1,000 ms while webhooks settle
 * their orders at 50/s: the latency polling adds, and the database load.
 * (b) The naive design, one LISTEN connection per waiting stream: how many
 * waiters it takes before it fails, and why.
 */
import { round, sleep, summarize } from '../lib/stats.js';
import { scaled, type BenchContext } from './context.js';

const CLIENTS = 1_000;
const WEBHOOK_RATE = 50;
const INTERVALS_MS = [250, 1_000];
const DURATION_S = 20;
const NAIVE_MAX = 5_000;

export interface PollingRow {
  intervalMs: number;
  clients: number;
  settled: number;
  p50Ms: number;
  p99Ms: number;
  pollsPerSecond: number;
  pollErrors: number;
  dbTransactionsPerSecond: number;
}

export interface NaiveResult {
  waitersHeld: number;
  failure: string;
  maxConnections: number;
}

export async function polling(context: BenchContext): Promise<PollingRow[]> {
  const rows: PollingRow[] = [];
  const clients = scaled(context, CLIENTS, 10);
  const durationS = scaled(context, DURATION_S, 3);
  const worker = context.worker('polling');
  try {
    for (const intervalMs of INTERVALS_MS) {
      const orderIds = await context.db.createOrders(
        clients + WEBHOOK_RATE * durationS * 2,
        context.owner,
      );
      const before = await context.db.transactionCount();
      const started = performance.now();
      const result = await worker.call<{
        samples: number[];
        pollsPerSecond: number;
        pollErrors: number;
      }>('run', {
        url: context.settle.url,
        token: context.token,
        secret: context.webhookSecret,
        orderIds,
        clients,
        intervalMs,
        webhookRate: WEBHOOK_RATE,
        durationS,
      });
      const seconds = (performance.now() - started) / 1000;
      await sleep(1100);
      const transactions = (await context.db.transactionCount()) - before;
      const summary = summarize(result.samples);
      rows.push({
        intervalMs,
        clients,
        settled: summary.count,
        p50Ms: round(summary.p50),
        p99Ms: round(summary.p99),
        pollsPerSecond: Math.round(result.pollsPerSecond),
        pollErrors: result.pollErrors,
        dbTransactionsPerSecond: Math.round(transactions / (seconds + 1.1)),
      });
      context.log(
        `polling every ${intervalMs} ms: p50 ${round(summary.p50)} ms, ` +
          `${Math.round(result.pollsPerSecond)} polls/s`,
      );
    }
  } finally {
    await worker.stop();
  }
  return rows;
}

export async function naiveListen(context: BenchContext): Promise<NaiveResult> {
  const server = await context.server('naive-listen', { DATABASE_URL: context.db.url });
  try {
    const result = await context.streams.call<{ opened: number; failure: string }>(
      'openUntilFailure',
      { url: server.url, max: NAIVE_MAX },
    );
    context.log(`naive LISTEN per stream: ${result.opened} held; then ${result.failure}`);
    return {
      waitersHeld: result.opened,
      failure: result.failure,
      maxConnections: Number(await context.db.setting('max_connections')),
    };
  } finally {
    await server.stop();
  }
}
