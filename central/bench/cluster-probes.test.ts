import { describe, expect, it } from 'vitest';
import { metricSum, pollUntil, readRssBytes } from './cluster-probes.js';

const text = [
  '# HELP edgerec_sync_model_bytes_down_total Model artifact chunk bytes received',
  '# TYPE edgerec_sync_model_bytes_down_total counter',
  'edgerec_sync_model_bytes_down_total{kind="snapshot"} 10697',
  'edgerec_sync_model_bytes_down_total{kind="patch"} 2907',
  'edgerec_sync_bytes_up_total 730',
  'edgerec_sync_bytes_up_total_extra 1',
].join('\n');

describe('cluster probes', () => {
  it('sums a metric over label sets, filtered by labels, and reads an absent one as 0', () => {
    expect(metricSum(text, 'edgerec_sync_model_bytes_down_total')).toBe(13604);
    expect(metricSum(text, 'edgerec_sync_model_bytes_down_total', { kind: 'patch' })).toBe(2907);
    expect(metricSum(text, 'edgerec_sync_bytes_up_total')).toBe(730);
    expect(metricSum(text, 'edgerec_outbox_entries')).toBe(0);
  });

  it('polls through failed probes until one answers, and names what it waited for when it gives up', async () => {
    let n = 0;
    const { value } = await pollUntil('third try', async () => {
      if (++n < 3) throw new Error('not yet');
      return n;
    }, { everyMs: 1, timeoutMs: 5_000 });
    expect(value).toBe(3);
    await expect(pollUntil('never', async () => false, { everyMs: 1, timeoutMs: 20 })).rejects.toMatchObject({ code: 'bench_timeout' });
  });

  it('reads this process\'s RSS from /proc and null for a pid that does not exist', () => {
    expect(readRssBytes(process.pid)).toBeGreaterThan(1_000_000);
    expect(readRssBytes(2 ** 30)).toBeNull();
  });
});
