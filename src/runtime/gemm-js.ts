/**
 * The matrix product in plain JavaScript: gemm.ts's fallback where
 * WebAssembly SIMD is missing, and its choice for products too small to pay
 * for the copies into WebAssembly memory. Copied verbatim into the output: it
 * must use no Node built-ins and import only the runtime.
 *
 * Plain JavaScript on V8 does not vectorise, so the speed comes from keeping
 * the JIT's output lean (measured with bench/gemm.ts on V8 11 / Node 20):
 *
 * - The operands are packed (GotoBLAS style) into one module-level JS array
 *   of doubles, grown on demand: A in panels of MR=2 rows, B in panels of NR=3
 *   columns, each panel k-major, so the micro-kernel reads both with unit
 *   stride whatever transA/transB and the leading dimensions are. One array
 *   (not two) means one map check per iteration; a `number[]` with double
 *   elements loads faster than a Float64Array (no base + external pointer
 *   arithmetic); converting f32 to f64 once at packing time takes the
 *   conversions out of the inner loop; and the kernel is monomorphic.
 * - The micro-kernel keeps a 2 x 3 block of C in 6 local doubles. Bigger
 *   blocks (4x4, 4x8) are slower here: TurboFan schedules all products before
 *   all sums and spills past ~14 live doubles on x64 (16 xmm registers).
 * - Cache blocking (KC x NC blocks of B, MC x KC blocks of A) only matters for
 *   large operands; the LSTM shapes fit one block (but for k = 1600). The
 *   scratch grows to at most (MC + NC) * KC doubles (9 MB).
 * - Small products (and m = 1 or n = 1) skip packing: a direct loop over the
 *   operands in place, 4 columns of C at a time.
 *
 * Sums are accumulated in doubles (JS numbers) in every case, so Float64Array
 * operands (finite-difference checks) get full double precision. A Float32Array
 * C is rounded once per element, plus once per extra block of KC terms of k.
 */

import type { Buf, Gemm } from "./model-api.js";

/** Rows of the micro-kernel's block of C (A panel width). */
const MR = 2;
/** Columns of the micro-kernel's block of C (B panel width). */
const NR = 3;
/** Depth of a packed block (rows of B, columns of A). */
const KC = 1024;
/** Rows of A packed at a time (a multiple of MR). */
const MC = 120;
/** Columns of B packed at a time (a multiple of NR). */
const NC = 1020;
/** Products of at most this many multiply-adds (m*n*k) take the direct loop. */
const DIRECT = 1024;

/** Packing scratch: packed A at [0, MC*KC), packed B after it. Double elements only. */
let work: number[] = [0.5];

/**
 * C[cOff + i*ldc + j] (=|+=) sum_k A(i,k) * B(k,j) for i < m, j < n, k < k,
 * A(i,k) = transA ? a[aOff + k*lda + i] : a[aOff + i*lda + k]
 * B(k,j) = transB ? b[bOff + j*ldb + k] : b[bOff + k*ldb + j]
 * accumulate: add to C instead of overwriting it.
 * C must not overlap A or B. Allocates nothing, but for growing its packing
 * scratch to the largest (min(m,120) + min(n,1020)) * min(k,1024) doubles seen.
 */
export const gemmJs: Gemm = (m, n, k, a, aOff, lda, transA, b, bOff, ldb, transB, c, cOff, ldc, accumulate) => {
  if (emptyProduct(m, n, k, c, cOff, ldc, accumulate)) return;
  // Strides of A along i and k, of B along k and j.
  const ai = transA ? 1 : lda;
  const ak = transA ? lda : 1;
  const bk = transB ? 1 : ldb;
  const bj = transB ? ldb : 1;
  if (m * n * k <= DIRECT || m === 1 || n === 1) {
    direct(m, n, k, a, aOff, ai, ak, b, bOff, bk, bj, c, cOff, ldc, accumulate);
    return;
  }
  const kcMax = k < KC ? k : KC;
  const mcMax = m < MC ? m + ((MR - (m % MR)) % MR) : MC;
  const ncMax = n < NC ? n + ((NR - (n % NR)) % NR) : NC;
  const bBase = mcMax * kcMax;
  if (work.length < bBase + ncMax * kcMax) work = doubles(bBase + ncMax * kcMax);
  const w = work;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = n - jc < NC ? n - jc : NC;
    for (let pc = 0; pc < k; pc += KC) {
      const kc = k - pc < KC ? k - pc : KC;
      for (let jr = 0; jr < nc; jr += NR) {
        pack(b, bOff + pc * bk + (jc + jr) * bj, bk, bj, nc - jr < NR ? nc - jr : NR, kc, w, bBase + jr * kc, NR);
      }
      // Later depth blocks add to what the first one wrote.
      const acc = accumulate || pc > 0;
      for (let ic = 0; ic < m; ic += MC) {
        const mc = m - ic < MC ? m - ic : MC;
        for (let ir = 0; ir < mc; ir += MR) {
          pack(a, aOff + (ic + ir) * ai + pc * ak, ak, ai, mc - ir < MR ? mc - ir : MR, kc, w, ir * kc, MR);
        }
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = nc - jr < NR ? nc - jr : NR;
          const ib = bBase + jr * kc;
          const co = cOff + ic * ldc + jc + jr;
          for (let ir = 0; ir < mc; ir += MR) {
            kernel(kc, w, ir * kc, ib, c, co + ir * ldc, ldc, acc, mc - ir < MR ? mc - ir : MR, nr);
          }
        }
      }
    }
  }
};

