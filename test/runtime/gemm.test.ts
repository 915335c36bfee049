/**
 * The matrix products of the standalone TypeScript runtime
 * (../../src/runtime/gemm.ts) against a naive triple loop in doubles, each
 * of its two implementations (WebAssembly SIMD, gemm-simd.ts; plain JS,
 * gemm-js.ts): every combination of transA/transB/accumulate, padded leading
 * dimensions, offsets into bigger buffers, Float32Array and Float64Array,
 * sizes from 0 up, the JS product's direct path (small products, m = 1, n = 1)
 * and its packed one, edge tiles of both, and several cache blocks along m, n
 * and k of both. Elements of C outside the sub-matrix must be left exactly as
 * they were. Then which one gemm runs, and the fallback where WebAssembly
 * SIMD is missing.
 */
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { gemm, GEMM_KIND, gemmJs, gemmSimd, type Buf, type Gemm } from "../../src/runtime/gemm.js";
import { simdGemm } from "../../src/runtime/gemm-simd.js";
import { GEMM_WASM } from "../../src/runtime/gemm-wasm.js";

type Ctor = Float32ArrayConstructor | Float64ArrayConstructor;

interface Case {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  accumulate: boolean;
  f64: boolean;
  /** Extra elements per row beyond the row length (leading dim - row length). */
  padA: number;
  padB: number;
  padC: number;
  aOff: number;
  bOff: number;
  cOff: number;
  seed: number;
}

/** xorshift32 values in [-1, 1). */
function filler(seed: number): () => number {
  let s = (seed | 0) || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 31 - 1;
  };
}

function filled(ctor: Ctor, length: number, next: () => number): Buf {
  const x = new ctor(length);
  for (let i = 0; i < length; i++) x[i] = next();
  return x;
}

/**
 * The two implementations. f32Sums: the product sums Float32Array operands
 * in f32 (the SIMD one, like BLAS), so its error is bounded by k + 1 f32
 * roundings of the sum of the terms' magnitudes (recursive summation, C
 * included); the JS one sums in doubles and rounds to f32 once per block of k.
 */
const IMPLS: { name: string; gemm: Gemm; f32Sums: boolean }[] = [
  { name: "gemmSimd", gemm: gemmSimd!, f32Sums: true },
  { name: "gemmJs", gemm: gemmJs, f32Sums: false },
];

/** Runs each implementation on the case and checks every element of its C against the naive product. */
function check(c0: Case): void {
  const { m, n, k, transA, transB, accumulate, f64, aOff, bOff, cOff } = c0;
  const ctor: Ctor = f64 ? Float64Array : Float32Array;
  // Row length and row count of each operand as stored.
  const aRow = transA ? m : k, aRows = transA ? k : m;
  const bRow = transB ? k : n, bRows = transB ? n : k;
  const lda = aRow + c0.padA, ldb = bRow + c0.padB, ldc = n + c0.padC;
  const next = filler(c0.seed);
  // Buffers with slack after the last row as well (a sub-matrix of something bigger).
  const a = filled(ctor, aOff + aRows * lda + 3, next);
  const b = filled(ctor, bOff + bRows * ldb + 3, next);
  const before = filled(ctor, cOff + m * ldc + 3, next);
  const results = IMPLS.map(({ gemm }) => {
    const c = before.slice();
    gemm(m, n, k, a, aOff, lda, transA, b, bOff, ldb, transB, c, cOff, ldc, accumulate);
    return c;
  });

  const inC = new Uint8Array(before.length);
  const rel = f64 ? 1e-12 : 1e-5;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const o = cOff + i * ldc + j;
      inC[o] = 1;
      let s = accumulate ? before[o]! : 0;
      let mag = Math.abs(s);
      for (let p = 0; p < k; p++) {
        const av = transA ? a[aOff + p * lda + i]! : a[aOff + i * lda + p]!;
        const bv = transB ? b[bOff + j * ldb + p]! : b[bOff + p * ldb + j]!;
        s += av * bv;
        mag += Math.abs(av * bv);
      }
      IMPLS.forEach(({ name, f32Sums }, q) => {
        // Relative to the result, plus the rounding of a k-term double sum (both
        // sides) or, in f32, of the partial sums (see IMPLS).
        const tol = rel * Math.abs(s) + (f64 ? 1e-13 : f32Sums ? (k + 2) * 2 ** -24 : 1e-7) * mag;
        const got = results[q]![o]!;
        if (!(Math.abs(got - s) <= tol)) {
          expect.fail(`${name}: C(${i},${j}) = ${got}, expected ${s} (tolerance ${tol}) in ${JSON.stringify(c0)}`);
        }
      });
    }
  }
  IMPLS.forEach(({ name }, q) => {
    const c = results[q]!;
    for (let o = 0; o < c.length; o++) {
      if (!inC[o] && !Object.is(c[o], before[o])) expect.fail(`${name}: C[${o}] outside the sub-matrix changed in ${JSON.stringify(c0)}`);
    }
  });
}

