/**
 * Reading settle's GET /metrics: single samples, and a histogram's buckets,
 * from which the bench takes the difference over a scenario and its
 * quantiles (interpolated within a bucket, as Prometheus's
 * histogram_quantile does).
 */

export interface Histogram {
  /** Upper bounds in seconds, ascending, with their cumulative counts. */
  buckets: Array<{ le: number; count: number }>;
  count: number;
}

export async function scrape(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/metrics`);
  if (!response.ok) {
    throw new Error(`GET /metrics answered ${response.status}`);
  }
  return response.text();
}

export function sampleOf(text: string, name: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  return line === undefined ? Number.NaN : Number(line.slice(name.length + 1));
}

export function histogramOf(text: string, name: string): Histogram {
  const pattern = new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\S+)$`);
  const buckets: Histogram['buckets'] = [];
  for (const line of text.split('\n')) {
    const match = pattern.exec(line);
    if (match !== null) {
      buckets.push({ le: Number(match[1]), count: Number(match[2]) });
    }
  }
  return { buckets, count: sampleOf(text, `${name}_count`) };
}

export function difference(after: Histogram, before: Histogram): Histogram {
  return {
    buckets: after.buckets.map((bucket, index) => ({
      le: bucket.le,
      count: bucket.count - (before.buckets[index]?.count ?? 0),
    })),
    count: after.count - before.count,
  };
}

/** The q-quantile in milliseconds; NaN when the histogram is empty. */
export function histogramQuantileMs(histogram: Histogram, q: number): number {
  if (histogram.count === 0) {
    return Number.NaN;
  }
  const rank = q * histogram.count;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const bucket of histogram.buckets) {
    if (bucket.count >= rank) {
      if (!Number.isFinite(bucket.le)) {
        return lowerBound * 1000;
      }
      const inBucket = bucket.count - lowerCount;
      const fraction = inBucket === 0 ? 1 : (rank - lowerCount) / inBucket;
      return (lowerBound + (bucket.le - lowerBound) * fraction) * 1000;
    }
    lowerBound = bucket.le;
    lowerCount = bucket.count;
  }
  return Number.NaN;
}
