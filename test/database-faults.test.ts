/**
 * A database that misbehaves: a webhook fails with 500 (Stripe retries), and
 * a row locked by someone else cannot starve the pool for everybody.
 */
import { describe, expect, it } from 'vitest';

import { loadFixture } from '../src/cli/shared.js';
import { aimEventAtOrder } from '../src/stripe/replay.js';
import { TEST_PAYMENT, useTestSettle } from './helpers/settle.js';

const STATEMENT_TIMEOUT_MS = 300;
const POOL_SIZE = 2;
const PAID = 'invoice.paid.stripemock.json';

const app = useTestSettle({
  databaseStatementTimeoutMs: STATEMENT_TIMEOUT_MS,
  databasePoolSize: POOL_SIZE,
});

describe('a row locked by another session', () => {
  it('fails its webhooks after the statement timeout while other requests go on', async () => {
    const { orderId } = await app().createOrder();
    const locker = await app().sql.connect();
    await locker.query('BEGIN');
    await locker.query('SELECT id FROM orders WHERE id = $1 FOR UPDATE', [orderId]);

    let blocked;
    let meanwhile;
    try {
      const event = aimEventAtOrder(await loadFixture(PAID), orderId, {
        paid: TEST_PAYMENT,
      });
      const webhooks = Array.from({ length: POOL_SIZE * 3 }, () =>
        app().sendEvent(event),
      );
      meanwhile = await app().createOrder();
      blocked = await Promise.all(webhooks);
    } finally {
      await locker.query('ROLLBACK');
      locker.release();
    }
    const retried = await app().sendFixture(PAID, orderId);

    expect(meanwhile.orderId).toBeDefined();
    expect(new Set(blocked.map((answer) => answer.status))).toEqual(new Set([500]));
    expect(retried).toMatchObject({ status: 200, body: { disposition: 'applied' } });
  });
});
