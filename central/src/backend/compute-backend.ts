import { performance } from 'node:perf_hooks';
import type { Logger } from '../central-logger.js';
import { silentLogger } from '../central-logger.js';
import { tfjsBackend, type TfModule } from './tfjs-backend.js';
import { typedArrayBackend } from './typed-array-backend.js';

/**
 * Dense numeric kernels central runs on whatever accelerator is available (holdout
 * scoring: users × items matmul; dense weighted sums). Every implementation must agree
 * with `typedArrayBackend` (the reference) up to float32 rounding.
 */
export type BackendName = 'tfjs-node-gpu' | 'tfjs-node' | 'tfjs-wasm' | 'typed-array';

export interface ComputeBackend {
  readonly name: BackendName;
  /**
   * Scores of `m` queries against `n` rows: `out[i·n + j] = bias[j] + Σ_k a[i·d + k]·b[j·d + k]`,
   * i.e. (m × d)·(n × d)ᵀ + bias, row-major m × n.
   */
  scoreMatrix(a: Float32Array, m: number, b: Float32Array, n: number, d: number, bias?: Float32Array): Float32Array;
  /** Σ_i weights[i]·vectors[i] over equal-length vectors. */
  weightedSum(vectors: readonly Float32Array[], weights: readonly number[]): Float32Array;
  dispose(): void;
}

/** Preference order at start-up: native GPU, native CPU, WebAssembly, plain JS. */
export const BACKEND_ORDER: readonly BackendName[] = ['tfjs-node-gpu', 'tfjs-node', 'tfjs-wasm', 'typed-array'];

/** Problem size of the start-up race (queries × rows × dim), including the result readback. */
export interface CalibrationShape {
  m: number;
  n: number;
  d: number;
}

export const DEFAULT_CALIBRATION: CalibrationShape = { m: 256, n: 2048, d: 64 };

export interface SelectBackendOptions {
  logger?: Logger;
  /**
   * Time a score matrix of this shape on each loaded backend and on typed arrays, and keep
   * an accelerated backend only if it is not slower (default DEFAULT_CALIBRATION; false:
   * take the first that loads). See `selectComputeBackend` for why.
   */
  calibrate?: CalibrationShape | false;
  /** Backends to try, in order (default BACKEND_ORDER); typed-array is always the last resort. */
  candidates?: readonly BackendName[];
  /** Module loader; injectable so tests can make a backend "not installed". */
  importModule?: (specifier: string) => Promise<unknown>;
}

export interface BackendSelection {
  backend: ComputeBackend;
  /** Why each backend before the chosen one was skipped. */
  skipped: { name: BackendName; reason: string }[];
  /** Milliseconds of the calibration product per backend timed (typed-array is the baseline). */
  calibrationMs?: Partial<Record<BackendName, number>>;
}

// Specifiers as plain strings: the native packages are optional and not installed, so
// they must never be resolved at build time — only tried at run time.
const defaultImport = (specifier: string): Promise<unknown> => import(specifier);

/**
 * Picks the first backend, in BACKEND_ORDER, that loads, computes correctly and — when
 * calibrating — is not slower than plain typed arrays on a representative score matrix
 * (readback included); logs the choice. Never throws: typed arrays are always available.
 *
 * Why calibrate: measured on this project's 2-core machine (central/bench/holdout-scoring-bench.ts),
 * tfjs-wasm (SIMD, no threads) multiplies a 943 × 1682 × 64 score matrix in ~15 ms but
 * needs seconds to hand the 1.6 M results back to JS (`dataSync`): ~2.6 s end to end
 * against ~170 ms for the typed-array kernel. Native TensorFlow (tfjs-node[-gpu]) does not
 * pay that readback, so it is expected to win where it is installed; the race decides
 * instead of assuming.
 *
 * @example
 * const { backend } = await selectComputeBackend({ logger });
 * backend.name; // 'typed-array' here; 'tfjs-node-gpu' on a GPU host with it installed
 */
export async function selectComputeBackend(opts: SelectBackendOptions = {}): Promise<BackendSelection> {
  const logger = opts.logger ?? silentLogger;
  const load = opts.importModule ?? defaultImport;
  const shape = opts.calibrate === undefined ? DEFAULT_CALIBRATION : opts.calibrate;
  const skipped: BackendSelection['skipped'] = [];
  const calibrationMs: Partial<Record<BackendName, number>> = {};
  let baseline: number | undefined;
  for (const name of opts.candidates ?? BACKEND_ORDER) {
    if (name === 'typed-array') break;
    try {
      const backend = await loadTfjs(name, load);
      selfTest(backend);
      if (shape) {
        baseline ??= calibrationMs['typed-array'] = timeScoring(typedArrayBackend, shape);
        const ms = (calibrationMs[name] = timeScoring(backend, shape));
        if (ms > baseline) throw new Error(`slower than typed arrays (${ms.toFixed(1)} ms vs ${baseline.toFixed(1)} ms)`);
      }
      logger.info({ backend: backend.name, skipped, calibrationMs }, 'compute backend selected');
      return { backend, skipped, calibrationMs };
    } catch (e) {
      skipped.push({ name, reason: e instanceof Error ? e.message.split('\n')[0] : String(e) });
    }
  }
  logger.info({ backend: typedArrayBackend.name, skipped, calibrationMs }, 'compute backend selected');
  return { backend: typedArrayBackend, skipped, calibrationMs };
}

/** Best of three runs after a warm-up (tfjs compiles kernels on first use). */
function timeScoring(backend: ComputeBackend, { m, n, d }: CalibrationShape): number {
  const a = new Float32Array(m * d).map((_, i) => ((i * 7919) % 101) / 101 - 0.5);
  const b = new Float32Array(n * d).map((_, i) => ((i * 104729) % 97) / 97 - 0.5);
  const bias = new Float32Array(n);
  backend.scoreMatrix(a, m, b, n, d, bias);
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    backend.scoreMatrix(a, m, b, n, d, bias);
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

async function loadTfjs(name: BackendName, load: (s: string) => Promise<unknown>): Promise<ComputeBackend> {
  if (name === 'tfjs-node-gpu' || name === 'tfjs-node') {
    const tf = moduleOf(await load(`@tensorflow/${name}`));
    await tf.ready();
    return tfjsBackend(tf, name);
  }
  const tf = moduleOf(await load('@tensorflow/tfjs'));
  await load('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
  await tf.ready();
  return tfjsBackend(tf, 'tfjs-wasm');
}

function moduleOf(m: unknown): TfModule {
  // An ESM namespace of a CommonJS package may carry the API under `default`.
  for (const candidate of [m, (m as { default?: unknown } | null)?.default]) {
    if (candidate && typeof (candidate as Partial<TfModule>).matMul === 'function') return candidate as TfModule;
  }
  throw new Error('not a tfjs module');
}

/** A backend that loads but computes garbage (broken binary, wrong build) is skipped. */
function selfTest(backend: ComputeBackend): void {
  const got = backend.scoreMatrix(Float32Array.of(1, 2, 3, 4), 2, Float32Array.of(1, 0, 0, 1, 1, 1), 3, 2, Float32Array.of(0, 1, 2));
  const want = [1, 3, 5, 3, 5, 9];
  for (let i = 0; i < want.length; i++) {
    if (Math.abs(got[i] - want[i]) > 1e-4) throw new Error(`self-test failed: ${Array.from(got).join(',')}`);
  }
}
