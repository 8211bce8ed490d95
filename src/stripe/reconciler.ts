/**
 * The reconciler: the way back when webhooks do not come (an endpoint down
 * for longer than Stripe retries, or misconfigured).
 *
 * A pass does two things. It lists the account's events of the types settle
 * handles and passes each one the ledger lacks through the same handler as
 * a webhook; the ledger keeps that idempotent, whoever sees an event first.
 * Events that failed delivery are among those the ledger lacks, and so are
 * events that reached some other endpoint. Then it reads the PENDING orders
 * older than a threshold by their stored Checkout Session or invoice, which
 * also covers events older than the lookback.
 *
 * Several settle processes may share the database: a pass runs under an
 * advisory lock, so only one of them asks Stripe at a time.
 */
import { sql, type Kysely } from 'kysely';

import type { Database } from '../db/schema.js';
import type { Logger } from '../logger.js';
import { STRIPE_API_VERSION, type StripeClient } from './client.js';
import { OUTCOME_EVENT_TYPES } from './events.js';
import type { StripeEvent } from './verify.js';
import type { WebhookResult } from './webhook.js';

export interface ReconcilerOptions {
  db: Kysely<Database>;
  stripe: StripeClient;
  /** The webhook route's handler: the same checks, the same ledger. */
  handleEvent: (event: StripeEvent) => Promise<WebhookResult>;
  lookbackDays: number;
  pendingAfterMs: number;
  /** 0: no pass on its own; runOnce still works. */
  intervalMs: number;
  logger: Logger;
}

export interface ReconcileSummary {
  /** False when another process held the lock: this pass did nothing. */
  ran: boolean;
  eventsListed: number;
  /** Events the ledger lacked, now handled. */
  eventsHandled: number;
  ordersLookedUp: number;
  /** Orders whose outcome this pass recorded, from events or lookups. */
  ordersSettled: number;
  /** What went wrong; the next pass tries again. Empty: a complete pass. */
  errors: string[];
}

export interface Reconciler {
  runOnce(): Promise<ReconcileSummary>;
  /** A pass now, then one per interval; passes never overlap. */
  start(): void;
  /** Stops the interval and waits for a pass in flight. */
  close(): Promise<void>;
}

/** Left to the webhook: an event this young is probably on its way. */
const EVENT_GRACE_S = 60;
/** Listed again after a pass, for events Stripe made visible late. */
const WATERMARK_OVERLAP_S = 3_600;
const PAGE_SIZE = 100;
const PENDING_ORDERS_PER_PASS = 100;
/** The advisory lock of a pass (the migrations hold another key). */
const RECONCILE_LOCK_KEY = 7_341_865_202;
const SECONDS_PER_DAY = 86_400;

