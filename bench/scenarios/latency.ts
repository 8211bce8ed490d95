/**
 * Scenario 1: from sending a signed webhook to the waiting client parsing
 * its event, at several rates with idle streams open beside, plus settle's
 * own part from its histogram, and PostgreSQL's bare NOTIFY as reference.
 */
import { cpuPercent, sampleCpu, type CpuGroups } from '../lib/cpu.js';
import {
  difference,
  histogramOf,
  histogramQuantileMs,
  scrape,
} from '../lib/prometheus.js';
import { round, sleep, summarize } from '../lib/stats.js';
import { scaled, type BenchContext } from './context.js';

const RATES = [50, 200, 500];
const IDLE_LEVELS = [1_000, 10_000];
const COMMIT_TO_WRITE = 'settle_commit_to_write_seconds';
const LEAD_MS = 300;
/** Untimed first, so that the timed runs meet code already compiled. */
const WARM_UP = { rate: 200, durationS: 3 };

export interface LatencyRow {
  idleStreams: number;
  rate: number;
  sent: number;
  missing: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  serverP50Ms: number;
  serverP99Ms: number;
  dbTransactionsPerSecond: number;
  /** Percent of one core used during the run, per process group. */
  cpu: Record<string, number>;
}

export interface ReferenceRow {
  rate: number;
  count: number;
  p50Ms: number;
  p99Ms: number;
}

/** Seconds per rate: enough samples for a p99 at the lowest rate too. */
function durationFor(rate: number): number {
  return rate <= 50 ? 20 : 10;
}

export async function notifyReference(context: BenchContext): Promise<ReferenceRow> {
  const rate = 500;
  const durationS = scaled(context, 10, 2);
  const orderIds = await context.db.createOrders(rate * durationS, context.owner);
  const worker = context.worker('database');
  try {
    const result = await worker.call<{ samples: number[] }>('notifyLatency', {
      databaseUrl: context.db.url,
      orderIds,
      rate,
      durationS,
    });
    const summary = summarize(result.samples);
    return { rate, count: summary.count, p50Ms: summary.p50, p99Ms: summary.p99 };
  } finally {
    await worker.stop();
  }
}

export async function latency(context: BenchContext): Promise<LatencyRow[]> {
  const rows: LatencyRow[] = [];
  const driver = context.worker('latency');
  let idleOpen = 0;
  try {
    await measure(context, driver, 0, WARM_UP.rate, WARM_UP.durationS);
    for (const level of IDLE_LEVELS) {
      const idle = scaled(context, level, 10);
      const idleOrders = await context.db.createOrders(idle - idleOpen, context.owner);
      const opened = await context.streams.call<{ opened: number; failed: number }>(
        'openStreams',
        { url: context.settle.url, token: context.token, orderIds: idleOrders },
      );
      idleOpen = opened.opened;
      context.log(`latency: ${idleOpen} idle streams open (${opened.failed} failed)`);
      await sleep(1000);

      for (const rate of RATES) {
        rows.push(await measure(context, driver, idleOpen, rate));
        const row = rows.at(-1)!;
        context.log(
          `latency: ${rate}/s with ${idleOpen} idle: p50 ${round(row.p50Ms)} ms, ` +
            `p99 ${round(row.p99Ms)} ms (server p50 ${round(row.serverP50Ms)} ms), ` +
            `cpu ${JSON.stringify(row.cpu)}`,
        );
      }
    }
  } finally {
    await driver.stop();
    await context.streams.call('closeAll');
  }
  return rows;
}

async function measure(
  context: BenchContext,
  driver: BenchContext['streams'],
  idleStreams: number,
  rate: number,
  durationS = scaled(context, durationFor(rate), 2),
): Promise<LatencyRow> {
  const orderIds = await context.db.createOrders(rate * durationS, context.owner);
  const before = histogramOf(await scrape(context.settle.url), COMMIT_TO_WRITE);
  const transactionsBefore = await context.db.transactionCount();
  const groups: CpuGroups = {
    settle: [context.settle.pid],
    postgres: 'postgres',
    driver: [driver.pid],
    idle: [context.streams.pid],
  };
  const cpuBefore = await sampleCpu(groups);
  const started = performance.now();

  const result = await driver.call<{ samples: number[]; sent: number; missing: number }>(
    'run',
    {
      url: context.settle.url,
      token: context.token,
      secret: context.webhookSecret,
      orderIds,
      rate,
      durationS,
      leadMs: LEAD_MS,
    },
  );

  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuPercent(cpuBefore, await sampleCpu(groups));
  // Backends report their counts within a second of going idle.
  await sleep(1100);
  const transactions = (await context.db.transactionCount()) - transactionsBefore;
  const server = difference(
    histogramOf(await scrape(context.settle.url), COMMIT_TO_WRITE),
    before,
  );
  const summary = summarize(result.samples);
  return {
    idleStreams,
    rate,
    sent: result.sent,
    missing: result.missing,
    p50Ms: summary.p50,
    p99Ms: summary.p99,
    maxMs: summary.max,
    serverP50Ms: histogramQuantileMs(server, 0.5),
    serverP99Ms: histogramQuantileMs(server, 0.99),
    dbTransactionsPerSecond: transactions / (seconds + 1.1),
    cpu,
  };
}
