/**
 * Graceful shutdown of a real settle process: open streams are told to come
 * back elsewhere, a webhook in flight commits, and the process exits.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openStream } from '../src/client/event-stream.js';
import {
  createTestDatabase,
  createTestPool,
  type TestDatabase,
} from './helpers/database.js';
import { eventually } from './helpers/eventually.js';
import { startSettleProcess } from './helpers/process.js';
import { authHeaders, createOrderAt, sendFixtureTo } from './helpers/remote.js';

const SHUTDOWN_TIMEOUT_MS = 4_000;

const PAID = 'invoice.paid.stripemock.json';

let database: TestDatabase;
let sql: pg.Pool;

beforeAll(async () => {
  database = await createTestDatabase();
  sql = createTestPool(database.url, 3);
});
afterAll(async () => {
  await sql.end();
  await database.drop();
});

describe('SIGTERM', () => {
  it('tells streams to reconnect, lets a webhook in flight commit, and exits 0', async () => {
    const settle = await startSettleProcess({
      DATABASE_URL: database.url,
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    });
    const waitingOrder = await createOrderAt(settle.url);
    const paidOrder = await createOrderAt(settle.url);
    const stream = await openStream(`${settle.url}/orders/${waitingOrder}/events`, {
      headers: await authHeaders(),
    });
    await stream.retryMs;

    // Hold the paid order's row, so that its webhook is in flight at SIGTERM.
    const locker = await sql.connect();
    await locker.query('BEGIN');
    await locker.query('SELECT id FROM orders WHERE id = $1 FOR UPDATE', [paidOrder]);
    const webhook = sendFixtureTo(settle.url, PAID, paidOrder);
    await eventually(async () => {
      const waiting = await sql.query(
        "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = $1",
        [database.name],
      );
      expect(waiting.rowCount).toBe(1);
    });

    const stoppedAt = Date.now();
    settle.child.kill('SIGTERM');
    const message = await stream.next();
    await locker.query('ROLLBACK');
    locker.release();
    const answer = await webhook;
    const exitCode = await settle.exited;

    expect(message?.event).toBe('reconnect');
    expect(stream.latestRetryMs).toBe(250);
    expect(answer.status).toBe(200);
    expect(exitCode).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    const row = await sql.query('SELECT status FROM orders WHERE id = $1', [paidOrder]);
    expect(row.rows[0].status).toBe('SUCCEEDED');
    const leftOpen = await sql.query(
      'SELECT count(*)::int AS n FROM pg_stat_activity ' +
        "WHERE application_name LIKE 'settle%' AND datname = $1",
      [database.name],
    );
    expect(leftOpen.rows[0].n).toBe(0);
  });
});
