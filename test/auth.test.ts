/**
 * Who may wait on what: bearer tokens, wait tokens, ownership, and CORS.
 */
import { describe, expect, it } from 'vitest';

import { SignJWT } from 'jose';
import { pino } from 'pino';

import { openStream } from '../src/client/event-stream.js';
import { useTestSettle } from './helpers/settle.js';
import {
  signUserToken,
  TEST_JWT_SECRET,
  TEST_WAIT_TOKEN_SECRET,
} from './helpers/tokens.js';

const FRONTEND = 'https://shop.example';
const app = useTestSettle({ corsOrigins: [FRONTEND] });

async function status(
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
) {
  const response = await fetch(`${app().baseUrl}${path}`, { method, headers });
  const text = await response.text();
  return {
    status: response.status,
    code: text ? JSON.parse(text).error?.code : undefined,
  };
}
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const tokenWithoutExpiry = () =>
  new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('user-test-1')
    .sign(new TextEncoder().encode(TEST_JWT_SECRET));

describe('bearer tokens', () => {
  it.each([
    ['no token', async () => ({}), 'missing_token'],
    ['a malformed header', async () => ({ Authorization: 'Basic abc' }), 'missing_token'],
    [
      'an expired token',
      async () => bearer(await signUserToken('u', { expiresIn: '-1m' })),
      'token_expired',
    ],
    [
      'a forged token',
      async () => bearer(await signUserToken('u', { secret: 'x'.repeat(40) })),
      'invalid_token',
    ],
    ['garbage', async () => bearer('not.a.jwt'), 'invalid_token'],
    [
      'a token that never expires',
      async () => bearer(await tokenWithoutExpiry()),
      'invalid_token',
    ],
  ])(
    'answer 401 to %s, on POST /orders, GET /orders/:id and the stream',
    async (_name, headers, code) => {
      const { orderId } = await app().createOrder();
      const sent = await headers();

      const answers = [
        await status('/orders', sent, 'POST'),
        await status(`/orders/${orderId}`, sent),
        await status(`/orders/${orderId}/events`, sent),
      ];

      expect(answers).toEqual(Array(3).fill({ status: 401, code }));
    },
  );

  it("answers someone else's order with 404, as if it did not exist", async () => {
    const { orderId } = await app().createOrder();
    const stranger = bearer(await signUserToken('someone-else'));

    expect(await status(`/orders/${orderId}`, stranger)).toEqual({
      status: 404,
      code: 'order_not_found',
    });
    expect(await status(`/orders/${orderId}/events`, stranger)).toEqual({
      status: 404,
      code: 'order_not_found',
    });
  });
});

describe('wait tokens', () => {
  it('let a browser wait on its order with ?token=, without a header', async () => {
    const { orderId, waitToken } = await app().createOrder();
    const stream = await openStream(
      `${app().baseUrl}/orders/${orderId}/events?token=${waitToken}`,
    );
    await stream.retryMs;

    await app().sendFixture('invoice.paid.stripemock.json', orderId);

    expect((await stream.next())?.event).toBe('order.succeeded');
  });

  it('are refused on another order, and as a bearer token', async () => {
    const mine = await app().createOrder();
    const other = await app().createOrder();

    const onOther = await status(
      `/orders/${other.orderId}/events?token=${mine.waitToken}`,
    );
    const asBearer = await status(`/orders/${mine.orderId}`, bearer(mine.waitToken));

    expect(onOther).toEqual({ status: 401, code: 'invalid_token' });
    expect(asBearer).toEqual({ status: 401, code: 'invalid_token' });
  });

  it('are refused once expired, and when signed with another secret', async () => {
    const { orderId } = await app().createOrder();
    const { SignJWT } = await import('jose');
    const sign = (secret: string, expires: string) =>
      new SignJWT({ order: orderId })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('user-test-1')
        .setAudience('settle:wait')
        .setExpirationTime(expires)
        .sign(new TextEncoder().encode(secret));

    const expired = await status(
      `/orders/${orderId}/events?token=${await sign(TEST_WAIT_TOKEN_SECRET, '-1m')}`,
    );
    const forged = await status(
      `/orders/${orderId}/events?token=${await sign('y'.repeat(40), '5m')}`,
    );

    expect(expired).toEqual({ status: 401, code: 'token_expired' });
    expect(forged).toEqual({ status: 401, code: 'invalid_token' });
  });
});

describe('CORS', () => {
  it('answers a preflight from the configured origin with what the client needs', async () => {
    const response = await fetch(`${app().baseUrl}/orders`, {
      method: 'OPTIONS',
      headers: {
        Origin: FRONTEND,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization,content-type',
      },
    });

    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(FRONTEND);
    expect(response.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect(response.headers.get('access-control-allow-headers')).toMatch(/Last-Event-ID/);
  });

  it('says nothing to another origin', async () => {
    const response = await fetch(`${app().baseUrl}/healthz`, {
      headers: { Origin: 'https://evil.example' },
    });

    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('the development panel', () => {
  it('replays to this server, whatever Origin the request names', async () => {
    const { orderId } = await app().createOrder();

    const response = await fetch(`${app().baseUrl}/dev/replay`, {
      method: 'POST',
      headers: {
        ...app().authHeaders,
        'Content-Type': 'application/json',
        Origin: 'http://127.0.0.1:9/elsewhere?',
      },
      body: JSON.stringify({ orderId, outcome: 'paid' }),
    });

    expect(response.status).toBe(200);
    expect((await response.json()).status).toBe(200);
    const row = await app().sql.query('SELECT status FROM orders WHERE id = $1', [
      orderId,
    ]);
    expect(row.rows[0].status).toBe('SUCCEEDED');
  });
});

describe('in production', () => {
  const production = useTestSettle({ environment: 'production' });

  it('serves the page but has no development panel routes', async () => {
    const page = await fetch(`${production().baseUrl}/`);
    const session = await fetch(`${production().baseUrl}/dev/session`, {
      method: 'POST',
    });
    const replay = await fetch(`${production().baseUrl}/dev/replay`, { method: 'POST' });

    expect(page.status).toBe(200);
    expect(session.status).toBe(404);
    expect(replay.status).toBe(404);
  });
});

describe('the log', () => {
  const lines: string[] = [];
  const logged = useTestSettle({
    logger: pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) }),
  });

  it('never holds a token, an Authorization header or a signature', async () => {
    const { orderId, waitToken } = await logged().createOrder();
    const stream = await openStream(
      `${logged().baseUrl}/orders/${orderId}/events?token=${waitToken}`,
    );
    await stream.retryMs;
    await logged().sendFixture('invoice.paid.stripemock.json', orderId);
    await stream.next();

    const log = lines.join('');
    expect(log).toContain(orderId);
    expect(log).not.toContain(waitToken);
    expect(log).not.toContain(logged().token);
    expect(log).not.toMatch(/Bearer|authorization|v1=/i);
  });
});
