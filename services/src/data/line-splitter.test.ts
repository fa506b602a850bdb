import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LineSplitter, forEachLine } from './line-splitter.js';

const collect = (chunks: string[]): [number, string][] => {
  const out: [number, string][] = [];
  const s = new LineSplitter((line, n) => out.push([n, line]));
  for (const c of chunks) s.push(c);
  s.end();
  return out;
};

describe('LineSplitter', () => {
  it('splits LF and CRLF lines, numbering from 1, with or without a trailing newline', () => {
    expect(collect(['a\r\nb\nc'])).toEqual([[1, 'a'], [2, 'b'], [3, 'c']]);
    expect(collect(['a\nb\n'])).toEqual([[1, 'a'], [2, 'b']]);
  });

  it('handles a CRLF split across chunks and strips a BOM', () => {
    expect(collect(['\uFEFFx\r', '\ny', '', 'z\n'])).toEqual([[1, 'x'], [2, 'yz']]);
  });

  it('gives the same lines however the text is chunked', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', '\n', '\r\n', '\t')), fc.array(fc.nat(20)), (parts, cuts) => {
        const text = parts.join('');
        const chunks: string[] = [];
        let pos = 0;
        for (const c of cuts) {
          chunks.push(text.slice(pos, pos + c));
          pos += c;
        }
        chunks.push(text.slice(pos));
        const whole: [number, string][] = [];
        forEachLine(text, (line, n) => whole.push([n, line]));
        expect(collect(chunks)).toEqual(whole);
      }),
    );
  });
});
