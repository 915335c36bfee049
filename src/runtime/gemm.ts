/**
 * General matrix product for the standalone TypeScript target: the kernel
 * behind every matmul of the emitted forward and backward passes. Copied
 * verbatim into the output with the files it imports: none uses Node
 * built-ins (model.ts stays browser-safe).
 *
 * Two implementations, chosen at load time:
 * - gemm-simd.ts: WebAssembly with 128-bit SIMD (gemm.wat, embedded as
 *   gemm-wasm.ts), sums in the precision of C (f32x4, or f64x2 for a
 *   Float64Array C), like BLAS;
 * - gemm-js.ts: plain JavaScript, sums in doubles; where WebAssembly SIMD
 *   is missing, and for products too small to pay for the SIMD path's copies.
 */
import { gemmJs } from "./gemm-js.js";
import { simdGemm } from "./gemm-simd.js";
import type { Gemm } from "./model-api.js";
import { GEMM_WASM } from "./gemm-wasm.js";

export type { Buf } from "./model-api.js";
export { gemmJs, type Gemm };

/** The SIMD product, or undefined where WebAssembly SIMD is missing. */
export const gemmSimd: Gemm | undefined = simdGemm(GEMM_WASM);

/** Which product gemm runs for all but small products. */
export const GEMM_KIND: "wasm-simd" | "js" = gemmSimd === undefined ? "js" : "wasm-simd";

/**
 * Products of at most this many multiply-adds (m*n*k) run in JavaScript: the
 * calls and copies in and out of WebAssembly memory cost more than they save
 * (measured in CPU time on V8 11: 10x4x4, 0.24 us in JS, 0.46 us on SIMD;
 * 8x8x8, 0.7 and 0.8 us; at 1000 multiply-adds SIMD is 1.5-2x faster).
 */
const SMALL = 512;

/**
 * C[cOff + i*ldc + j] (=|+=) sum_k A(i,k) * B(k,j) for i < m, j < n, k < k,
 * A(i,k) = transA ? a[aOff + k*lda + i] : a[aOff + i*lda + k]
 * B(k,j) = transB ? b[bOff + j*ldb + k] : b[bOff + k*ldb + j]
 * accumulate: add to C instead of overwriting it.
 * C must not overlap A or B; elements of C's buffer outside the m x n
 * sub-matrix are left as they were. Allocates nothing but for growing its
 * scratch (packing space, WebAssembly memory) to the largest product seen.
 */
export const gemm: Gemm =
  gemmSimd === undefined
    ? gemmJs
    : (m, n, k, a, aOff, lda, transA, b, bOff, ldb, transB, c, cOff, ldc, accumulate) => {
        if (m * n * k <= SMALL) gemmJs(m, n, k, a, aOff, lda, transA, b, bOff, ldb, transB, c, cOff, ldc, accumulate);
        else gemmSimd(m, n, k, a, aOff, lda, transA, b, bOff, ldb, transB, c, cOff, ldc, accumulate);
      };
