import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { topics } from '@edgerec/proto-schemas';
import { MemoryBroker, MemoryTransport } from '@edgerec/services/bus';
import { mulberry32, syntheticDelta } from '@edgerec/services/federation';
import type { SparseDelta } from '@edgerec/services/model';
import { ManualScheduler } from '@edgerec/services/common';
import { typedArrayBackend } from '../backend/index.js';
import { recordingLogger } from '../central-logger.js';
import { startCentral, type CentralService, type StartCentralOptions } from '../central-service.js';
import { SimulatedEdge, statusPayload } from './simulated-edge.js';

/** Shape of the small model the harness starts central with. */
export const HARNESS_MODEL = { numItems: 40, dim: 8, adapterRank: 2 } as const;

/**
 * A random delta that fits HARNESS_MODEL (adapter included), reproducible from `seed`.
 *
 * @example
 * edge.sendDelta(harnessDelta(1), { baseVersion: 1 });
 */
export function harnessDelta(seed: number, rows = 6): SparseDelta {
  const adapterLength = 2 * HARNESS_MODEL.dim * HARNESS_MODEL.adapterRank + 1;
  return syntheticDelta(mulberry32(seed), { numItems: HARNESS_MODEL.numItems, dim: HARNESS_MODEL.dim, rows, adapterLength, std: 0.05 });
}

/**
 * One in-process central over a MemoryBroker with a hand-advanced clock, plus simulated
 * edges: the fixture of the protocol tests. `restart()` stops central and starts it again
 * on the same data dir and persistent broker session, as a process restart would.
 *
 * @example
 * const h = await CentralHarness.start({ policy: { minNodes: 2 } });
 * const edge = await h.edge('edge-1');
 * await edge.sendDelta(h.delta(1), { baseVersion: 1 });
 * await h.cleanup();
 */
export class CentralHarness {
  readonly broker = new MemoryBroker();
  readonly scheduler = new ManualScheduler();
  readonly logger = recordingLogger();
  readonly dataDir = mkdtempSync(join(tmpdir(), 'central-harness-'));
  central!: CentralService;
  private readonly edges: SimulatedEdge[] = [];

  private constructor(private readonly opts: Partial<StartCentralOptions>) {}

  static async start(opts: Partial<StartCentralOptions> = {}): Promise<CentralHarness> {
    const h = new CentralHarness(opts);
    await h.startCentral();
    return h;
  }

  async startCentral(): Promise<CentralService> {
    this.central = await startCentral({
      dataDir: this.dataDir,
      transport: new MemoryTransport(this.broker, { clientId: 'edgerec-central', persistent: true }),
      scheduler: this.scheduler,
      backend: typedArrayBackend,
      logger: this.logger,
      env: {},
      model: { numItems: HARNESS_MODEL.numItems, config: { dim: HARNESS_MODEL.dim, adapterRank: HARNESS_MODEL.adapterRank } },
      rng: mulberry32(11),
      ...this.opts,
    });
    return this.central;
  }

  async restart(): Promise<CentralService> {
    await this.central.stop();
    return this.startCentral();
  }

  /** A connected edge; `online` publishes its retained status (with an offline will). */
  async edge(nodeId: string, opts: { online?: boolean; region?: string } = {}): Promise<SimulatedEdge> {
    const region = opts.region ?? '1';
    const will = { topic: topics.nodeStatus(nodeId), payload: statusPayload(nodeId, region, 'offline'), retain: true };
    const edge = new SimulatedEdge(new MemoryTransport(this.broker, { clientId: nodeId, will }), nodeId, region);
    await edge.start();
    if (opts.online ?? true) await edge.publishStatus('online');
    this.edges.push(edge);
    return edge;
  }

  /** A random delta that fits the harness model (adapter included). */
  delta(seed: number, rows = 6): SparseDelta {
    return harnessDelta(seed, rows);
  }

  /** Yields to pending I/O until `predicate` holds; rejects after `timeoutMs`. */
  async until(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
    const start = Date.now();
    while (!predicate()) {
      if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  async cleanup(): Promise<void> {
    await this.central.stop();
    await Promise.all(this.edges.map((e) => e.transport.close()));
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
