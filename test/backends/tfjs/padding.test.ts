/**
 * src/backends/tfjs/padding.ts: a batch of sequences of different lengths
 * gives the same losses and values as each sequence run alone — per-step
 * losses, reverse scans (which start at each sequence's own last step), final
 * states, last/sum/mean/max over time (in a loss expression too), softmax and
 * convolutions over time; an
 * op that cannot respect the padding of an axis refuses it (PaddingError), and
 * the model then runs its ragged batches by length, with the same values
 * (but not while training batch_norm, whose groups would get statistics of
 * their own).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as tfTypes from "@tensorflow/tfjs";
import { Rng } from "../../../src/runtime/init.js";
import { loadEngine, type Engine } from "../../../src/backends/tfjs/engine.js";
import { GroupedStatisticsError, TfModel } from "../../../src/backends/tfjs/exec.js";
import { maskAt, PADDING, PaddingError, type PadCall } from "../../../src/backends/tfjs/padding.js";
import { graphOf, maxTensorDiff } from "./helpers.js";

let engine: Engine;
beforeAll(async () => {
  engine = await loadEngine("cpu");
});

const models: TfModel[] = [];
afterAll(() => models.forEach((m) => m.dispose()));

function modelOf(spec: string): { model: TfModel; values: Record<string, number> } {
  const graph = graphOf(spec);
  const model = new TfModel(graph, engine, {}, 3);
  models.push(model);
  return { model, values: graph.values };
}

/** Seeded normal-ish values. */
function tensor(rng: Rng, shape: number[]): tfTypes.Tensor {
  return engine.tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(1)), shape);
}

describe("padding masks", () => {
  it.each(["elman", "lstm", "gru"])("a padded batch of %s scans equals its sequences run one by one", (cell) => {
    const tf = engine.tf;
    const rng = new Rng(5);
    const { model, values } = modelOf(`model m {
  dim T
  input x: [T, 2]
  target y: [T, 3]
  h = ${cell}<3>(x)
  e = reverse elman<3>(x)
  loss mse(h + e, y)
}
`);
    const long = { x: tensor(rng, [1, 5, 2]), y: tensor(rng, [1, 5, 3]) };
    const short = { x: tensor(rng, [1, 3, 2]), y: tensor(rng, [1, 3, 3]) };
    const pad = (t: tfTypes.Tensor) => tf.concat([t, tf.fill([1, 2, t.shape[2]!], 9)], 1);
    const batch = { x: tf.concat([long.x, pad(short.x)]), y: tf.concat([long.y, pad(short.y)]) };
    const one = (d: typeof long, T: number) => model.forward(d, { T }, { T: [T] });
    const both = model.forward(batch, { T: 5 }, { T: [5, 3] });
    const separate = (one(long, 5).loss.dataSync()[0]! + one(short, 3).loss.dataSync()[0]!) / 2;
    expect(both.loss.dataSync()[0]).toBeCloseTo(separate, 4);
    // The reverse scan starts at each sequence's own last real step.
    const batched = both.values.get(values["e"]!)!.slice([1, 0, 0], [1, 3, 3]);
    expect(maxTensorDiff(batched, one(short, 3).values.get(values["e"]!)!)).toBeLessThan(1e-5);
    // Final states are those after the last real step.
    expect(maxTensorDiff(both.states[`h`]!["h"]!.slice([1, 0], [1, 3]), one(short, 3).states["h"]!["h"]!)).toBeLessThan(1e-5);
  });

  it.each(["last(h)", "sum(h)", "mean(h)", "max(h)"])("%s over a padded batch equals each sequence alone", (reduction) => {
    const tf = engine.tf;
    const rng = new Rng(9);
    const { model, values } = modelOf(`model m {
  dim T
  input x: [T, 2]
  target y: [3]
  h = elman<3>(x)
  z = ${reduction}
  loss mse(z, y)
}
`);
    const x1 = tensor(rng, [1, 5, 2]);
    const x2 = tensor(rng, [1, 3, 2]);
    const y = tensor(rng, [2, 3]);
    const batch = { x: tf.concat([x1, tf.concat([x2, tf.fill([1, 2, 2], 9)], 1)]), y };
    const both = model.forward(batch, { T: 5 }, { T: [5, 3] }).values.get(values["z"]!)!;
    const alone = model.forward({ x: x2, y: y.slice([1, 0], [1, 3]) }, { T: 3 }, { T: [3] }).values.get(values["z"]!)!;
    expect(maxTensorDiff(both.slice([1, 0], [1, 3]), alone)).toBeLessThan(1e-5);
  });

  it.each([
    "sum(sum(abs(p - y)))",
    "0.5 * mean(sum(square(p - y), axis: 1)) + 0.1 * mse(p, y)",
    "sum(sum(minimum(abs(p - y), 1) * (abs(p - y) - 0.5 * minimum(abs(p - y), 1))))",
  ])("loss %s over a padded batch is the mean of each sequence's alone (padded steps ignored)", (loss) => {
    const tf = engine.tf;
    const rng = new Rng(6);
    const { model } = modelOf(`model m {\n  dim T\n  input x: [T, 2]\n  target y: [T, 3]\n  p = elman<3>(x)\n  loss ${loss}\n}\n`);
    const long = { x: tensor(rng, [1, 5, 2]), y: tensor(rng, [1, 5, 3]) };
    const short = { x: tensor(rng, [1, 3, 2]), y: tensor(rng, [1, 3, 3]) };
    // Padding of 9s: counted, it would dominate every loss here.
    const pad = (t: tfTypes.Tensor) => tf.concat([t, tf.fill([1, 2, t.shape[2]!], 9)], 1);
    const batch = { x: tf.concat([long.x, pad(short.x)]), y: tf.concat([long.y, pad(short.y)]) };
    const both = model.forward(batch, { T: 5 }, { T: [5, 3] }).loss.dataSync()[0]!;
    const alone = (model.forward(long, { T: 5 }, { T: [5] }).loss.dataSync()[0]! + model.forward(short, { T: 3 }, { T: [3] }).loss.dataSync()[0]!) / 2;
    expect(both).toBeCloseTo(alone, 4);
  });

  it.each([
    ["softmax over time", "softmax(dense<1>(h), axis: 0)"],
    ["a convolution over time (same)", "conv1d<K=2, F=3, pad=same>(h)"],
  ])("%s over a padded batch equals each sequence alone", (_label, expr) => {
    const tf = engine.tf;
    const rng = new Rng(4);
    const spec = `model m {\n  dim T\n  input x: [T, 2]\n  h = elman<3>(x)\n  z = ${expr}\n  loss mse(z, z * 0)\n}\n`;
    const { model, values } = modelOf(spec);
    const x1 = tensor(rng, [1, 5, 2]);
    const x2 = tensor(rng, [1, 3, 2]);
    const batch = { x: tf.concat([x1, tf.concat([x2, tf.fill([1, 2, 2], 9)], 1)]) };
    const both = model.forward(batch, { T: 5 }, { T: [5, 3] }).values.get(values["z"]!)!;
    const alone = model.forward({ x: x2 }, { T: 3 }, { T: [3] }).values.get(values["z"]!)!;
    const real = both.slice([1, 0, 0], [1, 3, -1]);
    expect(maxTensorDiff(real, alone)).toBeLessThan(1e-5);
  });
});

