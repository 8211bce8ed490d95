/**
 * The secrets settle is configured with: webhook signing secrets, the
 * Stripe API key, and the keys of users' and wait tokens. Outside production
 * each has a public development default, so that `make start` needs nothing;
 * production requires real ones.
 */
import { readOptional } from './env.js';
import { ConfigError } from './errors.js';

/**
 * The webhook signing secret used when none is configured outside production.
 * It is public (it is in this file), so it only ever signs development events.
 */
export const DEVELOPMENT_WEBHOOK_SECRET = 'whsec_settle_development_only_not_a_secret';

/** Public like the one above: they let the demo sign users' and wait tokens. */
export const DEVELOPMENT_JWT_SECRET = 'settle-development-jwt-secret-not-a-secret';
export const DEVELOPMENT_WAIT_TOKEN_SECRET =
  'settle-development-wait-token-secret-not-a-secret';
const MIN_SECRET_LENGTH = 32;

export function readWebhookSecrets(
  env: NodeJS.ProcessEnv,
  isProduction: boolean,
): { values: string[]; isDevelopmentDefault: boolean } {
  const raw = readOptional(env, 'STRIPE_WEBHOOK_SECRET');
  if (raw === undefined) {
    if (isProduction) {
      throw new ConfigError(
        'STRIPE_WEBHOOK_SECRET',
        'is required in production (the endpoint signing secret, whsec_...)',
      );
    }
    return { values: [DEVELOPMENT_WEBHOOK_SECRET], isDevelopmentDefault: true };
  }

  const values = raw
    .split(',')
    .map((secret) => secret.trim())
    .filter((secret) => secret !== '');
  if (values.length === 0) {
    throw new ConfigError('STRIPE_WEBHOOK_SECRET', 'holds no secret');
  }
  // Checked everywhere, not only in production: an API key pasted here by
  // mistake would make every webhook fail verification, silently.
  for (const [index, secret] of values.entries()) {
    if (!/^whsec_[A-Za-z0-9_+/=-]+$/.test(secret)) {
      throw new ConfigError(
        'STRIPE_WEBHOOK_SECRET',
        `secret #${index + 1} does not look like a webhook signing secret ` +
          `(expected whsec_..., got ${describeSecretShape(secret)})`,
      );
    }
  }
  return { values, isDevelopmentDefault: false };
}

export function readStripeSecretKey(env: NodeJS.ProcessEnv): string | undefined {
  const key = readOptional(env, 'STRIPE_SECRET_KEY');
  // A secret or restricted key; a publishable key (pk_) cannot create anything.
  if (key !== undefined && !/^(sk|rk)_(test|live)_[A-Za-z0-9]+$/.test(key)) {
    throw new ConfigError(
      'STRIPE_SECRET_KEY',
      `does not look like a secret key (expected sk_test_..., sk_live_... or ` +
        `rk_..., got ${describeSecretShape(key)})`,
    );
  }
  return key;
}

/** Says what was pasted without repeating it: secrets never reach a log. */
function describeSecretShape(secret: string): string {
  const prefix = /^[a-z]+_(test_|live_)?/.exec(secret)?.[0];
  return prefix === undefined
    ? `${secret.length} characters`
    : `a value starting with ${prefix}`;
}

export function readAuth(env: NodeJS.ProcessEnv, isProduction: boolean) {
  const jwtSecret = readOptional(env, 'AUTH_JWT_SECRET');
  const jwksUrl = readOptional(env, 'AUTH_JWKS_URL');
  const waitTokenSecret = readOptional(env, 'WAIT_TOKEN_SECRET');
  if (jwtSecret !== undefined && jwksUrl !== undefined) {
    throw new ConfigError(
      'AUTH_JWKS_URL',
      'set AUTH_JWT_SECRET or AUTH_JWKS_URL, not both',
    );
  }
  if (jwksUrl !== undefined && !/^https?:\/\//.test(jwksUrl)) {
    throw new ConfigError('AUTH_JWKS_URL', 'must be an http(s) URL');
  }
  for (const [name, secret] of [
    ['AUTH_JWT_SECRET', jwtSecret],
    ['WAIT_TOKEN_SECRET', waitTokenSecret],
  ] as const) {
    if (secret !== undefined && secret.length < MIN_SECRET_LENGTH) {
      throw new ConfigError(name, `must be at least ${MIN_SECRET_LENGTH} characters`);
    }
  }
  if (isProduction && jwtSecret === undefined && jwksUrl === undefined) {
    throw new ConfigError(
      'AUTH_JWT_SECRET',
      'or AUTH_JWKS_URL is required in production',
    );
  }
  if (isProduction && waitTokenSecret === undefined) {
    throw new ConfigError('WAIT_TOKEN_SECRET', 'is required in production');
  }
  if (waitTokenSecret !== undefined && waitTokenSecret === jwtSecret) {
    throw new ConfigError('WAIT_TOKEN_SECRET', 'must differ from AUTH_JWT_SECRET');
  }

  const usesDevelopmentAuthSecrets = jwksUrl === undefined && jwtSecret === undefined;
  return {
    authJwtSecret:
      jwksUrl === undefined ? (jwtSecret ?? DEVELOPMENT_JWT_SECRET) : undefined,
    authJwksUrl: jwksUrl,
    authJwtIssuer: readOptional(env, 'AUTH_JWT_ISSUER'),
    authJwtAudience: readOptional(env, 'AUTH_JWT_AUDIENCE'),
    usesDevelopmentAuthSecrets:
      usesDevelopmentAuthSecrets || waitTokenSecret === undefined,
    waitTokenSecret: waitTokenSecret ?? DEVELOPMENT_WAIT_TOKEN_SECRET,
  };
}
