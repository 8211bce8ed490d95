/**
 * Starting an order's payment: only our row (local), or our row and then a
 * Stripe Checkout Session (payment, subscription) or a change of a
 * subscription's seats.
 *
 * The row comes first, so every Stripe object can carry its id. The order id
 * is Stripe's idempotency key: a retry of the same order, after a failure or
 * a lost answer, gets the same Stripe object back, never a second payment.
 * A caller's own Idempotency-Key finds the order it created before.
 */
import { sql, type Kysely } from 'kysely';
import type Stripe from 'stripe';

import type { Config } from '../config.js';
import type { Database, OrderRow } from '../db/schema.js';
import {
  NotFoundError,
  SettleError,
  UnprocessableError,
  UpstreamError,
} from '../errors.js';
import type { Logger } from '../logger.js';
import { ORDER_ID_METADATA_KEY, OWNER_METADATA_KEY } from '../stripe/events.js';
import { requireStripe, type StripeClient } from '../stripe/client.js';
import { toOrder, type Order } from './orders.js';

export type OrderRequest =
  | { mode: 'local'; amount?: number | undefined; currency?: string | undefined }
  | { mode: 'payment' | 'subscription'; priceId: string; quantity: number }
  | { mode: 'seats'; subscriptionId: string; priceId: string; quantity: number };

export interface IdempotencyKey {
  key: string;
  /** A hash of the request body: the same key must come with the same body. */
  requestHash: string;
}

export interface StartedOrder {
  order: Order;
  /** A caller's retry: the order its Idempotency-Key created before. */
  replayed: boolean;
}

export interface PaymentDependencies {
  db: Kysely<Database>;
  stripe: StripeClient | undefined;
  config: Config;
  logger: Logger;
}

export async function startOrder(
  deps: PaymentDependencies,
  owner: string,
  request: OrderRequest,
  idempotency: IdempotencyKey | undefined,
): Promise<StartedOrder> {
  const stripe = request.mode === 'local' ? undefined : requireStripe(deps.stripe);

  const created = await insertOrder(deps.db, owner, request, idempotency);
  const replayed = created === undefined;
  const row = created ?? (await earlierOrder(deps.db, owner, idempotency!));
  const order = toOrder(row);

  if (stripe === undefined || request.mode === 'local' || !needsStripe(row)) {
    return { order, replayed };
  }
  return { order: await startInStripe(deps, stripe, order, owner, request), replayed };
}

/** The new order, or undefined when this caller's key created one before. */
async function insertOrder(
  db: Kysely<Database>,
  owner: string,
  request: OrderRequest,
  idempotency: IdempotencyKey | undefined,
): Promise<OrderRow | undefined> {
  return (
    db
      .insertInto('orders')
      .values({
        owner,
        mode: request.mode,
        amount: request.mode === 'local' ? (request.amount ?? null) : null,
        currency: request.mode === 'local' ? (request.currency ?? null) : null,
        stripe_price_id: request.mode === 'local' ? null : request.priceId,
        quantity: request.mode === 'local' ? null : request.quantity,
        stripe_subscription_id: request.mode === 'seats' ? request.subscriptionId : null,
        idempotency_key: idempotency?.key ?? null,
        request_hash: idempotency?.requestHash ?? null,
      })
      // A concurrent request with the same key inserts nothing and reads the
      // winner's order below.
      .onConflict((conflict) =>
        conflict
          .columns(['owner', 'idempotency_key'])
          .where('idempotency_key', 'is not', null)
          .doNothing(),
      )
      .returningAll()
      .executeTakeFirst()
  );
}

async function earlierOrder(
  db: Kysely<Database>,
  owner: string,
  idempotency: IdempotencyKey,
): Promise<OrderRow> {
  const row = await db
    .selectFrom('orders')
    .selectAll()
    .where('owner', '=', owner)
    .where('idempotency_key', '=', idempotency.key)
    .executeTakeFirstOrThrow();
  if (row.request_hash !== idempotency.requestHash) {
    throw new UnprocessableError(
      'idempotency_key_reused',
      'this Idempotency-Key came with another request body',
    );
  }
  return row;
}

