/**
 * Turns every error a route throws into a JSON answer with a stable code:
 * `{ "error": { "code", "message" } }`.
 *
 * A SettleError is meant to be shown and keeps its message. Anything else is
 * a 500 whose detail goes to the log only: a database error's text is not
 * the caller's business.
 */
import type { Middleware } from 'koa';

import { SettleError } from '../errors.js';
import type { Logger } from '../logger.js';
import { requestLogger } from './request-log.js';

export function errorMiddleware(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const log = requestLogger(logger, ctx);
      if (ctx.respond === false || ctx.headerSent) {
        // A stream has started: its status is sent, nothing can be said now.
        log.error({ err: error, path: ctx.path }, 'error after response started');
        return;
      }

      if (error instanceof SettleError) {
        ctx.status = error.status;
        if (error.retryAfterSeconds !== undefined) {
          ctx.set('Retry-After', String(error.retryAfterSeconds));
        }
        ctx.body = { error: { code: error.code, message: error.message } };
        if (error.status >= 500) {
          log.warn(
            { code: error.code, path: ctx.path, cause: error.cause },
            error.message,
          );
        }
        return;
      }

      log.error({ err: error, method: ctx.method, path: ctx.path }, 'request failed');
      ctx.status = 500;
      ctx.body = { error: { code: 'internal_error', message: 'internal error' } };
    }
  };
}

/** Codes for the answers Koa and the router make without throwing. */
const CODE_BY_STATUS: Readonly<Record<number, string>> = {
  404: 'route_not_found',
  405: 'method_not_allowed',
  501: 'not_implemented',
};

/**
 * An unknown route or method gets the same JSON shape as every other error,
 * not Koa's plain-text body.
 */
export function emptyErrorBodyMiddleware(): Middleware {
  return async (ctx, next) => {
    await next();
    const code = CODE_BY_STATUS[ctx.status];
    if (code !== undefined && ctx.respond !== false && ctx.body == null) {
      const status = ctx.status;
      ctx.body = { error: { code, message: code.replaceAll('_', ' ') } };
      ctx.status = status;
    }
  };
}
