/**
 * The stream route's own rules: headers, heartbeats, timeouts, clients that
 * leave, and the errors it answers before any stream starts.
 */
import { describe, expect, it } from 'vitest';

import { openStream } from '../src/client/event-stream.js';
import { eventually } from './helpers/eventually.js';
import { useTestSettle } from './helpers/settle.js';

const STREAM_TIMEOUT_MS = 400;
const HEARTBEAT_MS = 50;

const app = useTestSettle({
  streamTimeoutMs: STREAM_TIMEOUT_MS,
  heartbeatIntervalMs: HEARTBEAT_MS,
  reconnectDelayMs: 1500,
});

async function getJson(path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${app().baseUrl}${path}`, {
    headers: { ...app().authHeaders, ...headers },
  });
  return { status: response.status, body: await response.json() };
}

describe('an open stream', () => {
  it('sends its headers and retry delay at once, before anything happens', async () => {
    const { orderId } = await app().createOrder();

    const stream = await app().openStream(orderId);

    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(stream.headers.get('x-accel-buffering')).toBe('no');
    expect(await stream.retryMs).toBe(1500);
    stream.close();
  });

  it('sends heartbeat comments while it waits', async () => {
    const { orderId } = await app().createOrder();
    const stream = await app().openStream(orderId);

    await eventually(() => expect(stream.comments).toBeGreaterThanOrEqual(2));
    stream.close();
  });

  it('sends event: timeout and ends when nothing happens in time', async () => {
    const { orderId } = await app().createOrder();
    const stream = await app().openStream(orderId);

    const message = await stream.next();

    expect(message?.event).toBe('timeout');
    expect(message?.id).toBeUndefined();
    expect(JSON.parse(message!.data)).toEqual({ orderId, timeoutMs: STREAM_TIMEOUT_MS });
    expect(await stream.next()).toBeUndefined();
  });

  it('leaves no waiter behind when the client disconnects mid-wait', async () => {
    const { orderId } = await app().createOrder();
    const stream = await app().openStream(orderId);
    await stream.retryMs;
    expect(app().settle.waiters.size).toBe(1);

    stream.close();

    await eventually(() => expect(app().settle.waiters.size).toBe(0));
  });

  it('answers HEAD with the headers at once, without waiting', async () => {
    const { orderId } = await app().createOrder();

    const response = await fetch(`${app().baseUrl}/orders/${orderId}/events`, {
      method: 'HEAD',
      headers: app().authHeaders,
    });

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  });

  it('accepts an order id in upper case', async () => {
    const { orderId } = await app().createOrder();
    const stream = await app().openStream(orderId.toUpperCase());
    await stream.retryMs;

    await app().sendFixture('invoice.paid.stripemock.json', orderId);
    const message = await stream.next();

    expect(message?.event).toBe('order.succeeded');
  });
});

describe('errors before a stream starts', () => {
  it('answers 400 for an id that is not a uuid', async () => {
    expect(await getJson('/orders/not-a-uuid/events')).toEqual({
      status: 400,
      body: { error: { code: 'invalid_order_id', message: 'order id must be a uuid' } },
    });
  });

  it('answers 404 for an unknown order', async () => {
    const answer = await getJson('/orders/00000000-0000-4000-8000-000000000000/events');

    expect(answer).toEqual({
      status: 404,
      body: { error: { code: 'order_not_found', message: 'no such order' } },
    });
  });

  it.each(['abc', '-1', '1.5', '1e3', '0x1', '99999999999'])(
    'answers 400 for Last-Event-ID %j',
    async (lastEventId) => {
      const { orderId } = await app().createOrder();

      const answer = await getJson(`/orders/${orderId}/events`, {
        'Last-Event-ID': lastEventId,
      });

      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('invalid_last_event_id');
    },
  );

  it('takes the last seen version from ?lastEventId=, the header winning over it', async () => {
    const { orderId } = await app().createOrder();
    await app().sendFixture('invoice.payment_failed.stripemock.json', orderId);
    await app().sendFixture('invoice.payment_failed.stripemock.json', orderId);

    const url = `${app().baseUrl}/orders/${orderId}/events`;
    const fromQuery = await openStream(`${url}?lastEventId=1`, {
      headers: app().authHeaders,
    });
    const headerWins = await openStream(`${url}?lastEventId=0`, {
      headers: { ...app().authHeaders, 'Last-Event-ID': '2' },
    });
    const twice = await getJson(`/orders/${orderId}/events?lastEventId=1&lastEventId=2`);

    expect((await fromQuery.next())?.id).toBe('2');
    await headerWins.retryMs;
    expect(app().settle.waiters.countFor(orderId)).toBe(1);
    headerWins.close();
    expect(twice.body.error.code).toBe('invalid_last_event_id');
  });

  it('answers 400 for a Last-Event-ID ahead of the order', async () => {
    const { orderId } = await app().createOrder();

    const answer = await getJson(`/orders/${orderId}/events`, { 'Last-Event-ID': '3' });

    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('last_event_id_ahead');
  });

  it('answers unknown routes and methods with a JSON error', async () => {
    const route = await getJson('/nothing-here');
    const method = await fetch(`${app().baseUrl}/webhooks/stripe`);

    expect(route).toEqual({
      status: 404,
      body: { error: { code: 'route_not_found', message: 'route not found' } },
    });
    expect(method.status).toBe(405);
    expect((await method.json()).error.code).toBe('method_not_allowed');
  });
});
