/**
 * Configuration: defaults, and a message naming the variable that is wrong.
 */
import { describe, expect, it } from 'vitest';

import { DEVELOPMENT_WEBHOOK_SECRET, readConfig } from '../src/config.js';
import { ConfigError } from '../src/errors.js';

function configError(env: Record<string, string>): ConfigError {
  try {
    readConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected readConfig to throw');
}

describe('readConfig', () => {
  it('starts in development with an embedded database and the development secret', () => {
    const config = readConfig({});

    expect(config).toMatchObject({
      environment: 'development',
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: undefined,
      stripeWebhookSecrets: [DEVELOPMENT_WEBHOOK_SECRET],
      usesDevelopmentWebhookSecret: true,
      webhookBodyLimitBytes: 1024 * 1024,
      streamTimeoutMs: 60_000,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('splits several webhook secrets on commas', () => {
    const config = readConfig({ STRIPE_WEBHOOK_SECRET: 'whsec_one, whsec_two' });

    expect(config.stripeWebhookSecrets).toEqual(['whsec_one', 'whsec_two']);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ STREAM_TIMEOUT_MS: '0' }, 'STREAM_TIMEOUT_MS'],
    [{ HEARTBEAT_INTERVAL_MS: '1.5' }, 'HEARTBEAT_INTERVAL_MS'],
    [{ WEBHOOK_BODY_LIMIT_BYTES: '-1' }, 'WEBHOOK_BODY_LIMIT_BYTES'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL'],
    [{ DATABASE_URL: 'mysql://localhost/db' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
  ])('names the bad variable in %j', (env, variable) => {
    const error = configError(env);

    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
  });

  describe('in production', () => {
    const production = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://settle@db:5432/settle',
      STRIPE_WEBHOOK_SECRET: 'whsec_live_secret',
      AUTH_JWT_SECRET: 'a-production-secret-of-32-characters-or-more',
      WAIT_TOKEN_SECRET: 'another-production-secret-of-32-characters',
    };

    it('starts with a database and a signing secret', () => {
      expect(readConfig(production).host).toBe('0.0.0.0');
    });

    it('refuses to start without DATABASE_URL', () => {
      const { DATABASE_URL: _omitted, ...env } = production;
      expect(configError(env).variable).toBe('DATABASE_URL');
    });

    it('refuses to start without a webhook secret', () => {
      const { STRIPE_WEBHOOK_SECRET: _omitted, ...env } = production;
      expect(configError(env).variable).toBe('STRIPE_WEBHOOK_SECRET');
    });

    it('refuses an API key pasted as the webhook secret, without repeating it', () => {
      const apiKey = 'sk_live_51Habcdefghijklmnop';
      const error = configError({ ...production, STRIPE_WEBHOOK_SECRET: apiKey });

      expect(error.variable).toBe('STRIPE_WEBHOOK_SECRET');
      expect(error.message).toContain('sk_live_');
      expect(error.message).not.toContain(apiKey);
    });
  });
});
