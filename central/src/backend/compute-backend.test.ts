import { describe, expect, it } from 'vitest';
import { recordingLogger } from '../central-logger.js';
import { selectComputeBackend, type ComputeBackend } from './compute-backend.js';
import { typedArrayBackend } from './typed-array-backend.js';

const notInstalled = (specifier: string): Error =>
  Object.assign(new Error(`Cannot find package '${specifier}'`), { code: 'ERR_MODULE_NOT_FOUND' });

/** Real loader, except that the native tfjs packages are "not installed". */
const withoutNative = (specifier: string): Promise<unknown> =>
  specifier.includes('tfjs-node') ? Promise.reject(notInstalled(specifier)) : import(specifier);

function random(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 1073741824 - 1;
  });
}

describe('compute backend selection', () => {
  it('falls through missing native backends to the next that loads, and logs the choice', async () => {
    const logger = recordingLogger();
    const { backend, skipped } = await selectComputeBackend({ logger, importModule: withoutNative, calibrate: false });
    expect(skipped.map((s) => s.name)).toEqual(['tfjs-node-gpu', 'tfjs-node']);
    expect(skipped[0].reason).toMatch(/Cannot find package/);
    expect(backend.name).toBe('tfjs-wasm'); // installed here, and loads from node_modules
    const log = logger.records.find((r) => r.msg === 'compute backend selected');
    expect(log?.obj).toMatchObject({ backend: backend.name });
  });

  it('ends at typed arrays when nothing else loads', async () => {
    const logger = recordingLogger();
    const { backend, skipped } = await selectComputeBackend({ logger, importModule: (s) => Promise.reject(notInstalled(s)) });
    expect(backend.name).toBe('typed-array');
    expect(skipped.map((s) => s.name)).toEqual(['tfjs-node-gpu', 'tfjs-node', 'tfjs-wasm']);
    expect(logger.records.at(-1)?.obj).toMatchObject({ backend: 'typed-array' });
  });

  it('skips a backend that loads but computes wrong results', async () => {
    const broken = { matMul: () => ({}), ready: async () => {}, tidy: () => new Float32Array(6) };
    const { backend, skipped } = await selectComputeBackend({
      candidates: ['tfjs-node', 'typed-array'],
      importModule: async () => broken,
      calibrate: false,
    });
    expect(backend.name).toBe('typed-array');
    expect(skipped[0].name).toBe('tfjs-node');
  });

  it('keeps an accelerated backend only when the calibration race says it is not slower', async () => {
    const logger = recordingLogger();
    const sel = await selectComputeBackend({ logger, importModule: withoutNative, calibrate: { m: 64, n: 512, d: 16 } });
    const { calibrationMs } = sel;
    expect(calibrationMs?.['typed-array']).toBeGreaterThan(0);
    expect(calibrationMs?.['tfjs-wasm']).toBeGreaterThan(0);
    const wasmWins = calibrationMs!['tfjs-wasm']! <= calibrationMs!['typed-array']!;
    expect(sel.backend.name).toBe(wasmWins ? 'tfjs-wasm' : 'typed-array');
    if (!wasmWins) expect(sel.skipped.at(-1)?.reason).toMatch(/slower than typed arrays/);
    expect(logger.records.at(-1)?.obj).toMatchObject({ backend: sel.backend.name, calibrationMs });
  });
});

describe('backends agree', () => {
  it('typed-array scoreMatrix equals a naive product', () => {
    const [m, n, d] = [3, 7, 5];
    const a = random(m * d, 1);
    const b = random(n * d, 2);
    const bias = random(n, 3);
    const got = typedArrayBackend.scoreMatrix(a, m, b, n, d, bias);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = bias[j];
        for (let k = 0; k < d; k++) s += a[i * d + k] * b[j * d + k];
        expect(got[i * n + j]).toBeCloseTo(s, 5);
      }
    }
    expect(typedArrayBackend.weightedSum([Float32Array.of(1, 2), Float32Array.of(3, 4)], [0.5, 2])).toEqual(Float32Array.of(6.5, 9));
  });

  it('tfjs-wasm (when it loads here) matches the typed-array reference', async (ctx) => {
    const { backend } = await selectComputeBackend({ candidates: ['tfjs-wasm'], importModule: withoutNative, calibrate: false });
    if (backend.name !== 'tfjs-wasm') return ctx.skip();
    const other: ComputeBackend = backend;
    const [m, n, d] = [17, 301, 24];
    const a = random(m * d, 4);
    const b = random(n * d, 5);
    const bias = random(n, 6);
    const want = typedArrayBackend.scoreMatrix(a, m, b, n, d, bias);
    const got = other.scoreMatrix(a, m, b, n, d, bias);
    expect(got.length).toBe(want.length);
    let maxErr = 0;
    for (let i = 0; i < want.length; i++) maxErr = Math.max(maxErr, Math.abs(got[i] - want[i]));
    expect(maxErr).toBeLessThan(1e-4);
    const vecs = [random(1000, 7), random(1000, 8), random(1000, 9)];
    const ws = [0.2, 1.5, -0.7];
    const sumWant = typedArrayBackend.weightedSum(vecs, ws);
    const sumGot = other.weightedSum(vecs, ws);
    for (let i = 0; i < sumWant.length; i++) expect(sumGot[i]).toBeCloseTo(sumWant[i], 4);
  });
});
