/**
 * Export to tfjs-layers: for each spec, random seqc weights -> exportLayers ->
 * saved as model.json + weights.bin -> tf.loadLayersModel through
 * directoryHandler -> predictions equal TfModel.forward's value of the output
 * (max abs difference <= 1e-5 on the cpu backend); importLayersWeights of the
 * loaded model gives back exactly the weights exported; constructs without a
 * tfjs-layers counterpart are refused with their place in the spec.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../../src/runtime/init.js";
import { loadEngine, type Engine } from "../../../src/backends/tfjs/engine.js";
import type { DimValues } from "../../../src/graph/dims.js";
import type { TfModel } from "../../../src/backends/tfjs/exec.js";
import { ExportError, exportLayers, importLayersWeights, loadLayersModel, saveLayersModel, type SeqcWeights } from "../../../src/backends/tfjs/export.js";
import type { Graph } from "../../../src/graph/graph.js";
import { checkedShape, graphOf, modelOf, randomTensor, randomTokens, randomWeights, Report, type Tensor } from "./helpers.js";

const TOL = 1e-5;
const B = 3;

let engine: Engine;
let dir: string;
const report = new Report();

beforeAll(async () => {
  engine = await loadEngine("cpu");
  dir = mkdtempSync(join(tmpdir(), "seqc-export-"));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  report.print("export: max |seqc - tf.loadLayersModel(export)|");
});

/** seqc weights of a TfModel, by param name. */
function weightsOf(model: TfModel): SeqcWeights {
  return new Map([...model.params].map(([name, v]) => [name, { shape: [...v.shape], values: Float32Array.from(v.dataSync()) }]));
}

interface Case {
  spec: string;
  /** Fixed values of the spec's free dims (vocabulary sizes); T is bound per batch when free. */
  dims?: DimValues;
  /** Free dims of the batch (sequence lengths). */
  free?: DimValues;
  /** Layer classes the export must contain (in order, among others). */
  layers?: string[];
}

