/**
 * The one pino logger of a settle process; every module gets it, or a child
 * of it, passed in.
 *
 * Secrets never reach a log line: the paths below are censored wherever a
 * caller puts a request's headers or a configuration into a field.
 */
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

const REDACTED_PATHS = [
  'headers.authorization',
  'headers["stripe-signature"]',
  'headers.cookie',
  'config.databaseUrl',
  'config.stripeWebhookSecrets',
];

export interface LoggerOptions {
  level: string;
  name?: string;
  /** Coloured lines for a person at a terminal; JSON lines otherwise. */
  pretty?: boolean;
}

export function createLogger(options: LoggerOptions): Logger {
  const settings = {
    name: options.name ?? 'settle',
    level: options.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  // In this thread and synchronous: no line is lost when the process exits.
  return options.pretty
    ? pino(settings, pretty({ sync: true, translateTime: 'SYS:HH:MM:ss.l' }))
    : pino(settings);
}
