/**
 * The frontend client, against a real settle: outcomes, typed errors, and
 * coming back after a dropped connection or a server-side timeout.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  NoFurtherOutcomeError,
  OrderNotFoundError,
  WaitAbortedError,
  WaitRequestError,
  WaitTimeoutError,
  waitForOrder,
} from '../src/client/index.js';
import { eventually } from './helpers/eventually.js';
import { useTestSettle } from './helpers/settle.js';
import { startStallProxy, type StallProxy } from './helpers/stall-proxy.js';

const PAID = 'invoice.paid.stripemock.json';
const FAILED = 'invoice.payment_failed.stripemock.json';
const SERVER_TIMEOUT_MS = 400;

const app = useTestSettle({ streamTimeoutMs: SERVER_TIMEOUT_MS, reconnectDelayMs: 50 });

let proxy: StallProxy;
beforeAll(async () => {
  proxy = await startStallProxy(app().baseUrl);
});
afterAll(async () => {
  await proxy.close();
});

const waitingFor = async (orderId: string) =>
  eventually(() => expect(app().settle.waiters.countFor(orderId)).toBe(1));

describe('waitForOrder', () => {
  it('resolves with the outcome when the webhook lands', async () => {
    const { orderId } = await app().createOrder();
    const waiting = waitForOrder(orderId, { baseUrl: app().baseUrl, token: app().token });
    await waitingFor(orderId);

    await app().sendFixture(PAID, orderId);

    expect(await waiting).toMatchObject({ orderId, status: 'SUCCEEDED', version: 1 });
  });

  it('waits again after a failure, for the retry, given the version it saw', async () => {
    const { orderId } = await app().createOrder();
    await app().sendFixture(FAILED, orderId);
    const first = await waitForOrder(orderId, {
      baseUrl: app().baseUrl,
      token: app().token,
    });

    const retry = waitForOrder(orderId, {
      baseUrl: app().baseUrl,
      token: app().token,
      lastEventId: first.version,
    });
    await waitingFor(orderId);
    await app().sendFixture(PAID, orderId);

    expect(first).toMatchObject({ status: 'FAILED', version: 1 });
    expect(await retry).toMatchObject({ status: 'SUCCEEDED', version: 2 });
  });

  it('comes back after the server-side timeout and still hears the outcome', async () => {
    const { orderId } = await app().createOrder();
    const waiting = waitForOrder(orderId, { baseUrl: app().baseUrl, token: app().token });

    await new Promise((resolve) => setTimeout(resolve, SERVER_TIMEOUT_MS * 1.5));
    await waitingFor(orderId);
    await app().sendFixture(PAID, orderId);

    expect(await waiting).toMatchObject({ status: 'SUCCEEDED', version: 1 });
  });

  it('comes back after the connection drops mid-wait, and hears the outcome once', async () => {
    const { orderId } = await app().createOrder();
    const waiting = waitForOrder(orderId, { baseUrl: proxy.url, token: app().token });
    await waitingFor(orderId);

    proxy.cut();
    await app().sendFixture(PAID, orderId); // lands while the client is away
    proxy.mend();

    expect(await waiting).toMatchObject({ status: 'SUCCEEDED', version: 1 });
    await app().expectNoWaiters();
  });

  it('rejects with typed errors for 404, 400 and a final order already seen', async () => {
    const { orderId } = await app().createOrder();
    await app().sendFixture(PAID, orderId);
    const { baseUrl, token } = app();

    await expect(
      waitForOrder('00000000-0000-4000-8000-000000000000', { baseUrl, token }),
    ).rejects.toBeInstanceOf(OrderNotFoundError);
    await expect(waitForOrder('not-a-uuid', { baseUrl, token })).rejects.toBeInstanceOf(
      WaitRequestError,
    );
    await expect(
      waitForOrder(orderId, { baseUrl, token, lastEventId: 1 }),
    ).rejects.toBeInstanceOf(NoFurtherOutcomeError);
  });

  it('rejects with WaitTimeoutError after timeoutMs', async () => {
    const { orderId } = await app().createOrder();

    const waiting = waitForOrder(orderId, {
      baseUrl: app().baseUrl,
      token: app().token,
      timeoutMs: 200,
    });

    await expect(waiting).rejects.toBeInstanceOf(WaitTimeoutError);
    await app().expectNoWaiters();
  });

  it('rejects with WaitAbortedError when aborted, leaving nothing behind', async () => {
    const { orderId } = await app().createOrder();
    const controller = new AbortController();
    const waiting = waitForOrder(orderId, {
      baseUrl: app().baseUrl,
      token: app().token,
      signal: controller.signal,
    });
    await waitingFor(orderId);

    controller.abort();

    await expect(waiting).rejects.toBeInstanceOf(WaitAbortedError);
    await app().expectNoWaiters();
  });
});

describe('waitForOrder against a misbehaving server', () => {
  /** A server that answers every request with `respond`, counting them. */
  async function fakeServer(respond: (response: http.ServerResponse) => void) {
    let requests = 0;
    const server = http.createServer((_request, response) => {
      requests += 1;
      respond(response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      baseUrl: `http://127.0.0.1:${port}`,
      requests: () => requests,
      close: () => new Promise((resolve) => server.close(resolve)),
    };
  }
  const ORDER = '11111111-1111-4111-8111-111111111111';

  it('backs off, not loops, when streams end at once without a word', async () => {
    const server = await fakeServer((response) => {
      response.writeHead(200, { 'Content-Type': 'text/event-stream' });
      response.end('retry: 100\n\n');
    });
    try {
      const waiting = waitForOrder(ORDER, { baseUrl: server.baseUrl, timeoutMs: 1_000 });

      await expect(waiting).rejects.toBeInstanceOf(WaitTimeoutError);
      // 100, 200, 400 ms apart: a handful in a second, not hundreds.
      expect(server.requests()).toBeLessThanOrEqual(5);
    } finally {
      await server.close();
    }
  });

  it('rejects at once when aborted during a backoff', async () => {
    const server = await fakeServer((response) => {
      response.writeHead(200, { 'Content-Type': 'text/event-stream' });
      response.end('retry: 5000\n\n');
    });
    try {
      const controller = new AbortController();
      const waiting = waitForOrder(ORDER, {
        baseUrl: server.baseUrl,
        signal: controller.signal,
      });
      await new Promise((resolve) => setTimeout(resolve, 300));

      const abortedAt = Date.now();
      controller.abort();
      await expect(waiting).rejects.toBeInstanceOf(WaitAbortedError);

      expect(Date.now() - abortedAt).toBeLessThan(200);
    } finally {
      await server.close();
    }
  });

  it('waits as long as Retry-After asks after a 503', async () => {
    const server = await fakeServer((response) => {
      response.writeHead(503, {
        'Content-Type': 'application/json',
        'Retry-After': '30',
      });
      response.end('{"error":{"code":"too_many_streams","message":"busy"}}');
    });
    try {
      const waiting = waitForOrder(ORDER, { baseUrl: server.baseUrl, timeoutMs: 1_000 });

      await expect(waiting).rejects.toBeInstanceOf(WaitTimeoutError);
      expect(server.requests()).toBe(1);
    } finally {
      await server.close();
    }
  });
});