const CASES: Record<string, Case> = {
  "dense MLP (mlp_xor)": {
    spec: `model mlp_xor {
  input x: [2]
  target y: [1]
  h = sigmoid(dense<4>(x))
  p = sigmoid(dense<1>(h))
  loss mse(p, y)
}`,
    layers: ["Dense", "Activation", "Dense", "Activation"],
  },
  "embedding + lstm + dense per step": {
    spec: `model char_lstm {
  vocab chars[V]
  dim T
  input x: [T] of chars
  target y: [T] of chars
  e = embedding<4>(one_hot(x))
  h = lstm<5>(e)
  logits = dense<V>(h)
  loss cross_entropy(logits, y)
}`,
    dims: { V: 7 },
    free: { T: 6 },
    layers: ["Embedding", "LSTM", "Dense"],
  },
  "lstm on one_hot (char_lstm's form) + softmax": {
    spec: `model char_lstm {
  vocab chars[V]
  dim T
  input x: [T] of chars
  target y: [T] of chars
  h = lstm<5>(one_hot(x))
  logits = dense<V>(h)
  p = softmax(logits)
  loss cross_entropy(logits, y)
}`,
    dims: { V: 6 },
    free: { T: 5 },
    layers: ["Embedding", "LSTM", "Dense"],
  },
  "dropout (the regularised char LM's): per sequence on the embedding, per step on the lstm's output": {
    spec: `model char_lstm {
  vocab chars[V]
  dim T
  input x: [T] of chars
  target y: [T] of chars
  e = dropout(embedding<4>(one_hot(x)), rate: 0.3, per: sequence)
  h = lstm<5>(e)
  logits = dense<V>(dropout(h, rate: 0.5))
  loss cross_entropy(logits, y)
}`,
    dims: { V: 6 },
    free: { T: 5 },
    layers: ["Embedding", "SpatialDropout1D", "LSTM", "Dropout", "Dense"],
  },
  "bidirectional gru tagger": {
    spec: `model tagger {
  vocab words[W]
  vocab tags[K] = [O, PER, LOC]
  dim T
  input x: [T] of words
  target y: [T] of tags
  e = embedding<4>(one_hot(x))
  a = bidirectional gru<3>(e)
  logits = dense<K>(a)
  loss cross_entropy(logits, y)
}`,
    dims: { W: 9 },
    free: { T: 7 },
    layers: ["Embedding", "Bidirectional", "Dense"],
  },
  "bidirectional lstm + elman stack": {
    spec: `model stack {
  dim T
  input x: [T, 3]
  target y: [T, 2]
  a = bidirectional lstm<4>(x)
  b = elman<3>(a)
  p = tanh(dense<2>(b))
  loss mse(p, y)
}`,
    free: { T: 5 },
    layers: ["Bidirectional", "SimpleRNN", "Dense", "Activation"],
  },
  "text CNN: conv1d same + maxpool + flatten + dense": {
    spec: `model cnn {
  vocab words[W]
  vocab labels[C] = [neg, pos]
  dim T = 8
  input x: [T] of words
  target y: [] of labels
  e = embedding<4>(one_hot(x))
  c = relu(conv1d<K=5, F=3, pad=same>(e))
  m = maxpool1d<2>(c)
  logits = dense<C>(flatten(m))
  loss cross_entropy(logits, y)
}`,
    dims: { W: 11 },
    layers: ["Embedding", "Conv1D", "Activation", "MaxPooling1D", "Flatten", "Dense"],
  },
  "text CNN (Kim): convs with pad=full and causal, max over time, concat": {
    spec: `model kim {
  vocab words[W]
  vocab labels[C] = [neg, pos]
  dim T
  input x: [T] of words
  target y: [] of labels
  e = embedding<4>(one_hot(x))
  c3 = relu(conv1d<K=3, F=3, pad=full>(e))
  c4 = relu(conv1d<K=3, F=2, pad=causal, dilation=2>(e))
  c5 = relu(conv1d<K=2, F=2>(e))
  z = concat(max(c3), max(c4), mean(c5))
  logits = dense<C>(z)
  loss cross_entropy(logits, y)
}`,
    dims: { W: 10 },
    free: { T: 7 },
    layers: ["Embedding", "ZeroPadding2D", "Conv1D", "GlobalMaxPooling1D", "Concatenate", "Dense"],
  },
  "sequence classifier: last(lstm), first(reverse gru)": {
    spec: `model seq2class {
  vocab words[W]
  vocab labels[C] = [a, b, c]
  dim T
  input x: [T] of words
  target y: [] of labels
  e = embedding<4>(one_hot(x))
  f = last(lstm<5>(e))
  g = first(reverse gru<3>(e))
  logits = dense<C>(concat(f, g))
  loss cross_entropy(logits, y)
}`,
    dims: { W: 8 },
    free: { T: 6 },
    layers: ["Embedding", "LSTM", "GRU", "Concatenate", "Dense"],
  },
  "conv2d + avgpool2d + maxpool2d + flatten + dense (LeNet-like)": {
    spec: `model lenet {
  input x: [9, 11, 2]
  target y: [3]
  c = tanh(conv2d<K=3, F=3, pad=same>(x))
  d = relu(conv2d<K=4, F=2, stride=2>(avgpool2d<F=2, stride=1>(c)))
  m = maxpool2d<F=1>(d)
  p = softmax(dense<3>(flatten(m)))
  loss mse(p, y)
}`,
    layers: ["Conv2D", "AveragePooling2D", "Conv2D", "MaxPooling2D", "Flatten", "Dense"],
  },
  "a conv masked by a const connection table (LeNet-5's C3): the kernel exported masked": {
    spec: `fn table_conv<K, F>(x: [N, M, C]) {
  const table: [2, 3] = [
    [1, 0, 1],
    [0, 1, 1]
  ]
  param W: [F, F, C, K] = glorot
  param b: [K] = zeros
  out conv(x, W * table) + b
}
model lenet {
  input x: [6, 6, 2]
  target y: [3]
  c = tanh(table_conv<K=3, F=3>(x))
  p = dense<3>(flatten(c))
  loss mse(p, y)
}`,
    layers: ["Conv2D", "Flatten", "Dense"],
  },
  "batch_norm over [T, C] (running statistics) after a conv without bias (tdnn_bn's)": {
    spec: `fn delays<K, F>(x: [N, C]) {
  param W: [F, C, K] = glorot
  out conv(x, W, pad: causal)
}
model bn {
  dim T
  input x: [T, 3]
  target y: [T, 4]
  h = relu(batch_norm(delays<K=4, F=2>(x)))
  loss mse(dense<4>(h), y)
}`,
    free: { T: 5 },
    layers: ["ZeroPadding2D", "Conv1D", "BatchNormalization", "Activation", "Dense"],
  },
  "batch_norm over an image (running statistics)": {
    spec: `model bn {
  input u: [5, 5, 2]
  target y: [3]
  g = batch_norm(conv2d<K=4, F=2>(u))
  loss mse(dense<3>(flatten(g)), y)
}`,
    layers: ["Conv2D", "BatchNormalization", "Flatten", "Dense"],
  },
};

