/**
 * src/backends/ts/loops-wasm.ts: a loop nest as a WebAssembly function gives
 * what the JavaScript loop gives over Float32Arrays, bit for bit (f64
 * arithmetic, f32 loads and stores): set, add and max modes, variables, a
 * broadcast view (stride 0), strides given at the call, select and
 * comparisons, gathers and scatters by int32 indices, int32 values and the
 * loop's index as operands, exp (Math.exp's f64, to the bit); and what it
 * refuses to write. The innermost loop two elements at a time (f64x2) gives
 * the same bits over odd lengths and NaN, signed zeros and infinities, op by
 * op; an element read again after a store to its buffer is loaded anew; which
 * loops take the paired path (not those reading the index, exp or int32
 * values); and that without SIMD the runtime gives no loop functions.
 */
import { describe, expect, it, vi } from "vitest";
import { base64, loopFunction, loopModule, pairable, writable, type LoopMap, type LoopNest } from "../../../src/backends/ts/loops-wasm.js";
import { dimVar, fn, IDX, IN, int, NUM, SIZE, type Fn, type Scalar } from "../../../src/kernel/program.js";

const wasm = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer }; Instance: new (m: object, i: object) => { exports: Record<string, (...a: number[]) => void> }; Module: new (b: Uint8Array) => object } }).WebAssembly;

