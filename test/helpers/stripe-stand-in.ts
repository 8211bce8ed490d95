/**
 * A local stand-in for the few Stripe API endpoints settle calls, so that the
 * real `stripe` client can be tested without the internet. It records every
 * request (path, idempotency key, API version, form fields) and answers with
 * objects built from the shapes of the project's recorded Stripe events.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Config } from '../../src/config.js';
import { loadFixture } from '../../src/stripe/fixtures.js';
import type { TestSettle } from './settle.js';
import { TEST_USER } from './tokens.js';

export interface RecordedRequest {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  stripeVersion: string | undefined;
  /** The form body, flat: `line_items[0][price]` → `price_…`. */
  form: Record<string, string>;
}

export interface StandInPrice {
  unitAmount: number;
  currency: string;
}

export interface StandInSubscription {
  priceId: string;
  quantity: number;
  /** The user its metadata names as owner; the test user when left out. */
  owner?: string;
}

export interface StripeStandIn {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Prices the stand-in knows, by id. */
  readonly prices: Map<string, StandInPrice>;
  /** Subscriptions the stand-in knows: id → its one item's price and quantity. */
  readonly subscriptions: Map<string, StandInSubscription>;
  /** Sessions, invoices and PaymentIntents by id, as GET answers them; change at will. */
  readonly objects: Map<string, Record<string, unknown>>;
  /** The account's events, as GET /v1/events lists them (newest first). */
  readonly events: Array<{ id: string; type: string; created: number }>;
  /** The next `count` requests fail with this Stripe error. */
  failNext(count: number, status: number, error: { type: string; code: string }): void;
  close(): Promise<void>;
}

