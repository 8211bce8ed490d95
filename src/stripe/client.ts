/**
 * settle's Stripe API client, for starting payments and reconciling.
 *
 * The API version is pinned to the one this code was written and tested
 * against, so a change of the account's default version changes nothing
 * here. Create the webhook endpoint with the same version, so that events
 * arrive in the shapes the handler reads.
 */
import Stripe from 'stripe';

import type { Config } from '../config.js';
import { NotConfiguredError } from '../errors.js';

export const STRIPE_API_VERSION = '2026-11-18.endive';

/** Stripe's own retries, with the same idempotency key, for network faults. */
const MAX_NETWORK_RETRIES = 2;
const REQUEST_TIMEOUT_MS = 15_000;

export type StripeClient = Stripe;

/** The client, or undefined when no STRIPE_SECRET_KEY is configured. */
export function createStripeClient(config: Config): StripeClient | undefined {
  if (config.stripeSecretKey === undefined) {
    return undefined;
  }
  const base =
    config.stripeApiBase === undefined ? undefined : new URL(config.stripeApiBase);
  return new Stripe(config.stripeSecretKey, {
    apiVersion: STRIPE_API_VERSION,
    maxNetworkRetries: MAX_NETWORK_RETRIES,
    timeout: REQUEST_TIMEOUT_MS,
    appInfo: { name: 'settle' },
    ...(base === undefined
      ? {}
      : {
          host: base.hostname,
          port: base.port === '' ? (base.protocol === 'https:' ? 443 : 80) : base.port,
          protocol: base.protocol === 'https:' ? 'https' : 'http',
        }),
  });
}

/** The client, or 503 stripe_not_configured: never a silent local order. */
export function requireStripe(stripe: StripeClient | undefined): StripeClient {
  if (stripe === undefined) {
    throw new NotConfiguredError(
      'stripe_not_configured',
      'this mode calls Stripe, and settle has no STRIPE_SECRET_KEY',
    );
  }
  return stripe;
}
