/**
 * src/backends/ts/loops-wasm.ts: a loop nest as a WebAssembly function gives
 * what the JavaScript loop gives over Float32Arrays, bit for bit (f64
 * arithmetic, f32 loads and stores): set, add and max modes, variables, a
 * broadcast view (stride 0), strides given at the call, select and
 * comparisons, gathers and scatters by int32 indices; and what it refuses to
 * write.
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

  it("writes arithmetic, comparisons and select; not exp, the index or sizes", () => {
    expect(writable(fn("min", fn("sqrt", fn("abs", IN(0))), fn("div", IN(1), NUM(2))))).toBe(true);
    expect(writable(fn("select", IN(0), IN(1), fn("le", IN(2), NUM(0))))).toBe(true);
    expect(writable(fn("exp", IN(0)))).toBe(false);
    expect(writable(fn("add", IDX(0), IN(0)))).toBe(false);
    expect(writable(fn("div", IN(0), SIZE(int(3))))).toBe(false);
  });
});