describe("an op that cannot respect padding", () => {
  /** The call of a rule on arguments padded on the given element axes ([N, n] masks of a batch of 2 with lengths 3 and 2). */
  function padCall(rank: number, padded: number[]): PadCall {
    const mask = engine.tf.tensor([[1, 1, 1], [1, 1, 0]]);
    const masks = Array.from({ length: rank }, (_, i) => (padded.includes(i) ? mask : undefined));
    return { tf: engine.tf, attrs: {}, masks: [masks, masks], outMasks: masks };
  }
  const arg = (rank: number) => ({ t: engine.tf.zeros([2, ...Array<number>(rank).fill(3)]), batched: true });

  it("refuses with a PaddingError (concat or split along the padded axis, flatten of a later padded axis)", () => {
    expect(() => PADDING.concat([arg(2), arg(2)], padCall(2, [1]))).toThrow(PaddingError);
    expect(() => PADDING.split([arg(2)], padCall(2, [1]))).toThrow(PaddingError);
    expect(() => PADDING.flatten([arg(2)], padCall(2, [1]))).toThrow(/not the first/);
  });

  it("accepts the same ops padded elsewhere, and positionwise ops anywhere", () => {
    expect(PADDING.concat([arg(2), arg(2)], padCall(2, [0]))).toBeDefined();
    expect(PADDING.flatten([arg(2)], padCall(2, [0]))).toBeDefined();
    expect(PADDING.tanh([arg(2)], padCall(2, [0, 1]))).toEqual({});
  });

  it("a model with one still runs a ragged batch: by length, each example as alone", () => {
    const tf = engine.tf;
    const rng = new Rng(6);
    // split<2> of a value whose last axis is padded: [T, 2] -> flatten -> [2T] split in halves.
    const { model, values } = modelOf(`model m {\n  dim T\n  input x: [T, 2]\n  a, b = split<2>(flatten(x))\n  z = a * b\n  loss mse(z, z * 0)\n}\n`);
    const x1 = tensor(rng, [1, 4, 2]);
    const x2 = tensor(rng, [1, 2, 2]);
    const batch = { x: tf.concat([x1, tf.concat([x2, tf.fill([1, 2, 2], 9)], 1)]) };
    const both = model.forward(batch, { T: 4 }, { T: [4, 2] }).values.get(values["z"]!)!;
    const alone = model.forward({ x: x2 }, { T: 2 }, { T: [2] }).values.get(values["z"]!)!;
    expect(maxTensorDiff(both.slice([1, 0], [1, 2]), alone)).toBeLessThan(1e-6);
  });

  it("while training, batch_norm refuses a ragged batch that runs by length (each group would get its own statistics)", () => {
    const tf = engine.tf;
    const rng = new Rng(7);
    const { model, values } = modelOf(`model m {\n  dim T\n  input x: [T, 2]\n  a, b = split<2>(flatten(batch_norm(x)))\n  z = a * b\n  loss mse(z, z * 0)\n}\n`);
    const batch = { x: tf.concat([tensor(rng, [1, 4, 2]), tf.concat([tensor(rng, [1, 2, 2]), tf.fill([1, 2, 2], 9)], 1)]) };
    const run = () => model.forward(batch, { T: 4 }, { T: [4, 2] });
    model.training = 1;
    try {
      expect(run).toThrow(GroupedStatisticsError);
      expect(run).toThrow(/^batch_normalize cannot train on a batch of examples of different lengths here: another op of the model cannot run a padded batch \(.+\), so the batch runs as groups of one length/);
      let src: unknown;
      try {
        run();
      } catch (e) {
        src = (e as GroupedStatisticsError).src;
      }
      expect(src).toMatchObject({ file: expect.stringMatching(/dense\.seq$/) });
      // A batch of one length runs (nothing is padded).
      expect(() => model.forward({ x: tensor(rng, [2, 3, 2]) }, { T: 3 }, { T: [3, 3] })).not.toThrow();
    } finally {
      model.training = undefined;
    }
    // Outside training (running statistics) the ragged batch runs by length as before.
    expect(run().values.get(values["z"]!)!.shape).toEqual([2, 4]);
  });

  it("maskAt puts an [N, n] mask on one element axis", () => {
    const m = engine.tf.ones([2, 5]);
    expect(maskAt(m, 3, 1).shape).toEqual([2, 1, 5, 1]);
    expect(maskAt(m, 1, 0).shape).toEqual([2, 5]);
  });
});