/**
 * The products with nothing to sum or nothing to write, done: m or n <= 0 writes
 * nothing, k <= 0 zeroes C (or leaves it, accumulating). True when it was one.
 */
export function emptyProduct(m: number, n: number, k: number, c: Buf, cOff: number, ldc: number, accumulate: boolean): boolean {
  if (m <= 0 || n <= 0) return true;
  if (k > 0) return false;
  if (!accumulate) for (let i = 0; i < m; i++) c.fill(0, cOff + i * ldc, cOff + i * ldc + n);
  return true;
}

/**
 * Runs every path of gemm once at load time (a few small products, well under
 * a millisecond, both buffer types, both accumulate modes, every kind of edge
 * block), so that V8 has type feedback for all of them before it optimises
 * anything. Without this, a hot loop compiled on the fly (OSR) before some
 * edge case had run keeps that case as a deoptimisation point, and V8 (11.x,
 * Node 20) may re-enter that OSR code and deoptimise again on every later call
 * that reaches the case: measured at half speed for good.
 */
function warmUp(): void {
  for (const f64 of [false, true]) {
    const x = f64 ? new Float64Array(300) : new Float32Array(300);
    const y = f64 ? new Float64Array(300) : new Float32Array(300);
    const z = f64 ? new Float64Array(64) : new Float32Array(64);
    for (let i = 0; i < 300; i++) {
      x[i] = ((i * 7) % 11) / 11 - 0.5;
      y[i] = ((i * 5) % 13) / 13 - 0.5;
    }
    for (const acc of [false, true]) {
      // Packed path: edge blocks of 1 row (m = 5), of 1 and of 2 columns (n = 7, 8).
      gemmJs(5, 7, 33, x, 0, 33, false, y, 0, 7, false, z, 0, 7, acc);
      gemmJs(5, 8, 33, x, 0, 5, true, y, 0, 33, true, z, 0, 8, acc);
      gemmJs(2, 2, 0, x, 0, 1, false, y, 0, 2, false, z, 0, 2, acc);
      // Direct path (f32 only: its loads are cheaper monomorphic, and its loops are short
      // except for m = 1 or n = 1): blocks of 4, 2 and 1 columns, odd k; m = 1.
      if (f64) continue;
      gemmJs(2, 7, 3, x, 0, 3, false, y, 0, 7, false, z, 0, 7, acc);
      gemmJs(1, 9, 4, x, 0, 4, false, y, 0, 4, true, z, 0, 9, acc);
    }
  }
}
warmUp();

/** A JS array of n doubles (double elements kind: created from a double, grown by push). */
function doubles(n: number): number[] {
  const x: number[] = [0.5];
  for (let i = 1; i < n; i++) x.push(0.5);
  return x;
}

/**
 * Packs one panel: dst[d + p*wd + r] = src[s + p*ps + r*rs] for p < kc, r < cnt,
 * and 0 for cnt <= r < wd (so the kernel always computes a whole block).
 * The unary + is free on typed-array loads; it keeps an out-of-bounds read (a
 * caller's bug: undefined) from turning `work` into a generic-elements array,
 * which would slow every later call (V8 remembers the transition).
 */
function pack(src: Buf, s: number, ps: number, rs: number, cnt: number, kc: number, dst: number[], d: number, wd: number): void {
  if (cnt === wd) {
    if (wd === 2) {
      for (let p = 0; p < kc; p++) {
        dst[d] = +src[s]!;
        dst[d + 1] = +src[s + rs]!;
        d += 2;
        s += ps;
      }
      return;
    }
    if (wd === 3) {
      const r2 = rs + rs;
      for (let p = 0; p < kc; p++) {
        dst[d] = +src[s]!;
        dst[d + 1] = +src[s + rs]!;
        dst[d + 2] = +src[s + r2]!;
        d += 3;
        s += ps;
      }
      return;
    }
  }
  for (let p = 0; p < kc; p++) {
    let r = 0;
    for (; r < cnt; r++) dst[d + r] = +src[s + r * rs]!;
    for (; r < wd; r++) dst[d + r] = 0;
    d += wd;
    s += ps;
  }
}

