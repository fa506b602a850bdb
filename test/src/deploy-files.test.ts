import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { z } from 'zod';
import { EdgeFlags } from '@edgerec/edge/cli';
import { CentralFlags } from '@edgerec/central/cli/central-command';
import { MosquittoConfigFlags } from '@edgerec/central/cli/mosquitto-config-command';
import { SimulateFlags } from '@edgerec/central/cli/simulate-command';

const root = join(import.meta.dirname, '../..');
interface Service {
  command?: string[];
  image?: string;
  build?: { target?: string };
  ports?: string[];
  volumes?: string[];
  secrets?: string[];
  profiles?: string[];
  deploy?: { resources?: { reservations?: { devices?: { driver: string; capabilities: string[] }[] } } };
}
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
  secrets: Record<string, { file: string }>;
};
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');

/** Validates an `edgerec <cmd> --flag value …` command line with the CLI's own zod schema. */
function flagsOf(command: string[], schema: z.ZodObject): unknown {
  const [, ...argv] = command;
  const options = Object.fromEntries(Object.keys(schema.shape).map((k) => [k, { type: k === 'json' ? ('boolean' as const) : ('string' as const) }]));
  const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  const parsed = schema.safeParse(values);
  if (!parsed.success) throw new Error(`${command.join(' ')}: ${parsed.error.message}`);
  return parsed.data;
}

describe('docker-compose.yml', () => {
  it('has the broker, central (CPU and GPU), three edges and the simulator', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['broker-init', 'central', 'central-gpu', 'edge-r0', 'edge-r1', 'edge-r2', 'mosquitto', 'simulator'].sort(),
    );
  });

  it('runs every edgerec role with flags the CLI accepts', () => {
    const schemaOf: Record<string, z.ZodObject> = {
      central: CentralFlags,
      edge: EdgeFlags,
      simulate: SimulateFlags,
      'mosquitto-config': MosquittoConfigFlags,
    };
    for (const [name, svc] of Object.entries(compose.services)) {
      if (!svc.command) continue;
      const schema = schemaOf[svc.command[0]];
      expect(schema, `${name} runs an unknown command ${svc.command[0]}`).toBeDefined();
      expect(() => flagsOf(svc.command!, schema)).not.toThrow();
    }
  });

  it('gives each edge its own port, volume, broker account and the central public key', () => {
    for (const r of ['r0', 'r1', 'r2']) {
      const svc = compose.services[`edge-${r}`];
      const flags = flagsOf(svc.command!, EdgeFlags) as Record<string, unknown>;
      expect(flags.id).toBe(`edge-${r}`);
      expect(svc.ports?.[0]).toBe(`${flags.port}:${flags.port}`);
      expect(svc.volumes?.some((v) => v.startsWith(`edge-${r}-data:`))).toBe(true);
      expect(svc.secrets).toContain(`edge_${r}_password`);
      expect(svc.command).toContain('/run/secrets/signing_key_pub');
    }
    const volumes = Object.values(compose.services).flatMap((s) => s.volumes ?? []).map((v) => v.split(':')[0]);
    for (const v of volumes) expect(compose.volumes).toHaveProperty(v);
    const secrets = Object.values(compose.services).flatMap((s) => s.secrets ?? []);
    for (const s of secrets) expect(compose.secrets).toHaveProperty(s);
  });

  it('reserves a GPU for central-gpu and builds it from the Dockerfile target that installs tfjs-node-gpu', () => {
    const gpu = compose.services['central-gpu'];
    expect(gpu.profiles).toEqual(['gpu']);
    expect(gpu.deploy?.resources?.reservations?.devices?.[0]).toMatchObject({ driver: 'nvidia', capabilities: ['gpu'] });
    expect(gpu.build?.target).toBe('central-gpu');
    expect(dockerfile).toMatch(/tfjs-node-gpu/);
  });
});

describe('Dockerfile', () => {
  it('is multi-stage and defines every target the compose file builds', () => {
    const stages = [...dockerfile.matchAll(/^FROM\s+\S+\s+AS\s+(\S+)/gim)].map((m) => m[1]);
    expect(stages.length).toBeGreaterThanOrEqual(3);
    for (const svc of Object.values(compose.services)) if (svc.build?.target) expect(stages).toContain(svc.build.target);
    expect(dockerfile).toMatch(/ENTRYPOINT \["node", "bin\/edgerec.js"\]/);
    expect(dockerfile).toMatch(/USER node/);
  });
});
