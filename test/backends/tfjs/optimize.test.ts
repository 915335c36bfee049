/**
 * The scan optimisations compute the same loss and gradients as the plain loop:
 * hoisting (on by default) and the fused whole-scan gradient (off by default,
 * measured by bench/tfjs.ts --ablation).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as tfTypes from "@tensorflow/tfjs";
import { loadEngine, type Engine } from "../../../src/backends/tfjs/engine.js";
import { TfModel } from "../../../src/backends/tfjs/exec.js";
import type { ExecOptions } from "../../../src/backends/tfjs/optimize.js";
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

function lossAndGrads(cell: string, options: ExecOptions, x: tfTypes.Tensor, y: tfTypes.Tensor): { loss: number; grads: Map<string, Float32Array> } {
  const tf = engine.tf;
  const r = check(spec(cell));
  expect(r.diagnostics).toEqual([]);
  const model = new TfModel(buildGraph(r.models[0]!), engine, {}, 7);
  models.push(model);
  Object.assign(model.options, options);
  const names = new Map([...model.params].map(([name, v]) => [v.name, name]));
  const { value, grads } = tf.variableGrads(() => model.forward({ x, y }, { T: 6 }).loss, [...model.params.values()]);
  return { loss: value.dataSync()[0]!, grads: new Map(Object.entries(grads).map(([k, g]) => [names.get(k)!, g.dataSync() as Float32Array])) };
}

describe("scan optimisations", () => {
  it.each(["elman", "lstm", "gru"])("%s: hoisting and the fused gradient agree with the plain loop", (cell) => {
    const tf = engine.tf;
    const x = tf.randomUniformInt([3, 6], 0, 4);
    const y = tf.randomUniformInt([3, 6], 0, 4);
    const plain = lossAndGrads(cell, { hoist: false, fusedScan: false }, x, y);
    for (const options of [{ hoist: true, fusedScan: false }, { hoist: true, fusedScan: true }]) {
      const fast = lossAndGrads(cell, options, x, y);
      expect(fast.loss).toBeCloseTo(plain.loss, 5);
      for (const [name, g] of plain.grads) {
        const h = fast.grads.get(name)!;
        const diff = Math.max(...g.map((v, i) => Math.abs(v - h[i]!)));
        expect(diff, `${JSON.stringify(options)} ${name}`).toBeLessThan(1e-5);
      }
    }
  });
});
