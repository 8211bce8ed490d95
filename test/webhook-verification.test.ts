/**
 * What the webhook route refuses: anything Stripe did not sign, as it was
 * signed, recently. A refused request writes nothing.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { loadFixture } from '../src/cli/shared.js';
import { aimEventAtOrder, signPayload } from '../src/stripe/replay.js';
import {
  startTestSettle,
  TEST_WEBHOOK_SECRET,
  type TestSettle,
  TEST_PAYMENT,
} from './helpers/settle.js';

const FIXTURE = 'checkout.session.completed.payrails.json';
const FIVE_MINUTES_S = 300;

let app: TestSettle;
let orderId: string;
let payload: string;

beforeAll(async () => {
  app = await startTestSettle({ webhookBodyLimitBytes: 64 * 1024 });
});
afterAll(async () => {
  await app.close();
});

beforeEachOrder();

function beforeEachOrder() {
  // A fresh order and event per test, so "nothing written" is checked per test.
  afterEach(async () => {
    const events = await app.sql.query('SELECT count(*)::int AS n FROM stripe_events');
    const order = await app.sql.query('SELECT status FROM orders WHERE id = $1', [
      orderId,
    ]);
    expect(events.rows[0].n).toBe(0);
    expect(order.rows[0].status).toBe('PENDING');
  });
}

async function freshPayload(): Promise<string> {
  orderId = (await app.createOrder()).orderId;
  payload = JSON.stringify(
    aimEventAtOrder(await loadFixture(FIXTURE), orderId, { paid: TEST_PAYMENT }),
  );
  return payload;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

describe('refused webhooks', () => {
  it('refuses a request without a signature', async () => {
    const answer = await app.postWebhook(await freshPayload());

    expect(answer).toEqual({
      status: 400,
      body: {
        error: { code: 'invalid_signature', message: 'missing Stripe-Signature header' },
      },
    });
  });

  it('refuses a signature made with another secret', async () => {
    const body = await freshPayload();

    const answer = await app.postWebhook(body, signPayload(body, 'whsec_someone_else'));

    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_signature');
    expect(answer.body.error.message).toMatch(/No signatures found/);
  });

  it('refuses a body changed after signing', async () => {
    const body = await freshPayload();
    const signature = signPayload(body, TEST_WEBHOOK_SECRET);
    const tampered = body.replace('"paid"', '"unpaid"');
    expect(tampered).not.toBe(body);

    const answer = await app.postWebhook(tampered, signature);

    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_signature');
  });

  it('refuses a stale timestamp (a replay of an old delivery)', async () => {
    const body = await freshPayload();
    const signature = signPayload(
      body,
      TEST_WEBHOOK_SECRET,
      nowSeconds() - 2 * FIVE_MINUTES_S,
    );

    const answer = await app.postWebhook(body, signature);

    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_signature');
    expect(answer.body.error.message).toMatch(/tolerance/i);
  });

  it('refuses a garbage signature header', async () => {
    const answer = await app.postWebhook(await freshPayload(), 't=abc,v1=nothex');

    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_signature');
  });

  it('refuses an empty body, even correctly signed', async () => {
    await freshPayload();

    const answer = await app.postWebhook('', signPayload('', TEST_WEBHOOK_SECRET));

    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_payload');
  });

  it('refuses a signed body that is not JSON', async () => {
    await freshPayload();
    const body = 'event=paid&order=1';

    const answer = await app.postWebhook(body, signPayload(body, TEST_WEBHOOK_SECRET));

    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_payload');
  });

  it('refuses signed JSON that is not a Stripe event', async () => {
    await freshPayload();
    const body = JSON.stringify({ hello: 'world' });

    const answer = await app.postWebhook(body, signPayload(body, TEST_WEBHOOK_SECRET));

    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_event');
  });

  it.each([
    ['an event id over 255 characters', { id: `evt_${'x'.repeat(300)}` }],
    ['an empty event id', { id: '' }],
    ['an event id with a NUL character', { id: 'evt_nul\u0000x' }],
    ['a type with a NUL character', { type: 'invoice.paid\u0000' }],
    ['created that is not a Unix time', { created: 1e20 }],
    ['created as a string', { created: '1700000000' }],
    ['data.object that is an array', { data: { object: [] } }],
    ['livemode that is not a boolean', { livemode: 'false' }],
    [
      'a NUL character deep in the object',
      { data: { object: { object: 'checkout.session', currency: 'us\u0000d' } } },
    ],
  ])('refuses a signed event with %s', async (_name, change) => {
    const event = { ...JSON.parse(await freshPayload()), ...change };
    const body = JSON.stringify(event);

    const answer = await app.postWebhook(body, signPayload(body, TEST_WEBHOOK_SECRET));

    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('invalid_event');
  });

  it('refuses a body over the limit with 413', async () => {
    await freshPayload();
    const body = JSON.stringify({ padding: 'x'.repeat(100 * 1024) });

    const answer = await app.postWebhook(body, signPayload(body, TEST_WEBHOOK_SECRET));

    expect(answer.status).toBe(413);
    expect(answer.body.error.code).toBe('payload_too_large');
  });
});

describe('several signing secrets', () => {
  let rotated: TestSettle;

  beforeAll(async () => {
    rotated = await startTestSettle({
      stripeWebhookSecrets: ['whsec_old_secret', TEST_WEBHOOK_SECRET],
    });
  });
  afterAll(async () => {
    await rotated.close();
  });

  it('accepts an event signed with any configured secret', async () => {
    await freshPayload(); // keeps the main app's checks above satisfied
    const { orderId: rotatedOrder } = await rotated.createOrder();
    const event = aimEventAtOrder(await loadFixture(FIXTURE), rotatedOrder, {
      paid: TEST_PAYMENT,
    });
    const body = JSON.stringify(event);

    const withOld = await rotated.postWebhook(
      body,
      signPayload(body, 'whsec_old_secret'),
    );
    const withNew = await rotated.postWebhook(
      body,
      signPayload(body, TEST_WEBHOOK_SECRET),
    );

    expect(withOld).toMatchObject({ status: 200, body: { duplicate: false } });
    expect(withNew).toMatchObject({ status: 200, body: { duplicate: true } });
  });
});