const FLAGS = [false, true].flatMap((transA) =>
  [false, true].flatMap((transB) => [false, true].map((accumulate) => ({ transA, transB, accumulate }))),
);

function flagName(f: { transA: boolean; transB: boolean; accumulate: boolean }): string {
  return `${f.transA ? "T" : "N"}${f.transB ? "T" : "N"}${f.accumulate ? " +=" : " ="}`;
}

const base = { padA: 0, padB: 0, padC: 0, aOff: 0, bOff: 0, cOff: 0, seed: 1 };

function caseArb(maxDim: number): fc.Arbitrary<Case> {
  const dim = fc.integer({ min: 0, max: maxDim });
  const pad = fc.integer({ min: 0, max: 3 });
  const off = fc.integer({ min: 0, max: 5 });
  return fc.record({
    m: dim,
    n: dim,
    k: dim,
    transA: fc.boolean(),
    transB: fc.boolean(),
    accumulate: fc.boolean(),
    f64: fc.boolean(),
    padA: pad,
    padB: pad,
    padC: pad,
    aOff: off,
    bOff: off,
    cOff: off,
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  });
}

describe("gemmSimd and gemmJs against a naive triple loop", () => {
  it("random sizes 0..40, all flags, padded leading dims, offsets, f32 and f64", () => {
    fc.assert(
      fc.property(caseArb(40), (c) => check(c)),
      { numRuns: 600 },
    );
  });

  it("thin shapes: m or n of 1..3 with long k (direct and packed edge blocks)", () => {
    const arb = fc.record({
      m: fc.integer({ min: 1, max: 3 }),
      n: fc.integer({ min: 1, max: 70 }),
      k: fc.integer({ min: 1, max: 300 }),
      transA: fc.boolean(),
      transB: fc.boolean(),
      accumulate: fc.boolean(),
      f64: fc.boolean(),
      padA: fc.integer({ min: 0, max: 2 }),
      padB: fc.integer({ min: 0, max: 2 }),
      padC: fc.integer({ min: 0, max: 2 }),
      aOff: fc.integer({ min: 0, max: 3 }),
      bOff: fc.integer({ min: 0, max: 3 }),
      cOff: fc.integer({ min: 0, max: 3 }),
      seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      swap: fc.boolean(),
    });
    fc.assert(
      fc.property(arb, ({ swap, ...c }) => check(swap ? { ...c, m: c.n, n: c.m } : c)),
      { numRuns: 200 },
    );
  });

  for (const f of FLAGS) {
    for (const f64 of [false, true]) {
      it(`degenerate sizes ${flagName(f)} ${f64 ? "f64" : "f32"}`, () => {
        for (const [m, n, k] of [
          [0, 0, 0], [0, 5, 3], [4, 0, 3], [4, 5, 0], [1, 1, 1], [1, 1, 0], [1, 7, 1], [7, 1, 1], [2, 3, 1], [3, 2, 5],
        ] as const) {
          check({ ...base, ...f, f64, m, n, k, padA: 1, padB: 2, padC: 1, aOff: 2, bOff: 1, cOff: 3 });
        }
      });
    }
  }

  it.each(IMPLS)("$name: k = 0 writes zeros, or leaves C alone when accumulating", ({ gemm }) => {
    const c = new Float32Array([1, 2, 3, 4, 5, 6, 7]);
    const empty = new Float32Array(0);
    gemm(2, 2, 0, empty, 0, 0, false, empty, 0, 2, false, c, 1, 3, true);
    expect([...c]).toEqual([1, 2, 3, 4, 5, 6, 7]);
    gemm(2, 2, 0, empty, 0, 0, false, empty, 0, 2, false, c, 1, 3, false);
    expect([...c]).toEqual([1, 0, 0, 4, 0, 0, 7]);
  });

  it.each(IMPLS)("$name: a small exact example in each layout", ({ gemm }) => {
    // A = [[1, 2, 3], [4, 5, 6]], B = [[1, 0], [0, 1], [1, 1]]: A B = [[4, 5], [10, 11]].
    const a = new Float64Array([1, 2, 3, 4, 5, 6]);
    const aT = new Float64Array([1, 4, 2, 5, 3, 6]);
    const b = new Float64Array([1, 0, 0, 1, 1, 1]);
    const bT = new Float64Array([1, 0, 1, 0, 1, 1]);
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const c = new Float64Array([100, 100, 100, 100]);
      gemm(2, 2, 3, ta ? aT : a, 0, ta ? 2 : 3, ta, tb ? bT : b, 0, tb ? 3 : 2, tb, c, 0, 2, false);
      expect([...c]).toEqual([4, 5, 10, 11]);
      gemm(2, 2, 3, ta ? aT : a, 0, ta ? 2 : 3, ta, tb ? bT : b, 0, tb ? 3 : 2, tb, c, 0, 2, true);
      expect([...c]).toEqual([8, 10, 20, 22]);
    }
  });

  // The shapes of the char-LM LSTM training step (B=32, H=128, V=64, T*B=1600), and the Elman toy.
  const shapes: [string, number, number, number, boolean, boolean, boolean][] = [
    ["gates x@W", 32, 512, 128, false, false, true],
    ["dX dG@W^T", 32, 128, 512, false, true, false],
    ["dW X^T@dG", 128, 512, 32, true, false, true],
    ["logits", 1600, 64, 128, false, false, false],
    ["dH", 1600, 128, 64, false, true, false],
    ["dWo", 128, 64, 1600, true, false, true],
    ["elman", 10, 4, 4, false, false, false],
  ];
  for (const [name, m, n, k, transA, transB, accumulate] of shapes) {
    it(`LSTM shape ${name} (${m}x${k} @ ${k}x${n}, ${flagName({ transA, transB, accumulate })})`, () => {
      check({ ...base, m, n, k, transA, transB, accumulate, f64: false, seed: m * 7 + n });
    });
  }

  // Odd sizes around the tile edges of both (JS: 2 x 3; SIMD: 4 x 8 in f32, 4 x 4 in f64), every layout.
  it("odd sizes 1..130, all flags, padded leading dims, offsets, f32 and f64", () => {
    const sizes = [1, 3, 7, 17, 33, 65, 130];
    sizes.forEach((m, i) => {
      const n = sizes[(i + 2) % sizes.length]!, k = sizes[(i + 4) % sizes.length]!;
      FLAGS.forEach((f, j) => {
        for (const f64 of [false, true]) check({ ...base, ...f, f64, m, n, k, padA: 2, padB: 1, padC: 3, aOff: 3, bOff: 1, cOff: 2, seed: 7 * i + j });
      });
    });
  });

  // Block sizes of gemm-js.ts: MC = 120 rows of A, NC = 1020 columns of B, KC = 1024 terms of k;
  // of gemm.wat: MC = 128 rows, KC = 256 terms (n in one block).
  const blocked: [string, number, number, number][] = [
    ["m (3 blocks of rows)", 250, 5, 4],
    ["n (3 blocks of columns)", 3, 2100, 3],
    ["k (3 blocks of depth)", 5, 7, 2100],
  ];
  for (const [what, m, n, k] of blocked) {
    it(`several cache blocks along ${what}, all flags`, () => {
      FLAGS.forEach((f, i) => {
        for (const f64 of [false, true]) check({ ...base, ...f, f64, m, n, k, padA: 1, padB: 3, padC: 2, aOff: 1, bOff: 2, cOff: 3, seed: 99 + i });
      });
    });
  }

  it("gives the same result again after the scratch grew and shrank", () => {
    const c1 = { ...base, m: 37, n: 29, k: 41, transA: true, transB: false, accumulate: false, f64: false, seed: 5 };
    check(c1);
    check({ ...c1, m: 140, n: 200, k: 300, seed: 6 });
    check(c1);
  });
});

