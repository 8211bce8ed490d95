/**
 * `make demo`: the main path against a running settle, with a real Stripe
 * event.
 *
 * Creates an order, opens its stream, replays a recorded
 * checkout.session.completed aimed at the order and signed as Stripe signs
 * it, and prints the message the stream received and how long it took from
 * sending the webhook. (The notification leaves at COMMIT, before the
 * webhook's answer is written, so the clock starts at sending.)
 */
import { openStream } from '../client/event-stream.js';
import { aimEventAtOrder } from '../stripe/replay.js';
import {
  describeFailure,
  loadFixture,
  postSignedEvent,
  settleUrl,
  signingSecret,
  userToken,
} from './shared.js';

const FIXTURE = process.argv[2] ?? 'checkout.session.completed.syncengine.json';
/** The order's amount, and what the replayed event says was paid. */
const DEMO_PAYMENT = { amount: 1999, currency: 'usd' };

async function demo(): Promise<void> {
  const baseUrl = settleUrl();

  const authorization = `Bearer ${await userToken()}`;
  const created = await fetch(`${baseUrl}/orders`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: authorization },
    body: JSON.stringify(DEMO_PAYMENT),
  });
  if (created.status !== 201) {
    throw new Error(`POST /orders answered ${created.status}: ${await created.text()}`);
  }
  const order = (await created.json()) as { orderId: string; status: string };
  console.log(`order     ${order.orderId} ${order.status}`);

  const stream = await openStream(`${baseUrl}/orders/${order.orderId}/events`, {
    headers: { Authorization: authorization },
  });
  if (stream.status !== 200) {
    throw new Error(`stream answered ${stream.status}: ${await stream.text()}`);
  }
  await stream.retryMs;
  console.log(`stream    open, waiting`);

  const event = aimEventAtOrder(await loadFixture(FIXTURE), order.orderId, {
    paid: DEMO_PAYMENT,
  });
  const sentAt = performance.now();
  const [posted, message] = await Promise.all([
    postSignedEvent(baseUrl, event, signingSecret()),
    stream.next(),
  ]);
  const receivedAt = performance.now();
  stream.close();

  console.log(
    `webhook   ${FIXTURE} as ${String(event.id)}: ${posted.status} ${posted.body}`,
  );
  if (message === undefined) {
    throw new Error('stream ended without a message');
  }
  console.log(`sse       id: ${message.id}\n          event: ${message.event}`);
  console.log(`          data: ${message.data}`);
  console.log(
    `latency   ${(receivedAt - sentAt).toFixed(1)} ms from sending the webhook`,
  );
}

demo().catch((error: unknown) => {
  console.error(`demo failed: ${describeFailure(error)}`);
  process.exit(1);
});
