/**
 * The Koa application: middleware, then the routes.
 */
import Router from '@koa/router';
import Koa from 'koa';

import cors from '@koa/cors';

import { createUserVerifier } from './auth/users.js';
import { createWaitTokens } from './auth/wait-tokens.js';
import type { AppDependencies, RouteDependencies } from './context.js';
import { emptyErrorBodyMiddleware, errorMiddleware } from './errors.js';
import { requestLogMiddleware } from './request-log.js';
import { registerDemoRoutes } from './routes/demo.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerOrderEventRoutes } from './routes/order-events.js';
import { registerOrderRoutes } from './routes/orders.js';
import { registerWebhookRoutes } from './routes/webhooks.js';

export function createApp(deps: AppDependencies): Koa {
  const app = new Koa({ proxy: deps.config.environment === 'production' });
  // Errors are logged once, by errorMiddleware; Koa's default would print them.
  app.silent = true;

  const routeDeps: RouteDependencies = {
    ...deps,
    users: createUserVerifier(deps.config),
    waitTokens: createWaitTokens(
      deps.config.waitTokenSecret,
      deps.config.waitTokenTtlSeconds,
    ),
  };
  const router = new Router();
  registerHealthRoutes(router, routeDeps);
  registerOrderRoutes(router, routeDeps);
  registerOrderEventRoutes(router, routeDeps);
  registerWebhookRoutes(router, routeDeps);
  registerDemoRoutes(router, routeDeps);

  app.use(requestLogMiddleware(deps.logger));
  if (deps.config.corsOrigins.length > 0) {
    app.use(corsMiddleware(deps.config.corsOrigins));
  }
  app.use(errorMiddleware(deps.logger));
  app.use(emptyErrorBodyMiddleware());
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

/**
 * CORS for the configured frontend origins only, with what a stream and the
 * client need: the Authorization and Last-Event-ID headers, and Retry-After.
 */
function corsMiddleware(origins: readonly string[]): Koa.Middleware {
  const allowed = new Set(origins);
  return cors({
    origin: (ctx) => (allowed.has(ctx.get('Origin')) ? ctx.get('Origin') : ''),
    allowMethods: ['GET', 'HEAD', 'POST', 'OPTIONS'],
    allowHeaders: ['Authorization', 'Content-Type', 'Last-Event-ID', 'Idempotency-Key'],
    exposeHeaders: ['Location', 'Retry-After', 'X-Request-Id'],
    maxAge: 600,
  });
}
