/**
 * POST /webhooks/stripe: Stripe's events, verified on the raw body.
 *
 * No JSON parser sees the body before verification: the signature covers the
 * exact bytes Stripe sent. Answers 200 to every verified event, also one that
 * changes nothing, so that Stripe stops sending it; a database failure
 * answers 500, so that Stripe retries.
 */
import type Router from '@koa/router';

import { SettleError } from '../../errors.js';
import type { WebhookOutcome } from '../../metrics.js';
import { verifyStripeEvent } from '../../stripe/verify.js';
import { readRawBody } from '../body.js';
import type { AppDependencies } from '../context.js';
import { requestLogger } from '../request-log.js';

export function registerWebhookRoutes(router: Router, deps: AppDependencies): void {
  const { config } = deps;

  router.post('/webhooks/stripe', async (ctx) => {
    const startedAt = performance.now();
    // Until verified, the body's type is not to be believed (nor counted).
    let type = 'unverified';
    let outcome: WebhookOutcome = 'rejected';
    try {
      const payload = await readRawBody(ctx, config.webhookBodyLimitBytes);
      const event = verifyStripeEvent(
        payload,
        ctx.get('stripe-signature'),
        config.stripeWebhookSecrets,
      );
      type = event.type;

      const result = await deps.handleStripeEvent(event, requestLogger(deps.logger, ctx));
      outcome = result.duplicate ? 'duplicate' : result.disposition;

      ctx.body = {
        received: true,
        duplicate: result.duplicate,
        disposition: result.disposition,
        ...(result.reason === null ? {} : { reason: result.reason }),
      };
    } catch (error) {
      if (!(error instanceof SettleError && error.status < 500)) {
        outcome = 'failed';
      }
      throw error;
    } finally {
      deps.metrics.webhooks.inc({ type, outcome });
      deps.metrics.webhookSeconds.observe(
        { outcome },
        (performance.now() - startedAt) / 1000,
      );
    }
  });
}
