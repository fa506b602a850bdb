import { describe, expect, it } from 'vitest';
import { parseEdgeFlags } from '../cli.js';

const base = ['--id', 'edge-1', '--region', 'eu', '--port', '0', '--db', 'x.db'];

describe('edge sync flags', () => {
  it('runs standalone without --broker and takes the sync flags with it', () => {
    expect(parseEdgeFlags(base)).toMatchObject({ 'mqtt-protocol': '5', 'sync-interval-ms': 10_000, 'trust-on-first-use': false });
    expect(parseEdgeFlags(base).broker).toBeUndefined();
    const f = parseEdgeFlags([
      ...base, '--broker', 'mqtt://127.0.0.1:1883', '--broker-username', 'edge-1', '--broker-password-file', '/run/p',
      '--mqtt-protocol', '4', '--central-key', 'a.pem', '--central-key', 'b.pem', '--sync-interval-ms', '500', '--trust-on-first-use',
    ]);
    expect(f).toMatchObject({
      broker: 'mqtt://127.0.0.1:1883', 'broker-username': 'edge-1', 'broker-password-file': '/run/p', 'mqtt-protocol': '4',
      'central-key': ['a.pem', 'b.pem'], 'sync-interval-ms': 500, 'trust-on-first-use': true,
    });
  });

  it.each([
    [['--broker', 'http://x'], /--broker/],
    [['--mqtt-protocol', '3'], /--mqtt-protocol/],
    [['--sync-interval-ms', '0'], /--sync-interval-ms/],
  ])('refuses %j', (extra, message) => {
    expect(() => parseEdgeFlags([...base, ...extra])).toThrow(expect.objectContaining({ code: 'bad_flag', message: expect.stringMatching(message) }));
  });
});

describe('edgerec edge --broker', () => {
  it('refuses to start without a way to verify model releases', async () => {
    const { edgeCommand } = await import('../cli.js');
    await expect(edgeCommand([...base, '--broker', 'mqtt://127.0.0.1:1'])).rejects.toMatchObject({
      code: 'bad_flag', message: expect.stringMatching(/--central-key/),
    });
  });
});
