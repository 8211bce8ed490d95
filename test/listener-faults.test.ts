/**
 * When notifications do not arrive: a lost one is caught by the backstop, a
 * half-open listener connection is found and replaced, and a listener that
 * cannot hear the pool's notifications stops the start.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { ListenerProbeError } from '../src/notify/listener.js';
import { startSettle } from '../src/settle.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { eventually } from './helpers/eventually.js';
import { startTestSettle, TEST_WEBHOOK_SECRET, useTestSettle } from './helpers/settle.js';
import { startStallProxy } from './helpers/stall-proxy.js';

const BACKSTOP_MS = 300;

describe('the backstop', () => {
  const app = useTestSettle({ backstopIntervalMs: BACKSTOP_MS });

  it('wakes a stream whose notification was never sent', async () => {
    const { orderId } = await app().createOrder();
    const stream = await app().openStream(orderId);
    await stream.retryMs;

    // session_replication_role = replica skips the triggers: no NOTIFY at all.
    const client = await app().sql.connect();
    try {
      await client.query('SET session_replication_role = replica');
      await client.query(
        "UPDATE orders SET status = 'SUCCEEDED', version = 1 WHERE id = $1",
        [orderId],
      );
    } finally {
      await client.query('RESET session_replication_role');
      client.release();
    }
    const message = await stream.next();

    expect(message?.event).toBe('order.succeeded');
  });
});

describe('a half-open listener connection', () => {
  let proxy: Awaited<ReturnType<typeof startStallProxy>>;
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
    proxy = await startStallProxy(database.url);
  });
  afterAll(async () => {
    await proxy.close();
    await database.drop();
  });

  it('is found by the check, replaced, and the stream still hears its outcome', async () => {
    const app = await startTestSettle({
      database,
      listenDatabaseUrl: proxy.url,
      listenerCheckIntervalMs: 100,
      listenerCheckTimeoutMs: 200,
    });
    try {
      const { orderId } = await app.createOrder();
      const stream = await app.openStream(orderId);
      await stream.retryMs;

      proxy.stallOpenConnections();
      const stalledAt = Date.now();
      // Recorded by someone else (another instance, say): only the listener
      // can tell this stream.
      await app.sql.query(
        "UPDATE orders SET status = 'SUCCEEDED', version = version + 1 WHERE id = $1",
        [orderId],
      );
      const message = await stream.next();
      const heardAfterMs = Date.now() - stalledAt;

      expect(message?.event).toBe('order.succeeded');
      expect(heardAfterMs).toBeGreaterThanOrEqual(100);
      await eventually(() => expect(app.settle.listener.isListening).toBe(true));
    } finally {
      await app.close();
    }
  });
});

describe('a network path that is dead for a while', () => {
  it('reconnects the listener soon after the path is back', async () => {
    const database = await createTestDatabase();
    const proxy = await startStallProxy(database.url);
    const app = await startTestSettle({
      database,
      listenDatabaseUrl: proxy.url,
      listenerCheckIntervalMs: 100,
      listenerCheckTimeoutMs: 300,
    });
    try {
      proxy.freeze();
      await eventually(() => expect(app.settle.listener.isListening).toBe(false));
      // Let a reconnect attempt start into the dead path before it comes back.
      await new Promise((resolve) => setTimeout(resolve, 100));
      proxy.thaw();
      const thawedAt = Date.now();

      await eventually(() => expect(app.settle.listener.isListening).toBe(true), {
        timeoutMs: 3_000,
      });

      expect(Date.now() - thawedAt).toBeLessThan(3_000);
    } finally {
      await app.close();
      await proxy.close();
      await database.drop();
    }
  });
});

describe('the start-up probe', () => {
  it('stops the start when the listener cannot hear the pool', async () => {
    const poolDatabase = await createTestDatabase();
    const otherDatabase = await createTestDatabase();
    const config = {
      ...readConfig({ NODE_ENV: 'test', STRIPE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET }),
      port: 0,
      // NOTIFY reaches only listeners of the same database: as lost as behind
      // a pooler in transaction mode.
      listenDatabaseUrl: otherDatabase.url,
      startupProbeTimeoutMs: 300,
    };
    try {
      const start = startSettle({
        config,
        databaseUrl: poolDatabase.url,
        logger: createLogger({ level: 'silent' }),
      });

      await expect(start).rejects.toBeInstanceOf(ListenerProbeError);
      await expect(start).rejects.toThrow(/transaction mode/);
    } finally {
      await poolDatabase.drop();
      await otherDatabase.drop();
    }
  });
});