describe("the product gemm runs", () => {
  it("is the SIMD one in Node 20 (so the tests above test it)", () => {
    expect(gemmSimd).toBeDefined();
    expect(GEMM_KIND).toBe("wasm-simd");
  });

  it("runs small products in JS and the others on SIMD, with the same results as each", () => {
    for (const [m, n, k, which] of [[10, 4, 4, gemmJs], [8, 8, 8, gemmJs], [8, 8, 9, gemmSimd!], [33, 17, 300, gemmSimd!]] as const) {
      const next = filler(m * n + k);
      const a = filled(Float32Array, m * k, next), b = filled(Float32Array, k * n, next);
      const c = filled(Float32Array, m * n, next), expected = c.slice();
      gemm(m, n, k, a, 0, k, false, b, 0, n, false, c, 0, n, true);
      which(m, n, k, a, 0, k, false, b, 0, n, false, expected, 0, n, true);
      expect([...c], `${m}x${k} @ ${k}x${n}`).toEqual([...expected]);
    }
  });

  it("is not there when the module does not validate", () => {
    expect(simdGemm(btoa("\0asm\x01\0\0\0\xff"))).toBeUndefined();
    expect(simdGemm(GEMM_WASM)).toBeDefined();
  });

  it("falls back to JS at load time where WebAssembly is missing", async () => {
    vi.stubGlobal("WebAssembly", undefined);
    vi.resetModules();
    try {
      expect(simdGemm(GEMM_WASM)).toBeUndefined();
      const fresh = await import("../../src/runtime/gemm.js");
      expect(fresh.GEMM_KIND).toBe("js");
      expect(fresh.gemmSimd).toBeUndefined();
      expect(fresh.gemm).toBe(fresh.gemmJs);
    } finally {
      vi.unstubAllGlobals();
      vi.resetModules();
    }
  });
});