describe("batch statistics of a padded batch", () => {
  it("count each example's real steps only: batch_norm's values and reported statistics are those of the real rows", () => {
    const tf = engine.tf;
    const rng = new Rng(8);
    const { model, values } = modelOf(`model m {\n  dim T\n  input x: [T, 2]\n  z = batch_norm(x)\n  loss mse(z, z * 0)\n}\n`);
    const long = tensor(rng, [1, 5, 2]);
    const short = tensor(rng, [1, 3, 2]);
    // Padding of 9s: counted, it would move every statistic.
    const batch = { x: tf.concat([long, tf.concat([short, tf.fill([1, 2, 2], 9)], 1)]) };
    model.training = 1;
    const z = model.forward(batch, { T: 5 }, { T: [5, 3] }).values.get(values["z"]!)!;
    model.training = undefined;
    // The 8 real rows by hand: (x - mean) / sqrt(var + 0.001) per unit (gain 1, bias 0 at the start).
    const rows = [...Array.from(long.dataSync()), ...Array.from(short.dataSync())];
    const mean = [0, 1].map((u) => rows.filter((_, i) => i % 2 === u).reduce((a, b) => a + b, 0) / 8);
    const variance = [0, 1].map((u) => rows.filter((_, i) => i % 2 === u).reduce((a, b) => a + (b - mean[u]!) ** 2, 0) / 8);
    const want = rows.map((v, i) => (v - mean[i % 2]!) / Math.sqrt(variance[i % 2]! + 0.001));
    const got = [...Array.from(z.slice([0, 0, 0], [1, 5, 2]).dataSync()), ...Array.from(z.slice([1, 0, 0], [1, 3, 2]).dataSync())];
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 4));
    // The running statistics move towards these (momentum 0.9).
    model.updateStatistics();
    const running = model.params.get("z.running_mean")!.dataSync();
    [0, 1].forEach((u) => expect(running[u]).toBeCloseTo(0.1 * mean[u]!, 5));
  });
});
