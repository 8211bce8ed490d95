/**
 * POST /orders creates a PENDING order for the caller; GET /orders/:orderId
 * reads one of the caller's orders. Both need a bearer token; someone else's
 * order is as unknown as one that does not exist.
 */
import type Router from '@koa/router';
import { z } from 'zod';

import { NotFoundError, ValidationError } from '../../errors.js';
import { createOrder, readOrder, type Order } from '../../orders/orders.js';
import { readJsonBody } from '../body.js';
import type { RouteDependencies } from '../context.js';
import { parseOrderIdParam } from '../params.js';

/** Orders are created by our own frontend: a small body is plenty. */
const ORDER_BODY_LIMIT_BYTES = 16 * 1024;
/** Stripe's own ceiling for an amount in most currencies: eight digits. */
const MAX_AMOUNT = 99_999_999;
const MAX_MESSAGE_CHARS = 200;

const newOrderBody = z
  .strictObject({
    amount: z.int().positive().max(MAX_AMOUNT),
    currency: z
      .string()
      .regex(/^[A-Za-z]{3}$/, 'must be a three-letter ISO 4217 code')
      .transform((code) => code.toLowerCase()),
  })
  .partial()
  .refine((body) => (body.amount === undefined) === (body.currency === undefined), {
    message: 'amount and currency must be given together',
  });

export function registerOrderRoutes(router: Router, deps: RouteDependencies): void {
  router.post('/orders', async (ctx) => {
    const owner = await deps.users.verify(ctx.get('authorization'));
    const json = await readJsonBody(ctx, ORDER_BODY_LIMIT_BYTES);
    const body = parseNewOrder(json === undefined ? {} : json);

    const order = await createOrder(deps.db, { owner, ...body });
    const waitToken = await deps.waitTokens.issue(order.orderId, owner);
    deps.logger.info({ orderId: order.orderId }, 'order created');

    ctx.status = 201;
    ctx.set('Location', `/orders/${order.orderId}`);
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

function parseNewOrder(body: unknown): z.output<typeof newOrderBody> {
  const parsed = newOrderBody.safeParse(body);
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
    ...(order.actionUrl === null ? {} : { actionUrl: order.actionUrl }),
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}
