import { describe, expect, it } from 'vitest';
import { parseEdgeFlags } from './cli.js';

const base = ['--id', 'edge-1', '--region', 'eu', '--port', '0', '--db', 'x.db'];

describe('parseEdgeFlags', () => {
  it('parses the required flags and fills defaults', () => {
    expect(parseEdgeFlags([...base, '--items', '500'])).toMatchObject({
      id: 'edge-1', region: 'eu', port: 0, db: 'x.db', items: 500, host: '127.0.0.1', seed: 1, durability: 'power',
    });
  });

  it('--ann-no-keep is a switch, off unless given', () => {
    expect(parseEdgeFlags(base)['ann-no-keep']).toBe(false);
    expect(parseEdgeFlags([...base, '--ann-no-keep'])['ann-no-keep']).toBe(true);
  });

  it.each([
    [['--id', 'a/b', '--region', 'eu', '--port', '1', '--db', 'x'], /--id/],
    [[...base.slice(0, 4), '--port', '70000', '--db', 'x'], /--port/],
    [[...base, '--items', '0'], /--items/],
    [[...base, '--nope', '1'], /nope/],
    [base.slice(2), /--id/],
    [[...base, 'positional'], /positional|argument/i],
    [[...base, '--durability', 'maybe'], /--durability/],
  ])('refuses %j with bad_flag', (argv, message) => {
    expect(() => parseEdgeFlags(argv)).toThrow(expect.objectContaining({ code: 'bad_flag', status: 400, message: expect.stringMatching(message) }));
  });
});