/**
 * Whether Stripe still has to be called: never yet, or the last call failed
 * (a retry calls Stripe again, with the same idempotency key).
 */
function needsStripe(row: OrderRow): boolean {
  const started =
    row.stripe_checkout_session_id !== null || row.stripe_invoice_id !== null;
  return row.mode !== 'local' && (!started || row.stripe_error_code !== null);
}

async function startInStripe(
  deps: PaymentDependencies,
  stripe: StripeClient,
  order: Order,
  owner: string,
  request: Exclude<OrderRequest, { mode: 'local' }>,
): Promise<Order> {
  const log = deps.logger.child({ orderId: order.orderId, mode: request.mode });
  try {
    const started =
      request.mode === 'seats'
        ? await changeSeats(stripe, order, owner, request)
        : await createCheckoutSession(stripe, deps.config, order, owner, request);
    log.info({ stripeId: started.stripeId }, 'payment started in Stripe');
    return await recordStarted(deps.db, order.orderId, started);
  } catch (error) {
    if (error instanceof SettleError && error.status < 500) {
      await recordFailure(deps.db, order.orderId, error.code);
      throw error;
    }
    const code = stripeErrorCode(error);
    if (code === undefined) {
      throw error;
    }
    log.warn({ stripeErrorCode: code }, 'Stripe refused to start the payment');
    await recordFailure(deps.db, order.orderId, code);
    if (isInvalidRequest(error)) {
      // Stripe will answer the same to a retry: an unknown price, say.
      throw new UnprocessableError(
        'stripe_invalid_request',
        `Stripe refused the request (${code}): ${stripeMessage(error)}`,
      );
    }
    throw new UpstreamError(
      'stripe_error',
      `Stripe could not start the payment (${code}); retry with the same Idempotency-Key`,
      error,
    );
  }
}

interface StartedInStripe {
  stripeId: string;
  checkoutSessionId?: string;
  checkoutUrl?: string | null;
  invoiceId?: string;
  /** What Stripe will charge: the amount a success must pay. */
  amount: number | null;
  currency: string | null;
}

async function createCheckoutSession(
  stripe: StripeClient,
  config: Config,
  order: Order,
  owner: string,
  request: { mode: 'payment' | 'subscription'; priceId: string; quantity: number },
): Promise<StartedInStripe> {
  const metadata = { [ORDER_ID_METADATA_KEY]: order.orderId };
  const returnUrl = (template: string) => template.replace('{ORDER_ID}', order.orderId);
  const params: Stripe.Checkout.SessionCreateParams = {
    mode: request.mode,
    line_items: [{ price: request.priceId, quantity: request.quantity }],
    client_reference_id: order.orderId,
    metadata,
    success_url: returnUrl(config.checkoutSuccessUrl),
    cancel_url: returnUrl(config.checkoutCancelUrl),
    // So that the events of the objects the session creates carry the order
    // too. Stripe refuses each of these in the other mode. A subscription
    // also names its owner, who alone may change its seats later.
    ...(request.mode === 'payment'
      ? { payment_intent_data: { metadata } }
      : {
          subscription_data: { metadata: { ...metadata, [OWNER_METADATA_KEY]: owner } },
        }),
  };
  const session = await stripe.checkout.sessions.create(params, {
    idempotencyKey: order.orderId,
  });
  return {
    stripeId: session.id,
    checkoutSessionId: session.id,
    checkoutUrl: session.url,
    ...chargedAmount(session.amount_total, session.currency),
  };
}

/**
 * The seed's case: one more (or fewer) seats on a subscription, invoiced at
 * once and only in effect once paid. The order settles from that invoice.
 */
