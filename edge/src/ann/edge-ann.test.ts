import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecommendationsResponse } from '@edgerec/proto-schemas';
import { mulberry32 } from '@edgerec/services/common';
import { defaultModelConfig, markItemRowsWritten, RecommenderModel } from '@edgerec/services/model';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { parseEdgeFlags } from '../cli.js';
import type { EdgeCore } from '../edge-core.js';
import { createEdgeMetrics } from '../edge-metrics.js';
import { createInMemoryEdge } from '../in-memory-edge.js';
import type { AnnOptions } from './ann-options.js';
import { createEdgeAnn } from './edge-ann.js';

const SMALL = { m: 8, efConstruction: 40, efSearch: 64 };
const cores: EdgeCore[] = [];
afterEach(async () => {
  for (const c of cores.splice(0)) {
    c.close();
    await c.ann?.close();
  }
});

function edge(ann: AnnOptions | undefined, numItems = 2000) {
  const e = createInMemoryEdge({ numItems, dim: 8, rateLimit: { perSecond: 1000, burst: 1000 }, ann });
  cores.push(e.core);
  return e;
}

const metric = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);

describe('edge ANN serving', () => {
  it('builds at start from ann.minItems and reports it on /metrics', async () => {
    const { app, core } = edge({ minItems: 1000, ...SMALL });
    const before = await (await app.request('/metrics')).text();
    expect(metric(before, 'edgerec_ann_ready')).toBe(0);
    expect(metric(before, 'edgerec_ann_building')).toBe(1);
    await core.ann!.idle();
    const after = await (await app.request('/metrics')).text();
    expect(metric(after, 'edgerec_ann_ready')).toBe(1);
    expect(metric(after, 'edgerec_ann_index_rows')).toBe(2000);
    expect(metric(after, 'edgerec_ann_index_changed_rows')).toBe(0);
    expect(metric(after, 'edgerec_ann_build_seconds_count')).toBe(1);
    expect(metric(after, 'edgerec_ann_builds_total{result="ok"}')).toBe(1);
  });

  it('serves GET /v1/recommendations through the index once ready (seen items excluded, scores from the live model)', async () => {
    // maxChangedRows 0 makes the route observable: a row changed after the build is not an extra candidate
    const { app, core } = edge({ minItems: 1000, ...SMALL, maxChangedRows: 0 });
    await core.ann!.idle();
    const seen = ['i1', 'i2', 'i3'];
    await app.request('/v1/events', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ events: seen.map((item, n) => ({ eventId: `e${n}`, user: 'u1', item, type: 'play' })) }),
    });
    expect(await core.learner.waitForApplied(core.edb.events.maxSeq(), 5000)).toBe(true);
    const model = core.holder.model;
    const state = core.learner.userState('u1')!;
    const q = Float32Array.from(model.userQuery(state, state.recent));
    const scores = Array.from({ length: model.numItems }, (_, i) => model.scoreWithQuery(q, i));
    const far = scores.indexOf(Math.min(...scores)); // the index will not offer it for this user
    model.weights.itemBias[far] += Math.max(...scores) - scores[far] + 1;
    model.tracker.touch(far);
    markItemRowsWritten(model.weights, [far]);
    core.ann!.refresh();

    const body = RecommendationsResponse.parse(await (await app.request('/v1/recommendations?user=u1&k=10')).json());
    const exact = model.topK(state, 10, new Set([1, 2, 3]), state.recent);
    expect(exact[0].item).toBe(far);
    expect(body.items.map((i) => i.item)).not.toContain(`i${far}`);
    const rest = new Set(exact.slice(1).map((s) => `i${s.item}`));
    expect(body.items.filter((i) => rest.has(i.item)).length).toBeGreaterThanOrEqual(8); // the index's recall on the other nine
    for (const it of body.items) {
      expect(seen).not.toContain(it.item);
      expect(it.score).toBeCloseTo(model.scoreWithQuery(q, Number(it.item.slice(1))), 5);
    }
  });

  it('core.close() stops a running build and drops the index; ann.minItems 0 never creates one', async () => {
    const { core } = edge({ minItems: 1000, ...SMALL });
    expect(core.ann!.status().building).toBe(true);
    core.close();
    await core.ann!.close();
    expect(core.ann!.status()).toMatchObject({ building: false, ready: false, builds: 0 });
    expect(edge({ minItems: 0 }).core.ann).toBeUndefined();
    expect(edge(undefined, 500).core.ann!.status()).toMatchObject({ enabled: false, building: false }); // default 1M
  });

  it('keeps the index next to a file database; the next start restores it, counted on /metrics', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edge-ann-keep-'));
    try {
      const model = RecommenderModel.create(1500, defaultModelConfig({ dim: 8, adapterRank: 0 }), mulberry32(4));
      const start = () => {
        const metrics = createEdgeMetrics({ lagEvents: () => 0, outboxEntries: () => 0, modelVersion: () => 0 });
        const ann = createEdgeAnn({
          holder: { model, version: 0, onSwap: () => {} }, db: { name: join(dir, 'edge.db'), memory: false },
          options: { minItems: 1000, ...SMALL }, logger: pino({ level: 'silent' }), metrics,
        })!;
        return { ann, metrics };
      };
      const first = start();
      await first.ann.idle();
      await first.ann.close();
      expect(readdirSync(dir).filter((f) => f.startsWith('edge.db-ann.'))).toHaveLength(2); // the meta and its index

      const second = start();
      await second.ann.idle();
      expect(second.ann.status()).toMatchObject({ ready: true, restoredFrom: 'file', builds: 0 });
      const text = await second.metrics.registry.metrics();
      expect(metric(text, 'edgerec_ann_restores_total{result="ok"}')).toBe(1);
      expect(metric(text, 'edgerec_ann_restore_seconds_count')).toBe(1);
      expect(metric(text, 'edgerec_ann_restore_changed_rows')).toBe(0);
      expect(metric(text, 'edgerec_ann_build_seconds_count')).toBe(0);
      await second.ann.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes --ann-min-items from the edge command line', () => {
    const base = ['--id', 'e1', '--region', 'eu', '--port', '0', '--db', 'x.db'];
    expect(parseEdgeFlags([...base, '--ann-min-items', '0'])['ann-min-items']).toBe(0);
    expect(parseEdgeFlags([...base, '--ann-min-items', '250000'])['ann-min-items']).toBe(250_000);
    expect(parseEdgeFlags(base)['ann-min-items']).toBeUndefined();
    expect(() => parseEdgeFlags([...base, '--ann-min-items', '-1'])).toThrow(/ann-min-items/);
  });
});
