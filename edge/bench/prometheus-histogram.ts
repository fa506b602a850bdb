/** Cumulative bucket counts of one Prometheus histogram series, `le` ascending (+Inf last). */
export type HistogramBuckets = { le: number; count: number }[];

/**
 * The buckets of `metric` whose labels include every pair of `labels`, from a Prometheus
 * text exposition (what `/metrics` serves); empty when the series is absent.
 *
 * @example
 * histogramBuckets(text, 'edgerec_http_request_duration_seconds', { route: '/v1/recommendations', status: '200' });
 */
export function histogramBuckets(text: string, metric: string, labels: Record<string, string>): HistogramBuckets {
  const out: HistogramBuckets = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}_bucket{`)) continue;
    const close = line.lastIndexOf('}');
    const labelText = line.slice(line.indexOf('{') + 1, close);
    const pairs = new Map([...labelText.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (!Object.entries(labels).every(([k, v]) => pairs.get(k) === v)) continue;
    const le = pairs.get('le');
    if (le === undefined) continue;
    out.push({ le: le === '+Inf' ? Infinity : Number(le), count: Number(line.slice(close + 1).trim()) });
  }
  return out.sort((a, b) => a.le - b.le);
}

/** `after − before`, bucket by bucket: the observations made between two scrapes. */
export function bucketsBetween(before: HistogramBuckets, after: HistogramBuckets): HistogramBuckets {
  const prior = new Map(before.map((b) => [b.le, b.count]));
  return after.map((b) => ({ le: b.le, count: b.count - (prior.get(b.le) ?? 0) }));
}

/**
 * The q-quantile of a cumulative histogram, interpolated linearly inside its bucket (as
 * PromQL's histogram_quantile does); NaN without observations, the highest finite bound when
 * it falls in +Inf.
 *
 * @example
 * histogramQuantile([{ le: 1, count: 50 }, { le: 2, count: 100 }, { le: Infinity, count: 100 }], 0.75); // 1.5
 */
export function histogramQuantile(buckets: HistogramBuckets, q: number): number {
  const total = buckets.at(-1)?.count ?? 0;
  if (total <= 0) return NaN;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.le === Infinity) return lower;
      const inBucket = b.count - below;
      return inBucket > 0 ? lower + ((b.le - lower) * (rank - below)) / inBucket : b.le;
    }
    lower = b.le;
    below = b.count;
  }
  return lower;
}
