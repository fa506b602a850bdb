import { describe, expect, it } from 'vitest';
import { edgeSnapshot, edgeStatsBetween, sampleValue, serverSideBetween } from './edge-scrape.js';

/** A /metrics text as prom-client writes it, with the values that change between scrapes. */
const metrics = (cpu: number, lagP99: number, gcMinor: [number, number], recs: [number, number, number]) => `
# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
process_cpu_seconds_total ${cpu}
nodejs_eventloop_lag_p99_seconds ${lagP99}
nodejs_eventloop_lag_max_seconds ${lagP99 * 2}
nodejs_eventloop_lag_seconds 0.5
nodejs_gc_duration_seconds_sum{kind="minor"} ${gcMinor[0]}
nodejs_gc_duration_seconds_count{kind="minor"} ${gcMinor[1]}
nodejs_gc_duration_seconds_sum{kind="major"} 0.01
nodejs_gc_duration_seconds_count{kind="major"} 1
edgerec_http_request_duration_seconds_bucket{le="0.001",method="GET",route="/v1/recommendations",status="200"} ${recs[0]}
edgerec_http_request_duration_seconds_bucket{le="0.01",method="GET",route="/v1/recommendations",status="200"} ${recs[1]}
edgerec_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/v1/recommendations",status="200"} ${recs[2]}
edgerec_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/healthz",status="200"} 999
`;

describe('edge scrapes', () => {
  it('reads a sample by name and labels, not a longer name that starts the same', () => {
    const text = metrics(1.5, 0.002, [0.1, 10], [0, 0, 0]);
    expect(sampleValue(text, 'process_cpu_seconds_total')).toBe(1.5);
    expect(sampleValue(text, 'nodejs_eventloop_lag_seconds')).toBe(0.5);
    expect(sampleValue(text, 'nodejs_gc_duration_seconds_sum', { kind: 'major' })).toBe(0.01);
    expect(sampleValue(text, 'nodejs_missing')).toBeNaN();
  });

  it('turns two scrapes into the phase between them: CPU in cores, GC per second, the later event-loop delay', () => {
    const before = edgeSnapshot(metrics(10, 0.05, [0.1, 10], [100, 100, 100]), 0);
    const after = edgeSnapshot(metrics(11.2, 0.004, [0.13, 16], [180, 198, 200]), 2000);
    expect(edgeStatsBetween(before, after)).toEqual({
      cpu_cores: 0.6, eld_p99_ms: 4, eld_max_ms: 8, gc_ms_per_s: 15, gc_per_s: 3,
    });
    const served = serverSideBetween(before, after);
    expect(served.requests).toBe(100);
    expect(served.p50_ms).toBeCloseTo(0.625, 6); // the 50th of 80 requests in the first 1 ms bucket
    expect(served.p99_ms).toBeGreaterThan(1);
    expect(served.p99_ms).toBeLessThanOrEqual(10);
  });
});