/** Random inputs (tokens for token inputs) and zero targets, for a batch. */
function batchOf(graph: Graph, c: Case, rng: Rng): { inputs: Record<string, Tensor>; feed: Tensor[] } {
  const tf = engine.tf;
  const free = { ...(c.dims ?? {}), ...(c.free ?? {}) };
  const inputs: Record<string, Tensor> = {};
  const feed: Tensor[] = [];
  for (const n of graph.nodes) {
    if (n.kind !== "input") continue;
    const shape = checkedShape(graph, n.name, free, B);
    const vocab = n.vocab !== undefined ? graph.vocabs.find((v) => v.name === n.vocab)! : undefined;
    const size = vocab ? (vocab.tokens?.length ?? free[vocab.size[0]![0]]!) : 0;
    if (n.role === "target") inputs[n.name] = vocab ? tf.zeros(shape, "int32") : tf.zeros(shape);
    else {
      inputs[n.name] = vocab ? randomTokens(engine, rng, shape, size) : randomTensor(engine, rng, shape);
      feed.push(inputs[n.name]!);
    }
  }
  return { inputs, feed };
}

/** The weights with each param the graph reads only as `W * const` (a [C, K] table of a [F, F, C, K] kernel) times that const. */
function maskedWeights(graph: Graph, weights: SeqcWeights): SeqcWeights {
  const out = new Map(weights);
  for (const n of graph.nodes) {
    if (n.kind !== "op" || n.op !== "mul") continue;
    const p = graph.params.find((q) => n.args.includes(q.id));
    const c = graph.constants.find((k) => n.args.includes(k.id));
    if (!p || !c) continue;
    const w = weights.get(p.name)!;
    out.set(p.name, { shape: w.shape, values: w.values.map((v, i) => v * c.values[i % c.values.length]!) });
  }
  return out;
}

/** The prediction value of a graph (the first loss's first argument), or a named value. */
function outputId(graph: Graph, value?: string): number {
  if (value !== undefined) return graph.values[value]!;
  const loss = graph.nodes.find((n) => n.id === graph.losses[0])!;
  return (loss as { args: number[] }).args[0]!;
}

