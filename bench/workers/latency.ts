/**
 * Worker: the latency driver. At a fixed rate it sends, for one order after
 * another, a signed webhook, and times it until the stream that waits on
 * that order has parsed its event. Each stream opens a little ahead of its
 * webhook, so that it is waiting when the webhook is sent.
 */
import { serveRpc } from '../lib/rpc.js';
import { openSse, type SseStream } from '../lib/sse-client.js';
import { createWebhookSender, type SignedEvent } from '../lib/webhooks.js';

interface RunParams {
  url: string;
  token: string;
  secret: string;
  orderIds: string[];
  rate: number;
  durationS: number;
  leadMs: number;
}

interface Slot {
  stream: SseStream;
  event: SignedEvent;
  ready: boolean;
  sentAt?: number;
  latencyMs?: number;
}

async function run(params: RunParams) {
  const sender = await createWebhookSender(params.url, params.secret);
  const headers = { Authorization: `Bearer ${params.token}` };
  const total = Math.min(
    params.orderIds.length,
    Math.round(params.rate * params.durationS),
  );
  const intervalMs = 1000 / params.rate;
  const slots: Slot[] = [];
  let webhookErrors = 0;
  let lateOpens = 0;
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });

  const send = (slot: Slot) => {
    slot.sentAt = performance.now();
    sender.post(slot.event).then(
      (status) => (webhookErrors += status === 200 ? 0 : 1),
      () => (webhookErrors += 1),
    );
  };
  const settle = () => {
    done += 1;
    if (done === total) {
      finish();
    }
  };
  const open = (index: number) => {
    const orderId = params.orderIds[index]!;
    const slot: Slot = {
      event: sender.prepare(orderId),
      ready: false,
      stream: openSse(`${params.url}/orders/${orderId}/events`, headers, {
        onEvent(event, _data, at) {
          if (event === 'order.succeeded' && slot.sentAt !== undefined) {
            slot.latencyMs = at - slot.sentAt;
          }
        },
      }),
    };
    slots[index] = slot;
    slot.stream.opened.then(
      () => {
        slot.ready = true;
        if (slot.sentAt === undefined && sendTime(index) <= performance.now()) {
          lateOpens += 1;
          send(slot);
        }
      },
      () => settle(),
    );
    void slot.stream.ended.then(settle);
  };

  const start = performance.now() + params.leadMs;
  const sendTime = (index: number) => start + index * intervalMs;
  let nextOpen = 0;
  let nextSend = 0;
  const tick = () => {
    const now = performance.now();
    while (nextOpen < total && sendTime(nextOpen) - params.leadMs <= now) {
      open(nextOpen++);
    }
    while (nextSend < total && sendTime(nextSend) <= now) {
      const slot = slots[nextSend++]!;
      if (slot.ready) {
        send(slot);
      }
    }
    if (nextSend < total) {
      const nextAt = Math.min(sendTime(nextOpen) - params.leadMs, sendTime(nextSend));
      setTimeout(tick, Math.max(0, nextAt - performance.now()));
    }
  };
  tick();

  const deadline = setTimeout(finish, (params.durationS + 15) * 1000);
  await finished;
  clearTimeout(deadline);
  for (const slot of slots) {
    slot.stream.close();
  }
  sender.close();

  const samples = slots.flatMap((slot) =>
    slot.latencyMs === undefined ? [] : [slot.latencyMs],
  );
  return {
    sent: total,
    samples,
    missing: total - samples.length,
    lateOpens,
    webhookErrors,
  };
}

serveRpc({ run });
