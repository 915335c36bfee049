/**
 * Padding masks: a batch of sequences of different lengths gives the same losses
 * and values as each sequence run alone — per-step losses, reverse scans (which
 * start at each sequence's own last step), final states, and last/sum/mean/max
 * over time.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as tfTypes from "@tensorflow/tfjs";
import { Rng } from "../../../src/backends/init.js";
import { loadEngine, type Engine } from "../../../src/backends/tfjs/engine.js";
import { TfModel } from "../../../src/backends/tfjs/exec.js";
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
});