export function createReconciler(options: ReconcilerOptions): Reconciler {
  const log = options.logger;
  /** Where the next listing starts; the whole lookback until one pass ran. */
  let listedUntil: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<ReconcileSummary> | undefined;
  let closed = false;

  async function pass(): Promise<ReconcileSummary> {
    const summary: ReconcileSummary = {
      ran: false,
      eventsListed: 0,
      eventsHandled: 0,
      ordersLookedUp: 0,
      ordersSettled: 0,
      errors: [],
    };
    await options.db.connection().execute(async (connection) => {
      const locked = await sql<{ locked: boolean }>`
        SELECT pg_try_advisory_lock(${RECONCILE_LOCK_KEY}::bigint) AS locked
      `.execute(connection);
      if (!locked.rows[0]?.locked) {
        log.info('another settle is reconciling; skipped');
        return;
      }
      try {
        summary.ran = true;
        // Each half goes on when the other fails: the lookups by stored id
        // must not depend on Stripe's event listing working.
        const failed = (part: string) => (error: unknown) => {
          log.error({ err: error }, `reconciliation: ${part} failed`);
          summary.errors.push(
            `${part}: ${error instanceof Error ? error.message : error}`,
          );
        };
        await reconcileEvents(summary).catch(failed('events'));
        await reconcilePendingOrders(summary).catch(failed('pending orders'));
      } finally {
        await sql`SELECT pg_advisory_unlock(${RECONCILE_LOCK_KEY}::bigint)`.execute(
          connection,
        );
      }
    });
    return summary;
  }

  async function reconcileEvents(summary: ReconcileSummary): Promise<void> {
    const now = Math.floor(Date.now() / 1000);
    const oldest = now - options.lookbackDays * SECONDS_PER_DAY;
    const since = Math.max(oldest, (listedUntil ?? oldest) - WATERMARK_OVERLAP_S);
    const until = now - EVENT_GRACE_S;

    // Only the events the ledger lacks are kept (few, normally), so that
    // they can be handled oldest first across all pages: Stripe lists the
    // newest first.
    const missing: StripeEvent[] = [];
    let page: StripeEvent[] = [];
    const listing = options.stripe.events.list({
      types: [...OUTCOME_EVENT_TYPES],
      created: { gte: since, lte: until },
      limit: PAGE_SIZE,
    });
    for await (const event of listing) {
      page.push(event as unknown as StripeEvent);
      if (page.length === PAGE_SIZE) {
        missing.push(...(await notInLedger(page)));
        summary.eventsListed += page.length;
        page = [];
      }
    }
    missing.push(...(await notInLedger(page)));
    summary.eventsListed += page.length;

    let failed = 0;
    for (const event of missing.sort((a, b) => a.created - b.created)) {
      try {
        const result = await options.handleEvent(event);
        summary.eventsHandled += 1;
        if (result.disposition === 'applied' && !result.duplicate) {
          summary.ordersSettled += 1;
        }
      } catch (error) {
        // One event that cannot be recorded must not hold up the others.
        failed += 1;
        log.error({ err: error, eventId: event.id }, 'could not handle a listed event');
      }
    }
    if (failed > 0) {
      // Listed again next time, from the same place.
      throw new Error(`${failed} listed events could not be handled`);
    }
    listedUntil = until;
  }

  async function notInLedger(events: StripeEvent[]): Promise<StripeEvent[]> {
    if (events.length === 0) {
      return [];
    }
    const known = await options.db
      .selectFrom('stripe_events')
      .select('id')
      .where(
        'id',
        'in',
        events.map((event) => event.id),
      )
      .execute();
    const knownIds = new Set(known.map((row) => row.id));
    return events.filter((event) => !knownIds.has(event.id));
  }

  async function reconcilePendingOrders(summary: ReconcileSummary): Promise<void> {
    const orders = await options.db
      .selectFrom('orders')
      .select(['id', 'stripe_checkout_session_id', 'stripe_invoice_id'])
      .where('status', 'in', ['PENDING', 'ACTION_REQUIRED'])
      .where((where) =>
        where.or([
          where('stripe_checkout_session_id', 'is not', null),
          where('stripe_invoice_id', 'is not', null),
        ]),
      )
      .where('created_at', '<', new Date(Date.now() - options.pendingAfterMs))
      .where(
        'created_at',
        '>',
        new Date(Date.now() - options.lookbackDays * SECONDS_PER_DAY * 1000),
      )
      .orderBy('created_at')
      .limit(PENDING_ORDERS_PER_PASS)
      .execute();

    for (const order of orders) {
      summary.ordersLookedUp += 1;
      let event: StripeEvent | undefined;
      try {
        event = await currentStateEvent(
          options.stripe,
          order.stripe_checkout_session_id,
          order.stripe_invoice_id,
        );
      } catch (error) {
        // One object Stripe cannot show (deleted, another account) must not
        // keep the orders after it from being looked up.
        log.warn(
          { err: error, orderId: order.id },
          'could not look up an order in Stripe',
        );
        continue;
      }
      if (event === undefined) {
        continue;
      }
      const result = await options.handleEvent(event);
      if (result.disposition === 'applied' && !result.duplicate) {
        summary.ordersSettled += 1;
        log.info({ orderId: order.id, type: event.type }, 'order settled by a lookup');
      }
    }
  }

  function runOnce(): Promise<ReconcileSummary> {
    running ??= pass().finally(() => {
      running = undefined;
    });
    return running;
  }

  function scheduled(): void {
    if (closed) {
      return;
    }
    runOnce().then(
      (summary) => log.info(summary, 'reconciliation pass done'),
      // The database itself failed (the lock could not be taken).
      (error: unknown) => log.error({ err: error }, 'reconciliation pass failed'),
    );
  }

  return {
    runOnce,
    start() {
      if (options.intervalMs === 0 || timer !== undefined) {
        return;
      }
      scheduled();
      timer = setInterval(scheduled, options.intervalMs);
      timer.unref();
    },
    async close() {
      closed = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}

/**
 * An event that says what the stored object's current state means, when it
 * is an outcome: its id names the object and the state, so that another
 * pass finding the same state is a redelivery for the ledger.
 */
async function currentStateEvent(
  stripe: StripeClient,
  checkoutSessionId: string | null,
  invoiceId: string | null,
): Promise<StripeEvent | undefined> {
  let type: string | undefined;
  let object: Record<string, unknown>;
  if (checkoutSessionId !== null) {
    const session = await stripe.checkout.sessions.retrieve(checkoutSessionId);
    object = session as unknown as Record<string, unknown>;
    type =
      session.status === 'expired'
        ? 'checkout.session.expired'
        : session.status === 'complete' && session.payment_status !== 'unpaid'
          ? 'checkout.session.completed'
          : undefined;
  } else {
    const invoice = await stripe.invoices.retrieve(invoiceId!);
    object = invoice as unknown as Record<string, unknown>;
    type = invoice.status === 'paid' ? 'invoice.paid' : undefined;
  }
  if (type === undefined) {
    return undefined;
  }
  return {
    id: `reconciled_${String(object.id)}_${type}`,
    type,
    created: Math.floor(Date.now() / 1000),
    api_version: STRIPE_API_VERSION,
    livemode: object.livemode === true,
    data: { object },
  };
}