async function changeSeats(
  stripe: StripeClient,
  order: Order,
  owner: string,
  request: { subscriptionId: string; priceId: string; quantity: number },
): Promise<StartedInStripe> {
  const subscription = await stripe.subscriptions
    .retrieve(request.subscriptionId)
    .catch((error: unknown) => {
      throw isInvalidRequest(error) ? subscriptionNotFound() : error;
    });
  // Anyone could name any subscription of the account: only the user its
  // metadata names may change it. Someone else's is as unknown as a missing one.
  if (subscription.metadata?.[OWNER_METADATA_KEY] !== owner) {
    throw subscriptionNotFound();
  }
  const item = subscription.items.data.find((each) => each.price.id === request.priceId);
  if (item === undefined) {
    throw new UnprocessableError(
      'price_not_on_subscription',
      `subscription ${request.subscriptionId} has no item with price ${request.priceId}`,
    );
  }

  const updated = await stripe.subscriptions.update(
    request.subscriptionId,
    {
      items: [{ id: item.id, quantity: request.quantity }],
      proration_behavior: 'always_invoice',
      payment_behavior: 'pending_if_incomplete',
      expand: ['latest_invoice'],
    },
    { idempotencyKey: order.orderId },
  );
  const invoice = updated.latest_invoice;
  if (invoice === null || typeof invoice === 'string' || invoice.id === undefined) {
    throw new UpstreamError(
      'stripe_no_invoice',
      'Stripe created no invoice for the change',
    );
  }
  return {
    stripeId: invoice.id,
    invoiceId: invoice.id,
    ...chargedAmount(invoice.amount_due, invoice.currency),
  };
}

/** Nothing to charge (a credit, a free trial): no amount to check. */
function chargedAmount(amount: number | null, currency: string | null) {
  return amount !== null && amount > 0 && currency !== null
    ? { amount, currency: currency.toLowerCase() }
    : { amount: null, currency: null };
}

async function recordStarted(
  db: Kysely<Database>,
  orderId: string,
  started: StartedInStripe,
): Promise<Order> {
  const row = await db
    .updateTable('orders')
    .set({
      stripe_checkout_session_id: started.checkoutSessionId ?? null,
      checkout_url: started.checkoutUrl ?? null,
      stripe_invoice_id: started.invoiceId ?? null,
      amount: started.amount,
      currency: started.currency,
      stripe_error_code: null,
    })
    .where('id', '=', orderId)
    .returningAll()
    .executeTakeFirstOrThrow();
  return toOrder(row);
}

/**
 * FAILED, with the reason kept: nothing is left PENDING forever. FAILED is
 * not final, so a retry that reaches Stripe can still end in a payment.
 */
async function recordFailure(
  db: Kysely<Database>,
  orderId: string,
  code: string,
): Promise<void> {
  await db
    .updateTable('orders')
    .set({
      status: 'FAILED',
      version: sql<number>`version + 1`,
      stripe_error_code: code.slice(0, 100),
    })
    .where('id', '=', orderId)
    .where('status', 'in', ['PENDING', 'FAILED', 'ACTION_REQUIRED'])
    .execute();
}

function subscriptionNotFound(): NotFoundError {
  return new NotFoundError('subscription_not_found', 'no such subscription of yours');
}

/** A request Stripe refused as such (400, 404): the same request fails again. */
function isInvalidRequest(error: unknown): boolean {
  return (error as { type?: unknown } | null)?.type === 'StripeInvalidRequestError';
}

function stripeMessage(error: unknown): string {
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' ? message.slice(0, 200) : 'no message';
}

/** Stripe's error code, or its kind for errors without one; undefined: not Stripe's. */
function stripeErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('type' in error)) {
    return undefined;
  }
  const { type, code } = error as { type?: unknown; code?: unknown };
  if (typeof type !== 'string' || !type.startsWith('Stripe')) {
    return undefined;
  }
  return typeof code === 'string' && code !== '' ? code : type;
}
