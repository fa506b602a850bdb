import { randomBytes } from 'node:crypto';
import { createAdminApp } from '../admin/index.js';
import type { CentralService } from '../central-service.js';

/** An admin API answer: HTTP status and parsed JSON body. */
export interface AdminAnswer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * The operator of the evaluation: central's real admin app (bearer-token auth, audit log)
 * with a fresh operator token, called in process through `app.request`.
 *
 * @example
 * const op = new OperatorClient(central);
 * await op.quarantine('edge-0', 'sends ×100 deltas'); // { status: 200, body: { ok: true, excludedDeltas: 1, … } }
 * await op.rollback(1, 'last version without edge-0'); // { status: 200, body: { ok: true, activeVersion: 4, … } }
 */
export class OperatorClient {
  private readonly token = randomBytes(24).toString('hex');
  private readonly app;

  constructor(central: CentralService, now: () => number = Date.now) {
    this.app = createAdminApp({ central, tokens: [{ token: this.token, role: 'operator', name: 'eval-operator' }], now });
  }

  /** POST /admin/nodes/{id}/quarantine */
  quarantine(nodeId: string, reason: string): Promise<AdminAnswer> {
    return this.post(`/admin/nodes/${encodeURIComponent(nodeId)}/quarantine`, { reason });
  }

  /** POST /admin/models/{v}/rollback: version v re-released under a new number */
  rollback(version: number, reason: string): Promise<AdminAnswer> {
    return this.post(`/admin/models/${version}/rollback`, { reason });
  }

  private async post(path: string, body: unknown): Promise<AdminAnswer> {
    const res = await this.app.request(path, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }
}
