import { describe, expect, it } from 'vitest';
import { runCli as run } from '../testing/run-cli.js';

describe('edgerec eval --mode federated', () => {
  it('runs the real protocol in process and reports metrics, traffic and the promoted version', async () => {
    const r = await run([
      'eval', '--format', 'synthetic', '--users', '60', '--items', '200', '--mode', 'federated', '--edges', '3',
      '--rounds', '3', '--epochs', '3', '--compression', 'topk', '--negatives', '50', '--dim', '16', '--json',
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out.trim().split('\n').at(-1)!) as Record<string, number | string>;
    for (const key of ['hr@10', 'ndcg@10', 'hr@10_full', 'ndcg@10_full', 'bytes_up', 'bytes_down', 'dense_bytes_up', 'uplink_ratio', 'rounds', 'seconds']) {
      expect(j).toHaveProperty(key);
    }
    expect(j).toMatchObject({ mode: 'federated', edges: 3, rounds: 3, compression: 'topk', partition: 'region', users: 60, model_version: 4 });
    expect(j['hr@10']).toBeGreaterThan(j['itempop_hr@10'] as number); // it learned something beyond popularity
    expect(j.bytes_up).toBeGreaterThan(0);
    expect(j.bytes_up).toBeLessThan(j.dense_bytes_up as number);
    expect(j.uplink_ratio).toBeLessThan(0.2);
    expect(j.bytes_down).toBeGreaterThan(0);
  });
});
