/**
 * The listener connection: junk on the channel is ignored, the connection is
 * findable by a DBA, and a dropped connection comes back and catches up.
 */
import { describe, expect, it } from 'vitest';

import { OUTCOME_CHANNEL } from '../src/notify/listener.js';
import { eventually } from './helpers/eventually.js';
import { useTestSettle } from './helpers/settle.js';

const PAID = 'invoice.paid.stripemock.json';
const NOTIFY_LIMIT_BYTES = 8000;

const app = useTestSettle();

async function listenerPid(): Promise<number | undefined> {
  const result = await app().sql.query(
    `SELECT pid FROM pg_stat_activity
      WHERE application_name = 'settle-listener' AND datname = current_database()`,
  );
  return result.rows[0]?.pid;
}

async function expectStreamWokenBy(orderId: string, act: () => Promise<unknown>) {
  const stream = await app().openStream(orderId);
  await stream.retryMs;
  await act();
  const message = await stream.next();
  expect(message?.event).toBe('order.succeeded');
}

describe('the listener', () => {
  it('is one connection a DBA can find by its application_name', async () => {
    const result = await app().sql.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE application_name = 'settle-listener' AND datname = current_database()`,
    );

    expect(result.rows[0].n).toBe(1);
  });

  it.each([
    ['junk', 'not json at all'],
    ['JSON of the wrong shape', '{"order_id": 42}'],
    [
      'an unknown order id',
      JSON.stringify({
        order_id: '00000000-0000-4000-8000-000000000000',
        status: 'SUCCEEDED',
        version: 1,
        updated_at: new Date().toISOString(),
      }),
    ],
    [
      'a payload just under the 8000-byte limit',
      `{"pad":"${'x'.repeat(NOTIFY_LIMIT_BYTES - 20)}"}`,
    ],
    ['an empty payload', ''],
  ])('ignores %s sent by hand and keeps working', async (_name, payload) => {
    const { orderId } = await app().createOrder();

    await app().sql.query('SELECT pg_notify($1, $2)', [OUTCOME_CHANNEL, payload]);

    expect(app().settle.listener.isListening).toBe(true);
    await expectStreamWokenBy(orderId, () => app().sendFixture(PAID, orderId));
  });

  it('tells a stream what the table says, not what a forged notification claims', async () => {
    const { orderId } = await app().createOrder();
    const stream = await app().openStream(orderId);
    await stream.retryMs;
    const forged = {
      order_id: orderId,
      status: 'SUCCEEDED',
      version: 999,
      updated_at: '2030-01-01',
    };

    await app().sql.query('SELECT pg_notify($1, $2)', [
      OUTCOME_CHANNEL,
      JSON.stringify(forged),
    ]);
    await app().sendFixture('invoice.payment_failed.stripemock.json', orderId);
    const message = await stream.next();

    expect(message?.event).toBe('order.failed');
    expect(message?.id).toBe('1');
  });

  it('comes back after its backend is killed, and hears what committed meanwhile', async () => {
    const { orderId } = await app().createOrder();
    const stream = await app().openStream(orderId);
    await stream.retryMs;
    const oldPid = await listenerPid();

    // Commit the outcome while the listener is away: its notification is lost.
    await app().sql.query('SELECT pg_terminate_backend($1)', [oldPid]);
    await app().sql.query(
      "UPDATE orders SET status = 'SUCCEEDED', version = version + 1 WHERE id = $1",
      [orderId],
    );

    const message = await stream.next();
    expect(message?.event).toBe('order.succeeded');
    await eventually(async () => {
      const pid = await listenerPid();
      expect(pid).toBeDefined();
      expect(pid).not.toBe(oldPid);
    });
    expect(app().settle.listener.isListening).toBe(true);
    const metrics = await (await fetch(`${app().baseUrl}/metrics`)).text();
    expect(metrics).toContain('settle_listener_reconnects_total 1');
  });
});
