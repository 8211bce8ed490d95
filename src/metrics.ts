/**
 * Prometheus metrics, served at GET /metrics.
 *
 * settle's own metrics live in a registry per running settle, so that the
 * tests can run several in one process. Node's process metrics (memory,
 * event-loop delay, garbage collection) belong to the process, and are
 * collected once into a registry of their own.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Fine steps below 10 ms, where settle's own part of a wake-up should be. */
const WAKEUP_BUCKETS_S = [
  0.0005, 0.001, 0.0015, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
  1, 2.5, 5,
];

/** Webhook handling times: a commit is a few ms; a slow database is seconds. */
const WEBHOOK_BUCKETS_S = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

export interface MetricSources {
  /** Streams waiting right now. */
  openStreams(): number;
  /** Orders with at least one waiting stream. */
  waitedOrders(): number;
}

/** What became of a Stripe webhook: a disposition, a redelivery, or a refusal. */
export type WebhookOutcome =
  'applied' | 'refused' | 'ignored' | 'unmatched' | 'duplicate' | 'rejected' | 'failed';

export interface Metrics {
  /**
   * From just before COMMIT of an outcome that a webhook on this instance
   * recorded, to its message written to a stream on this instance.
   */
  readonly commitToWrite: Histogram;
  /** Stripe events recorded, by what settle did with them and why. */
  readonly stripeEvents: Counter<'disposition' | 'reason'>;
  /** Webhooks by event type and outcome, and how long each took. */
  readonly webhooks: Counter<'type' | 'outcome'>;
  readonly webhookSeconds: Histogram<'outcome'>;
  /** Notifications the listener received, by kind (outcome, probe, malformed). */
  readonly notifications: Counter<'kind'>;
  /** Waiters woken with an outcome. */
  readonly wakeups: Counter;
  /** Streams ended, by why (outcome, timeout, aborted, shutdown). */
  readonly streamsEnded: Counter<'result'>;
  readonly listenerReconnects: Counter;
  readonly contentType: string;
  /** The text a Prometheus scrape gets. */
  render(): Promise<string>;
}

let processRegistry: Registry | undefined;

export function createMetrics(sources: MetricSources): Metrics {
  const registry = new Registry();

  new Gauge({
    name: 'settle_streams_open',
    help: 'Event streams waiting for an outcome on this instance.',
    registers: [registry],
    collect() {
      this.set(sources.openStreams());
    },
  });
  const commitToWrite = new Histogram({
    name: 'settle_commit_to_write_seconds',
    help:
      'From just before COMMIT of an outcome recorded by a webhook on this instance ' +
      'to its SSE message written on this instance.',
    buckets: WAKEUP_BUCKETS_S,
    registers: [registry],
  });

  const stripeEvents = new Counter({
    name: 'settle_stripe_events_total',
    help:
      'Stripe events recorded for the first time, by disposition (applied, refused, ' +
      'ignored, unmatched) and reason (e.g. amount_mismatch, livemode_mismatch).',
    labelNames: ['disposition', 'reason'] as const,
    registers: [registry],
  });

  new Gauge({
    name: 'settle_waited_orders',
    help: 'Orders with at least one waiting stream on this instance.',
    registers: [registry],
    collect() {
      this.set(sources.waitedOrders());
    },
  });
  const webhooks = new Counter({
    name: 'settle_webhooks_total',
    help:
      'Stripe webhooks by event type and outcome: applied, refused, ignored, ' +
      'unmatched, duplicate (a redelivery), rejected (signature or body refused), ' +
      'failed (settle could not record it; Stripe retries).',
    labelNames: ['type', 'outcome'] as const,
    registers: [registry],
  });
  const webhookSeconds = new Histogram({
    name: 'settle_webhook_duration_seconds',
    help: 'Time to handle a Stripe webhook, from its first byte read to the answer.',
    labelNames: ['outcome'] as const,
    buckets: WEBHOOK_BUCKETS_S,
    registers: [registry],
  });
  const notifications = new Counter({
    name: 'settle_notifications_total',
    help: 'Notifications received on the listener connection, by kind: order, probe, malformed.',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const wakeups = new Counter({
    name: 'settle_wakeups_total',
    help: 'Waiting streams woken with an outcome.',
    registers: [registry],
  });
  const streamsEnded = new Counter({
    name: 'settle_streams_ended_total',
    help: 'Streams that ended, by result: outcome, timeout, aborted, shutdown.',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const listenerReconnects = new Counter({
    name: 'settle_listener_reconnects_total',
    help: 'Times the listener connection was lost and made again.',
    registers: [registry],
  });

  return {
    commitToWrite,
    stripeEvents,
    webhooks,
    webhookSeconds,
    notifications,
    wakeups,
    streamsEnded,
    listenerReconnects,
    contentType: registry.contentType,
    async render() {
      const merged = Registry.merge([registry, processMetrics()]);
      return merged.metrics();
    },
  };
}

function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}