async function roundTrip(label: string, c: Case, seed: number): Promise<void> {
  const tf = engine.tf;
  const { graph, model } = modelOf(c.spec, engine, c.dims ?? {}, seed);
  const rng = new Rng(seed);
  // Running variances (batch_norm's) are positive.
  model.setWeights(Object.fromEntries(Object.entries(randomWeights(model, rng, 0.6)).map(([name, w]) => [name, name.endsWith(".running_var") ? w.map((v) => 0.5 + Math.abs(v)) : w])));
  const weights = weightsOf(model);
  const exported = exportLayers(graph, weights, { dims: c.dims ?? {} });
  if (c.layers) {
    const classes = exported.layers.map((l) => l.getClassName());
    let at = 0;
    for (const want of c.layers) {
      const found = classes.indexOf(want, at);
      expect(found, `${want} after position ${at} in ${classes.join(", ")}`).toBeGreaterThanOrEqual(0);
      at = found + 1;
    }
  }
  const out = join(dir, `${label.replace(/\W+/g, "_")}_${seed}`);
  await saveLayersModel(exported, out);
  expect(readdirSync(out).sort()).toEqual(["model.json", "weights.bin"]);
  expect(JSON.parse(readFileSync(join(out, "model.json"), "utf8")).format).toBe("layers-model");
  const loaded = await loadLayersModel(out);

  const { inputs, feed } = batchOf(graph, c, rng);
  const ours = tf.tidy(() => model.forward(inputs, c.free ?? {}).values.get(outputId(graph))!);
  const theirs = loaded.predict(feed.length === 1 ? feed[0]! : feed) as Tensor;
  expect(theirs.shape).toEqual(ours.shape);
  const a = ours.dataSync();
  const b = theirs.dataSync();
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
  report.add(label, diff);
  expect(diff).toBeLessThanOrEqual(TOL);

  // import(export(w)) == w, exactly, for the loaded model and for the in-memory one (a masked kernel comes back masked).
  const want = maskedWeights(graph, weights);
  for (const m of [loaded, exported]) {
    const back = importLayersWeights(graph, m, { dims: c.dims ?? {} });
    expect([...back.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [name, w] of want) {
      expect(back.get(name)!.shape, name).toEqual(w.shape);
      expect(Array.from(back.get(name)!.values), name).toEqual(Array.from(w.values));
    }
  }
  tf.dispose([ours, theirs, ...Object.values(inputs)]);
  exported.dispose();
  loaded.dispose();
  model.dispose();
}

describe("export to tfjs-layers: tf.loadLayersModel gives seqc's outputs (cpu)", () => {
  it.each(Object.keys(CASES))("%s", async (name) => {
    for (const seed of [1, 2]) await roundTrip(name, CASES[name]!, seed);
  });
});

describe("weight import from a model built with tf.layers", () => {
  it("initialises seqc from a Keras-style model of the same architecture (matched in order, fused activations)", async () => {
    const tf = engine.tf;
    const c = CASES["embedding + lstm + dense per step"]!;
    const net = tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: 7, outputDim: 4, inputShape: [null as unknown as number] }),
        tf.layers.lstm({ units: 5, returnSequences: true, recurrentActivation: "sigmoid" }),
        tf.layers.dense({ units: 7 }),
      ],
    });
    const graph = graphOf(c.spec);
    const w = importLayersWeights(graph, net);
    const { model } = modelOf(c.spec, engine, { V: 7 });
    model.setWeights(Object.fromEntries([...w].map(([k, v]) => [k, v.values])));
    const rng = new Rng(4);
    const { inputs, feed } = batchOf(graph, c, rng);
    const ours = model.forward(inputs, c.free ?? {}).values.get(outputId(graph))!;
    const theirs = net.predict(feed[0]!) as Tensor;
    const a = ours.dataSync();
    const b = theirs.dataSync();
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    report.add("import from tf.sequential (embedding, lstm, dense)", diff);
    expect(diff).toBeLessThanOrEqual(TOL);
    tf.dispose([ours, theirs, ...Object.values(inputs)]);
    model.dispose();

    // Dense(activation: sigmoid) stands for seqc's sigmoid(dense(...)).
    const mlp = CASES["dense MLP (mlp_xor)"]!;
    const keras = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [2], activation: "sigmoid" }), tf.layers.dense({ units: 1, activation: "sigmoid" })] });
    expect([...importLayersWeights(graphOf(mlp.spec), keras).keys()].sort()).toEqual(["h.dense.W", "h.dense.b", "p.dense.W", "p.dense.b"]);
    net.dispose();
    keras.dispose();
  });

  it("refuses a model that computes something else", () => {
    const tf = engine.tf;
    const c = CASES["embedding + lstm + dense per step"]!;
    const graph = graphOf(c.spec);
    const hard = tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: 7, outputDim: 4, inputShape: [null as unknown as number] }),
        tf.layers.lstm({ units: 5, returnSequences: true }), // tfjs's default recurrentActivation is hardSigmoid
        tf.layers.dense({ units: 7 }),
      ],
    });
    expect(() => importLayersWeights(graph, hard)).toThrow(/recurrentActivation hardSigmoid \(seqc: sigmoid\)/);
    const gru = tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: 7, outputDim: 4, inputShape: [null as unknown as number] }),
        tf.layers.gru({ units: 5, returnSequences: true, recurrentActivation: "sigmoid" }),
        tf.layers.dense({ units: 7 }),
      ],
    });
    expect(() => importLayersWeights(graph, gru)).toThrow(/is a GRU; the spec needs a LSTM/);
    const short = tf.sequential({ layers: [tf.layers.dense({ units: 7, inputShape: [3] })] });
    expect(() => importLayersWeights(graph, short)).toThrow(/has 1 layers with weights \(Dense\); the spec's model needs 3/);
    const sigmoidMlp = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [2], activation: "relu" }), tf.layers.dense({ units: 1 })] });
    expect(() => importLayersWeights(graphOf(CASES["dense MLP (mlp_xor)"]!.spec), sigmoidMlp)).toThrow(/applies relu, which the spec does not apply after h/);
    for (const m of [hard, gru, short, sigmoidMlp]) m.dispose();
  });
});

