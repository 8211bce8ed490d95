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

export interface MetricSources {
  /** Streams waiting right now. */
  openStreams(): number;
}

export interface Metrics {
  /**
   * From just before COMMIT of an outcome that a webhook on this instance
   * recorded, to its message written to a stream on this instance.
   */
  readonly commitToWrite: Histogram;
  /** Stripe events recorded, by what settle did with them and why. */
  readonly stripeEvents: Counter<'disposition' | 'reason'>;
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

  return {
    commitToWrite,
    stripeEvents,
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
