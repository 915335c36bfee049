/**
 * General matrix product for the standalone TypeScript target: the kernel
 * behind every matmul of the emitted forward and backward passes. Copied
 * verbatim into the output with the files it imports: none uses Node
 * built-ins (model.ts stays browser-safe).
 *
 * Two implementations, chosen at load time:
 * - gemm-simd.ts: WebAssembly with 128-bit SIMD (gemm.wat, embedded as
 *   gemm-wasm.ts), sums in the precision of C (f32x4, or f64x2 for a
 *   Float64Array C), like BLAS; with fused multiply-adds where the engine has
 *   relaxed SIMD (Node 22, browsers; Node 20 once relaxed-simd.ts has turned
 *   it on), else a mul and an add;
 * - gemm-js.ts: plain JavaScript, sums in doubles; where WebAssembly SIMD
 *   is missing, and for products too small to pay for the SIMD path's calls.
 *
 * model.ts allocates its float buffers with `floatBuffers`: in WebAssembly
 * memory, where the SIMD product reads and writes them without copies, and
 * where `vmath` computes exp, sigmoid and tanh of f32 rows four at a time.
 */
import { gemmJs } from "./gemm-js.js";
import { simdRuntime, type FloatArrayType, type VmathFn } from "./gemm-simd.js";
import type { Gemm } from "./model-api.js";
import { GEMM_WASM, GEMM_WASM_FMA } from "./gemm-wasm.js";

import type { Buf } from "./model-api.js";
export type { Buf };
export { gemmJs, type Gemm };

const fma = simdRuntime(GEMM_WASM_FMA);
const simd = fma ?? simdRuntime(GEMM_WASM);

/** The SIMD product, or undefined where WebAssembly SIMD is missing. */
export const gemmSimd: Gemm | undefined = simd?.gemm;

/** Which product gemm runs for all but small products. */
export const GEMM_KIND: "wasm-fma" | "wasm-simd" | "js" = fma !== undefined ? "wasm-fma" : simd !== undefined ? "wasm-simd" : "js";

/**
 * Products of at most this many multiply-adds (m*n*k) run in JavaScript: the
 * calls and copies in and out of WebAssembly memory cost more than they save
 * (measured in CPU time on V8 11, with copies: 10x4x4, 0.24 us in JS, 0.46 us
 * on SIMD; 8x8x8, 0.7 and 0.8 us; at 1000 multiply-adds SIMD is 1.5-2x
 * faster; not measured again for floatBuffers' products, which copy nothing).
 */
const SMALL = 512;

/**
 * C[cOff + i*ldc + j] (=|+=) sum_k A(i,k) * B(k,j) for i < m, j < n, k < k,
 * A(i,k) = transA ? a[aOff + k*lda + i] : a[aOff + i*lda + k]
 * B(k,j) = transB ? b[bOff + j*ldb + k] : b[bOff + k*ldb + j]
 * accumulate: add to C instead of overwriting it.
 * packedB: where packB packed this B (then it is read there, not packed again).
 * C must not overlap A or B; elements of C's buffer outside the m x n
 * sub-matrix are left as they were. Allocates nothing but for growing its
 * scratch (packing space, WebAssembly memory) to the largest product seen.
 */
export const gemm: Gemm =
  gemmSimd === undefined
    ? gemmJs
    : (m, n, k, a, aOff, lda, transA, b, bOff, ldb, transB, c, cOff, ldc, accumulate, packedB) => {
        if (m * n * k <= SMALL) gemmJs(m, n, k, a, aOff, lda, transA, b, bOff, ldb, transB, c, cOff, ldc, accumulate);
        else gemmSimd(m, n, k, a, aOff, lda, transA, b, bOff, ldb, transB, c, cOff, ldc, accumulate, packedB);
      };

/** Elements a buffer needs for packB of a k x n B (each panel of columns rounded up to whole tiles). */
export const packedLength = (k: number, n: number): number => k * (n + 7);

/**
 * Packs B (k x n, as gemm reads it) into `into` (packedLength(k, n) elements), as the SIMD product packs it, so
 * that m x k @ k x n products with that B take `into` as their packedB and do not pack it again: a recurrent
 * weight, packed once per pass instead of once per time step. True when done: B and `into` are in one
 * floatBuffers block (a model's) on WebAssembly SIMD and the products are not small ones, which run in JS; false,
 * doing nothing, otherwise (then pass no packedB). Valid until B changes.
 */
export function packB(into: Buf, m: number, k: number, n: number, b: Buf, bOff: number, ldb: number, transB: boolean): boolean {
  return m * n * k > SMALL && (simd?.packB(into, k, n, b, bOff, ldb, transB) ?? false);
}

/**
 * Float buffers of these lengths (zeroed) for a model: in one block of
 * WebAssembly memory that the SIMD product works on in place, or plain arrays
 * where WebAssembly SIMD is missing or its memory cannot hold them.
 */
export function floatBuffers<A extends Buf>(F: FloatArrayType<A>, lengths: number[]): A[] {
  return simd?.floats(F, lengths) ?? lengths.map((n) => new F(n));
}

/**
 * Adam's update of Float32Array parameters p from the gradient g with the slots m and v (optim.ts's adam,
 * bias corrections c1 and c2), on WebAssembly SIMD (optim.wat: the same bits as optim.ts's loop) when all four
 * are in one floatBuffers block (a model's, with its optimizerMemory); false, doing nothing, otherwise.
 */
export function adamF32(p: Buf, g: Buf, m: Buf, v: Buf, lr: number, beta1: number, beta2: number, c1: number, c2: number, eps: number): boolean {
  return simd?.adam(p, g, m, v, lr, beta1, beta2, c1, c2, eps) ?? false;
}

/** The scalar functions of `vmath`, where it runs in JavaScript (f64, or no WebAssembly SIMD). */
const VMATH_JS: Record<VmathFn, (x: number) => number> = {
  exp: Math.exp,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: Math.tanh,
};

/**
 * y[yOff + i*yStride + j] = f(x[xOff + i*xStride + j]) for i < rows, j < cols: on WebAssembly
 * SIMD for Float32Arrays of floatBuffers (vmath.wat, within 1-2 ulp of f32), else in
 * JavaScript (Math.exp, Math.tanh: what the emitted loops compute). y may be x.
 */
export function vmath(f: VmathFn, rows: number, cols: number, x: Buf, xOff: number, xStride: number, y: Buf, yOff: number, yStride: number): void {
  if (simd?.vmath(f, rows, cols, x, xOff, xStride, y, yOff, yStride)) return;
  const g = VMATH_JS[f];
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) y[yOff + i * yStride + j] = g(x[xOff + i * xStride + j]!);
}

/** A model's elementwise loops as WebAssembly functions (src/backends/ts/loops-wasm.ts). */
export type Loops = Record<string, (...args: number[]) => void>;

/**
 * The functions of a model's loop module (base64) on the memory of its floatBuffers block (`block`: one
 * of them); undefined where that block is not in WebAssembly memory (model.ts then runs its loops in
 * JavaScript).
 */
export function loopKernels(base64: string, block: Buf): Loops | undefined {
  return simd?.onMemoryOf(base64, block) as Loops | undefined;
}
