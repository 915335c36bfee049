/**
 * src/kernel/forward.ts: every op's forward rule, run by the reference
 * interpreter (interpreter.ts) on an op of a real graph, equals the tfjs
 * target's op (src/backends/tfjs/ops.ts TF_OPS) on the same arguments; and
 * the padding of a window, as TensorFlow pads.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../src/runtime/init.js";
import { dimVar, int } from "../../src/kernel/program.js";
import { loadEngine, type Engine } from "../../src/backends/tfjs/engine.js";
import { TF_OPS } from "../../src/backends/tfjs/ops.js";
import type { OpKind } from "../../src/ir/ops.js";
import { OPS } from "../../src/ir/ops.js";
import { FORWARD, padding } from "../../src/kernel/forward.js";
import type { Tensor } from "@tensorflow/tfjs";
import { graphOf } from "../helpers/spec.js";
import { maxAbs, maxAbsDiff } from "../helpers/numeric.js";
import { argVals, Interpreter, opCase, valOf } from "./interpreter.js";
import { OP_CASES } from "./op-cases.js";

let engine: Engine;
beforeAll(async () => {
  engine = await loadEngine("cpu");
});

const cases = (Object.keys(OP_CASES) as OpKind[]).flatMap((op) => OP_CASES[op].map((m) => [`${op}: ${m.label}`, op, m] as const));

describe("FORWARD equals the tfjs target's op", () => {
  it("has a case for every op", () => {
    expect(Object.keys(OP_CASES).sort()).toEqual(Object.keys(OPS).sort());
    expect(Object.keys(FORWARD).sort()).toEqual(Object.keys(OPS).sort());
  });

  it.each(cases)("%s", (_label, op, m) => {
    const c = opCase(graphOf(m.spec), op);
    const rng = new Rng(7);
    const [lo, hi] = m.range ?? [-1, 1];
    const it = new Interpreter({}, m.training);
    const args = argVals(it, c, rng, () => lo + (hi - lo) * rng.next());
    const out = valOf(it, "out", c.out.shape, c.out.batched, c.N, () => Number.NaN);
    const before = args.map((_, i) => Float64Array.from(it.buf(`arg${i}`)));
    const reported: ArrayLike<number>[] = [];
    FORWARD[op]({ attrs: c.attrs, args, out, b: it.builder(c.out.batched ? int(c.N) : null), saved: {} });
    const ours = it.buf("out");

    const tf = engine.tf;
    const theirs = tf.tidy(() => {
      const tfArgs = c.args.map((a, i) => {
        const data = a.value !== undefined ? [a.value] : Array.from(it.buf(`arg${i}`));
        const shape = a.value !== undefined ? [] : a.batched ? [c.N, ...a.shape] : a.shape;
        return { t: a.int ? tf.tensor(data, shape, "int32") : tf.tensor(data, shape), batched: a.batched };
      });
      // The tfjs executor gives one_hot its depth, the vocabulary's size for the batch (exec.ts).
      const attrs = op === "one_hot" ? { ...c.attrs, depth: c.out.shape[c.out.shape.length - 1]! } : c.attrs;
      // While training batch_normalize reports its batch statistics (exec.ts keeps them for the running ones).
      const statistics = (mean: Tensor, variance: Tensor) => reported.push(mean.dataSync(), variance.dataSync());
      return TF_OPS[op](tfArgs, { tf, attrs, batched: c.out.batched, rank: c.out.shape.length, ...(m.training ? { statistics } : {}) }).dataSync();
    });
    expect(ours.every(Number.isFinite), "every element written").toBe(true);
    expect(theirs.length).toBe(ours.length);
    expect(maxAbsDiff(ours, theirs)).toBeLessThanOrEqual(1e-5 * Math.max(1, maxAbs(theirs)));
    if (op === "batch_normalize" && m.training) {
      // The running statistics (arguments 1 and 2) moved towards the batch's as the tfjs executor moves them.
      const momentum = Number(c.attrs["momentum"]);
      expect(reported.length).toBe(2);
      [1, 2].forEach((k, i) => {
        const want = Array.from(before[k]!, (r, j) => momentum * r + (1 - momentum) * reported[i]![j]!);
        expect(maxAbsDiff(it.buf(`arg${k}`), want)).toBeLessThanOrEqual(1e-6);
        expect(maxAbsDiff(it.buf(`arg${k}`), before[k]!)).toBeGreaterThan(1e-3);
      });
    }
  });
});

describe("padding of a window (TensorFlow's rule)", () => {
  it.each([
    ["valid", "7", 3, 1, 1, [0, 0]],
    ["full", "7", 3, 1, 1, [2, 2]],
    ["full", "7", 3, 2, 1, [4, 4]],
    ["causal", "7", 3, 1, 1, [2, 0]],
    ["causal", "7", 2, 3, 1, [3, 0]],
    ["same", "7", 3, 1, 1, [1, 1]],
    ["same", "7", 4, 1, 1, [1, 2]],
    ["same", "8", 3, 1, 2, [0, 1]],
    ["same", "7", 3, 1, 2, [1, 1]],
    ["same", "T", 3, 1, 1, [1, 1]],
    ["same", "T", 4, 1, 2, [1, 1]],
    [2, "7", 3, 1, 1, [2, 2]],
  ] as const)("pad %s, n %s, window %i, dilation %i, stride %i: %j", (pad, n, f, d, s, want) => {
    expect(padding(pad, n === "T" ? dimVar("T") : int(Number(n)), f, d, s)).toEqual(want);
  });

  it("same keeps the length: ceil(n / s) windows of the padded input", () => {
    for (const n of [5, 6, 7, 8, 9]) {
      for (const [f, d, s] of [[3, 1, 1], [4, 1, 1], [3, 2, 1], [2, 1, 2], [3, 1, 3]] as const) {
        const [p, q] = padding("same", int(n), f, d, s);
        const windows = Math.floor((n + p + q - d * (f - 1) - 1) / s) + 1;
        expect(windows, `n ${n} f ${f} d ${d} s ${s}`).toBe(Math.ceil(n / s));
        expect(Math.abs(p - q)).toBeLessThanOrEqual(1);
      }
    }
  });
});