describe("a loop nest as WebAssembly", () => {
  // Over [R, 5] (R given at the call): y = x * 3 + b (b broadcast along rows, x's rows 8 apart: a stride given at the call),
  // t = select(x > b, x, -x) as a variable, s[r] += t (a sum along rows), m[r] max= x.
  const R = dimVar("R");
  const nest: LoopNest = {
    exts: [R, int(5)],
    views: [
      { buf: 0, strides: [dimVar("X"), int(1)] }, // x
      { buf: 1, strides: [int(0), int(1)] }, // b
      { buf: 2, strides: [int(5), int(1)] }, // y
      { buf: 3, strides: [int(1), int(0)] }, // s
      { buf: 4, strides: [int(1), int(0)] }, // m
    ],
    locals: 1,
    maps: [
      { out: { view: 2 }, mode: "set", expr: fn("add", fn("mul", IN(0), NUM(3)), IN(1)), ins: [{ view: 0 }, { view: 1 }] },
      { out: { local: 0 }, mode: "set", expr: fn("select", fn("gt", IN(0), IN(1)), IN(0), fn("neg", IN(0))), ins: [{ view: 0 }, { view: 1 }] },
      { out: { view: 3 }, mode: "add", expr: IN(0), ins: [{ local: 0 }] },
      { out: { view: 4 }, mode: "max", expr: IN(0), ins: [{ view: 0 }] },
    ],
  };

  it("gives the JavaScript loop's results bit for bit", () => {
    const f = loopFunction(nest);
    expect(f.call).toEqual({ exts: [0], strides: [[0, 0]], scales: [] });
    const memory = new wasm.Memory({ initial: 1 });
    const { l0 } = new wasm.Instance(new wasm.Module(loopModule([f])), { m: { memory } }).exports;
    const heap = new Float32Array(memory.buffer);
    const rows = 3;
    // x at 0 (rows 8 apart), b at 64, y at 128, s at 192, m at 256 (elements).
    for (let i = 0; i < 24; i++) heap[i] = Math.fround(Math.sin(i * 1.7) * 3);
    for (let j = 0; j < 5; j++) heap[64 + j] = Math.fround(0.1 * j - 0.2);
    heap.fill(0, 192, 192 + rows);
    heap.fill(-Infinity, 256, 256 + rows);
    l0!(rows, 0, 64 * 4, 128 * 4, 192 * 4, 256 * 4, 8);
    const y = new Float32Array(15), s = new Float32Array(rows), m = new Float32Array(rows).fill(-Infinity);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < 5; j++) {
        const x = heap[r * 8 + j]!, b = heap[64 + j]!;
        y[r * 5 + j] = x * 3 + b;
        const t = x > b ? x : -x;
        s[r] += t;
        if (x > m[r]!) m[r] = x;
      }
    }
    expect([...heap.subarray(128, 143)]).toEqual([...y]);
    expect([...heap.subarray(192, 192 + rows)]).toEqual([...s]);
    expect([...heap.subarray(256, 256 + rows)]).toEqual([...m]);
    // A module of several functions, base64 for model.ts.
    expect(atob(base64(loopModule([f, f]))).charCodeAt(0)).toBe(0);
  });

  it("gathers a row's element by an int32 index and scatters into it, the scale given at the call", () => {
    // z[r, j] = W[j*4 + ids[r]*s] (s given), then dW[j*4 + ids[r]*s] += z[r, j]: over [3 rows, 2 columns].
    const f = loopFunction({
      exts: [int(3), int(2)],
      views: [
        { buf: 0, strides: [int(2), int(1)] }, // z
        { buf: 1, strides: [int(0), int(4)] }, // W
        { buf: 2, strides: [int(1), int(0)] }, // ids
        { buf: 3, strides: [int(0), int(4)] }, // dW
      ],
      locals: 0,
      maps: [
        { out: { view: 0 }, mode: "set", expr: IN(0), ins: [{ view: 1, gather: { view: 2, scale: dimVar("S") } }] },
        { out: { view: 3, gather: { view: 2, scale: dimVar("S") } }, mode: "add", expr: IN(0), ins: [{ view: 0 }] },
      ],
    });
    expect(f.call.scales).toHaveLength(2);
    const memory = new wasm.Memory({ initial: 1 });
    const { l0 } = new wasm.Instance(new wasm.Module(loopModule([f])), { m: { memory } }).exports;
    const heap = new Float32Array(memory.buffer);
    const ids = new Int32Array(memory.buffer, 64 * 4, 3);
    ids.set([2, 0, 2]);
    for (let i = 0; i < 8; i++) heap[16 + i] = i + 0.5; // W at 16: element j*4 + id
    // z at 0, W at 16, ids at 64, dW at 96; S = 1.
    l0!(0, 16 * 4, 64 * 4, 96 * 4, 1, 1);
    expect([...heap.subarray(0, 6)]).toEqual([2.5, 6.5, 0.5, 4.5, 2.5, 6.5]);
    expect([...heap.subarray(96, 104)]).toEqual([0.5, 0, 5, 0, 4.5, 0, 13, 0]);
  });

  it("writes arithmetic, comparisons, select, exp and the index; not log or sizes", () => {
    expect(writable(fn("min", fn("sqrt", fn("abs", IN(0))), fn("div", IN(1), NUM(2))))).toBe(true);
    expect(writable(fn("select", IN(0), IN(1), fn("le", IN(2), NUM(0))))).toBe(true);
    expect(writable(fn("exp", IN(0)))).toBe(true);
    expect(writable(fn("add", IDX(0), IN(0)))).toBe(true);
    expect(writable(fn("log", IN(0)))).toBe(false);
    expect(writable(fn("div", IN(0), SIZE(int(3))))).toBe(false);
  });

  it("reads an int32 view's value and the loop's index: cross-entropy's select on the target, over odd sizes (a sum of select(c, a, 0) adds where c holds, -0 and NaN sums included)", () => {
    // Over [R rows, 7 columns] (R given): ce[r] += (j === y[r] ? -l[r, j] : 0); d[r, j] = g[r] * (exp(l[r, j]) - (j === y[r] ? 1 : 0)).
    const f = loopFunction({
      exts: [dimVar("R"), int(7)],
      views: [
        { buf: 0, strides: [int(1), int(0)] }, // ce
        { buf: 1, strides: [int(7), int(1)] }, // l
        { buf: 2, strides: [int(1), int(0)], int: true }, // y
        { buf: 3, strides: [int(7), int(1)] }, // d
        { buf: 4, strides: [int(1), int(0)] }, // g
      ],
      locals: 0,
      maps: [
        { out: { view: 0 }, mode: "add", expr: fn("select", fn("eq", IDX(1), IN(1)), fn("neg", IN(0)), NUM(0)), ins: [{ view: 1 }, { view: 2 }] },
        { out: { view: 3 }, mode: "set", expr: fn("mul", IN(0), fn("sub", fn("exp", IN(1)), fn("select", fn("eq", IDX(1), IN(2)), NUM(1), NUM(0)))), ins: [{ view: 4 }, { view: 1 }, { view: 2 }] },
      ],
    });
    const memory = new wasm.Memory({ initial: 1 });
    const { l0 } = new wasm.Instance(new wasm.Module(loopModule([f])), { m: { memory } }).exports;
    const heap = new Float32Array(memory.buffer);
    const R = 5;
    // ce at 0 (a NaN, and a -0 that no term is added to: adding 0 makes it +0), l at 16, y at 64 (one target out of
    // range: no term), d at 128, g at 192.
    const ce0 = [0, 0, NaN, 1.5, -0];
    heap.set(ce0, 0);
    for (let i = 0; i < R * 7; i++) heap[16 + i] = Math.fround(Math.cos(i * 2.3) * 4 - 2);
    new Int32Array(memory.buffer, 64 * 4, R).set([0, 6, 3, 9, -1]);
    for (let r = 0; r < R; r++) heap[192 + r] = Math.fround(0.25 + r / 7);
    l0!(R, 0, 16 * 4, 64 * 4, 128 * 4, 192 * 4);
    const ys = [0, 6, 3, 9, -1];
    const ce = Float32Array.from(ce0), d = new Float32Array(R * 7);
    for (let r = 0; r < R; r++) {
      for (let j = 0; j < 7; j++) {
        const l = heap[16 + r * 7 + j]!;
        ce[r] += j === ys[r] ? -l : 0;
        d[r * 7 + j] = heap[192 + r]! * (Math.exp(l) - (j === ys[r] ? 1 : 0));
      }
    }
    expect([...heap.subarray(0, R)]).toEqual([...ce]);
    expect(Object.is(heap[4], 0)).toBe(true);
    expect([...heap.subarray(128, 128 + R * 7)]).toEqual([...d]);
  });

  it("computes exp as Math.exp does, the same f64 (NaN, infinities, overflow, underflow, subnormal results, exp(1))", () => {
    // out = the f64 exp(a + b 2^-30) in three f32 parts (each the rest less the part before: together 72 bits, so the
    // same parts mean the same f64), for f32 a and b: arguments with more bits than an f32's.
    const N = 1 << 16;
    const e = fn("exp", fn("add", IN(0), fn("mul", IN(1), NUM(2 ** -30))));
    const f = loopFunction({
      exts: [int(N)],
      views: [0, 1, 2, 3, 4].map((buf) => ({ buf, strides: [int(1)] })),
      locals: 0,
      maps: [
        { out: { view: 2 }, mode: "set", expr: e, ins: [{ view: 0 }, { view: 1 }] },
        { out: { view: 3 }, mode: "set", expr: fn("sub", e, IN(2)), ins: [{ view: 0 }, { view: 1 }, { view: 2 }] },
        { out: { view: 4 }, mode: "set", expr: fn("sub", fn("sub", e, IN(2)), IN(3)), ins: [{ view: 0 }, { view: 1 }, { view: 2 }, { view: 3 }] },
      ],
    });
    const memory = new wasm.Memory({ initial: (5 * N * 4) / 65536 });
    const { l0 } = new wasm.Instance(new wasm.Module(loopModule([f])), { m: { memory } }).exports;
    const [a, b, p0, p1, p2] = [0, 1, 2, 3, 4].map((k) => new Float32Array(memory.buffer, k * N * 4, N)) as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
    const special = [NaN, Infinity, -Infinity, 0, -0, 1, -1, 709.78, 709.79, 710, -745.1, -745.2, -708.4, -708.5, -730, 88.7, 88.8, -103, -87.3, 2 ** -29, -(2 ** -29), 2 ** -27, 0.3465, 0.3466, 1.0397, 1.0398, 3.4028235e38, -3.4028235e38, 1e-45];
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let i = 0; i < N; i++) {
      // Mostly what a softmax meets (|x| < 30), some over the whole range, and the special values.
      a[i] = i < special.length ? special[i]! : i % 4 === 0 ? (rand() - 0.5) * 1500 : (rand() - 0.5) * 60;
      b[i] = i < special.length ? 0 : rand() - 0.5;
    }
    l0!(0, N * 4, 2 * N * 4, 3 * N * 4, 4 * N * 4);
    let differ = 0;
    for (let i = 0; i < N; i++) {
      const r = Math.exp(a[i]! + b[i]! * 2 ** -30);
      const q0 = Math.fround(r), q1 = Math.fround(r - q0), q2 = Math.fround(r - q0 - q1);
      if (!Object.is(p0[i], q0) || !Object.is(p1[i], q1) || !Object.is(p2[i], q2)) differ++;
    }
    expect(differ).toBe(0);
  });
});

