/**
 * Worker: webhook throughput. Several loops post signed real events, each
 * for an order of its own, as fast as settle answers them.
 */
import { serveRpc } from '../lib/rpc.js';
import { createWebhookSender } from '../lib/webhooks.js';

interface ThroughputParams {
  url: string;
  secret: string;
  orderIds: string[];
  concurrency: number;
  durationS: number;
}

async function webhookRate(params: ThroughputParams) {
  const sender = await createWebhookSender(params.url, params.secret, params.concurrency);
  const events = params.orderIds.map((orderId) => sender.prepare(orderId));
  let next = 0;
  let count = 0;
  let failed = 0;
  const start = performance.now();
  const stopAt = start + params.durationS * 1000;
  await Promise.all(
    Array.from({ length: params.concurrency }, async () => {
      while (performance.now() < stopAt && next < events.length) {
        const status = await sender.post(events[next++]!);
        if (status === 200) {
          count += 1;
        } else {
          failed += 1;
        }
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  sender.close();
  return { count, failed, seconds, perSecond: count / seconds, used: next };
}

serveRpc({ webhookRate });
