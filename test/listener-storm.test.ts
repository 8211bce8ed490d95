/**
 * The listener's backend is terminated while 100 streams wait and webhooks
 * keep arriving: every stream still gets its outcome. Also reports how long a
 * terminated listener takes to listen again (a figure, not a pass mark).
 */
import { describe, expect, it } from 'vitest';

import { eventually } from './helpers/eventually.js';
import { useTestSettle } from './helpers/settle.js';

const STREAMS = 100;
const RECOVERY_TRIES = 7;
const PAID = 'invoice.paid.stripemock.json';

const app = useTestSettle({ streamTimeoutMs: 20_000, maxStreamsPerOrder: 1_000 });

async function terminateListener(): Promise<number> {
  const result = await app().sql.query(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE application_name = 'settle-listener' AND datname = current_database()`,
  );
  return result.rowCount ?? 0;
}

describe('terminating the listener under load', () => {
  it('loses no outcome for 100 waiting streams while webhooks keep arriving', async () => {
    const orders = await Promise.all(
      Array.from({ length: STREAMS }, () => app().createOrder()),
    );
    const streams = await Promise.all(
      orders.map(({ orderId }) => app().openStream(orderId)),
    );
    await Promise.all(streams.map((stream) => stream.retryMs));

    const sending = (async () => {
      for (const [index, { orderId }] of orders.entries()) {
        if (index % 25 === 10) {
          await terminateListener();
        }
        const answer = await app().sendFixture(PAID, orderId);
        expect(answer.status).toBe(200);
      }
    })();
    const messages = await Promise.all(streams.map((stream) => stream.next()));
    await sending;

    expect(messages.map((message) => message?.event)).toEqual(
      Array(STREAMS).fill('order.succeeded'),
    );
  });

  it('listens again soon after each termination', async () => {
    const recoveryMs: number[] = [];
    for (let attempt = 0; attempt < RECOVERY_TRIES; attempt += 1) {
      await eventually(() => expect(app().settle.listener.isListening).toBe(true));
      const terminatedAt = performance.now();
      await terminateListener();
      await eventually(() => expect(app().settle.listener.isListening).toBe(false), {
        intervalMs: 1,
      });
      await eventually(() => expect(app().settle.listener.isListening).toBe(true), {
        intervalMs: 1,
      });
      recoveryMs.push(performance.now() - terminatedAt);
    }

    const sorted = [...recoveryMs].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    console.info(
      `listener recovery after pg_terminate_backend: median ${median.toFixed(0)} ms ` +
        `over ${RECOVERY_TRIES} tries (${sorted.map((ms) => ms.toFixed(0)).join(', ')})`,
    );
    expect(recoveryMs).toHaveLength(RECOVERY_TRIES);
  });
});
