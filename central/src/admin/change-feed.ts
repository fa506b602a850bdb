import type { Database } from 'better-sqlite3';
import type { ChangeKind } from './admin-context.js';

export interface ChangeEvent {
  kind: ChangeKind;
  at: number;
}

type Fingerprint = Partial<Record<ChangeKind, string>>;

/**
 * Cheap fingerprints of what the console shows. Each is O(1) or over a small table, so
 * probing them every second costs nothing next to the aggregator's own work.
 */
export function probeChanges(db: Database, extra: () => Fingerprint = () => ({})): () => Fingerprint {
  const round = db.prepare<[], { f: string | null }>(
    `SELECT (SELECT id || ':' || state || ':' || COALESCE(candidate_version, '') FROM rounds ORDER BY id DESC LIMIT 1)
       || '/' || COALESCE((SELECT MAX(rowid) FROM received_deltas), 0) AS f`,
  );
  const node = db.prepare<[], { f: string | null }>(
    `SELECT COUNT(*) || ':' || SUM(online) || ':' || SUM(paused) || ':' || SUM(quarantined) || ':' || MAX(last_seen)
       || ':' || COALESCE(MAX(last_delta_at), 0) AS f FROM nodes`,
  );
  const model = db.prepare<[], { f: string | null }>(
    `SELECT MAX(version) || ':' || SUM(length(metrics)) || ':' || SUM(length(status))
       || ':' || COALESCE((SELECT value FROM kv WHERE key = 'active_version'), '') AS f FROM model_registry`,
  );
  const audit = db.prepare<[], { f: number | null }>('SELECT MAX(id) AS f FROM audit_log');
  return () => ({
    round: String(round.get()?.f),
    node: String(node.get()?.f),
    model: String(model.get()?.f),
    audit: String(audit.get()?.f),
    ...extra(),
  });
}

/**
 * Change notifications for the console's live view (SSE): explicit `notify` calls from
 * admin actions, plus a probe of SQLite fingerprints every `intervalMs` (rounds close,
 * nodes come and go and models get promoted without any admin call). The probe runs only
 * while someone listens.
 *
 * @example
 * const feed = new ChangeFeed(probeChanges(store.db), { intervalMs: 1000 });
 * const off = feed.subscribe((e) => console.log(e.kind));
 */
export class ChangeFeed {
  private readonly listeners = new Set<(e: ChangeEvent) => void>();
  private timer: NodeJS.Timeout | null = null;
  private last: Fingerprint | null = null;

  constructor(
    private readonly probe: () => Fingerprint,
    private readonly opts: { intervalMs: number; now?: () => number },
  ) {}

  get listenerCount(): number {
    return this.listeners.size;
  }

  subscribe(fn: (e: ChangeEvent) => void): () => void {
    this.listeners.add(fn);
    if (!this.timer) {
      this.last = this.safeProbe();
      this.timer = setInterval(() => this.tick(), this.opts.intervalMs);
      this.timer.unref();
    }
    return () => {
      this.listeners.delete(fn);
      if (this.listeners.size === 0) this.stop();
    };
  }

  notify(kind: ChangeKind): void {
    const e = { kind, at: (this.opts.now ?? Date.now)() };
    for (const fn of this.listeners) fn(e);
  }

  /** Compares fingerprints now (the timer calls this; tests may call it directly). */
  tick(): void {
    const next = this.safeProbe();
    if (!next || !this.last) {
      this.last = next;
      return;
    }
    for (const kind of Object.keys(next) as ChangeKind[]) {
      if (next[kind] !== this.last[kind]) this.notify(kind);
    }
    this.last = next;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private safeProbe(): Fingerprint | null {
    try {
      return this.probe();
    } catch {
      return null; // database closing during shutdown: no events
    }
  }
}
