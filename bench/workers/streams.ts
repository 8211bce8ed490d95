/**
 * Worker: holds many waiting streams (the idle load and the capacity
 * scenario), settles a burst of them with one bulk UPDATE, and finds how
 * many streams the naive one-LISTEN-per-stream server takes before failing.
 */
import pg from 'pg';

import { serveRpc } from '../lib/rpc.js';
import { openMany, openSse, type SseStream } from '../lib/sse-client.js';
import { summarize } from '../lib/stats.js';

interface OpenParams {
  url: string;
  token: string;
  orderIds: string[];
  concurrency?: number;
}

const held: SseStream[] = [];
let heartbeatBaseline = new Map<SseStream, number>();

async function openStreams(
  params: OpenParams,
): Promise<{ opened: number; failed: number }> {
  const headers = { Authorization: `Bearer ${params.token}` };
  let failed = 0;
  await openMany(params.orderIds, params.concurrency ?? 200, async (orderId) => {
    const stream = openSse(`${params.url}/orders/${orderId}/events`, headers);
    const status = await stream.opened.catch(() => 0);
    if (status === 200) {
      held.push(stream);
    } else {
      failed += 1;
      stream.close();
    }
  });
  return { opened: held.length, failed };
}

/** Which held streams had a heartbeat since the last call, and which ended. */
function heartbeatReport() {
  let beating = 0;
  for (const stream of held) {
    if (stream.heartbeats > (heartbeatBaseline.get(stream) ?? 0)) {
      beating += 1;
    }
  }
  heartbeatBaseline = new Map(held.map((stream) => [stream, stream.heartbeats]));
  return { held: held.length, beating };
}

async function closeAll(): Promise<void> {
  const streams = held.splice(0);
  for (const stream of streams) {
    stream.close();
  }
  await Promise.all(streams.map((stream) => stream.ended));
  heartbeatBaseline = new Map();
}

interface BurstParams extends OpenParams {
  databaseUrl: string;
}

/**
 * Opens a stream per order, then settles every order in one transaction and
 * times, from sending its COMMIT, each stream's message.
 */
async function burst(params: BurstParams) {
  const headers = { Authorization: `Bearer ${params.token}` };
  const arrivals: number[] = [];
  const streams: SseStream[] = [];
  let failed = 0;
  await openMany(params.orderIds, params.concurrency ?? 200, async (orderId) => {
    const stream = openSse(`${params.url}/orders/${orderId}/events`, headers, {
      onEvent(event, _data, at) {
        if (event === 'order.succeeded') {
          arrivals.push(at);
        }
      },
    });
    if ((await stream.opened.catch(() => 0)) === 200) {
      streams.push(stream);
    } else {
      failed += 1;
    }
  });

  const client = new pg.Client({ connectionString: params.databaseUrl });
  await client.connect();
  await client.query('BEGIN');
  await client.query(
    `UPDATE orders SET status = 'SUCCEEDED', version = version + 1 WHERE id = any($1::uuid[])`,
    [params.orderIds],
  );
  const committing = performance.now();
  await client.query('COMMIT');
  const committed = performance.now();
  await client.end();

  await Promise.race([
    Promise.all(streams.map((stream) => stream.ended)),
    new Promise((resolve) => setTimeout(resolve, 30_000)),
  ]);
  for (const stream of streams) {
    stream.close();
  }
  const delays = arrivals.map((at) => at - committing);
  return {
    streams: streams.length,
    failed,
    received: arrivals.length,
    commitMs: committed - committing,
    delays: summarize(delays),
  };
}

/**
 * Opens streams one at a time on the naive server until one fails; answers
 * how many stood and why the next failed.
 */
async function openUntilFailure(params: { url: string; max: number }) {
  const open: AbortController[] = [];
  let failure = 'none';
  for (let index = 0; index < params.max; index++) {
    const abort = new AbortController();
    const url = `${params.url}/orders/${crypto.randomUUID()}/events`;
    const response = await fetch(url, { signal: abort.signal }).catch(
      (error: Error) => error,
    );
    if (response instanceof Error || response.status !== 200) {
      failure =
        response instanceof Error
          ? response.message
          : `HTTP ${response.status} ${await response.text()}`;
      break;
    }
    open.push(abort);
  }
  for (const abort of open) {
    abort.abort();
  }
  return { opened: open.length, failure };
}

serveRpc({ openStreams, heartbeatReport, closeAll, burst, openUntilFailure });