/** The ExportError of a spec that does not export. */
function refusal(spec: string, dims: DimValues = {}): ExportError {
  const r = modelOf(spec, engine, dims);
  try {
    exportLayers(r.graph, weightsOf(r.model), { dims, sources: { "spec.seq": spec } }).dispose();
  } catch (e) {
    expect(e).toBeInstanceOf(ExportError);
    return e as ExportError;
  } finally {
    r.model.dispose();
  }
  throw new Error("exported");
}

describe("constructs without a tfjs-layers counterpart are refused with their place", () => {
  it("an attention cell (seq2seq_attention)", () => {
    const spec = readFileSync("specs/seq2seq_attention.seq", "utf8");
    const e = refusal(spec, { VS: 5, VT: 6 });
    const line = spec.split("\n").findIndex((l) => l.includes("dec = attention_lstm")) + 1;
    expect(e.construct).toBe("the cell attention_lstm");
    expect(e.where).toBe(`spec.seq:${line}:9`);
    expect(e.message).toBe(`spec.seq:${line}:9: cannot export to tfjs-layers: the cell attention_lstm: tfjs-layers has SimpleRNN (elman), LSTM and GRU only`);
  });

  it("fold (pyramid RNN)", () => {
    const spec = `model m {\n  dim T = 8\n  input x: [T, 3]\n  target y: [4, 4]\n  h = lstm<2>(fold<2>(x))\n  loss mse(dense<4>(h), y)\n}\n`;
    const e = refusal(spec);
    expect(e.construct).toBe("fold");
    expect(e.message).toBe("spec.seq:5:15: cannot export to tfjs-layers: fold has no tfjs-layers counterpart");
  });

  it("a reverse scan outside bidirectional, initial states, final states, arithmetic with constants", () => {
    const base = (body: string, out = "h") => `model m {\n  dim T = 5\n  input x: [T, 3]\n  input h0: [2]\n  target y: [T, 2]\n  ${body}\n  loss mse(${out}, y)\n}\n`;
    expect(refusal(base("h = reverse gru<2>(x)")).message).toMatch(/^spec\.seq:6:7: cannot export to tfjs-layers: reverse gru h: tfjs-layers' goBackwards returns the outputs in reverse order/);
    expect(refusal(base("h = gru<2>(x) with { h: h0 }")).message).toMatch(/^spec\.seq:6:7: cannot export to tfjs-layers: gru h with an initial h: /);
    expect(refusal(base("h = 2 * elman<2>(x)")).message).toMatch(/^spec\.seq:6:7: cannot export to tfjs-layers: \* has no tfjs-layers counterpart/);
    expect(refusal(`model m {\n  dim T = 5\n  input x: [T, 3]\n  target y: [2]\n  h = lstm<2>(x)\n  loss mse(h.c, y)\n}\n`).message).toMatch(/^spec\.seq:5:7: cannot export to tfjs-layers: the final state h\.c/);
  });

  it("pooling with padding tfjs-layers does not have, a highway layer", () => {
    const pool = `model m {\n  dim T = 6\n  input x: [T, 3]\n  target y: [7, 3]\n  h = maxpool1d<F=2, stride=1, pad=1>(x)\n  loss mse(h, y)\n}\n`;
    expect(refusal(pool).message).toMatch(/^spec\.seq:5:7: cannot export to tfjs-layers: maxpool with pad=1: tfjs-layers pools with valid or same padding only/);
    const highway = `model m {\n  input x: [3]\n  target y: [3]\n  h = highway(x)\n  loss mse(h, y)\n}\n`;
    expect(refusal(highway).message).toBe("spec.seq:4:7: cannot export to tfjs-layers: * has no tfjs-layers counterpart");
  });
});
