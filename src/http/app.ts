/**
 * The Koa application: middleware, then the routes.
 */
import Router from '@koa/router';
import Koa from 'koa';

import type { AppDependencies } from './context.js';
import { emptyErrorBodyMiddleware, errorMiddleware } from './errors.js';
import { requestLogMiddleware } from './request-log.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerOrderEventRoutes } from './routes/order-events.js';
import { registerOrderRoutes } from './routes/orders.js';
import { registerWebhookRoutes } from './routes/webhooks.js';

export function createApp(deps: AppDependencies): Koa {
  const app = new Koa({ proxy: deps.config.environment === 'production' });
  // Errors are logged once, by errorMiddleware; Koa's default would print them.
  app.silent = true;

  const router = new Router();
  registerHealthRoutes(router, deps);
  registerOrderRoutes(router, deps);
  registerOrderEventRoutes(router, deps);
  registerWebhookRoutes(router, deps);

  app.use(requestLogMiddleware(deps.logger));
  app.use(errorMiddleware(deps.logger));
  app.use(emptyErrorBodyMiddleware());
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
