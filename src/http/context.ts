/**
 * What the routes are given: the parts of a running settle they use.
 */
import type { Kysely } from 'kysely';

import type { Config } from '../config.js';
import type { Database } from '../db/schema.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { WaiterRegistry } from '../notify/waiters.js';
import type { StripeClient } from '../stripe/client.js';
import type { StripeEvent } from '../stripe/verify.js';
import type { WebhookResult } from '../stripe/webhook.js';
import type { UserVerifier } from './auth/users.js';
import type { WaitTokens } from './auth/wait-tokens.js';

export interface AppDependencies {
  config: Config;
  db: Kysely<Database>;
  waiters: WaiterRegistry;
  listener: { readonly isListening: boolean };
  metrics: Metrics;
  /** Undefined without STRIPE_SECRET_KEY: the modes that call Stripe answer 503. */
  stripe: StripeClient | undefined;
  /** A verified event through the ledger to its order: the webhook's and the reconciler's. */
  handleStripeEvent: (event: StripeEvent, logger?: Logger) => Promise<WebhookResult>;
  logger: Logger;
}

/** What the routes get: the running parts, and the token checkers. */
export interface RouteDependencies extends AppDependencies {
  users: UserVerifier;
  waitTokens: WaitTokens;
}
