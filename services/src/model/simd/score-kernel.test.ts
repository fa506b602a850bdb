import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileScoreKernel, KERNEL_BUILDS, KERNEL_TS_PATH, KERNEL_WAT_PATH, renderKernelModule } from './build-kernel.js';
import { INT8_KERNEL_WASM_BASE64 } from './int8-kernel.wasm.js';
import { SCORE_KERNEL_WASM_BASE64 } from './score-kernel.wasm.js';
import { detectWasmSimd, SIMD_PROBE, wasmSimdSupported } from './simd-support.js';
import wabtInit from 'wabt';

describe('score kernel bytes', () => {
  it('committed base64 equals a fresh wabt compile of score-kernel.wat', async () => {
    const bytes = await compileScoreKernel(readFileSync(KERNEL_WAT_PATH, 'utf8'));
    expect(SCORE_KERNEL_WASM_BASE64).toBe(Buffer.from(bytes).toString('base64'));
    expect(readFileSync(KERNEL_TS_PATH, 'utf8')).toBe(renderKernelModule(bytes));
  });

  it('every committed kernel module (int8 pass included) equals a fresh compile of its WAT', async () => {
    expect(KERNEL_BUILDS.map((k) => k.source)).toEqual(['score-kernel.wat', 'int8-kernel.wat', 'learn-kernel.wat']);
    for (const k of KERNEL_BUILDS) {
      const bytes = await compileScoreKernel(readFileSync(k.wat, 'utf8'), k.source);
      expect(readFileSync(k.ts, 'utf8')).toBe(renderKernelModule(bytes, k.source, k.constName));
    }
    expect(WebAssembly.validate(Buffer.from(INT8_KERNEL_WASM_BASE64, 'base64'))).toBe(true);
  });

  it('the committed module validates as WebAssembly with SIMD', () => {
    expect(wasmSimdSupported()).toBe(true); // Node 20's V8 ships SIMD; the fallback is tested separately
    expect(WebAssembly.validate(Buffer.from(SCORE_KERNEL_WASM_BASE64, 'base64'))).toBe(true);
  });

  it('the SIMD probe is a SIMD module: wabt builds it only with SIMD on; a validator without SIMD means fallback', async () => {
    const wabt = await wabtInit();
    const wat = '(module (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt))';
    expect(() => wabt.parseWat('probe.wat', wat, { simd: false }).toBinary({})).toThrow();
    const mod = wabt.parseWat('probe.wat', wat, { simd: true });
    expect(Array.from(mod.toBinary({}).buffer)).toEqual(Array.from(SIMD_PROBE));
    mod.destroy();
    expect(detectWasmSimd((bytes) => WebAssembly.validate(bytes))).toBe(true);
    expect(detectWasmSimd(() => false)).toBe(false);
    expect(detectWasmSimd(undefined)).toBe(false);
  });
});
