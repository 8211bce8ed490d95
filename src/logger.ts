/**
 * The one pino logger of a settle process; every module gets it, or a child
 * of it, passed in.
 *
 * Secrets never reach a log line: the paths below are censored wherever a
 * caller puts a request's headers or a configuration into a field.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

const REDACTED_PATHS = [
  'headers.authorization',
  'headers["stripe-signature"]',
  'headers.cookie',
  'config.databaseUrl',
  'config.stripeWebhookSecrets',
];

export function createLogger(options: { level: string; name?: string }): Logger {
  return pino({
    name: options.name ?? 'settle',
    level: options.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  });
}
