import { z } from 'zod';
import { DomainError } from '@edgerec/proto-schemas';
import { parseFlags } from './parse-flags.js';
import type { CliIo } from './main.js';

export const SimulateFlags = z.object({
  edges: z.string().min(1),
  items: z.coerce.number().int().min(2).max(10_000_000).default(1682),
  users: z.coerce.number().int().min(1).max(10_000_000).default(943),
  kiosks: z.coerce.number().int().min(1).max(1000).default(2),
  rate: z.coerce.number().min(0).max(1_000_000).default(200),
  events: z.coerce.number().int().min(0).default(0),
  'duration-s': z.coerce.number().min(0).default(0),
  'drift-at': z.coerce.number().min(0).max(1).optional(),
  'recommend-every': z.coerce.number().int().min(0).default(1),
  seed: z.coerce.number().int().default(7),
  json: z.boolean().default(false),
});

export const simulateUsage = `edgerec simulate --edges r0=URL,r1=URL,... [--items 1682] [--users 943] [--kiosks 2]
             [--rate 200] [--events N] [--duration-s S] [--drift-at 0.5] [--recommend-every 1] [--seed 7] [--json]`;

/** Parses `r0=http://…,r1=http://…` into a region → URL map. */
export function parseEdgeList(spec: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of spec.split(',')) {
    const [region, url] = part.split('=');
    if (!region || !url || !/^https?:\/\//.test(url)) {
      throw new DomainError('bad_flag', 400, `--edges: expected REGION=http://host:port[,...], got "${part}"`);
    }
    out[region] = url;
  }
  return out;
}

/** `edgerec simulate`: drives a kiosk fleet against running edges; prints a JSON summary. */
export async function simulateCommand(argv: string[], io: CliIo): Promise<number> {
  const options = Object.fromEntries(
    ['edges', 'items', 'users', 'kiosks', 'rate', 'events', 'duration-s', 'drift-at', 'recommend-every', 'seed'].map((k) => [k, { type: 'string' as const }]),
  );
  const f = parseFlags(argv, { ...options, json: { type: 'boolean' } }, SimulateFlags);
  const edges = parseEdgeList(f.edges);
  const { runFleet } = await import('@edgerec/edge/simulator/fleet-simulator');
  const ctl = new AbortController();
  const stop = () => ctl.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const tty = (io.err as NodeJS.WriteStream).isTTY === true;
  io.out.write(`${JSON.stringify({ event: 'listening', role: 'simulator', edges })}\n`);
  const stats = await runFleet({
    edges,
    synthetic: {
      seed: f.seed,
      numUsers: f.users,
      numItems: f.items,
      numRegions: Object.keys(edges).length,
      ...(f['drift-at'] !== undefined ? { driftAt: f['drift-at'] } : {}),
    },
    kiosksPerRegion: f.kiosks,
    rate: f.rate,
    maxEvents: f.events,
    durationMs: f['duration-s'] * 1000,
    recommendEvery: f['recommend-every'],
    loop: f.events === 0 && f['duration-s'] === 0,
    signal: ctl.signal,
    onProgress: tty
      ? (s) => io.err.write(`\rsimulate: ${s.events_sent} events, ${s.recommendation_requests} recs, hit@10 ${(s.hit_rate_at_10 * 100).toFixed(1)}%, p99 ${s.rec_p99_ms} ms   `)
      : undefined,
  });
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  if (tty) io.err.write('\n');
  io.out.write(`${JSON.stringify({ event: 'simulation_done', regions: Object.keys(edges), ...stats })}\n`);
  return 0;
}
