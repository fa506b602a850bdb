import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBroker, MemoryTransport } from '@edgerec/services/bus';
import { ManualScheduler } from '@edgerec/services/common';
import {
  evaluateLoo, ItemPopularityScorer, leaveOneOut, partitionByRegion, partitionRandom, splitToEdges, type Dataset,
} from '@edgerec/services/data';
import { createStrategy, gaussian, mulberry32, type StrategySpecInput } from '@edgerec/services/federation';
import { trainCentralized, type ModelConfig } from '@edgerec/services/model';
import { typedArrayBackend } from '../backend/index.js';
import { silentLogger } from '../central-logger.js';
import { startCentral, type CentralService } from '../central-service.js';
import { toReport, type EvalReport } from './centralized-eval.js';
import type { EdgeAttack } from './delta-poisoning.js';
import { mergedLoo, poisonEdge, startSimEdge, trafficOf, type SimEdge } from './federated-edges.js';
import { carveHoldout } from './gate-holdout.js';
import { ProtocolObserver } from './protocol-observer.js';
import { roundLogEntry, type RoundLogEntry } from './round-log.js';
import {
  attackerReports, finishQuarantineReport, quarantineNow, type AttackerReport, type QuarantineReport, type QuarantineSpec,
} from './attack-report.js';

/** `--compression` of `edgerec eval` → the uplink codec of the round policy. */
const CODECS = { none: 'none', int8: 'int8', topk: 'topk-int8' } as const;
const WAIT_MS = 120_000;

export interface FederatedEvalOptions {
  negatives: number;
  seed: number;
  /** passes over each edge's data in total (the centralized run's epochs) */
  epochs: number;
  config: ModelConfig;
  edges: number;
  partition: 'region' | 'random';
  /** federated rounds (default: `epochs`, one local pass per round) */
  rounds?: number;
  compression: keyof typeof CODECS;
  /** FedAvg server learning rate (default 1; ignored when `strategy` is given) */
  serverLr?: number;
  /** entries per row kept by `topk` (default 8 % of dim: 5 of 64, which keeps the uplink under 5 % of dense) */
  topK?: number;
  /** central's aggregation strategy, a round-policy spec, e.g. `{ name: 'trimmed-mean', params: { beta: 0.2 }, clipNorm: 1 }` */
  strategy?: StrategySpecInput;
  /** Byzantine edges: they train honestly, then poison the delta they send (see EdgeAttack) */
  attackers?: EdgeAttack[];
  /** central's ceiling on the samples one delta may claim (round policy `maxSamples`; default its default) */
  maxSamples?: number;
  /** nodes a round needs (default: every edge not quarantined); a round missing some closes at its deadline */
  minNodes?: number;
  /**
   * Central's validation gate: `holdoutUsers` users (a seeded pick) are taken off the edges and
   * given to central as its holdout; a candidate more than `threshold` (default 0.01) HR@10
   * below the current model is rejected. Absent: no holdout, every candidate is promoted.
   */
  gate?: { holdoutUsers: number; threshold?: number };
  /**
   * In round `round` the operator quarantines these edges through the admin API, right after
   * their deltas were counted (and with `rollback`, rolls back to the last version they did not contribute to).
   */
  quarantine?: QuarantineSpec;
  /** edges whose users are not scored (default: attackers and quarantined edges, whose users a compromised node serves) */
  scoreExclude?: number[];
  onRound?: (round: number, rounds: number) => void;
}

export type FederatedEvalReport = EvalReport & {
  mode: 'federated';
  edges: number;
  partition: 'region' | 'random';
  rounds: number;
  compression: keyof typeof CODECS;
  /** the strategy central ran, e.g. 'fedavg', 'clip(fedavg)' */
  strategy: string;
  /** encoded delta bytes the edges sent */
  bytes_up: number;
  /** model artifact chunk bytes the edges received (snapshots and patches) */
  bytes_down: number;
  /** float32 size of the same delta rows */
  dense_bytes_up: number;
  uplink_ratio: number;
  /** central's promoted version at the end (1 + rounds when every round was promoted) */
  model_version: number;
  /** rounds the validation gate (or a failed aggregation) rejected */
  rejected_rounds: number;
  round_log: RoundLogEntry[];
  /** edges left out of the metrics */
  unscored_edges: number[];
  holdout_users: number;
  attackers: AttackerReport[];
  quarantine?: QuarantineReport;
  seconds: number;
};

