/**
 * Batches and windows of examples (src/runtime/batches.ts): the seeded
 * shuffle, the validation split, batches of one length (more in
 * data.test.ts), truncated-BPTT windows, the maxima of the free dims, and the
 * model's Batch of some examples or of a window of them.
 */
import { describe, expect, it } from "vitest";
import { batchOf, maxDims, permutation, planBatches, trainingOn, validationSplit, windowsOf } from "../../src/runtime/batches.js";
import { Examples, type Example } from "../../src/runtime/data.js";
import { Rng } from "../../src/runtime/init.js";
import type { ModelInfo } from "../../src/runtime/model-api.js";
import { BIGRAM_SPEC, compile } from "./helpers.js";

/** A generator giving `xs` in turn. */
const draws = (...xs: number[]) => ({ next: () => xs.shift()! });
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("permutation", () => {
  it("is a Fisher-Yates shuffle from the last position down", () => {
    // i = 3: j = 2 -> [0, 1, 3, 2]; i = 2: j = 0 -> [3, 1, 0, 2]; i = 1: j = 1.
    expect(permutation(4, draws(0.5, 0, 0.9))).toEqual([3, 1, 0, 2]);
    expect(permutation(4, draws(0.99, 0.99, 0.99))).toEqual([0, 1, 2, 3]);
    expect(permutation(1, draws())).toEqual([0]);
    expect(permutation(0, draws())).toEqual([]);
  });

  it("is a permutation of 0..n-1, the same for the same seed", () => {
    const p = permutation(50, new Rng(7));
    expect([...p].sort((a, b) => a - b)).toEqual(range(50));
    expect(p).toEqual(permutation(50, new Rng(7)));
    expect(p).not.toEqual(range(50));
  });
});

describe("validationSplit", () => {
  it("holds out a fraction of the examples, chosen by the seed, each part in order", () => {
    const { train, validation } = validationSplit(10, 0.2, 3);
    expect(validation).toHaveLength(2);
    expect(train).toHaveLength(8);
    expect([...train, ...validation].sort((a, b) => a - b)).toEqual(range(10));
    expect(train).toEqual([...train].sort((a, b) => a - b));
    expect(validation).toEqual([...validation].sort((a, b) => a - b));
    expect(validationSplit(10, 0.2, 3)).toEqual({ train, validation });
    const others = [4, 5, 6, 7].map((seed) => validationSplit(10, 0.2, seed).validation);
    expect(others.some((v) => v.join() !== validation.join())).toBe(true);
  });

  it("holds out at least one example when asked for some, never all of them", () => {
    expect(validationSplit(3, 0.01, 1).validation).toHaveLength(1);
    expect(validationSplit(2, 0.9, 1).validation).toHaveLength(1);
    expect(validationSplit(1, 0.5, 1)).toEqual({ train: [0], validation: [] });
    expect(validationSplit(0, 0.5, 1)).toEqual({ train: [], validation: [] });
    expect(validationSplit(4, 0, 1)).toEqual({ train: [0, 1, 2, 3], validation: [] });
  });

  it("refuses a fraction outside [0, 1)", () => {
    expect(() => validationSplit(10, 1, 1)).toThrow(new RangeError("validation fraction 1 is not in [0, 1)"));
    expect(() => validationSplit(10, -0.1, 1)).toThrow(RangeError);
    expect(() => validationSplit(10, NaN, 1)).toThrow("validation fraction NaN is not in [0, 1)");
  });
});

describe("trainingOn", () => {
  it("counts the examples trained on, not those held out, and names the weights it starts from", () => {
    expect(trainingOn("reg_lm", 16, 2)).toBe("training reg_lm on 16 examples (2 held out)");
    expect(trainingOn("xor", 4, 0, "out/xor")).toBe("training xor on 4 examples, starting from out/xor");
  });
});

