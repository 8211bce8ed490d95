/**
 * The frontend client, against a real settle: outcomes, typed errors, and
 * coming back after a dropped connection or a server-side timeout.
 */
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
