/**
 * Limits and bad days: stream ceilings per process and per order, and a
 * database that goes away while streams wait.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { HeartbeatClock } from '../src/http/heartbeat.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { eventually } from './helpers/eventually.js';
import { startTestSettle, useTestSettle, type TestSettle } from './helpers/settle.js';
import { startStallProxy, type StallProxy } from './helpers/stall-proxy.js';

const PAID = 'invoice.paid.stripemock.json';

describe('stream ceilings', () => {
  const app = useTestSettle({ maxStreams: 3, maxStreamsPerOrder: 2 });

  it('answers 429 past the ceiling per order and 503 past the one per process', async () => {
    const first = await app().createOrder();
    const second = await app().createOrder();
    const third = await app().createOrder();
    const open = [
      await app().openStream(first.orderId),
      await app().openStream(first.orderId),
    ];
    await Promise.all(open.map((stream) => stream.retryMs));

    const headers = app().authHeaders;
    const perOrder = await fetch(`${app().baseUrl}/orders/${first.orderId}/events`, {
      headers,
    });
    open.push(await app().openStream(second.orderId));
    await open[2]!.retryMs;
    const perProcess = await fetch(`${app().baseUrl}/orders/${third.orderId}/events`, {
      headers,
    });

    expect(perOrder.status).toBe(429);
    expect(perOrder.headers.get('retry-after')).toBe('5');
    expect((await perOrder.json()).error.code).toBe('too_many_streams_for_order');
    expect(perProcess.status).toBe(503);
    expect(perProcess.headers.get('retry-after')).toBe('5');
    expect((await perProcess.json()).error.code).toBe('too_many_streams');
    for (const stream of open) {
      stream.close();
    }
  });
});

describe('the heartbeat clock', () => {
  it('runs one timer for all streams, and none when no stream is open', () => {
    vi.useFakeTimers();
    try {
      const clock = new HeartbeatClock(1000);
      const beats = [0, 0, 0];
      const removers = beats.map((_beat, index) => clock.add(() => (beats[index]! += 1)));

      vi.advanceTimersByTime(2000);

      expect(vi.getTimerCount()).toBe(1);
      expect(beats).toEqual([2, 2, 2]);
      removers.forEach((remove) => remove());
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('spreads the beats over the interval instead of beating all at once', () => {
    vi.useFakeTimers();
    try {
      const clock = new HeartbeatClock(1000);
      const beats = new Array<number>(100).fill(0);
      beats.forEach((_beat, index) => clock.add(() => (beats[index]! += 1)));

      const perTick: number[] = [];
      for (let tick = 0; tick < 10; tick++) {
        const before = beats.reduce((sum, count) => sum + count, 0);
        vi.advanceTimersByTime(100);
        perTick.push(beats.reduce((sum, count) => sum + count, 0) - before);
      }

      expect(perTick).toEqual(new Array(10).fill(10));
      expect(new Set(beats)).toEqual(new Set([1]));
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('a database that goes away', () => {
  let database: TestDatabase;
  let proxy: StallProxy;
  let app: TestSettle;

  beforeAll(async () => {
    database = await createTestDatabase();
    proxy = await startStallProxy(database.url);
    // Queries go through the proxy; the listener connects directly.
    app = await startTestSettle({
      database,
      databaseUrlOverride: proxy.url,
      listenDatabaseUrl: database.url,
      heartbeatIntervalMs: 50,
    });
  });
  afterAll(async () => {
    await app.close();
    await proxy.close();
    await database.drop();
  });

  it('refuses new streams with 503, fails webhooks with 500, keeps open streams', async () => {
    const { orderId } = await app.createOrder();
    const waiting = await app.openStream(orderId);
    await waiting.retryMs;

    proxy.cut();
    const newStream = await fetch(`${app.baseUrl}/orders/${orderId}/events`, {
      headers: app.authHeaders,
    });
    const webhook = await app.sendFixture(PAID, orderId);
    const heartbeatsWhileDown = waiting.comments;
    await eventually(() =>
      expect(waiting.comments).toBeGreaterThan(heartbeatsWhileDown + 1),
    );
    proxy.mend();
    const retried = await app.sendFixture(PAID, orderId);
    const message = await waiting.next();

    expect(newStream.status).toBe(503);
    expect(newStream.headers.get('retry-after')).toBe('5');
    expect((await newStream.json()).error.code).toBe('database_unavailable');
    expect(webhook.status).toBe(500);
    expect(retried.status).toBe(200);
    expect(message?.event).toBe('order.succeeded');
  });
});
