/**
 * The demo page at `/`, its script bundled from src/web with esbuild, and,
 * outside production only, the development panel's routes: a token for a
 * demo user, and replaying a recorded Stripe event, signed, through the real
 * webhook route.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';

import { NotFoundError, ValidationError } from '../../errors.js';
import { readOrder, type Order } from '../../orders/orders.js';
import { loadFixture, postSignedEvent } from '../../stripe/fixtures.js';
import { aimEventAtOrder } from '../../stripe/replay.js';
import { signUserToken } from '../auth/users.js';
import { readJsonBody } from '../body.js';
import type { RouteDependencies } from '../context.js';

// From src/ and from dist/ alike: the page is served from its sources.
const WEB_DIRECTORY = fileURLToPath(new URL('../../../src/web/', import.meta.url));
const DEMO_USER = 'demo-user';
const DEMO_TOKEN_TTL = '2h';
const SMALL_BODY_BYTES = 4 * 1024;

/** The recorded event each panel button replays. */
const FIXTURE_BY_OUTCOME = {
  paid: 'checkout.session.completed.syncengine.json',
  failed: 'invoice.payment_failed.payrails.json',
  expired: 'checkout.session.expired.stripeopenapi.json',
} as const;

const replayBody = z.strictObject({
  orderId: z.uuid(),
  outcome: z.enum(['paid', 'failed', 'expired']),
});

export function registerDemoRoutes(router: Router, deps: RouteDependencies): void {
  let bundle: Promise<string> | undefined;

  router.get('/', async (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = await readFile(`${WEB_DIRECTORY}index.html`, 'utf8');
  });

  router.get('/app.js', async (ctx) => {
    bundle ??= bundlePage().catch((error: unknown) => {
      bundle = undefined;
      throw error;
    });
    ctx.type = 'text/javascript; charset=utf-8';
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = await bundle;
  });

  if (
    deps.config.environment === 'production' ||
    deps.config.authJwtSecret === undefined
  ) {
    return;
  }
  const secret = deps.config.authJwtSecret;

  router.post('/dev/session', async (ctx) => {
    const token = await signUserToken(secret, DEMO_USER, DEMO_TOKEN_TTL);
    ctx.body = { token, development: true };
  });

  router.post('/dev/replay', async (ctx) => {
    const owner = await deps.users.verify(ctx.get('authorization'));
    const parsed = replayBody.safeParse(await readJsonBody(ctx, SMALL_BODY_BYTES));
    if (!parsed.success) {
      throw new ValidationError(
        'invalid_body',
        'expected { orderId, outcome: paid|failed|expired }',
      );
    }
    const order = await readOrder(deps.db, parsed.data.orderId);
    if (order === undefined || order.owner !== owner) {
      throw new NotFoundError('order_not_found', 'no such order');
    }

    const fixture = FIXTURE_BY_OUTCOME[parsed.data.outcome];
    const event = aimEventAtOrder(await loadFixture(fixture), order.orderId, {
      paid: paidOf(order),
    });
    // To this very server: never to an address the request names (its Origin
    // or Host), or the panel would sign and send events anywhere.
    const posted = await postSignedEvent(
      ownUrl(ctx),
      event,
      deps.config.stripeWebhookSecrets[0]!,
    );
    ctx.body = { fixture, eventId: event.id, status: posted.status, answer: posted.body };
  });
}

/** The address this request reached, as this server sees its own socket. */
function ownUrl(ctx: Context): string {
  const { localAddress, localPort } = ctx.req.socket;
  const host = localAddress?.includes(':') ? `[${localAddress}]` : localAddress;
  return `http://${host}:${localPort}`;
}

/** The page's script and the client it uses, as one file for the browser. */
async function bundlePage(): Promise<string> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [`${WEB_DIRECTORY}page.ts`],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    write: false,
    minify: false,
  });
  return result.outputFiles[0]!.text;
}

/** What the order asks for, as the paying object would say it was paid. */
function paidOf(order: Order): { amount: number; currency: string } | undefined {
  return order.amount === null || order.currency === null
    ? undefined
    : { amount: order.amount, currency: order.currency };
}
