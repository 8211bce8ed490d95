/**
 * POST /webhooks/stripe: Stripe's events, verified on the raw body.
 *
 * No JSON parser sees the body before verification: the signature covers the
 * exact bytes Stripe sent. Answers 200 to every verified event, also one that
 * changes nothing, so that Stripe stops sending it; a database failure
 * answers 500, so that Stripe retries.
 */
import type Router from '@koa/router';

import { verifyStripeEvent } from '../../stripe/verify.js';
import { readRawBody } from '../body.js';
import type { AppDependencies } from '../context.js';

export function registerWebhookRoutes(router: Router, deps: AppDependencies): void {
  const { config } = deps;

  router.post('/webhooks/stripe', async (ctx) => {
    const payload = await readRawBody(ctx, config.webhookBodyLimitBytes);
    const event = verifyStripeEvent(
      payload,
      ctx.get('stripe-signature'),
      config.stripeWebhookSecrets,
    );

    const result = await deps.handleStripeEvent(event);

    ctx.body = {
      received: true,
      duplicate: result.duplicate,
      disposition: result.disposition,
      ...(result.reason === null ? {} : { reason: result.reason }),
    };
  });
}
