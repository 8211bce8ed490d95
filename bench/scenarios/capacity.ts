/**
 * Scenario 2: how many idle streams one process holds, at what memory per
 * stream and event-loop delay, against a bare node:http SSE server holding
 * the same number, measured the same way in the same run.
 */
import { sampleOf, scrape } from '../lib/prometheus.js';
import type { ServerProcess } from '../lib/processes.js';
import { median, round, sleep } from '../lib/stats.js';
import { scaled, type BenchContext } from './context.js';

const LEVELS = [1_000, 5_000, 15_000];
const WARM_UP_STREAMS = 200;
const RSS_READS = 5;

export interface CapacityRow {
  server: 'settle' | 'bare node:http';
  streams: number;
  held: number;
  beating: number;
  rssMiB: number;
  /** Growth over the warmed-up process with no streams, per stream held. */
  bytesPerStream: number;
  /** Growth since the level before, per stream added: blind to the baseline's noise. */
  marginalBytesPerStream: number;
  /** V8 heap in use over the empty process, per stream: live objects and garbage. */
  heapBytesPerStream: number;
  eventLoopP50Ms: number;
  eventLoopP99Ms: number;
}

interface Target {
  name: CapacityRow['server'];
  process: ServerProcess;
  createOrders(count: number): Promise<string[]>;
  /** Event-loop delay p50 and p99 since the last call, in milliseconds. */
  eventLoop(): Promise<[number, number]>;
  /** Bytes of V8 heap in use. */
  heapUsed(): Promise<number>;
}

export async function capacity(context: BenchContext): Promise<CapacityRow[]> {
  const rows: CapacityRow[] = [];

  const settle = await context.startSettle();
  try {
    rows.push(
      ...(await measure(context, {
        name: 'settle',
        process: settle,
        createOrders: (count) => context.db.createOrders(count, context.owner),
        async eventLoop() {
          const text = await scrape(settle.url);
          return [
            sampleOf(text, 'nodejs_eventloop_lag_p50_seconds') * 1000,
            sampleOf(text, 'nodejs_eventloop_lag_p99_seconds') * 1000,
          ];
        },
        async heapUsed() {
          return sampleOf(await scrape(settle.url), 'nodejs_heap_size_used_bytes');
        },
      })),
    );
  } finally {
    await settle.stop();
  }

  const bare = await context.server('bare-sse', {
    HEARTBEAT_INTERVAL_MS: String(context.heartbeatIntervalMs),
  });
  try {
    rows.push(
      ...(await measure(context, {
        name: 'bare node:http',
        process: bare,
        createOrders: async (count) =>
          Array.from({ length: count }, () => crypto.randomUUID()),
        async eventLoop() {
          const stats = (await (await fetch(`${bare.url}/stats`)).json()) as {
            eventLoopP50Ms: number;
            eventLoopP99Ms: number;
          };
          return [stats.eventLoopP50Ms, stats.eventLoopP99Ms];
        },
        async heapUsed() {
          const stats = (await (await fetch(`${bare.url}/stats`)).json()) as {
            heapUsedBytes: number;
          };
          return stats.heapUsedBytes;
        },
      })),
    );
  } finally {
    await bare.stop();
  }
  return rows;
}

async function measure(context: BenchContext, target: Target): Promise<CapacityRow[]> {
  const open = (orderIds: string[]) =>
    context.streams.call<{ opened: number; failed: number }>('openStreams', {
      url: target.process.url,
      token: context.token,
      orderIds,
    });

  // Warm up first, so that the baseline holds the code paths a stream uses.
  await open(await target.createOrders(WARM_UP_STREAMS));
  await context.streams.call('closeAll');
  await sleep(1000);
  const baseline = await steadyRss(target.process);
  const baselineHeap = await target.heapUsed();

  const rows: CapacityRow[] = [];
  let held = 0;
  let previous = { held: 0, rss: baseline };
  for (const level of LEVELS) {
    const streams = scaled(context, level, 10);
    const opened = await open(await target.createOrders(streams - held));
    held = opened.opened;

    // One heartbeat period, and a second, so every stream gets one inside.
    await sleep(1000);
    await context.streams.call('heartbeatReport');
    await target.eventLoop();
    await sleep(context.heartbeatIntervalMs + 1000);
    const beats = await context.streams.call<{ held: number; beating: number }>(
      'heartbeatReport',
    );
    const [loopP50, loopP99] = await target.eventLoop();
    const rss = await steadyRss(target.process);
    const heap = await target.heapUsed();

    rows.push({
      server: target.name,
      streams,
      held: beats.held,
      beating: beats.beating,
      rssMiB: round(rss / 2 ** 20, 1),
      bytesPerStream: Math.round((rss - baseline) / held),
      marginalBytesPerStream: Math.round((rss - previous.rss) / (held - previous.held)),
      heapBytesPerStream: Math.round((heap - baselineHeap) / held),
      eventLoopP50Ms: round(loopP50),
      eventLoopP99Ms: round(loopP99),
    });
    context.log(
      `capacity: ${target.name} holds ${beats.held}/${streams} ` +
        `(${beats.beating} beating), ${rows.at(-1)!.bytesPerStream} bytes per stream`,
    );
    previous = { held, rss };
  }
  await context.streams.call('closeAll');
  return rows;
}

/** The median of a few reads, a moment apart: one read may catch a GC. */
async function steadyRss(process: ServerProcess): Promise<number> {
  const reads: number[] = [];
  for (let index = 0; index < RSS_READS; index++) {
    reads.push(await process.rss());
    await sleep(200);
  }
  return median(reads);
}
