/**
 * Turns on WebAssembly relaxed SIMD in Node versions that have it behind a
 * flag, so that gemm.ts picks the build of its module with fused
 * multiply-adds (GEMM_WASM_FMA: the LSTM's products at 38-46 GFLOP/s, against
 * 34-39 with baseline SIMD's mul and add, in npm run bench -- gemm). Node 20's
 * V8 (11.3) has relaxed SIMD as `--experimental-wasm-relaxed-simd`; V8 11.4 (Node 22) turned it on by
 * default, and there the module validates and nothing is changed.
 *
 * Node only (node:v8): the emitted train.ts, the benchmarks and the tests
 * import it first, before gemm.ts compiles its module (seqc's CLI runs no
 * product of this runtime, so it does not: 7 ms at every start-up). model.ts
 * never imports it, so it stays browser-safe (browsers with relaxed SIMD
 * have it on). SEQC_BASELINE_SIMD=1 leaves the flag alone (gemm.ts then runs
 * baseline SIMD in Node 20), to compare the two or to rule the flag out.
 */
import { setFlagsFromString } from "node:v8";
import { GEMM_WASM_FMA } from "./gemm-wasm.js";

/** Whether this engine compiles the fused multiply-add build now. */
export function fmaValidates(): boolean {
  // This project's lib and @types/node declare no value for WebAssembly.
  const wasm = (globalThis as { WebAssembly?: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
  return wasm !== undefined && wasm.validate(Buffer.from(GEMM_WASM_FMA, "base64"));
}

if (process.env["SEQC_BASELINE_SIMD"] !== "1" && !fmaValidates()) setFlagsFromString("--experimental-wasm-relaxed-simd");
