/**
 * One debug line per request, with an id that the request's other lines
 * share. Only the path is logged, never the query string or the headers,
 * which may carry tokens.
 */
import { randomUUID } from 'node:crypto';
import type { Context, Middleware } from 'koa';

import type { Logger } from '../logger.js';

export function requestLogMiddleware(logger: Logger): Middleware {
  return async (ctx, next) => {
    const startedAt = performance.now();
    const requestId = randomUUID();
    ctx.set('X-Request-Id', requestId);
    // The routes' own lines carry it too (see requestLogger).
    ctx.state.requestId = requestId;

    try {
      await next();
    } finally {
      logger.debug(
        {
          requestId,
          method: ctx.method,
          path: ctx.path,
          status: ctx.respond === false ? 200 : ctx.status,
          ms: Math.round(performance.now() - startedAt),
        },
        'request',
      );
    }
  };
}

/** The logger for a route's lines about this request: with its request id. */
export function requestLogger(logger: Logger, ctx: Context): Logger {
  const requestId: unknown = ctx.state.requestId;
  return typeof requestId === 'string' ? logger.child({ requestId }) : logger;
}