describe("the innermost loop two elements at a time", () => {
  /** What the emitted JavaScript computes for an expression (emit.ts's scalar printer, evaluated). */
  const js = (s: Scalar, ins: number[]): number => {
    if (s.k === "in") return ins[s.i]!;
    if (s.k === "num") return s.v;
    if (s.k !== "fn") throw new Error(s.k);
    const [a, b, c] = s.args.map((x) => () => js(x, ins));
    const test = (x: Scalar) => (x.k === "fn" && x.f in COMPARISONS ? COMPARISONS[x.f]!(js(x.args[0]!, ins), js(x.args[1]!, ins)) : js(x, ins) !== 0);
    switch (s.f) {
      case "add": return a!() + b!();
      case "sub": return a!() - b!();
      case "mul": return a!() * b!();
      case "div": return a!() / b!();
      case "min": return Math.min(a!(), b!());
      case "max": return Math.max(a!(), b!());
      case "sqrt": return Math.sqrt(a!());
      case "abs": return Math.abs(a!());
      case "neg": return -a!();
      case "select": return test(s.args[0]!) ? b!() : c!();
      default: return test(s) ? 1 : 0;
    }
  };
  const COMPARISONS: Record<string, (x: number, y: number) => boolean> = { eq: (x, y) => x === y, lt: (x, y) => x < y, gt: (x, y) => x > y, le: (x, y) => x <= y, ge: (x, y) => x >= y };
  /**
   * Every pair of these, as (x, y) of consecutive elements, by their f32 bits: NaN (positive, negative, with a
   * payload, signalling), signed zeros, infinities, an f32 subnormal, the largest f32, and some plain values.
   */
  const SPECIAL = [0x7fc00000, 0xffc00000, 0x7fc00123, 0x7f800001, 0, 0x80000000, 0x7f800000, 0xff800000, ...new Uint32Array(new Float32Array([1, -1, 0.5, 3, -2.5, 1e-40, 3.4e38, -7]).buffer)];
  const xAt = (i: number) => SPECIAL[i % SPECIAL.length]!;
  const yAt = (i: number) => SPECIAL[Math.floor(i / SPECIAL.length) % SPECIAL.length]!;
  const SIZES = [1, 2, 3, 5, 17, SPECIAL.length ** 2];
  const ROWS = 2;
  /**
   * Each element's bits, a NaN as "NaN": which NaN an operation on NaNs gives, WebAssembly and JavaScript engines
   * leave open (V8's JavaScript may swap an addition's operands, so even the scalar loop's NaN bits can differ).
   */
  const bitsOf = (a: Float32Array) => {
    const u = new Uint32Array(a.buffer, a.byteOffset, a.length);
    return [...a].map((v, i) => (Number.isNaN(v) ? "NaN" : u[i]!.toString(16)));
  };

  /**
   * Runs a nest over [ROWS, n] whose views are x, y (rows n + 3 apart: given at the call, the second row at an odd
   * element), b (one per row, fixed along it), W (gathered: row ids[r] of 2 rows n + 1 long), ids, and outputs o1, o2
   * (contiguous rows), in WebAssembly and as the JavaScript loop; gives both memories' bits.
   */
  const run = (n: number, maps: LoopMap[], locals: number) => {
    const X = n + 3;
    const nest: LoopNest = {
      exts: [int(ROWS), dimVar("N")],
      views: [
        { buf: 0, strides: [dimVar("X"), int(1)] },
        { buf: 1, strides: [dimVar("X"), int(1)] },
        { buf: 2, strides: [int(1), int(0)] },
        { buf: 3, strides: [int(0), int(1)] },
        { buf: 4, strides: [int(1), int(0)] },
        { buf: 5, strides: [dimVar("N"), int(1)] },
        { buf: 6, strides: [dimVar("N"), int(1)] },
      ],
      locals,
      maps,
    };
    const f = loopFunction(nest);
    const memory = new wasm.Memory({ initial: 1 });
    const { l0 } = new wasm.Instance(new wasm.Module(loopModule([f])), { m: { memory } }).exports;
    const heap = new Float32Array(memory.buffer);
    const bits = new Uint32Array(memory.buffer);
    // Element offsets, odd: the pairs' 8-byte loads and stores unaligned.
    const at = [1, 1001, 2001, 3001, 4001, 5001, 6001];
    for (let r = 0; r < ROWS; r++) {
      for (let j = 0; j < X; j++) {
        bits[at[0]! + r * X + j] = xAt(r * n + j);
        bits[at[1]! + r * X + j] = yAt(r * n + j);
      }
      bits[at[2]! + r] = SPECIAL[r + 9]!;
    }
    for (let i = 0; i < 2 * (n + 1); i++) heap[at[3]! + i] = Math.fround(i * 0.75 - 3);
    new Int32Array(memory.buffer).set([1, 0], at[4]!);
    for (let i = 0; i < ROWS * n; i++) {
      heap[at[5]! + i] = 12345;
      bits[at[6]! + i] = SPECIAL[(i * 5) % SPECIAL.length]!;
    }
    const before = heap.slice();
    const byParam: Record<string, number> = { N: n, X, S: n + 1 };
    const args = [...f.call.exts.map(() => n), ...at.map((e) => e * 4), ...f.call.strides.map(([v, a]) => byParam[(nest.views[v]!.strides[a] as { name: string }).name]!), ...f.call.scales.map(() => n + 1)];
    l0!(...args);
    // The JavaScript loop over a copy of the memory before.
    const mem = before;
    const ids = new Int32Array(mem.buffer);
    for (let r = 0; r < ROWS; r++) {
      for (let j = 0; j < n; j++) {
        const view = [at[0]! + r * X + j, at[1]! + r * X + j, at[2]! + r, at[3]! + j, at[4]! + r, at[5]! + r * n + j, at[6]! + r * n + j];
        const vars: number[] = [];
        const place = (ref: LoopMap["out"]) => ("view" in ref ? view[ref.view]! + (ref.gather ? ids[view[ref.gather.view]!]! * (n + 1) : 0) : -1);
        for (const m of maps) {
          const v = js(m.expr, m.ins.map((ref) => ("local" in ref ? vars[ref.local]! : mem[place(ref)]!)));
          if ("local" in m.out) vars[m.out.local] = m.mode === "add" ? vars[m.out.local]! + v : v;
          else mem[place(m.out)] = m.mode === "add" ? mem[place(m.out)]! + v : v;
        }
      }
    }
    return { paired: pairable(nest), got: bitsOf(new Float32Array(memory.buffer, 0, 7000)), want: bitsOf(mem.subarray(0, 7000)) };
  };
  const x = { view: 0 }, y = { view: 1 }, b = { view: 2 }, W = { view: 3, gather: { view: 4, scale: dimVar("S") } }, o1 = { view: 5 }, o2 = { view: 6 };

  it.each<[Fn, number]>([
    ["add", 2], ["sub", 2], ["mul", 2], ["div", 2], ["min", 2], ["max", 2], ["sqrt", 1], ["abs", 1], ["neg", 1],
    ["eq", 2], ["lt", 2], ["gt", 2], ["le", 2], ["ge", 2],
  ])("%s: the same bits as the JavaScript loop, over every pair of specials and odd lengths", (f, arity) => {
    for (const n of SIZES) {
      const args = arity === 1 ? [IN(0)] : [IN(0), IN(1)];
      const { paired, got, want } = run(n, [{ out: o1, mode: "set", expr: fn(f, ...args), ins: [x, y] }], 0);
      expect(paired).toBe(true);
      expect(got, `${f} over ${n}`).toEqual(want);
    }
  });

  it("variables, constants, select, a fixed view, a gathered row, += into a contiguous output, an element read again after its store: the same bits", () => {
    // t = x * 1.5 - b; t += W[ids[r]][j] / y; u = select(x, t, |y|) (a value as the condition); u = select(u <= y, -u, u);
    // old = o1; o1 = max(u, min(x, y)) + (x >= 0); o2 += sqrt(|t|) + (y < b); o2 += o1 - old (o1 loaded anew).
    const maps: LoopMap[] = [
      { out: { local: 2 }, mode: "set", expr: IN(0), ins: [o1] },
      { out: { local: 0 }, mode: "set", expr: fn("sub", fn("mul", IN(0), NUM(1.5)), IN(1)), ins: [x, b] },
      { out: { local: 0 }, mode: "add", expr: fn("div", IN(0), IN(1)), ins: [W, y] },
      { out: { local: 1 }, mode: "set", expr: fn("select", IN(0), IN(1), fn("abs", IN(2))), ins: [x, { local: 0 }, y] },
      { out: { local: 1 }, mode: "set", expr: fn("select", fn("le", IN(0), IN(1)), fn("neg", IN(0)), IN(0)), ins: [{ local: 1 }, y] },
      { out: o1, mode: "set", expr: fn("add", fn("max", IN(0), fn("min", IN(1), IN(2))), fn("ge", IN(1), NUM(0))), ins: [{ local: 1 }, x, y] },
      { out: o2, mode: "add", expr: fn("add", fn("sqrt", fn("abs", IN(0))), fn("lt", IN(1), IN(2))), ins: [{ local: 0 }, y, b] },
      { out: o2, mode: "add", expr: fn("sub", IN(0), IN(1)), ins: [o1, { local: 2 }] },
    ];
    for (const n of SIZES) {
      const { paired, got, want } = run(n, maps, 3);
      expect(paired).toBe(true);
      expect(got, `over ${n}`).toEqual(want);
    }
  });

  it("an elementwise += select(c, a, 0) (the scalar loop's addWhere shape) pairs, with the same bits", () => {
    const maps: LoopMap[] = [{ out: o1, mode: "add", expr: fn("select", fn("lt", IN(0), IN(1)), fn("neg", IN(0)), NUM(0)), ins: [x, y] }];
    for (const n of SIZES) {
      const { paired, got, want } = run(n, maps, 0);
      expect(paired).toBe(true);
      expect(got, `over ${n}`).toEqual(want);
    }
  });

  it("stays scalar for a sum or max along it, a strided or twice-reached written view, or a gather index that moves along it", () => {
    const nest = (views: LoopNest["views"], maps: LoopMap[]): LoopNest => ({ exts: [int(4), int(6)], views, maps, locals: 0 });
    const row = { buf: 0, strides: [int(6), int(1)] };
    const set = (out: LoopMap["out"], ins: LoopMap["ins"]): LoopMap => ({ out, mode: "set", expr: IN(0), ins });
    expect(pairable(nest([row, { buf: 1, strides: [int(6), int(1)] }], [set({ view: 1 }, [{ view: 0 }])]))).toBe(true);
    // A sum along rows: its order is the loop's.
    expect(pairable(nest([row, { buf: 1, strides: [int(1), int(0)] }], [{ out: { view: 1 }, mode: "add", expr: IN(0), ins: [{ view: 0 }] }]))).toBe(false);
    // max= stays scalar even elementwise.
    expect(pairable(nest([row, { buf: 1, strides: [int(6), int(1)] }], [{ out: { view: 1 }, mode: "max", expr: IN(0), ins: [{ view: 0 }] }]))).toBe(false);
    // Written with stride 2, or a stride given at the call.
    expect(pairable(nest([row, { buf: 1, strides: [int(12), int(2)] }], [set({ view: 1 }, [{ view: 0 }])]))).toBe(false);
    expect(pairable(nest([row, { buf: 1, strides: [int(6), dimVar("S")] }], [set({ view: 1 }, [{ view: 0 }])]))).toBe(false);
    // The written buffer read through another view (another offset): element j+1 could be read before or after j's write.
    expect(pairable(nest([row, { buf: 0, strides: [int(6), int(1)] }], [set({ view: 1 }, [{ view: 0 }])]))).toBe(false);
    // A gather whose index changes along the loop.
    expect(pairable(nest([row, { buf: 1, strides: [int(0), int(1)] }, { buf: 2, strides: [int(0), int(1)] }], [set({ view: 0 }, [{ view: 1, gather: { view: 2, scale: int(3) } }])]))).toBe(false);
    // exp and the like have no f64x2 instruction.
    expect(pairable(nest([row, { buf: 1, strides: [int(6), int(1)] }], [{ out: { view: 1 }, mode: "set", expr: fn("exp", IN(0)), ins: [{ view: 0 }] }]))).toBe(false);
    // The loop's index, and an int32 value, are read one element at a time.
    expect(pairable(nest([row, { buf: 1, strides: [int(6), int(1)] }], [{ out: { view: 1 }, mode: "set", expr: fn("add", IN(0), IDX(1)), ins: [{ view: 0 }] }]))).toBe(false);
    expect(pairable(nest([row, { buf: 1, strides: [int(6), int(1)], int: true }], [set({ view: 0 }, [{ view: 1 }])]))).toBe(false);
  });

  it("needs SIMD: where the runtime's SIMD module does not validate, there are no loop functions (model.ts runs its JavaScript loops)", async () => {
    vi.stubGlobal("WebAssembly", { Module: wasm.Module, Instance: wasm.Instance, Memory: wasm.Memory, validate: () => false });
    vi.resetModules();
    try {
      const fresh = await import("../../../src/runtime/gemm.js");
      const [block] = fresh.floatBuffers(Float32Array, [4]);
      expect(fresh.loopKernels(base64(loopModule([loopFunction({ exts: [int(4)], views: [{ buf: 0, strides: [int(1)] }], maps: [{ out: { view: 0 }, mode: "set", expr: NUM(1), ins: [] }], locals: 0 })])), block!)).toBeUndefined();
    } finally {
      vi.unstubAllGlobals();
      vi.resetModules();
    }
  });
});
