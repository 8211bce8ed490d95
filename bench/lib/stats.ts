/**
 * Summaries of samples: quantiles by the nearest-rank method, and medians
 * of repeated runs.
 */

export interface Summary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** The q-quantile (0..1) of the samples, by nearest rank; NaN when empty. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) {
    return Number.NaN;
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1]!;
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

export function summarize(samples: readonly number[]): Summary {
  return {
    count: samples.length,
    p50: quantile(samples, 0.5),
    p99: quantile(samples, 0.99),
    max: samples.length === 0 ? Number.NaN : Math.max(...samples),
  };
}

export function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** Milliseconds to wait, for pauses between the steps of a scenario. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
