/**
 * GET /metrics: Prometheus text, with settle's own figures beside the
 * process's, changing as streams open and are woken.
 */
import { describe, expect, it } from 'vitest';

import { useTestSettle } from './helpers/settle.js';

const PAID = 'checkout.session.completed.syncengine.json';

const app = useTestSettle();

async function scrape(): Promise<string> {
  const response = await fetch(`${app().baseUrl}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return response.text();
}

/** The value of one sample line, such as `settle_streams_open 1`; 0 when absent. */
function sample(text: string, name: string, absentIsZero = false): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  if (line === undefined && absentIsZero) {
    return 0;
  }
  expect(line, `${name} in the scrape`).toBeDefined();
  return Number(line!.slice(name.length + 1));
}

/** How much each named sample grew between two scrapes. */
function growth(before: string, after: string, names: string[]) {
  return Object.fromEntries(
    names.map((name) => [name, sample(after, name, true) - sample(before, name, true)]),
  );
}

describe('metrics', () => {
  it('counts open streams and times a wake-up from commit to write', async () => {
    const before = await scrape();
    expect(sample(before, 'settle_streams_open')).toBe(0);
    expect(sample(before, 'settle_commit_to_write_seconds_count')).toBe(0);
    expect(before).toContain('nodejs_eventloop_lag_p99_seconds');

    const { orderId } = await app().createOrder();
    const stream = await app().openStream(orderId);
    await stream.retryMs;
    expect(sample(await scrape(), 'settle_streams_open')).toBe(1);

    await app().sendFixture(PAID, orderId);
    expect((await stream.next())?.event).toBe('order.succeeded');

    const after = await scrape();
    expect(sample(after, 'settle_streams_open')).toBe(0);
    expect(sample(after, 'settle_commit_to_write_seconds_count')).toBe(1);
    const seconds = sample(after, 'settle_commit_to_write_seconds_sum');
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThan(5);
  });

  it('does not time an outcome recorded by someone else', async () => {
    const timedBefore = sample(await scrape(), 'settle_commit_to_write_seconds_count');
    const { orderId } = await app().createOrder();
    const stream = await app().openStream(orderId);
    await stream.retryMs;

    await app().sql.query(
      `UPDATE orders SET status = 'SUCCEEDED', version = version + 1 WHERE id = $1`,
      [orderId],
    );
    expect((await stream.next())?.event).toBe('order.succeeded');

    const timedAfter = sample(await scrape(), 'settle_commit_to_write_seconds_count');
    expect(timedAfter).toBe(timedBefore);
  });

  it('follow a stream from waiting to woken, and count each webhook', async () => {
    const { orderId } = await app().createOrder();
    const stream = await app().openStream(orderId);
    await stream.retryMs;
    const before = await scrape();
    expect(sample(before, 'settle_waited_orders')).toBe(1);

    await app().sendFixture(PAID, orderId);
    expect((await stream.next())?.event).toBe('order.succeeded');
    await app().postWebhook('{}', 't=1,v1=forged');
    await app().expectNoWaiters();
    const after = await scrape();

    expect(
      growth(before, after, [
        'settle_notifications_total{kind="order"}',
        'settle_wakeups_total',
        'settle_streams_ended_total{result="outcome"}',
        'settle_webhooks_total{type="checkout.session.completed",outcome="applied"}',
        'settle_webhooks_total{type="unverified",outcome="rejected"}',
        'settle_webhook_duration_seconds_count{outcome="applied"}',
      ]),
    ).toEqual({
      'settle_notifications_total{kind="order"}': 1,
      settle_wakeups_total: 1,
      'settle_streams_ended_total{result="outcome"}': 1,
      'settle_webhooks_total{type="checkout.session.completed",outcome="applied"}': 1,
      'settle_webhooks_total{type="unverified",outcome="rejected"}': 1,
      'settle_webhook_duration_seconds_count{outcome="applied"}': 1,
    });
    expect(sample(after, 'settle_waited_orders')).toBe(0);
    expect(after).toContain('settle_listener_reconnects_total 0');
  });
});
