/**
 * src/backends/tfjs/exec.ts (TfModel) on the cpu backend: its parameters are
 * the graph's, initialised from the seed as the ts target initialises them;
 * setWeights; the values and shapes a forward pass gives; and its tensor
 * bookkeeping (tf.memory().numTensors before and after: a training loop runs
 * forward and gradients thousands of times, so any tensor left behind per call
 * is a leak). Its numerics are grads.test.ts's, padding.test.ts's and
 * layers.test.ts's.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { initialValues, paramSeed, Rng } from "../../../src/runtime/init.js";
import { loadEngine, type Engine } from "../../../src/backends/tfjs/engine.js";
import { TfModel } from "../../../src/backends/tfjs/exec.js";
import { dimValue } from "../../../src/graph/dims.js";
import { checkedShape, graphOf, randomTensor } from "./helpers.js";

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

describe("TfModel", () => {
  const LM = `model lm {\n  vocab chars[V]\n  dim T\n  input x: [T] of chars\n  target y: [T] of chars\n  h = gru<3>(one_hot(x))\n  logits = dense<V>(h)\n  loss cross_entropy(logits, y)\n}\n`;

  it("has the graph's parameters, shaped with the fixed dims, initialised from the seed per parameter", () => {
    const graph = graphOf(LM);
    const model = new TfModel(graph, engine, { V: 5 }, 7);
    try {
      expect([...model.params.keys()]).toEqual(graph.params.map((p) => p.name));
      for (const p of graph.params) {
        const shape = p.shape.map((d) => dimValue(graph, d, { V: 5 }));
        const v = model.params.get(p.name)!;
        expect(v.shape, p.name).toEqual(shape);
        expect(Array.from(v.dataSync()), p.name).toEqual(Array.from(Float32Array.from(initialValues(p.init, shape, new Rng(paramSeed(7, p.name))))));
      }
    } finally {
      model.dispose();
    }
  });

  it("setWeights by name; an unknown name is an error", () => {
    const model = new TfModel(graphOf(SPEC), engine, {}, 1);
    try {
      model.setWeights({ "h.b": Array.from({ length: 16 }, (_, i) => i) });
      expect(Array.from(model.params.get("h.b")!.dataSync())).toEqual(Array.from({ length: 16 }, (_, i) => i));
      expect(() => model.setWeights({ "h.nope": [1] })).toThrow("no parameter h.nope");
    } finally {
      model.dispose();
    }
  });

  it("forward: every named value with the checker's shape for the batch's dims, and a finite scalar loss", () => {
    const tf = engine.tf;
    const graph = graphOf(LM);
    const model = new TfModel(graph, engine, { V: 5 }, 1);
    const x = tf.tensor2d([[0, 1, 2, 3], [4, 3, 2, 1]], [2, 4], "int32");
    const y = tf.tensor2d([[1, 2, 3, 4], [3, 2, 1, 0]], [2, 4], "int32");
    try {
      const r = model.forward({ x, y }, { T: 4 });
      expect(r.loss.shape).toEqual([]);
      expect(Number.isFinite(r.loss.dataSync()[0]!)).toBe(true);
      for (const name of ["h", "logits"]) expect(r.values.get(graph.values[name]!)!.shape, name).toEqual(checkedShape(graph, name, { T: 4, V: 5 }, 2));
    } finally {
      tf.dispose([x, y]);
      model.dispose();
    }
  });
});

