/**
 * Worker: PostgreSQL alone, without settle. The reference latency (sending
 * COMMIT of a notifying UPDATE, to a plain pg listener receiving its
 * notification) and the raw rate of single-row UPDATE + trigger NOTIFY
 * commits, the ceilings settle is compared with.
 */
import pg from 'pg';

import { OUTCOME_CHANNEL } from '../../src/notify/listener.js';
import { serveRpc } from '../lib/rpc.js';
import { sleep } from '../lib/stats.js';

const SETTLE_ORDER = `UPDATE orders SET status = 'SUCCEEDED', version = version + 1
  WHERE id = $1 AND status = 'PENDING'`;

interface ReferenceParams {
  databaseUrl: string;
  orderIds: string[];
  rate: number;
  durationS: number;
}

async function notifyLatency(params: ReferenceParams) {
  const listener = new pg.Client({ connectionString: params.databaseUrl });
  const writer = new pg.Client({ connectionString: params.databaseUrl });
  await Promise.all([listener.connect(), writer.connect()]);
  const committingAt = new Map<string, number>();
  const samples: number[] = [];
  listener.on('notification', (message) => {
    const at = performance.now();
    const orderId = (JSON.parse(message.payload ?? '{}') as { order_id?: string })
      .order_id;
    const sent = orderId === undefined ? undefined : committingAt.get(orderId);
    if (sent !== undefined) {
      samples.push(at - sent);
    }
  });
  await listener.query(`LISTEN ${OUTCOME_CHANNEL}`);

  const total = Math.min(
    params.orderIds.length,
    Math.round(params.rate * params.durationS),
  );
  const intervalMs = 1000 / params.rate;
  const start = performance.now();
  for (let index = 0; index < total; index++) {
    const due = start + index * intervalMs;
    if (due > performance.now()) {
      await sleep(due - performance.now());
    }
    const orderId = params.orderIds[index]!;
    await writer.query('BEGIN');
    await writer.query(SETTLE_ORDER, [orderId]);
    committingAt.set(orderId, performance.now());
    await writer.query('COMMIT');
  }
  await sleep(500);
  await Promise.all([listener.end(), writer.end()]);
  return { sent: total, samples };
}

interface RawRateParams {
  databaseUrl: string;
  orderIds: string[];
  connections: number;
  durationS: number;
}

/** Single-row autocommit UPDATEs on distinct orders, from several connections. */
async function rawUpdateRate(params: RawRateParams) {
  const clients = Array.from(
    { length: params.connections },
    () => new pg.Client({ connectionString: params.databaseUrl }),
  );
  await Promise.all(clients.map((client) => client.connect()));
  let next = 0;
  let count = 0;
  const start = performance.now();
  const stopAt = start + params.durationS * 1000;
  await Promise.all(
    clients.map(async (client) => {
      while (performance.now() < stopAt && next < params.orderIds.length) {
        const result = await client.query(SETTLE_ORDER, [params.orderIds[next++]]);
        count += result.rowCount ?? 0;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  await Promise.all(clients.map((client) => client.end()));
  return { count, seconds, perSecond: count / seconds, used: next };
}

serveRpc({ notifyLatency, rawUpdateRate });