describe("planBatches, windows and maxima", () => {
  const ex = (dims: Record<string, number>): Example => ({ dims, fields: {} });
  /** Examples whose lines are their positions, so that a batch's examples can be told apart. */
  const of = (...list: Example[]) => Examples.of(list.map((e, line) => ({ ...e, line })));
  const positions = (plan: Examples[]) => plan.map((b) => b.map((e) => e.line));

  it("batches by every free dim, only the examples of the order", () => {
    const examples = of(ex({ T: 2, S: 3 }), ex({ T: 2, S: 4 }), ex({ T: 2, S: 3 }), ex({ T: 9 }));
    expect(positions(planBatches(examples, [3, 1, 0, 2], 5, ["T", "S"]))).toEqual([[3], [1], [0, 2]]);
    expect(positions(planBatches(examples, [2, 0], 1, ["T", "S"]))).toEqual([[2], [0]]);
    expect(positions(planBatches(examples, undefined, 2, ["T", "S"]))).toEqual([[0, 2], [1], [3]]);
    expect(planBatches(examples, [], 4, ["T"])).toEqual([]);
  });

  it("cuts the time dim into windows of bptt steps, the last one shorter", () => {
    const ten = of(ex({ T: 10 }));
    expect(windowsOf(ten, "T", 4)).toEqual([{ t0: 0, w: 4 }, { t0: 4, w: 4 }, { t0: 8, w: 2 }]);
    expect(windowsOf(ten, "T", 5)).toEqual([{ t0: 0, w: 5 }, { t0: 5, w: 5 }]);
    expect(windowsOf(ten, "T", 50)).toEqual([{ t0: 0, w: 10 }]);
  });

  it("gives one whole pass without a time dim, without bptt, or without steps", () => {
    expect(windowsOf(of(ex({ T: 10 })), undefined, 4)).toEqual([undefined]);
    expect(windowsOf(of(ex({ T: 10 })), "T", 0)).toEqual([undefined]);
    expect(windowsOf(of(ex({ T: 0 })), "T", 4)).toEqual([undefined]);
    expect(windowsOf(of(ex({})), "T", 4)).toEqual([undefined]);
  });

  it("maxDims: each free dim's largest value, 0 when no example gives it", () => {
    expect(maxDims(of(ex({ T: 3, S: 1 }), ex({ T: 5 }), ex({ T: 2, S: 7 })), ["T", "S", "U"])).toEqual({ T: 5, S: 7, U: 0 });
    expect(maxDims(of(), ["T"])).toEqual({ T: 0 });
    expect(maxDims(of(ex({ T: 3 })), [])).toEqual({});
  });
});

describe("batchOf", () => {
  const { info } = compile(BIGRAM_SPEC); // x, y: [T] of chars
  const tokens = (x: number[], y: number[]): Example => ({ dims: { T: x.length }, fields: { x: Int32Array.from(x), y: Int32Array.from(y) } });
  const pair = Examples.of([tokens([1, 2, 3], [2, 3, 4]), tokens([4, 5, 6], [5, 6, 0])]);

  it("concatenates the examples' rows, their dims over the extra ones", () => {
    const b = batchOf(info, pair, { V: 7, T: 99 });
    expect(b.size).toBe(2);
    expect(b.dims).toEqual({ V: 7, T: 3 });
    expect(b.fields["x"]).toEqual(Int32Array.of(1, 2, 3, 4, 5, 6));
    expect(b.fields["y"]).toEqual(Int32Array.of(2, 3, 4, 5, 6, 0));
  });

  it("takes a window of each example's steps", () => {
    const b = batchOf(info, pair, { V: 7 }, "T", { t0: 1, w: 2 });
    expect(b.dims).toEqual({ V: 7, T: 2 });
    expect(b.fields["x"]).toEqual(Int32Array.of(2, 3, 5, 6));
    expect(b.fields["y"]).toEqual(Int32Array.of(3, 4, 6, 0));
    expect(batchOf(info, pair, { V: 7 }, "T").fields["x"]).toEqual(Int32Array.of(1, 2, 3, 4, 5, 6));
  });

  it("makes floats in the model's precision; a window takes whole steps", () => {
    const series: ModelInfo = { ...info, fields: [{ name: "s", role: "input", dtype: "float32", shape: ["T", 2] }] };
    const items = Examples.of([
      { dims: { T: 3 }, fields: { s: Float64Array.of(0.1, 1, 2, 3, 4, 5) } },
      { dims: { T: 3 }, fields: { s: Float64Array.of(10, 11, 12, 13, 14, 15) } },
    ]);
    const f32 = batchOf(series, items, {}).fields["s"]!;
    expect(f32).toBeInstanceOf(Float32Array);
    expect(f32[0]).toBe(Math.fround(0.1));
    expect(f32).toHaveLength(12);
    const f64 = batchOf({ ...series, precision: "f64" }, items, {}).fields["s"]!;
    expect(f64).toBeInstanceOf(Float64Array);
    expect(f64[0]).toBe(0.1);
    expect(batchOf(series, items, {}, "T", { t0: 2, w: 1 }).fields["s"]).toEqual(Float32Array.of(4, 5, 14, 15));
  });
});
