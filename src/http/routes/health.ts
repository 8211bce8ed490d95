/**
 * GET /healthz: the process is alive. GET /readyz: it can do its job, i.e.
 * its listener is connected, so a load balancer sends it streams.
 * GET /metrics: Prometheus metrics.
 */
import type Router from '@koa/router';

import type { AppDependencies } from '../context.js';

export function registerHealthRoutes(router: Router, deps: AppDependencies): void {
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });

  router.get('/readyz', (ctx) => {
    const ready = deps.listener.isListening;
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'listener_down' };
  });

  router.get('/metrics', async (ctx) => {
    ctx.type = deps.metrics.contentType;
    ctx.body = await deps.metrics.render();
  });
}
