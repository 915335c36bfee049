/**
 * The matrix products of the standalone TypeScript runtime
 * (../../src/runtime/gemm.ts) against a naive triple loop in doubles, each
 * of its two implementations (WebAssembly SIMD, gemm-simd.ts; plain JS,
 * gemm-js.ts): every combination of transA/transB/accumulate, padded leading
 * dimensions, offsets into bigger buffers, Float32Array and Float64Array,
 * sizes from 0 up, the JS product's direct path (small products, m = 1, n = 1)
 * and its packed one, edge tiles of both, and several cache blocks along m, n
 * and k of both. Elements of C outside the sub-matrix must be left exactly as
 * they were; the SIMD one also in place on floatBuffers. Then which one gemm
 * runs, and the fallback where WebAssembly SIMD is missing. Then vmath
 * (vmath.wat's exp, sigmoid, tanh) against Math's, to 2 ulp of f32. The
 * SIMD product and vmath are tested in both builds of the module: with
 * fused multiply-adds (relaxed SIMD, what gemm.ts picks in these tests: the
 * setup file turns it on) and baseline SIMD.
 */
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { floatBuffers, gemm, GEMM_KIND, gemmJs, gemmSimd, packB, packedLength, vmath, type Buf, type Gemm } from "../../src/runtime/gemm.js";
import { simdRuntime } from "../../src/runtime/gemm-simd.js";
import { GEMM_WASM, GEMM_WASM_FMA } from "../../src/runtime/gemm-wasm.js";

/** The baseline SIMD build, beside the fused multiply-add one that gemm.ts runs here. */
const baseline = simdRuntime(GEMM_WASM)!;

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
  { name: "gemmSimd in place", gemm: inPlace, f32Sums: true },
  { name: "gemmSimd, baseline SIMD", gemm: baseline.gemm, f32Sums: true },
  { name: "gemmJs", gemm: gemmJs, f32Sums: false },
];

/** Room for the largest case's operands in a block of floatBuffers, of each type. */
const ROOM = 1 << 18;
const BLOCKS = { f32: floatBuffers(Float32Array, [ROOM, ROOM, ROOM]), f64: floatBuffers(Float64Array, [ROOM, ROOM, ROOM]) };