export async function startStripeStandIn(): Promise<StripeStandIn> {
  const sessionShape = await objectOf('checkout.session.completed.syncengine.json');
  const subscriptionShape = await objectOf(
    'customer.subscription.updated.syncengine.json',
  );
  const invoiceShape = await objectOf('invoice.payment_failed.payrails.json');

  const requests: RecordedRequest[] = [];
  const prices = new Map<string, StandInPrice>();
  const subscriptions = new Map<string, StandInSubscription>();
  const objects = new Map<string, Record<string, unknown>>();
  const events: Array<{ id: string; type: string; created: number }> = [];
  /** Stripe answers a repeated idempotency key with its first answer. */
  const answered = new Map<string, unknown>();
  let failures: { count: number; status: number; error: object } | undefined;
  let sequence = 0;

  const server = http.createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://stand-in');
      const recorded: RecordedRequest = {
        method: request.method ?? '',
        path: url.pathname,
        idempotencyKey: header(request, 'idempotency-key'),
        stripeVersion: header(request, 'stripe-version'),
        form: Object.fromEntries(new URLSearchParams(body === '' ? url.search : body)),
      };
      requests.push(recorded);

      if (failures !== undefined && failures.count > 0) {
        failures.count -= 1;
        return reply(response, failures.status, { error: failures.error });
      }
      const key =
        recorded.idempotencyKey && `${recorded.path} ${recorded.idempotencyKey}`;
      if (key && answered.has(key)) {
        return reply(response, 200, answered.get(key));
      }
      const [status, answer] = route(recorded);
      if (key && status === 200) {
        answered.set(key, answer);
      }
      reply(response, status, answer);
    });
  });

  function route(request: RecordedRequest): [number, unknown] {
    const { method, path, form } = request;
    if (method === 'POST' && path === '/v1/checkout/sessions') {
      return createSession(form);
    }
    if (method === 'GET' && path === '/v1/events') {
      return listEvents(form);
    }
    const objectId =
      /^\/v1\/(?:checkout\/sessions|invoices|payment_intents)\/([^/]+)$/.exec(path)?.[1];
    if (method === 'GET' && objectId !== undefined) {
      const object = objects.get(objectId);
      return object === undefined
        ? missing(`No such object: '${objectId}'`)
        : [200, object];
    }
    const subscriptionId = /^\/v1\/subscriptions\/([^/]+)$/.exec(path)?.[1];
    const subscription = subscriptionId && subscriptions.get(subscriptionId);
    if (subscriptionId === undefined || !subscription) {
      return missing(`No such resource: ${path}`);
    }
    if (method === 'GET') {
      return [200, subscriptionObject(subscriptionId, subscription)];
    }
    return updateSubscription(subscriptionId, subscription, form);
  }

  function createSession(form: Record<string, string>): [number, unknown] {
    const price = prices.get(form['line_items[0][price]'] ?? '');
    if (price === undefined) {
      return missing(`No such price: '${form['line_items[0][price]']}'`);
    }
    const quantity = Number(form['line_items[0][quantity]']);
    const id = `cs_test_standin${++sequence}`;
    const session = {
      ...sessionShape,
      id,
      mode: form.mode,
      status: 'open',
      payment_status: 'unpaid',
      url: `https://checkout.stripe.com/c/pay/${id}`,
      client_reference_id: form.client_reference_id ?? null,
      metadata: { order_id: form['metadata[order_id]'] },
      amount_subtotal: price.unitAmount * quantity,
      amount_total: price.unitAmount * quantity,
      currency: price.currency,
      livemode: false,
    };
    objects.set(id, session);
    return [200, session];
  }

  /** Newest first, filtered by types[] and created[gte|lte], paged by starting_after. */
  function listEvents(query: Record<string, string>): [number, unknown] {
    const types = Object.entries(query)
      .filter(([key]) => key.startsWith('types['))
      .map(([, value]) => value);
    const gte = Number(query['created[gte]'] ?? 0);
    const lte = Number(query['created[lte]'] ?? Number.MAX_SAFE_INTEGER);
    const matching = [...events]
      .sort((a, b) => b.created - a.created)
      .filter((event) => types.length === 0 || types.includes(event.type))
      .filter((event) => event.created >= gte && event.created <= lte);
    const after = query.starting_after;
    const start = after === undefined ? 0 : matching.findIndex((e) => e.id === after) + 1;
    const limit = Number(query.limit ?? 10);
    const data = matching.slice(start, start + limit);
    return [
      200,
      {
        object: 'list',
        url: '/v1/events',
        data,
        has_more: start + limit < matching.length,
      },
    ];
  }

  function subscriptionObject(id: string, state: StandInSubscription) {
    const item = (subscriptionShape.items as any).data[0];
    return {
      ...subscriptionShape,
      id,
      metadata: { settle_owner: state.owner ?? TEST_USER },
      livemode: false,
      quantity: state.quantity,
      items: {
        ...(subscriptionShape.items as object),
        data: [
          {
            ...item,
            id: `si_standin_${id}`,
            quantity: state.quantity,
            price: { ...item.price, id: state.priceId },
          },
        ],
      },
    };
  }

  function updateSubscription(
    id: string,
    state: StandInSubscription,
    form: Record<string, string>,
  ): [number, unknown] {
    if (form['items[0][id]'] !== `si_standin_${id}`) {
      return missing(`No such subscription item: '${form['items[0][id]']}'`);
    }
    const price = prices.get(state.priceId)!;
    const added = Number(form['items[0][quantity]']) - state.quantity;
    // pending_if_incomplete: the quantity changes only once the invoice is paid.
    const invoice = {
      ...invoiceShape,
      id: `in_standin${++sequence}`,
      status: 'open',
      billing_reason: 'subscription_update',
      amount_due: Math.max(added, 0) * price.unitAmount,
      amount_paid: 0,
      currency: price.currency,
      livemode: false,
    };
    objects.set(invoice.id, invoice);
    return [200, { ...subscriptionObject(id, state), latest_invoice: invoice }];
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    prices,
    subscriptions,
    objects,
    events,
    failNext(count, status, error) {
      failures = {
        count,
        status,
        error: { ...error, message: `stand-in: ${error.code}` },
      };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function objectOf(fixture: string): Promise<Record<string, unknown>> {
  const event = await loadFixture(fixture);
  return (event.data as { object: Record<string, unknown> }).object;
}

function header(request: http.IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function missing(message: string): [number, unknown] {
  return [
    404,
    { error: { type: 'invalid_request_error', code: 'resource_missing', message } },
  ];
}

function reply(response: http.ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify(body));
}

/** The secret key settle gets in tests that talk to the stand-in. */
export const STAND_IN_SECRET_KEY = 'sk_test_standin';

/** What makes a settle call this stand-in with a test-mode key. */
export function standInConfig(standIn: StripeStandIn): Partial<Config> {
  return {
    stripeSecretKey: STAND_IN_SECRET_KEY,
    stripeLivemode: false,
    stripeApiBase: standIn.url,
  };
}

/** POST /orders in a mode that calls Stripe, and the Stripe ids settle stored. */
export async function createStripeOrder(app: TestSettle, body: Record<string, unknown>) {
  const created = await app.createOrder(body);
  const { rows } = await app.sql.query(
    'SELECT stripe_checkout_session_id, stripe_invoice_id FROM orders WHERE id = $1',
    [created.orderId],
  );
  return {
    ...created,
    sessionId: rows[0].stripe_checkout_session_id as string | null,
    invoiceId: rows[0].stripe_invoice_id as string | null,
  };
}
