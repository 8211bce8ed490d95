/**
 * Several settle processes on one PostgreSQL, as behind a load balancer:
 * they migrate together safely, and a webhook one of them handles wakes a
 * stream another one holds.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openStream } from '../src/client/event-stream.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { startSettleProcess, type SettleProcess } from './helpers/process.js';
import { authHeaders, createOrderAt, sendFixtureTo } from './helpers/remote.js';

const PAID = 'invoice.paid.stripemock.json';

let database: TestDatabase;
let instances: SettleProcess[];

beforeAll(async () => {
  database = await createTestDatabase();
  // All three start at once on an empty database: their migrations race.
  instances = await Promise.all(
    [1, 2, 3].map(() => startSettleProcess({ DATABASE_URL: database.url })),
  );
}, 60_000);
afterAll(async () => {
  await Promise.all(instances.map((instance) => instance.stop()));
  await database.drop();
});

describe('three instances on one database', () => {
  it('migrated once, together', async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const applied = await client.query(
        'SELECT count(*)::int AS n FROM settle_migrations',
      );
      const applyingInstances = instances.filter((instance) =>
        instance.logs.some(
          (line) =>
            line.msg === 'migrations up to date' && (line.applied as string[]).length > 0,
        ),
      );

      expect(applied.rows[0].n).toBeGreaterThan(0);
      expect(applyingInstances).toHaveLength(1);
    } finally {
      await client.end();
    }
  });

  it('wakes a stream held by one instance with a webhook handled by another', async () => {
    const [holder, handler, creator] = instances as [
      SettleProcess,
      SettleProcess,
      SettleProcess,
    ];
    const orderId = await createOrderAt(creator.url);
    const stream = await openStream(`${holder.url}/orders/${orderId}/events`, {
      headers: await authHeaders(),
    });
    await stream.retryMs;

    const answer = await sendFixtureTo(handler.url, PAID, orderId);
    const message = await stream.next();

    expect(answer.status).toBe(200);
    expect(message?.event).toBe('order.succeeded');
    expect(JSON.parse(message!.data)).toMatchObject({ orderId, version: 1 });
  });
});
