/**
 * Every recorded Stripe event in test/fixtures/stripe, aimed at a fresh
 * order and signed: each produces its expected transition, or none.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { FIXTURE_DIRECTORY } from '../src/cli/shared.js';
import { useTestSettle } from './helpers/settle.js';

/** The status each fixture type leads a PENDING order to; null: no change. */
const EXPECTED_STATUS: Record<string, string | null> = {
  'charge.refunded': null,
  'checkout.session.async_payment_failed': 'FAILED',
  'checkout.session.async_payment_succeeded': 'SUCCEEDED',
  'checkout.session.completed': 'SUCCEEDED',
  'checkout.session.expired': 'EXPIRED',
  'customer.created': null,
  'customer.subscription.created': null,
  'customer.subscription.deleted': null,
  'customer.subscription.updated': null,
  'customer.updated': null,
  'invoice.paid': 'SUCCEEDED',
  'invoice.payment_action_required': 'ACTION_REQUIRED',
  'invoice.payment_failed': 'FAILED',
  'invoice.payment_succeeded': null,
  'payment_intent.payment_failed': 'FAILED',
  'payment_intent.requires_action': 'ACTION_REQUIRED',
  'payment_intent.succeeded': 'SUCCEEDED',
};

const fixtures = readdirSync(FIXTURE_DIRECTORY).filter((name) => name.endsWith('.json'));

const app = useTestSettle();

describe('each recorded Stripe event', () => {
  it('covers every fixture type', () => {
    const types = new Set(fixtures.map(typeOf));
    expect([...types].sort()).toEqual(Object.keys(EXPECTED_STATUS).sort());
  });

  it.each(fixtures)('%s', async (fixture) => {
    const expected = EXPECTED_STATUS[typeOf(fixture)];
    const { orderId } = await app().createOrder();

    const answer = await app().sendFixture(fixture, orderId);

    expect(answer.status).toBe(200);
    const order = await app().sql.query(
      'SELECT status, version FROM orders WHERE id = $1',
      [orderId],
    );
    const ledger = await app().sql.query(
      'SELECT type, order_id, disposition FROM stripe_events WHERE id = $1',
      [answer.eventId],
    );
    if (expected === null) {
      expect(order.rows[0]).toEqual({ status: 'PENDING', version: 0 });
      expect(ledger.rows[0]).toMatchObject({ disposition: 'ignored' });
    } else {
      expect(order.rows[0]).toEqual({ status: expected, version: 1 });
      expect(ledger.rows[0]).toEqual({
        type: typeOf(fixture),
        order_id: orderId,
        disposition: 'applied',
      });
    }
  });
});

function typeOf(fixture: string): string {
  return fixture.split('.').slice(0, -2).join('.');
}