/**
 * Federated leave-one-out evaluation that runs the real protocol in process: central
 * (`startCentral` over a MemoryBroker, the chosen strategy and uplink codec, optionally a
 * holdout for its validation gate) and `edges` edge sync clients with their own SQLite stores.
 * Users are partitioned by region (ml-100k: first zip digit) or at random; each edge holds only
 * its users' train sequences and private user states. Every round each edge trains
 * `epochs / rounds` local passes over its users (the centralized trainer on the edge's model),
 * an attacker then poisons its model (see EdgeAttack), and each extracts and publishes its
 * delta; central aggregates, gates, signs and publishes; edges verify, install and rebase.
 * Each scored user is finally ranked by its edge's model (the last global weights plus the
 * edge's private user vector), metrics merged across edges.
 *
 * @example
 * const r = await runFederatedEval(ds, { negatives: 100, seed: 7, epochs: 20, config, edges: 10, partition: 'region', compression: 'topk' });
 * const p = await runFederatedEval(ds, { ...opts, strategy: { name: 'median' }, attackers: [{ edge: 0, kind: 'scale' }] });
 */
export async function runFederatedEval(ds: Dataset, opts: FederatedEvalOptions, now: () => number = Date.now): Promise<FederatedEvalReport> {
  const t0 = now();
  const rounds = opts.rounds ?? opts.epochs;
  const localEpochs = Math.max(1, Math.round(opts.epochs / rounds));
  const attacks = new Map((opts.attackers ?? []).map((a) => [a.edge, a]));
  const quarantined = new Set(opts.quarantine?.edges ?? []);
  const unscored = new Set(opts.scoreExclude ?? [...attacks.keys(), ...quarantined]);
  const split = leaveOneOut(ds, { negatives: opts.negatives, seed: opts.seed });
  const partition = opts.partition === 'region' ? partitionByRegion(ds) : partitionRandom(ds, opts.edges, opts.seed);
  const carved = opts.gate ? carveHoldout(split, splitToEdges(ds, partition, opts.edges), opts.gate.holdoutUsers, opts.seed) : null;
  const userGroups = carved?.groups ?? splitToEdges(ds, partition, opts.edges);
  const spec = opts.strategy ?? { name: 'fedavg', params: { serverLr: opts.serverLr ?? 1 } };
  const normal = gaussian(mulberry32(opts.seed + 104_729));
  const dataDir = mkdtempSync(join(tmpdir(), 'edgerec-fed-eval-'));
  const broker = new MemoryBroker();
  let central: CentralService | null = null;
  let observer: ProtocolObserver | null = null;
  const edges: SimEdge[] = [];
  try {
    const clock = new ManualScheduler();
    central = await startCentral({
      dataDir: join(dataDir, 'central'), transport: new MemoryTransport(broker, { clientId: 'edgerec-central', persistent: true }),
      scheduler: clock, backend: typedArrayBackend, logger: silentLogger, env: {}, rng: mulberry32(opts.seed),
      policy: {
        minNodes: opts.minNodes ?? Math.max(1, opts.edges - quarantined.size), codec: CODECS[opts.compression], strategy: spec,
        ...(opts.maxSamples !== undefined ? { maxSamples: opts.maxSamples } : {}),
        ...(opts.compression === 'topk' ? { topK: opts.topK ?? Math.max(1, Math.round(0.08 * opts.config.dim)) } : {}),
      },
      model: { numItems: ds.numItems, config: opts.config, seed: opts.seed },
      ...(carved ? { holdout: carved.holdout, gate: { threshold: opts.gate?.threshold } } : {}),
    });
    const c = central;
    observer = await ProtocolObserver.start(broker);
    const obs = observer;
    const edgeOpts = { seed: opts.seed, config: opts.config, codec: CODECS[opts.compression], dataDir };
    for (let e = 0; e < opts.edges; e++) edges.push(await startSimEdge(e, c, broker, split, userGroups[e], edgeOpts));
    await Promise.all(edges.map((edge) => edge.sync.waitForVersion(1, 60_000)));
    for (const edge of edges) edge.states = edge.users.map(() => edge.holder.model.newUser(edge.rng.nextFloat));
    const log: RoundLogEntry[] = [];
    const poisonStats = new Map<number, { honest: number; poisoned: number; n: number }>();
    let quarantine: QuarantineReport | undefined;
    for (let round = 1; round <= rounds; round++) {
      let roundId = c.rounds.currentRound?.id ?? obs.lastOpen;
      const q = opts.quarantine?.round === round ? opts.quarantine : null;
      // The edges to be quarantined go first, so their deltas are counted before the operator acts.
      const order = q ? [...edges.filter((e) => quarantined.has(e.index)), ...edges.filter((e) => !quarantined.has(e.index))] : edges;
      const sentIds: string[] = [];
      for (const edge of order) {
        trainCentralized({ numItems: ds.numItems, sequences: edge.sequences }, opts.config, {
          epochs: localEpochs, rng: edge.rng.nextFloat, model: edge.holder.model, users: edge.states,
        });
        const attack = attacks.get(edge.index);
        if (attack) {
          const st = poisonEdge(edge, attack, normal);
          const acc = poisonStats.get(edge.index) ?? { honest: 0, poisoned: 0, n: 0 };
          poisonStats.set(edge.index, { honest: acc.honest + st.honestNorm, poisoned: acc.poisoned + st.poisonedNorm, n: acc.n + 1 });
        }
        const sent = await edge.sync.syncNow('admin');
        if (sent.deltaId) sentIds.push(sent.deltaId);
        if (q && edge === order[q.edges.length - 1]) {
          quarantine = await quarantineNow(c, obs, q, roundId, sentIds, log, WAIT_MS);
          // A rollback reopens the round on the re-released version: every edge installs it before training on.
          await Promise.all(edges.map((x) => x.sync.waitForVersion(c.activeVersion(), WAIT_MS)));
          roundId = c.rounds.currentRound?.id ?? roundId;
        }
      }
      const verdicts = await obs.waitForAcks(sentIds, WAIT_MS);
      await c.idle();
      const open = c.rounds.currentRound;
      // A refused edge does not answer the round again: central waits for it until the deadline, so let that pass.
      if (verdicts.some((v) => v.status === 'rejected') && open?.id === roundId) clock.advance(Math.max(0, open.deadline - clock.now()));
      await obs.waitForOpenAfter(roundId, WAIT_MS);
      await c.idle();
      const entry = roundLogEntry(c.store, roundId);
      if (entry) log.push(entry);
      const version = c.activeVersion();
      await Promise.all(edges.map((edge) => edge.sync.waitForVersion(version, WAIT_MS)));
      opts.onRound?.(round, rounds);
    }
    if (quarantine) quarantine = finishQuarantineReport(quarantine, obs, log);
    const scored = edges.filter((e) => !unscored.has(e.index));
    const res = mergedLoo(scored, split);
    const pop = evaluateLoo(ItemPopularityScorer.fromSplit(split), split, { full: false, users: scored.flatMap((e) => e.users) });
    const { bytesUp, denseUp, bytesDown } = await trafficOf(edges);
    return {
      mode: 'federated', ...toReport(res, pop, split, (now() - t0) / 1000), edges: opts.edges, partition: opts.partition, rounds,
      compression: opts.compression, strategy: createStrategy(spec, { rng: Math.random }).name,
      bytes_up: bytesUp, bytes_down: bytesDown, dense_bytes_up: denseUp,
      uplink_ratio: denseUp > 0 ? bytesUp / denseUp : 0, model_version: c.activeVersion(),
      rejected_rounds: log.filter((r) => r.outcome === 'rejected').length, round_log: log,
      unscored_edges: [...unscored].sort((a, b) => a - b), holdout_users: carved?.users ?? 0,
      attackers: attackerReports([...attacks.values()], poisonStats, obs),
      ...(quarantine ? { quarantine } : {}),
      seconds: (now() - t0) / 1000,
    };
  } finally {
    await observer?.close().catch(() => undefined);
    for (const edge of edges) {
      await edge.sync.stop().catch(() => undefined);
      edge.edb.close();
    }
    await central?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
