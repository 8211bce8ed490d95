/**
 * order_status_history: one row per recorded status change, with the Stripe
 * event that caused it, written by triggers (sql/008).
 */
import { describe, expect, it } from 'vitest';

import { useTestSettle } from './helpers/settle.js';

const app = useTestSettle();

async function history(orderId: string) {
  const { rows } = await app().sql.query(
    `SELECT old_status, new_status, version, stripe_event_id
     FROM order_status_history WHERE order_id = $1 ORDER BY version`,
    [orderId],
  );
  return rows;
}

describe('order_status_history', () => {
  it('gets a row per transition, naming the event that made it', async () => {
    const { orderId } = await app().createOrder();

    const action = await app().sendFixture(
      'invoice.payment_action_required.payrails.json',
      orderId,
    );
    const failed = await app().sendFixture(
      'invoice.payment_failed.payrails.json',
      orderId,
    );
    const again = await app().sendFixture(
      'invoice.payment_failed.payrails.json',
      orderId,
    );
    const paid = await app().sendFixture('invoice.paid.syncengine.json', orderId);
    // A redelivery and a late failure change nothing, so they add no row.
    await app().sendFixture('invoice.paid.syncengine.json', orderId, {
      eventId: paid.eventId,
    });
    await app().sendFixture('invoice.payment_failed.payrails.json', orderId);

    expect(await history(orderId)).toEqual([
      {
        old_status: 'PENDING',
        new_status: 'ACTION_REQUIRED',
        version: 1,
        stripe_event_id: action.eventId,
      },
      {
        old_status: 'ACTION_REQUIRED',
        new_status: 'FAILED',
        version: 2,
        stripe_event_id: failed.eventId,
      },
      {
        old_status: 'FAILED',
        new_status: 'FAILED',
        version: 3,
        stripe_event_id: again.eventId,
      },
      {
        old_status: 'FAILED',
        new_status: 'SUCCEEDED',
        version: 4,
        stripe_event_id: paid.eventId,
      },
    ]);
  });

  it('has no event id for a change made without one, and the one set by hand', async () => {
    const { orderId } = await app().createOrder();
    const client = await app().sql.connect();
    try {
      await client.query(
        "UPDATE orders SET status = 'FAILED', version = version + 1 WHERE id = $1",
        [orderId],
      );
      await client.query('BEGIN');
      await client.query("SET LOCAL settle.stripe_event_id = 'evt_by_hand'");
      await client.query(
        "UPDATE orders SET status = 'SUCCEEDED', version = version + 1 WHERE id = $1",
        [orderId],
      );
      await client.query('COMMIT');
      // The setting ended with its transaction.
      const { rows } = await client.query(
        "SELECT current_setting('settle.stripe_event_id', true) AS setting",
      );
      expect(rows[0].setting ?? '').toBe('');
    } finally {
      client.release();
    }

    expect(await history(orderId)).toEqual([
      { old_status: 'PENDING', new_status: 'FAILED', version: 1, stripe_event_id: null },
      {
        old_status: 'FAILED',
        new_status: 'SUCCEEDED',
        version: 2,
        stripe_event_id: 'evt_by_hand',
      },
    ]);
  });
});
