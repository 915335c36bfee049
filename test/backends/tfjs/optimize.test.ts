/**
 * Hoisting (on by default) computes the same loss and gradients as the plain
 * loop, and really runs for the standard cells (it falls back silently otherwise).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as tfTypes from "@tensorflow/tfjs";
import { loadEngine, type Engine } from "../../../src/backends/tfjs/engine.js";
import { TfModel } from "../../../src/backends/tfjs/exec.js";
import type { ExecOptions } from "../../../src/backends/tfjs/optimize.js";
import { Rng } from "../../../src/backends/init.js";
import { buildGraph } from "../../../src/graph/build.js";
import { check } from "../../check/harness.js";

let engine: Engine;
beforeAll(async () => {
  engine = await loadEngine("cpu");
});

const spec = (cell: string) => `model m {
  dim T
  vocab v[V] = [a, b, c, d]
  input x: [T] of v
  target y: [T] of v
  h = ${cell}<5>(one_hot(x))
  logits = dense<V>(h)
  loss cross_entropy(logits, y)
}
`;

const models: TfModel[] = [];
afterAll(() => models.forEach((m) => m.dispose()));

function lossAndGrads(cell: string, options: ExecOptions, x: tfTypes.Tensor, y: tfTypes.Tensor): { loss: number; grads: Map<string, Float32Array>; hoisted: number } {
  const tf = engine.tf;
  const r = check(spec(cell));
  expect(r.diagnostics).toEqual([]);
  const model = new TfModel(buildGraph(r.models[0]!), engine, {}, 7);
  models.push(model);
  Object.assign(model.options, options);
  const names = new Map([...model.params].map(([name, v]) => [v.name, name]));
  const { value, grads } = tf.variableGrads(() => model.forward({ x, y }, { T: 6 }).loss, [...model.params.values()]);
  return { loss: value.dataSync()[0]!, grads: new Map(Object.entries(grads).map(([k, g]) => [names.get(k)!, g.dataSync() as Float32Array])), hoisted: model.hoistedScans };
}

describe("scan optimisations", () => {
  it.each(["elman", "lstm", "gru"])("%s: hoisting runs and agrees with the plain loop", (cell) => {
    const tf = engine.tf;
    const rng = new Rng(11);
    const tokens = () => tf.tensor(Int32Array.from({ length: 18 }, () => Math.floor(rng.next() * 4)), [3, 6], "int32");
    const x = tokens();
    const y = tokens();
    const plain = lossAndGrads(cell, { hoist: false }, x, y);
    const fast = lossAndGrads(cell, { hoist: true }, x, y);
    expect(plain.hoisted).toBe(0);
    expect(fast.hoisted).toBeGreaterThan(0);
    expect(fast.loss).toBeCloseTo(plain.loss, 5);
    for (const [name, g] of plain.grads) {
      const h = fast.grads.get(name)!;
      const diff = Math.max(...g.map((v, i) => Math.abs(v - h[i]!)));
      expect(diff, name).toBeLessThan(1e-5);
    }
  });
});
