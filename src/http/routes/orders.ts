/**
 * POST /orders creates a PENDING order for the caller; GET /orders/:orderId
 * reads one of the caller's orders. Both need a bearer token; someone else's
 * order is as unknown as one that does not exist.
 */
import { createHash } from 'node:crypto';

import type Router from '@koa/router';
import { z } from 'zod';

import { NotFoundError, ValidationError } from '../../errors.js';
import { readOrder, type Order } from '../../orders/orders.js';
import { startOrder, type OrderRequest } from '../../orders/payments.js';
import { readJsonBody } from '../body.js';
import type { RouteDependencies } from '../context.js';
import { parseOrderIdParam } from '../params.js';

/** Orders are created by our own frontend: a small body is plenty. */
const ORDER_BODY_LIMIT_BYTES = 16 * 1024;
/** Stripe's own ceiling for an amount in most currencies: eight digits. */
const MAX_AMOUNT = 99_999_999;
const MAX_MESSAGE_CHARS = 200;

/** Stripe's ids: a prefix, an underscore, letters and digits. */
const stripeId = (prefix: string) =>
  z
    .string()
    .regex(new RegExp(`^${prefix}_[A-Za-z0-9_]{1,200}$`), `must be a ${prefix}_... id`);
const quantity = z.int().positive().max(10_000);

const localOrder = z
  .strictObject({
    mode: z.literal('local').optional(),
    amount: z.int().positive().max(MAX_AMOUNT).optional(),
    currency: z
      .string()
      .regex(/^[A-Za-z]{3}$/, 'must be a three-letter ISO 4217 code')
      .transform((code) => code.toLowerCase())
      .optional(),
  })
  .refine((body) => (body.amount === undefined) === (body.currency === undefined), {
    message: 'amount and currency must be given together',
  })
  .transform((body) => ({ ...body, mode: 'local' as const }));

const checkoutOrder = z.strictObject({
  mode: z.enum(['payment', 'subscription']),
  priceId: stripeId('price'),
  quantity,
});

const seatsOrder = z.strictObject({
  mode: z.literal('seats'),
  subscriptionId: stripeId('sub'),
  priceId: stripeId('price'),
  quantity,
});

/** `mode` picks the shape; without it, a local order (the first API's body). */
const ORDER_BODY_BY_MODE = {
  local: localOrder,
  payment: checkoutOrder,
  subscription: checkoutOrder,
  seats: seatsOrder,
} as const;

const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export function registerOrderRoutes(router: Router, deps: RouteDependencies): void {
  router.post('/orders', async (ctx) => {
    const owner = await deps.users.verify(ctx.get('authorization'));
    const idempotencyKey = parseIdempotencyKey(ctx.get('idempotency-key'));
    const json = await readJsonBody(ctx, ORDER_BODY_LIMIT_BYTES);
    const request = parseNewOrder(json === undefined ? {} : json);

    const { order, replayed } = await startOrder(
      deps,
      owner,
      request,
      idempotencyKey === undefined
        ? undefined
        : { key: idempotencyKey, requestHash: hashOf(request) },
    );
    const waitToken = await deps.waitTokens.issue(order.orderId, owner);
    deps.logger.info(
      { orderId: order.orderId, mode: order.mode, replayed },
      'order created',
    );

    ctx.status = 201;
    ctx.set('Location', `/orders/${order.orderId}`);
    if (replayed) {
      ctx.set('Idempotent-Replayed', 'true');
    }
    ctx.body = { ...toOrderJson(order), waitToken };
  });

  router.get('/orders/:orderId', async (ctx) => {
    const owner = await deps.users.verify(ctx.get('authorization'));
    const orderId = parseOrderIdParam(ctx.params.orderId);
    const order = await readOrder(deps.db, orderId);
    if (order === undefined || order.owner !== owner) {
      throw new NotFoundError('order_not_found', 'no such order');
    }
    ctx.body = toOrderJson(order);
  });
}

/** A caller's retry key: printable ASCII, as Stripe's own. */
function parseIdempotencyKey(header: string): string | undefined {
  if (header === '') {
    return undefined;
  }
  if (!IDEMPOTENCY_KEY_PATTERN.test(header)) {
    throw new ValidationError(
      'invalid_idempotency_key',
      'Idempotency-Key must be 1 to 255 printable ASCII characters',
    );
  }
  return header;
}

/** The same request, however its JSON was spelled: the parsed body's hash. */
function hashOf(request: OrderRequest): string {
  const fields = Object.entries(request).sort(([a], [b]) => a.localeCompare(b));
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

function parseNewOrder(body: unknown): OrderRequest {
  // The schema of the mode asked for, so that an error names the field at
  // fault rather than saying that no shape at all matched.
  const mode = (body as { mode?: unknown } | null)?.mode ?? 'local';
  const schema =
    typeof mode === 'string' && Object.hasOwn(ORDER_BODY_BY_MODE, mode)
      ? ORDER_BODY_BY_MODE[mode as keyof typeof ORDER_BODY_BY_MODE]
      : undefined;
  if (schema === undefined || typeof body !== 'object' || Array.isArray(body)) {
    throw new ValidationError(
      'invalid_body',
      'the body must be a JSON object whose mode is local, payment, subscription or seats',
    );
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    // Cut: the message may quote the caller's keys, which could be long.
    const message = `${where}${issue?.message ?? 'invalid body'}`;
    throw new ValidationError('invalid_body', message.slice(0, MAX_MESSAGE_CHARS));
  }
  return parsed.data;
}

export function toOrderJson(order: Order) {
  return {
    orderId: order.orderId,
    status: order.status,
    version: order.version,
    amount: order.amount,
    currency: order.currency,
    mode: order.mode,
    ...(order.checkoutUrl === null ? {} : { checkoutUrl: order.checkoutUrl }),
    ...(order.stripeErrorCode === null ? {} : { stripeErrorCode: order.stripeErrorCode }),
    ...(order.actionUrl === null ? {} : { actionUrl: order.actionUrl }),
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}