/** gemmSimd on copies of the operands in a block of floatBuffers (the product in place, no copies of its own), C copied back. */
function inPlace(...args: Parameters<Gemm>): void {
  const [m, n, k, a, aOff, lda, transA, b, bOff, ldb, transB, c, cOff, ldc, accumulate] = args;
  const [ba, bb, bc] = c instanceof Float64Array ? BLOCKS.f64 : BLOCKS.f32;
  if (a.length > ROOM || b.length > ROOM || c.length > ROOM) throw new Error("the test's block is too small for this case");
  const at = (block: Buf, x: Buf) => {
    const view = block.subarray(0, x.length);
    view.set(x);
    return view;
  };
  const cc = at(bc!, c);
  gemmSimd!(m, n, k, at(ba!, a), aOff, lda, transA, at(bb!, b), bOff, ldb, transB, cc, cOff, ldc, accumulate);
  c.set(cc);
}

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
  it("is the fused multiply-add one once relaxed-simd.ts has run (so the tests above test it)", () => {
    expect(gemmSimd).toBeDefined();
    expect(GEMM_KIND).toBe("wasm-fma");
    expect(simdRuntime(GEMM_WASM_FMA)).toBeDefined();
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
    expect(simdRuntime(btoa("\0asm\x01\0\0\0\xff"))).toBeUndefined();
    expect(simdRuntime(GEMM_WASM)).toBeDefined();
  });

  it("floatBuffers: zeroed, 16-byte aligned, apart, in WebAssembly memory; products mixing them with other arrays are copied", () => {
    const [x, y, z] = floatBuffers(Float32Array, [5, 3, 4]);
    for (const v of [x!, y!, z!]) expect(v.byteOffset % 16).toBe(0);
    expect(x!.buffer).toBe(z!.buffer);
    expect(y!.byteOffset).toBeGreaterThanOrEqual(x!.byteOffset + 20);
    expect([...x!, ...y!, ...z!].every((v) => v === 0)).toBe(true);
    // 2x2 @ 2x2: one operand outside the block, C inside it.
    x!.set([1, 2, 3, 4]);
    const other = new Float32Array([1, 0, 0, 1]);
    gemmSimd!(2, 2, 2, x!, 0, 2, false, other, 0, 2, false, z!, 0, 2, false);
    expect([...z!]).toEqual([1, 2, 3, 4]);
  });

  it("packB: products reading B packed once give the same bits as products packing it, over depth blocks, edge panels, transposes and both types", () => {
    for (const F of [Float32Array, Float64Array]) {
      for (const [m, n, k, transB] of [[32, 512, 128, true], [32, 128, 512, false], [9, 13, 300, true], [5, 3, 600, false], [33, 17, 257, true]] as const) {
        const ldb = (transB ? k : n) + 3, bOff = 5;
        const [a, b, c1, c2, into] = floatBuffers(F as Float32ArrayConstructor, [m * k, bOff + (transB ? n : k) * ldb, m * n, m * n, packedLength(k, n)]);
        const next = filler(m + n + k);
        for (const x of [a!, b!, c1!]) x.forEach((_, i) => (x[i] = next()));
        c2!.set(c1!);
        expect(packB(into!, m, k, n, b!, bOff, ldb, transB)).toBe(true);
        for (const acc of [false, true]) {
          gemm(m, n, k, a!, 0, k, false, b!, bOff, ldb, transB, c1!, 0, n, acc);
          gemm(m, n, k, a!, 0, k, false, b!, bOff, ldb, transB, c2!, 0, n, acc, into!);
          expect([...c2!], `${F.name} ${m}x${k} @ ${k}x${n} transB ${transB}`).toEqual([...c1!]);
        }
        // Packed from other values, the product reads the packed ones: it does not pack B again.
        const stale = into!.slice();
        b!.fill(0);
        gemm(m, n, k, a!, 0, k, false, b!, bOff, ldb, transB, c2!, 0, n, false, into!);
        expect(c2!.some((v) => v !== 0)).toBe(true);
        expect([...into!]).toEqual([...stale]);
      }
    }
  });

  it("packB: false, doing nothing, when B or the packed buffer is not in a floatBuffers block, or they are of two blocks, or the product is small", () => {
    const [into, b] = floatBuffers(Float32Array, [packedLength(4, 4), 16]);
    const [other] = floatBuffers(Float32Array, [16]);
    expect(packB(into!, 40, 4, 4, b!, 0, 4, false)).toBe(true);
    into!.fill(0);
    expect(packB(new Float32Array(packedLength(4, 4)), 40, 4, 4, b!, 0, 4, false)).toBe(false);
    expect(packB(into!, 40, 4, 4, new Float32Array(16), 0, 4, false)).toBe(false);
    expect(packB(into!, 40, 4, 4, other!, 0, 4, false)).toBe(false);
    // Products small enough for JS read B as it is.
    expect(packB(into!, 32, 4, 4, b!, 0, 4, false)).toBe(false);
    expect(into!.every((v) => v === 0)).toBe(true);
  });

  it("falls back to JS at load time where WebAssembly is missing", async () => {
    vi.stubGlobal("WebAssembly", undefined);
    vi.resetModules();
    try {
      expect(simdRuntime(GEMM_WASM)).toBeUndefined();
      const fresh = await import("../../src/runtime/gemm.js");
      expect(fresh.GEMM_KIND).toBe("js");
      expect(fresh.gemmSimd).toBeUndefined();
      expect(fresh.gemm).toBe(fresh.gemmJs);
      const [x] = fresh.floatBuffers(Float64Array, [3]);
      expect(x).toBeInstanceOf(Float64Array);
      expect(x!.buffer.byteLength).toBe(24);
    } finally {
      vi.unstubAllGlobals();
      vi.resetModules();
    }
  });
});

