/**
 * Tensor bookkeeping of TfModel (cpu backend): tf.memory().numTensors before
 * and after. A training loop runs forward and gradients thousands of times, so
 * any tensor left behind per call is a leak.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../../src/runtime/init.js";
import { loadEngine, type Engine } from "../../../src/backends/tfjs/engine.js";
import { TfModel } from "../../../src/backends/tfjs/exec.js";
import { graphOf, randomTensor } from "./helpers.js";

let engine: Engine;

beforeAll(async () => {
  engine = await loadEngine("cpu");
});

const SPEC = `model m {\n  dim T\n  input x: [T, 3]\n  target y: [T, 4]\n  h = lstm<4>(x)\n  loss mse(h, y)\n}\n`;

describe("TfModel memory", () => {
  it("forward and variableGrads inside tf.tidy leave no tensors behind", () => {
    const tf = engine.tf;
    const model = new TfModel(graphOf(SPEC), engine, {}, 1);
    const rng = new Rng(1);
    const x = randomTensor(engine, rng, [2, 5, 3]);
    const y = randomTensor(engine, rng, [2, 5, 4]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => {
        model.forward({ x, y }, { T: 5 });
        const { value, grads } = tf.variableGrads(() => model.forward({ x, y }, { T: 5 }).loss);
        tf.dispose([value, ...Object.values(grads)]);
      });
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
    model.dispose();
  });

  // Regression: the constructor and setWeights used to leave their temporary tensors allocated.
  it("new TfModel, setWeights and dispose leave tf.memory() as it was", () => {
    const tf = engine.tf;
    const graph = graphOf(SPEC);
    const before = tf.memory().numTensors;
    const model = new TfModel(graph, engine, {}, 1);
    model.setWeights({ "h.b": new Float32Array(16) });
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
