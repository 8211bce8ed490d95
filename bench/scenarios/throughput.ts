/**
 * Scenario 4: signed real events per second through settle, end to end,
 * against PostgreSQL's raw rate of single-row UPDATE + trigger NOTIFY
 * commits over as many connections as settle's pool has. Runs alternate,
 * so that a drift in the machine hits both alike.
 */
import { median, round } from '../lib/stats.js';
import { scaled, type BenchContext } from './context.js';

const ROUNDS = 3;
const DURATION_S = 5;
/** More orders than either side can use in one round. */
const RAW_ORDERS = 80_000;
const WEBHOOK_ORDERS = 30_000;

export interface ThroughputResult {
  connections: number;
  rawPerSecond: number[];
  webhookPerSecond: number[];
  webhookFailed: number;
  medianRaw: number;
  medianWebhook: number;
  ratio: number;
}

interface Rate {
  perSecond: number;
  used: number;
  failed?: number;
}

export async function throughput(
  context: BenchContext,
  connections: number,
): Promise<ThroughputResult> {
  const durationS = scaled(context, DURATION_S, 1);
  const database = context.worker('database');
  const webhooks = context.worker('webhooks');
  const raw: number[] = [];
  const viaSettle: number[] = [];
  let webhookFailed = 0;
  try {
    for (let index = 0; index < ROUNDS; index++) {
      const rawOrders = await context.db.createOrders(
        scaled(context, RAW_ORDERS),
        context.owner,
      );
      const rawRate = await database.call<Rate>('rawUpdateRate', {
        databaseUrl: context.db.url,
        orderIds: rawOrders,
        connections,
        durationS,
      });
      warnIfExhausted(context, 'raw', rawRate, rawOrders.length);
      raw.push(rawRate.perSecond);

      const webhookOrders = await context.db.createOrders(
        scaled(context, WEBHOOK_ORDERS),
        context.owner,
      );
      const webhookRate = await webhooks.call<Rate>('webhookRate', {
        url: context.settle.url,
        secret: context.webhookSecret,
        orderIds: webhookOrders,
        concurrency: connections,
        durationS,
      });
      warnIfExhausted(context, 'webhook', webhookRate, webhookOrders.length);
      viaSettle.push(webhookRate.perSecond);
      webhookFailed += webhookRate.failed ?? 0;
      context.log(
        `throughput ${index + 1}: raw ${Math.round(rawRate.perSecond)}/s, ` +
          `webhooks ${Math.round(webhookRate.perSecond)}/s`,
      );
    }
  } finally {
    await Promise.all([database.stop(), webhooks.stop()]);
  }
  const medianRaw = median(raw);
  const medianWebhook = median(viaSettle);
  return {
    connections,
    rawPerSecond: raw.map((value) => Math.round(value)),
    webhookPerSecond: viaSettle.map((value) => Math.round(value)),
    webhookFailed,
    medianRaw: Math.round(medianRaw),
    medianWebhook: Math.round(medianWebhook),
    ratio: round(medianWebhook / medianRaw),
  };
}

function warnIfExhausted(
  context: BenchContext,
  side: string,
  rate: Rate,
  orders: number,
) {
  if (rate.used >= orders) {
    context.log(`throughput: ${side} ran out of orders; its rate is a lower bound`);
  }
}