/**
 * The micro-kernel: the 2 x 3 block of C at co (its top-left corner) gets
 * sum_p Apanel[p] * Bpanel[p] for the panels packed at w[ia..] (2 per p) and
 * w[ib..] (3 per p); only its first mr rows and nr columns are stored.
 * `| 0` keeps the index arithmetic in int32 (no overflow checks).
 */
function kernel(kc: number, w: number[], ia: number, ib: number, c: Buf, co: number, ldc: number, acc: boolean, mr: number, nr: number): void {
  let c00 = 0, c01 = 0, c02 = 0;
  let c10 = 0, c11 = 0, c12 = 0;
  const end = (ia + kc * MR) | 0;
  while (ia < end) {
    const a0 = w[ia]!;
    const a1 = w[(ia + 1) | 0]!;
    const b0 = w[ib]!;
    const b1 = w[(ib + 1) | 0]!;
    const b2 = w[(ib + 2) | 0]!;
    c00 += a0 * b0;
    c01 += a0 * b1;
    c02 += a0 * b2;
    c10 += a1 * b0;
    c11 += a1 * b1;
    c12 += a1 * b2;
    ia = (ia + MR) | 0;
    ib = (ib + NR) | 0;
  }
  const c1 = co + ldc;
  if (mr === MR && nr === NR) {
    c[co] = acc ? c[co]! + c00 : c00;
    c[co + 1] = acc ? c[co + 1]! + c01 : c01;
    c[co + 2] = acc ? c[co + 2]! + c02 : c02;
    c[c1] = acc ? c[c1]! + c10 : c10;
    c[c1 + 1] = acc ? c[c1 + 1]! + c11 : c11;
    c[c1 + 2] = acc ? c[c1 + 2]! + c12 : c12;
    return;
  }
  // Edge block: mr = 1 or nr < 3 (so c12 is never stored here).
  c[co] = acc ? c[co]! + c00 : c00;
  if (nr > 1) c[co + 1] = acc ? c[co + 1]! + c01 : c01;
  if (nr > 2) c[co + 2] = acc ? c[co + 2]! + c02 : c02;
  if (mr > 1) {
    c[c1] = acc ? c[c1]! + c10 : c10;
    if (nr > 1) c[c1 + 1] = acc ? c[c1 + 1]! + c11 : c11;
  }
}

/**
 * Unpacked product for small operands (and m = 1 or n = 1, where packing
 * cannot pay off): each row of C in blocks of 4, then 2, then 1 columns, with
 * independent accumulators. ai/ak, bk/bj: strides of A along i/k, of B along k/j.
 */
function direct(
  m: number,
  n: number,
  k: number,
  a: Buf,
  aOff: number,
  ai: number,
  ak: number,
  b: Buf,
  bOff: number,
  bk: number,
  bj: number,
  c: Buf,
  cOff: number,
  ldc: number,
  acc: boolean,
): void {
  const n4 = n - (n & 3);
  const b2 = bj + bj;
  const b3 = b2 + bj;
  for (let i = 0; i < m; i++) {
    const ar = aOff + i * ai;
    const cr = cOff + i * ldc;
    let j = 0;
    for (; j < n4; j += 4) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let x = ar;
      let y = bOff + j * bj;
      for (let p = 0; p < k; p++) {
        const av = a[x]!;
        s0 += av * b[y]!;
        s1 += av * b[y + bj]!;
        s2 += av * b[y + b2]!;
        s3 += av * b[y + b3]!;
        x += ak;
        y += bk;
      }
      const o = cr + j;
      c[o] = acc ? c[o]! + s0 : s0;
      c[o + 1] = acc ? c[o + 1]! + s1 : s1;
      c[o + 2] = acc ? c[o + 2]! + s2 : s2;
      c[o + 3] = acc ? c[o + 3]! + s3 : s3;
    }
    if (n - j >= 2) {
      let s0 = 0, s1 = 0;
      let x = ar;
      let y = bOff + j * bj;
      for (let p = 0; p < k; p++) {
        const av = a[x]!;
        s0 += av * b[y]!;
        s1 += av * b[y + bj]!;
        x += ak;
        y += bk;
      }
      const o = cr + j;
      c[o] = acc ? c[o]! + s0 : s0;
      c[o + 1] = acc ? c[o + 1]! + s1 : s1;
      j += 2;
    }
    if (j < n) {
      let s0 = 0, s1 = 0;
      let x = ar;
      let y = bOff + j * bj;
      // Two chains over even and odd p: half the add latency.
      let p = 1;
      for (; p < k; p += 2) {
        s0 += a[x]! * b[y]!;
        s1 += a[x + ak]! * b[y + bk]!;
        x += ak + ak;
        y += bk + bk;
      }
      if (p === k) s0 += a[x]! * b[y]!;
      const o = cr + j;
      c[o] = acc ? c[o]! + (s0 + s1) : s0 + s1;
    }
  }
}
