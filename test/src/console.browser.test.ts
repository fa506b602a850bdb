import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode, encode, ModelManifestMsg, RoundControlMsg, topics, type NodeEvalMsg } from '@edgerec/proto-schemas';
import { MemoryBroker, MemoryTransport } from '@edgerec/services/bus';
import { generateSynthetic, leaveOneOut } from '@edgerec/services/data';
import { mulberry32, syntheticDelta } from '@edgerec/services/federation';
import { createAdminApp, startAdminServer, type AdminServer } from '@edgerec/central/admin/index';
import { typedArrayBackend } from '@edgerec/central/backend/index';
import { startCentral, type CentralService } from '@edgerec/central/central-service';
import { SimulatedEdge, statusPayload } from '@edgerec/central/testing/index';

/**
 * The web console in a real browser: central (MemoryBroker, real clock) with simulated
 * edges that answer `sync-now` with deltas and report federated metrics after each model
 * change, the admin app on a loopback port, chromium driven by playwright-core.
 */
const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`console.browser.test: ${CHROMIUM} is missing — skipping the browser test (apt-get install chromium)`);

const MODEL = { numItems: 200, dim: 8, adapterRank: 2 };
const OPERATOR = 'browser-test-operator-token-7d3f';
const dataDir = mkdtempSync(join(tmpdir(), 'console-browser-'));
const shots = process.env.EDGEREC_SCREENSHOT_DIR ?? join(dataDir, 'screenshots');

/** An edge that follows the manifest, syncs on `sync-now` and reports eval numbers per version. */
class FollowingEdge {
  version = 1;
  private seed: number;
  constructor(readonly edge: SimulatedEdge, seed: number, private readonly hr: number) {
    this.seed = seed * 1000;
  }

  async start(): Promise<void> {
    const t = this.edge.transport;
    await t.subscribe(topics.controlRounds(), (m) => {
      const r = decode(RoundControlMsg, m.payload);
      if (r.ok && r.value.type === 'sync-now') void this.sync();
    });
    await t.subscribe(topics.modelManifest(), (m) => {
      const r = decode(ModelManifestMsg, m.payload);
      if (r.ok && r.value.version > this.version) void this.swapped(r.value.version);
    });
    await this.edge.start();
    await this.edge.publishStatus('online', this.version);
  }

  private async sync(): Promise<void> {
    const rng = mulberry32(++this.seed);
    const delta = syntheticDelta(rng, { numItems: MODEL.numItems, dim: MODEL.dim, rows: 12, adapterLength: 2 * MODEL.dim * MODEL.adapterRank + 1, std: 0.01 });
    await this.edge.sendDelta(delta, { baseVersion: this.version, codec: 'int8' });
  }

  private async swapped(version: number): Promise<void> {
    this.version = version;
    await this.edge.publishStatus('online', version);
    const msg: NodeEvalMsg = {
      v: 1, nodeId: this.edge.nodeId, modelVersion: version, hr10: Math.min(1, this.hr + 0.02 * version), ndcg10: Math.min(1, this.hr / 2 + 0.01 * version), users: 25, ts: Date.now(),
    };
    await this.edge.transport.publish(topics.nodeEval(this.edge.nodeId), encode(msg));
  }
}

let central: CentralService;
let server: AdminServer;
let browser: Browser;
const edges: FollowingEdge[] = [];

