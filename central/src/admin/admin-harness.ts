import type { Hono } from 'hono';
import { encode, topics, type DeltaAckMsg, type NodeEvalMsg } from '@edgerec/proto-schemas';
import type { StartCentralOptions } from '../central-service.js';
import { CentralHarness, type SimulatedEdge } from '../testing/index.js';
import type { AdminEnv } from './admin-auth.js';
import { createAdminApp } from './admin-app.js';
import type { AdminTokens } from './admin-tokens.js';

/** Tokens the harness app accepts. */
export const HARNESS_TOKENS = {
  operator: 'operator-token-0123456789abcdef',
  viewer: 'viewer-token-0123456789abcdef',
} as const;

export const HARNESS_ADMIN_TOKENS: AdminTokens = [
  { token: HARNESS_TOKENS.operator, role: 'operator', name: 'alice' },
  { token: HARNESS_TOKENS.viewer, role: 'viewer', name: 'victor' },
];

export interface AdminRequest {
  /** 'operator' | 'viewer' | a raw token | null (no header); default 'operator' */
  as?: keyof typeof HARNESS_TOKENS | string | null;
  body?: unknown;
  /** sent as is (with content-type application/json) instead of JSON.stringify(body) */
  raw?: string;
}

/**
 * A CentralHarness (in-process central over a MemoryBroker, manual clock) with the admin
 * app on top and simulated edges: the fixture of the admin API tests.
 *
 * @example
 * const a = await AdminHarness.start({ edges: [{ id: 'edge-a', region: '1' }] });
 * const { status, json } = await a.request('GET', '/admin/nodes', { as: 'viewer' });
 */
export class AdminHarness {
  readonly edges = new Map<string, SimulatedEdge>();
  app!: Hono<AdminEnv>;

  private constructor(readonly h: CentralHarness) {}

  static async start(opts: Partial<StartCentralOptions> & { edges?: { id: string; region: string }[] } = {}): Promise<AdminHarness> {
    const { edges = [], ...central } = opts;
    const a = new AdminHarness(await CentralHarness.start(central));
    for (const e of edges) a.edges.set(e.id, await a.h.edge(e.id, { region: e.region }));
    await a.h.until(() => a.h.central.store.nodes.list().length === edges.length);
    a.app = a.newApp();
    return a;
  }

  get central() {
    return this.h.central;
  }

  /** A fresh admin app over the current central (e.g. after `h.restart()`). */
  newApp(): Hono<AdminEnv> {
    return createAdminApp({ central: this.h.central, tokens: HARNESS_ADMIN_TOKENS, now: () => this.h.scheduler.now(), logger: this.h.logger });
  }

  /** `json` is the parsed body (untyped: tests assert on its shape), null when not JSON. */
  async request(method: string, path: string, r: AdminRequest = {}): Promise<{ status: number; json: any; res: Response }> {
    const as = r.as === undefined ? 'operator' : r.as;
    const headers: Record<string, string> = {};
    if (as !== null) headers.authorization = `Bearer ${as in HARNESS_TOKENS ? HARNESS_TOKENS[as as keyof typeof HARNESS_TOKENS] : as}`;
    let body: string | undefined;
    if ((r.raw !== undefined || r.body !== undefined) && method !== 'GET' && method !== 'HEAD') {
      headers['content-type'] = 'application/json';
      body = r.raw ?? JSON.stringify(r.body);
    }
    const res = await this.app.request(path, { method, headers, body });
    const type = res.headers.get('content-type') ?? '';
    const json = type.startsWith('application/json') ? await res.clone().json() : null;
    return { status: res.status, json, res };
  }

  /** Sends a harness delta from `edgeId` and waits for central's ack. */
  async delta(edgeId: string, seed: number, baseVersion = this.central.activeVersion(), deltaId?: string): Promise<DeltaAckMsg> {
    const edge = this.edges.get(edgeId)!;
    const sent = await edge.sendDelta(this.h.delta(seed), { baseVersion, deltaId });
    const acks = edge.receivedAcks().filter((a) => a.deltaId === sent.deltaId).length;
    return edge.waitAck(sent.deltaId, acks + 1);
  }

  /** Publishes a federated evaluation report as edge `edgeId` and waits until central stored it. */
  async evalReport(edgeId: string, version: number, hr10: number, ndcg10: number, users: number): Promise<void> {
    const msg: NodeEvalMsg = { v: 1, nodeId: edgeId, modelVersion: version, hr10, ndcg10, users, ts: this.h.scheduler.now() };
    await this.edges.get(edgeId)!.transport.publish(topics.nodeEval(edgeId), encode(msg));
    const has = () => this.central.store.db
      .prepare<[string, number], { n: number }>('SELECT COUNT(*) AS n FROM node_evals WHERE node_id = ? AND version = ?')
      .get(edgeId, version)!.n > 0;
    await this.h.until(has);
  }

  audit(action: string) {
    return this.central.store.audit.recent(1000).filter((e) => e.action === action);
  }

  cleanup(): Promise<void> {
    return this.h.cleanup();
  }
}
