/**
 * Scenario 3: a reconciliation settles 10,000 waited-for orders in one
 * transaction; every stream must get its message, the last within 2 s of
 * the COMMIT.
 */
import { median, round, type Summary } from '../lib/stats.js';
import { scaled, type BenchContext } from './context.js';

const STREAMS = 10_000;
const ROUNDS = 3;

export interface BurstRow {
  round: number;
  streams: number;
  received: number;
  commitMs: number;
  p50Ms: number;
  lastMs: number;
}

export async function burst(context: BenchContext): Promise<BurstRow[]> {
  const rows: BurstRow[] = [];
  const streams = scaled(context, STREAMS, 10);
  for (let index = 1; index <= ROUNDS; index++) {
    const orderIds = await context.db.createOrders(streams, context.owner);
    const result = await context.streams.call<{
      streams: number;
      received: number;
      commitMs: number;
      delays: Summary;
    }>('burst', {
      url: context.settle.url,
      token: context.token,
      orderIds,
      databaseUrl: context.db.url,
    });
    rows.push({
      round: index,
      streams: result.streams,
      received: result.received,
      commitMs: round(result.commitMs),
      p50Ms: round(result.delays.p50),
      lastMs: round(result.delays.max),
    });
    context.log(
      `burst ${index}: ${result.received}/${result.streams} woken, ` +
        `last after ${round(result.delays.max)} ms`,
    );
  }
  return rows;
}

export function medianLastMs(rows: readonly BurstRow[]): number {
  return median(rows.map((row) => row.lastMs));
}
