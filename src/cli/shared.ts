/**
 * What the command-line tools share: where settle runs, which secrets sign,
 * and the recorded Stripe events they replay.
 */
import { DEVELOPMENT_JWT_SECRET, DEVELOPMENT_WEBHOOK_SECRET } from '../config.js';
import { signUserToken } from '../http/auth/users.js';

export { FIXTURE_DIRECTORY, loadFixture, postSignedEvent } from '../stripe/fixtures.js';

export function settleUrl(): string {
  return process.env.SETTLE_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`;
}

/** The first configured secret: the one settle checks first. */
export function signingSecret(): string {
  const configured = process.env.STRIPE_WEBHOOK_SECRET?.split(',')[0]?.trim();
  return configured || DEVELOPMENT_WEBHOOK_SECRET;
}

/**
 * A bearer token for `user`, signed with AUTH_JWT_SECRET or, as settle does
 * without it, the development secret: what a shop's identity provider would
 * hand its frontend. Not for an AUTH_JWKS_URL setup.
 */
export function userToken(user = 'demo-user', ttl = '1h'): Promise<string> {
  const secret = process.env.AUTH_JWT_SECRET?.trim() || DEVELOPMENT_JWT_SECRET;
  return signUserToken(secret, user, ttl);
}

/** A failure in words, with a hint when settle simply is not running. */
export function describeFailure(error: unknown): string {
  const reason = error instanceof Error ? error.message : String(error);
  return reason === 'fetch failed'
    ? `${reason} (is settle running at ${settleUrl()}? start it with make start)`
    : reason;
}
