/** Padding masks: padded steps add nothing to the loss, and scans keep their state over them. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadEngine, type Engine } from "../../../src/backends/tfjs/engine.js";
import { TfModel } from "../../../src/backends/tfjs/exec.js";
import { buildGraph } from "../../../src/graph/build.js";
import { check } from "../../check/harness.js";

let engine: Engine;
beforeAll(async () => {
  engine = await loadEngine("cpu");
});

const SPEC = (cell: string) => `model m {
  dim T
  input x: [T, 2]
  target y: [T, 3]
  h = ${cell}<3>(x)
  e = reverse elman<3>(x)
  loss mse(h + e, y)
}
`;

describe("padding masks", () => {
  const models: TfModel[] = [];
  afterAll(() => models.forEach((m) => m.dispose()));

  it.each(["elman", "lstm", "gru"])("a padded batch of %s scans equals its sequences run one by one", (cell) => {
    const tf = engine.tf;
    const r = check(SPEC(cell));
    expect(r.diagnostics).toEqual([]);
    const graph = buildGraph(r.models[0]!);
    const model = new TfModel(graph, engine, {}, 3);
    models.push(model);
    const long = { x: tf.randomNormal([1, 5, 2]), y: tf.randomNormal([1, 5, 3]) };
    const short = { x: tf.randomNormal([1, 3, 2]), y: tf.randomNormal([1, 3, 3]) };
    const pad = (t: ReturnType<typeof tf.randomNormal>) => tf.concat([t, tf.fill([1, 2, t.shape[2]!], 9)], 1);
    const batch = { x: tf.concat([long.x, pad(short.x)]), y: tf.concat([long.y, pad(short.y)]) };
    const one = (d: typeof long, T: number) => model.forward(d, { T }, { T: [T] });
    const both = model.forward(batch, { T: 5 }, { T: [5, 3] });
    const separate = (one(long, 5).loss.dataSync()[0]! + one(short, 3).loss.dataSync()[0]!) / 2;
    expect(both.loss.dataSync()[0]).toBeCloseTo(separate, 4);
    // The reverse scan starts at each sequence's own last real step.
    const reverseOut = (res: ReturnType<typeof one>) => res.values.get(graph.values["e"]!)!;
    const batched = reverseOut(both).slice([1, 0, 0], [1, 3, 3]);
    const alone = reverseOut(one(short, 3));
    expect(tf.max(tf.abs(tf.sub(batched, alone))).dataSync()[0]).toBeLessThan(1e-5);
  });
});
