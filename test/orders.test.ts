/**
 * Creating and reading orders over HTTP, and the bodies refused.
 */
import { describe, expect, it } from 'vitest';

import { useTestSettle } from './helpers/settle.js';
import { TEST_USER } from './helpers/tokens.js';

const app = useTestSettle();

async function post(body: string | undefined, contentType = 'application/json') {
  const response = await fetch(`${app().baseUrl}/orders`, {
    method: 'POST',
    headers: {
      ...app().authHeaders,
      ...(body === undefined ? {} : { 'Content-Type': contentType }),
    },
    body,
  });
  return {
    status: response.status,
    headers: response.headers,
    body: await response.json(),
  };
}

describe('POST /orders', () => {
  it('creates a PENDING order and answers 201 with its id, status and version', async () => {
    const answer = await post(JSON.stringify({ amount: 1999, currency: 'USD' }));

    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({
      status: 'PENDING',
      version: 0,
      amount: 1999,
      currency: 'usd',
    });
    expect(answer.headers.get('location')).toBe(`/orders/${answer.body.orderId}`);
    const row = await app().sql.query('SELECT owner, amount FROM orders WHERE id = $1', [
      answer.body.orderId,
    ]);
    expect(row.rows[0]).toEqual({ owner: TEST_USER, amount: '1999' });
  });

  it('creates an order without a body', async () => {
    const answer = await post(undefined);

    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({
      status: 'PENDING',
      amount: null,
      currency: null,
    });
  });

  it.each([
    ['not JSON', '{"amount": 19', 'invalid_json'],
    [
      'an unknown field',
      '{"amount": 1, "currency": "usd", "owner": "x"}',
      'invalid_body',
    ],
    ['a negative amount', '{"amount": -5, "currency": "usd"}', 'invalid_body'],
    ['a fractional amount', '{"amount": 19.99, "currency": "usd"}', 'invalid_body'],
    ['an amount as a string', '{"amount": "1999", "currency": "usd"}', 'invalid_body'],
    [
      'a currency that is not a code',
      '{"amount": 1, "currency": "dollars"}',
      'invalid_body',
    ],
    ['an amount without a currency', '{"amount": 1999}', 'invalid_body'],
    ['an array', '[1, 2]', 'invalid_body'],
    ['null', 'null', 'invalid_body'],
  ])('refuses %s with 400', async (_name, body, code) => {
    const before = await app().sql.query('SELECT count(*)::int AS n FROM orders');

    const answer = await post(body);

    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe(code);
    const after = await app().sql.query('SELECT count(*)::int AS n FROM orders');
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it('cuts a long message that quotes the caller', async () => {
    const answer = await post(JSON.stringify({ ['k'.repeat(5000)]: 1 }));

    expect(answer.status).toBe(400);
    expect(answer.body.error.message.length).toBeLessThanOrEqual(200);
  });

  it('refuses a compressed body with 415', async () => {
    const response = await fetch(`${app().baseUrl}/orders`, {
      method: 'POST',
      headers: {
        ...app().authHeaders,
        'Content-Type': 'application/json',
        'Content-Encoding': 'gzip',
      },
      body: '{}',
    });

    expect(response.status).toBe(415);
  });

  it('refuses a body that is not JSON by its content type with 415', async () => {
    const answer = await post('amount=1999', 'application/x-www-form-urlencoded');

    expect(answer.status).toBe(415);
    expect(answer.body.error.code).toBe('unsupported_media_type');
  });
});

describe('GET /orders/:orderId', () => {
  it('reads an order with the same field names', async () => {
    const created = await post(JSON.stringify({ amount: 500, currency: 'eur' }));

    const response = await fetch(`${app().baseUrl}/orders/${created.body.orderId}`, {
      headers: app().authHeaders,
    });

    expect(response.status).toBe(200);
    const { waitToken: _onlyOnCreation, ...order } = created.body;
    expect(await response.json()).toEqual(order);
  });

  it('answers 404 for an unknown order and 400 for a malformed id', async () => {
    const headers = app().authHeaders;
    const unknown = await fetch(
      `${app().baseUrl}/orders/00000000-0000-4000-8000-000000000000`,
      { headers },
    );
    const malformed = await fetch(`${app().baseUrl}/orders/1234`, { headers });

    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.code).toBe('order_not_found');
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).error.code).toBe('invalid_order_id');
  });
});

describe('health', () => {
  it('answers /healthz and /readyz while the listener is connected', async () => {
    const health = await fetch(`${app().baseUrl}/healthz`);
    const ready = await fetch(`${app().baseUrl}/readyz`);

    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    expect(ready.status).toBe(200);
    const check = { ok: true, ms: expect.any(Number) };
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: { pool: check, listener: check, migrations: check },
    });
  });
});