describe("vmath: exp, sigmoid and tanh of rows", () => {
  /** The spacing of f32 values at v (subnormal spacing at the bottom). */
  const ulp = (v: number) => (Math.fround(Math.abs(v)) < 2 ** -126 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(Math.fround(Math.abs(v)))) - 23));
  const REF = { exp: Math.exp, sigmoid: (v: number) => 1 / (1 + Math.exp(-v)), tanh: Math.tanh };
  const N = 1 << 14;
  const BUILDS = [
    { build: "fused multiply-add", floats: floatBuffers, vmath },
    { build: "baseline SIMD", floats: <A extends Buf>(F: new (n: number) => A, lengths: number[]) => baseline.floats(F as never, lengths) as A[], vmath: baseline.vmath },
  ];

  it.each(
    BUILDS.flatMap((b) =>
      ([
        ["exp", -110, 92],
        ["sigmoid", -110, 110],
        ["tanh", -12, 12],
        ["tanh", -1, 1],
      ] as const).map(([f, lo, hi]) => [b.build, f, lo, hi, b] as const),
    ),
  )("%s: %s on f32x4 within 2 ulp of Math's rounded to f32 over [%d, %d], and its specials", (_build, f, lo, hi, b) => {
    const [x, y] = b.floats(Float32Array, [N, N]);
    for (let i = 0; i < N; i++) x![i] = lo + ((hi - lo) * i) / (N - 1);
    const specials = [NaN, Infinity, -Infinity, 0, 1e-30, -1e-30, 88.7, -87.5, 88.72, -103.9, -87.34, 0.625, -0.625];
    x!.set(specials);
    expect(b.vmath(f, 1, N, x!, 0, 0, y!, 0, 0)).not.toBe(false);
    for (let i = 0; i < N; i++) {
      const want = Math.fround(REF[f](x![i]!));
      const got = y![i]!;
      if (Number.isNaN(want) ? !Number.isNaN(got) : !(want === got || Math.abs(got - want) <= 2 * ulp(want))) expect.fail(`${f}(${x![i]}) = ${got}, want ${want}`);
    }
  });

  it("maps rows at strides, the tail of a row lane by lane, in place, and f64 or other arrays in JS", () => {
    // 3 rows of 6 at stride 8 into rows at stride 7; y's gaps stay as they were.
    const [a, b] = floatBuffers(Float32Array, [24, 21]);
    a!.forEach((_, i) => (a![i] = i / 10 - 1));
    b!.fill(5);
    vmath("tanh", 3, 6, a!, 1, 8, b!, 0, 7);
    for (let r = 0; r < 3; r++) {
      for (let j = 0; j < 7; j++) {
        const want = j < 6 ? Math.fround(Math.tanh(a![1 + r * 8 + j]!)) : 5;
        expect(Math.abs(b![r * 7 + j]! - want)).toBeLessThanOrEqual(2 * ulp(want));
      }
    }
    vmath("exp", 1, 24, a!, 0, 0, a!, 0, 0);
    expect(Math.abs(a![0]! - Math.exp(-1))).toBeLessThan(1e-7);
    for (const z of [new Float64Array([0.5, -2]), new Float32Array([0.5, -2])]) {
      vmath("sigmoid", 1, 2, z, 0, 0, z, 0, 0);
      expect([...z]).toEqual([...(z instanceof Float64Array ? [1 / (1 + Math.exp(-0.5)), 1 / (1 + Math.exp(2))] : [Math.fround(1 / (1 + Math.exp(-0.5))), Math.fround(1 / (1 + Math.exp(2)))])]);
    }
  });
});
