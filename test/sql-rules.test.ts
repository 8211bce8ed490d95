/**
 * The database's own guarantees, through hand-written SQL: the status rules
 * hold and the trigger notifies exactly when an outcome is recorded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createMigratedDatabase } from './helpers/migrated.js';
import {
  recordNotifications,
  type NotificationRecorder,
} from './helpers/notifications.js';

let db: Awaited<ReturnType<typeof createMigratedDatabase>>;
let recorder: NotificationRecorder;

beforeAll(async () => {
  db = await createMigratedDatabase();
  recorder = await recordNotifications(db.database.url);
});
afterAll(async () => {
  await recorder.close();
  await db.close();
});

async function newOrder(): Promise<string> {
  const result = await db.pool.query(
    "INSERT INTO orders (owner) VALUES ('sql-test') RETURNING id",
  );
  return result.rows[0].id as string;
}

/** Commits a notifying marker and waits for it: all that came before has arrived. */
async function notificationsFor(orderId: string) {
  const marker = await db.pool.query(
    "INSERT INTO orders (owner, status, version) VALUES ('marker', 'EXPIRED', 1) RETURNING id",
  );
  await expect
    .poll(() => recorder.payloads.some((p) => p.order_id === marker.rows[0].id))
    .toBe(true);
  return recorder.payloads.filter((payload) => payload.order_id === orderId);
}

describe('the notify trigger', () => {
  it('sends nothing for an update that records no outcome', async () => {
    const orderId = await newOrder();

    await db.pool.query("UPDATE orders SET stripe_invoice_id = 'in_1' WHERE id = $1", [
      orderId,
    ]);

    expect(await notificationsFor(orderId)).toEqual([]);
  });

  it('sends one small payload when an outcome is recorded', async () => {
    const orderId = await newOrder();

    await db.pool.query(
      "UPDATE orders SET status = 'FAILED', version = version + 1 WHERE id = $1",
      [orderId],
    );

    const sent = await notificationsFor(orderId);
    expect(sent).toHaveLength(1);
    expect(Object.keys(sent[0]!).sort()).toEqual([
      'order_id',
      'status',
      'updated_at',
      'version',
    ]);
    expect(sent[0]).toMatchObject({ order_id: orderId, status: 'FAILED', version: 1 });
  });

  it('sends nothing when the transaction rolls back', async () => {
    const orderId = await newOrder();
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        "UPDATE orders SET status = 'SUCCEEDED', version = version + 1 WHERE id = $1",
        [orderId],
      );
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }

    expect(await notificationsFor(orderId)).toEqual([]);
  });

  it('sends one for an INSERT straight into an outcome', async () => {
    const inserted = await db.pool.query(
      'INSERT INTO orders (owner, status, version) ' +
        "VALUES ('sql-test', 'SUCCEEDED', 1) RETURNING id",
    );

    const sent = await notificationsFor(inserted.rows[0].id);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ status: 'SUCCEEDED', version: 1 });
  });

  it('sends nothing for an INSERT of a PENDING order', async () => {
    const orderId = await newOrder();

    expect(await notificationsFor(orderId)).toEqual([]);
  });
});

describe('the status rules in SQL', () => {
  async function succeeded(): Promise<string> {
    const orderId = await newOrder();
    await db.pool.query(
      "UPDATE orders SET status = 'SUCCEEDED', version = version + 1 WHERE id = $1",
      [orderId],
    );
    return orderId;
  }

  it.each([
    ["status = 'FAILED', version = version + 1", /final/],
    ["status = 'PENDING', version = 0", /final/],
    ["status = 'EXPIRED', version = version + 1", /final/],
    ['version = version + 1', /final/],
  ])('refuses to move a SUCCEEDED order: SET %s', async (assignments, message) => {
    const orderId = await succeeded();

    const attempt = db.pool.query(`UPDATE orders SET ${assignments} WHERE id = $1`, [
      orderId,
    ]);

    await expect(attempt).rejects.toMatchObject({
      code: '23514',
      message: expect.stringMatching(message),
    });
    const row = await db.pool.query('SELECT status, version FROM orders WHERE id = $1', [
      orderId,
    ]);
    expect(row.rows[0]).toEqual({ status: 'SUCCEEDED', version: 1 });
  });

  it('refuses a status change that does not add one to version', async () => {
    const orderId = await newOrder();

    const attempt = db.pool.query(
      "UPDATE orders SET status = 'FAILED', version = 5 WHERE id = $1",
      [orderId],
    );

    await expect(attempt).rejects.toMatchObject({ code: '23514' });
  });

  it('refuses a FAILED order going back to PENDING', async () => {
    const orderId = await newOrder();
    await db.pool.query(
      "UPDATE orders SET status = 'FAILED', version = 1 WHERE id = $1",
      [orderId],
    );

    const attempt = db.pool.query(
      "UPDATE orders SET status = 'PENDING', version = 2 WHERE id = $1",
      [orderId],
    );

    await expect(attempt).rejects.toMatchObject({ code: '23514', message: /PENDING/ });
  });

  it('allows another failed attempt, and a success after it', async () => {
    const orderId = await newOrder();
    const step = (status: string) =>
      db.pool.query(
        `UPDATE orders SET status = $2, version = version + 1 WHERE id = $1`,
        [orderId, status],
      );

    await step('FAILED');
    await step('FAILED');
    await step('SUCCEEDED');

    const row = await db.pool.query('SELECT status, version FROM orders WHERE id = $1', [
      orderId,
    ]);
    expect(row.rows[0]).toEqual({ status: 'SUCCEEDED', version: 3 });
  });

  it('lets the customer confirm, again, then fail or pay; nothing after a success', async () => {
    const orderId = await newOrder();
    const step = (status: string) =>
      db.pool.query(
        `UPDATE orders SET status = $2, version = version + 1 WHERE id = $1`,
        [orderId, status],
      );

    await step('ACTION_REQUIRED');
    await step('ACTION_REQUIRED');
    await step('FAILED');
    await step('ACTION_REQUIRED');
    await step('SUCCEEDED');
    await expect(step('ACTION_REQUIRED')).rejects.toMatchObject({ code: '23514' });

    const row = await db.pool.query('SELECT status, version FROM orders WHERE id = $1', [
      orderId,
    ]);
    expect(row.rows[0]).toEqual({ status: 'SUCCEEDED', version: 5 });
  });

  it('refuses a PENDING order with a version, and an unknown status', async () => {
    await expect(
      db.pool.query("INSERT INTO orders (owner, version) VALUES ('x', 2)"),
    ).rejects.toMatchObject({ code: '23514' });
    await expect(
      db.pool.query(
        "INSERT INTO orders (owner, status, version) VALUES ('x', 'PAID', 1)",
      ),
    ).rejects.toMatchObject({ code: '23514' });
  });

  it('explains itself to a DBA through COMMENT ON', async () => {
    const comments = await db.pool.query(`
      SELECT obj_description('orders'::regclass, 'pg_class') AS orders_table,
             obj_description('stripe_events'::regclass, 'pg_class') AS ledger,
             obj_description('orders_notify_outcome'::regproc, 'pg_proc') AS notify_fn,
             obj_description('orders_enforce_status_rules'::regproc, 'pg_proc') AS rules_fn,
             (SELECT obj_description(oid, 'pg_trigger') FROM pg_trigger
               WHERE tgname = 'orders_notify_outcome') AS notify_trigger`);

    for (const comment of Object.values(comments.rows[0])) {
      expect(comment).toEqual(expect.stringMatching(/\w+ \w+ \w+/));
    }
  });
});
