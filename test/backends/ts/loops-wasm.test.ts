/**
 * src/backends/ts/loops-wasm.ts: a loop nest as a WebAssembly function gives
 * what the JavaScript loop gives over Float32Arrays, bit for bit (f64
 * arithmetic, f32 loads and stores): set, add and max modes, variables, a
 * broadcast view (stride 0), strides given at the call, select and
 * comparisons, gathers and scatters by int32 indices, int32 values and the
 * loop's index as operands, exp (Math.exp's f64, to the bit); and what it
 * refuses to write.
 */
import { describe, expect, it } from "vitest";
import { base64, loopFunction, loopModule, writable, type LoopNest } from "../../../src/backends/ts/loops-wasm.js";
import { dimVar, fn, IDX, IN, int, NUM, SIZE } from "../../../src/kernel/program.js";

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
