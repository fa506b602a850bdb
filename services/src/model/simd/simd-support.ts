import { INT8_KERNEL_WASM_BASE64 } from './int8-kernel.wasm.js';
import { LEARN_KERNEL_WASM_BASE64 } from './learn-kernel.wasm.js';
import { SCORE_KERNEL_WASM_BASE64 } from './score-kernel.wasm.js';

/**
 * The smallest module using a SIMD instruction: `(func (result v128) i32.const 0
 * i8x16.splat i8x16.popcnt)`. Engines without SIMD reject it in `WebAssembly.validate`.
 */
export const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

let supported: boolean | undefined;
let kernelModule: WebAssembly.Module | undefined;
let int8Module: WebAssembly.Module | undefined;
let learnModule: WebAssembly.Module | undefined;

/**
 * Whether this engine runs WebAssembly SIMD (f32x4). Checked once by validating a tiny
 * SIMD module, so callers can fall back to the JS loop where it is missing.
 *
 * @example
 * const weights = wasmSimdSupported() ? allocateWeights(n, d, r) : createWeights(n, d, r);
 */
export function wasmSimdSupported(): boolean {
  if (supported === undefined) supported = typeof WebAssembly === 'object' && detectWasmSimd(WebAssembly.validate);
  return supported;
}

/** Whether `validate` (an engine's WebAssembly.validate) accepts the SIMD probe. */
export function detectWasmSimd(validate: ((bytes: Uint8Array<ArrayBuffer>) => boolean) | undefined): boolean {
  return typeof validate === 'function' && validate(SIMD_PROBE);
}

/** The compiled scoring kernel, compiled once per process (throws when SIMD is unsupported). */
export function scoreKernelModule(): WebAssembly.Module {
  kernelModule ??= moduleOf(SCORE_KERNEL_WASM_BASE64);
  return kernelModule;
}

/** The compiled int8 candidate-pass kernel (int8-kernel.wat), compiled once per process. */
export function int8KernelModule(): WebAssembly.Module {
  int8Module ??= moduleOf(INT8_KERNEL_WASM_BASE64);
  return int8Module;
}

/** The compiled online-learning kernel (learn-kernel.wat), compiled once per process. */
export function learnKernelModule(): WebAssembly.Module {
  learnModule ??= moduleOf(LEARN_KERNEL_WASM_BASE64);
  return learnModule;
}

function moduleOf(base64: string): WebAssembly.Module {
  const bin = atob(base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new WebAssembly.Module(bytes);
}