describe.skipIf(!haveChromium)('web console in chromium', () => {
  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    const broker = new MemoryBroker();
    const ds = generateSynthetic({ seed: 3, numUsers: 80, numItems: MODEL.numItems, interactionsPerUser: 12, minInteractionsPerUser: 5 });
    central = await startCentral({
      dataDir,
      transport: new MemoryTransport(broker, { clientId: 'edgerec-central', persistent: true }),
      backend: typedArrayBackend,
      env: {},
      model: { numItems: MODEL.numItems, config: { dim: MODEL.dim, adapterRank: MODEL.adapterRank } },
      policy: { minNodes: 2, deadlineMs: 60_000 },
      holdout: { split: leaveOneOut(ds, { negatives: 100, seed: 7 }) },
      gate: { threshold: 1 }, // the demo deltas are noise; let every candidate through
      rng: mulberry32(5),
    });
    for (const [i, [id, region]] of [['edge-a', '1'], ['edge-b', '1'], ['edge-c', '2']].entries()) {
      const will = { topic: topics.nodeStatus(id), payload: statusPayload(id, region, 'offline'), retain: true };
      const e = new FollowingEdge(new SimulatedEdge(new MemoryTransport(broker, { clientId: id, will }), id, region), i + 1, 0.3 + 0.1 * i);
      await e.start();
      edges.push(e);
    }
    const app = createAdminApp({ central, tokens: [{ token: OPERATOR, role: 'operator', name: 'browser-ops' }], feedIntervalMs: 200 });
    server = await startAdminServer(app, { port: 0 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await central?.stop();
    await Promise.all(edges.map((e) => e.edge.transport.close()));
    rmSync(dataDir, { recursive: true, force: true }); // screenshots survive only in $EDGEREC_SCREENSHOT_DIR
  });

  /** A page that records console errors and accepts every confirm()/prompt(). */
  async function openPage(): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`); });
    page.on('dialog', (d) => void d.accept(d.type() === 'prompt' ? '0.5' : undefined));
    return { page, errors };
  }

  it('shows the nodes, triggers a round that completes, rolls back, and the HTML report renders its charts', async () => {
    const { page, errors } = await openPage();
    await page.goto(`${server.url}/console`);
    await page.fill('#token', OPERATOR);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('tr[data-node="edge-c"]');
    expect(await page.textContent('#whoami')).toContain('browser-ops (operator)');
    expect(await page.locator('tr[data-node] .badge.online').count()).toBe(3);
    expect(await page.locator('tr.region').count()).toBe(2);
    await page.waitForSelector('#live.live');

    await page.click('#trigger-round');
    await page.waitForSelector('tr[data-round="1"][data-state="promoted"]', { timeout: 15_000 });
    await page.waitForSelector('tr[data-version="2"] .badge.active');
    expect(central.activeVersion()).toBe(2);

    await page.click('tr[data-version="1"] button.rollback');
    await page.waitForSelector('tr[data-version="3"] .badge.active', { timeout: 15_000 });
    expect(central.store.registry.get(3)).toMatchObject({ parent: 2, sha256: central.store.registry.get(1)!.sha256 });
    await page.waitForSelector('tr[data-action="model.rollback"]');
    expect(await page.locator('#chart-quality canvas').count()).toBeGreaterThan(0);
    expect(await page.locator('#chart-bytes canvas').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(shots, 'console.png'), fullPage: true });
    expect(errors).toEqual([]);

    const res = await fetch(`${server.url}/admin/reports/federated.html`, { headers: { authorization: `Bearer ${OPERATOR}` } });
    expect(res.status).toBe(200);
    const file = join(shots, 'federated-report.html');
    writeFileSync(file, await res.text());
    const report = await openPage();
    await report.page.route('**/*', (r) => (r.request().url().startsWith('file:') ? r.continue() : r.abort())); // offline
    await report.page.goto(`file://${file}`);
    await report.page.waitForSelector('.chart-box canvas');
    expect(await report.page.locator('.chart-box canvas').count()).toBeGreaterThanOrEqual(5);
    const titles = await report.page.locator('.u-title').allTextContents();
    expect(titles).toEqual(expect.arrayContaining(['HR@10 / NDCG@10 per version', 'Bytes up per round', 'Federated HR@10 per region']));
    await report.page.screenshot({ path: join(shots, 'federated-report.png'), fullPage: true });
    expect(report.errors).toEqual([]);
  });
});
