/**
 * Gradients of TfModel's loss (tf.variableGrads) against central finite
 * differences of the loss computed with TfModel.forward itself, in float32 on
 * the cpu backend, with the tests' one checker (test/helpers/gradcheck.ts,
 * F32_CHECK: step 1e-2, 1e-3 where a kink of relu or max spoils it;
 * |g - fd| <= 1e-2 max(|g|, |fd|, 0.1)) at the largest and two random entries
 * of every parameter. Then one model's forward pass and gradients on the wasm
 * backend against the cpu backend.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../../src/runtime/init.js";
import { loadEngine, type Engine } from "../../../src/backends/tfjs/engine.js";
import type { DimValues } from "../../../src/graph/dims.js";
import { TfModel } from "../../../src/backends/tfjs/exec.js";
import { type Differentiable, F32_CHECK, gradientCheck, type GradientReport } from "../../helpers/gradcheck.js";
import { maxAbsDiff } from "../../helpers/numeric.js";
import { graphOf, randoms, randomTensor, randomTokens, randomWeights, Report, type Tensor } from "./helpers.js";

const B = 2;

let engine: Engine;
const report = new Report();

beforeAll(async () => {
  engine = await loadEngine("cpu");
});

afterAll(() => report.print("grads: analytic vs central finite difference"));

/** Inputs of one batch: float inputs with a leading batch axis, or tokens. */
type Inputs = (engine: Engine, rng: Rng) => Record<string, Tensor>;

interface GradCase {
  spec: string;
  free: DimValues;
  inputs: Inputs;
  fixed?: DimValues;
  /** Has relu or max (piecewise smooth): only such a model may need a finer step somewhere. */
  kinks?: boolean;
}

const floats =
  (shapes: Record<string, number[]>, tokens: Record<string, [number[], number]> = {}): Inputs =>
  (e, rng) => {
    const out: Record<string, Tensor> = {};
    for (const [name, shape] of Object.entries(shapes)) out[name] = randomTensor(e, rng, [B, ...shape]);
    for (const [name, [shape, v]] of Object.entries(tokens)) out[name] = randomTokens(e, rng, [B, ...shape], v);
    return out;
  };

/** A cell scanned over x: [T, X] with an mse loss on its outputs. */
const scanCase = (call: string, x: number, h: number, t = 4): GradCase => ({
  spec: `model m {\n  dim T\n  input x: [T, ${x}]\n  target y: [T, ${h}]\n  h = ${call}(x)\n  loss mse(h, y)\n}\n`,
  free: { T: t },
  inputs: floats({ x: [t, x], y: [t, h] }),
});

const ATTENTION = `
cell att<H>(y: [E], ctx mem: [S, H]) -> [H] {
  param W_a: [H, H] = glorot
  param W: [4*H, 2*H + E] = glorot
  param b: [4*H] = zeros
  state h: [H] = 0
  state c: [H] = 0
  let e = mem @ (W_a @ h)
  let alpha = softmax(e)
  let context = alpha @ mem
  let i, f, o, g = split<4>(W @ concat(h, y, context) + b)
  c' = sigmoid(f) * c + sigmoid(i) * tanh(g)
  h' = sigmoid(o) * tanh(c')
  out h'
}
model s2s {
  vocab src[VS] = [a, b, c, d]
  vocab tgt[VT] = [p, q, r, s, t]
  dim S
  dim U
  input x: [S] of src
  input y_in: [U] of tgt
  target y: [U] of tgt
  enc = lstm<3>(embedding<2>(one_hot(x)))
  dec = att<3>(embedding<2>(one_hot(y_in)), enc) with { h: enc.h }
  logits = dense<VT>(dec)
  loss cross_entropy(logits, y)
}
`;

const CASES: Record<string, GradCase> = {
  elman: scanCase("elman<3>", 2, 3),
  lstm: scanCase("lstm<3>", 2, 3),
  gru: scanCase("gru<3>", 2, 3),
  gru_reset_after: scanCase("gru_reset_after<3>", 2, 3),
  gru_simplified: scanCase("gru_simplified<3>", 2, 3),
  lstm_peephole: scanCase("lstm_peephole<3>", 2, 3),
  mut1: scanCase("mut1<3>", 3, 3),
  mut2: scanCase("mut2<3>", 3, 3),
  mut3: scanCase("mut3<3>", 2, 3),
  "reverse lstm": scanCase("reverse lstm<3>", 2, 3),
  "bidirectional gru": scanCase("bidirectional gru<2>", 2, 4),
  "repeat<2> elman": scanCase("repeat<2> elman<3>", 3, 3),
  "highway (mapped over T)": { ...scanCase("highway", 3, 3), kinks: true },
  "repeat<2> highway": { ...scanCase("repeat<2> highway", 3, 3), kinks: true },
  "conv1d + maxpool1d": {
    spec: `model m {\n  input x: [8, 2]\n  target y: [3, 3]\n  h = maxpool1d<F=2>(tanh(conv1d<K=3, F=3, pad=same>(x)))\n  z = avgpool1d<F=2, stride=1>(h)\n  loss mse(z, y)\n}\n`,
    free: {},
    inputs: floats({ x: [8, 2], y: [3, 3] }),
    kinks: true,
  },
  "conv2d (stride 2, same) + conv2d (dilation 2) + avgpool2d": {
    spec: `model m {\n  input x: [6, 8, 2]\n  target y: [3]\n  a = tanh(conv2d<K=3, F=3, stride=2, pad=same>(x))\n  b = conv2d<K=3, F=2, dilation=2, pad=1>(a)\n  c = avgpool2d<F=2, stride=1>(b)\n  loss mse(sum(sum(c)), y)\n}\n`,
    free: {},
    inputs: floats({ x: [6, 8, 2], y: [3] }),
  },
  "seq2seq attention (ctx, with { h: enc.h }, cross_entropy on tokens)": {
    spec: ATTENTION,
    free: { S: 4, U: 3 },
    inputs: floats({}, { x: [[4], 4], y_in: [[3], 5], y: [[3], 5] }),
  },
  "fold / shift / flip / first / last / mean / max / sum": {
    spec: `model m {\n  dim T multiple of 2\n  input x: [T, 2]\n  target y: [6]\n  a = elman<3>(x)\n  b = shift<1>(flip(fold<2>(a)))\n  c = first(b) + last(b) + mean(b) + max(b) + sum(b) * 0.1\n  loss mse(c, y)\n}\n`,
    free: { T: 6 },
    inputs: floats({ x: [6, 2], y: [6] }),
    kinks: true,
  },
  "softmax / log_softmax / one_hot / dense / concat / split / elementwise": {
    spec: `vocab v[V] = [a, b, c]\nmodel m {\n  dim T\n  input x: [T] of v\n  input u: [T, 2]\n  target y: [T, 2]\n  e = dense<4>(concat(one_hot(x), u))\n  p, q = split<2>(e)\n  r = softmax(p * q) + log_softmax(exp(p) - sqrt(square(q) + 1)) + softplus(q) + elu(p) + leaky_relu(q, alpha: 0.3) / (abs(p) + 1)\n  s = maximum(r, minimum(p, q) + 0.5) - sigmoid(p) * log(square(q) + 1)\n  loss mse(s, y)\n}\n`,
    free: { T: 3 },
    inputs: floats({ u: [3, 2], y: [3, 2] }, { x: [[3], 3] }),
    kinks: true,
  },
  "a learned initial state (state h = param)": {
    spec: `cell rnn0<H>(x: [X]) -> [H] {\n  param W: [H, X + H] = glorot\n  param h0: [H] = 0.1\n  state h: [H] = h0\n  h' = tanh(W @ concat(x, h))\n  out h'\n}\nmodel m {\n  dim T\n  input x: [T, 2]\n  target y: [T, 3]\n  h = rnn0<3>(x)\n  loss mse(h, y)\n}\n`,
    free: { T: 4 },
    inputs: floats({ x: [4, 2], y: [4, 3] }),
  },
  "a scan inside a fn mapped over a leading axis": {
    spec: `fn enc(x: [T, D]) { out last(lstm<2>(x)) }\nmodel m {\n  dim T\n  input x: [3, T, 2]\n  target y: [3, 2]\n  h = enc(x)\n  loss mse(h, y)\n}\n`,
    free: { T: 4 },
    inputs: floats({ x: [3, 4, 2], y: [3, 2] }),
  },
  "bce_logits and bce": {
    spec: `model m {\n  dim T\n  input x: [T, 2]\n  target y: [T, 2]\n  h = gru<2>(x)\n  loss bce_logits(h * 3, y)\n  loss bce(sigmoid(dense<2>(h)), y)\n}\n`,
    free: { T: 3 },
    inputs: (e, rng) => ({ x: randomTensor(e, rng, [B, 3, 2]), y: e.tf.tensor(Float32Array.from(randoms(rng, B * 6), (v) => (v + 1) / 2), [B, 3, 2]) }),
  },
};

/**
 * A TfModel on one batch as the shared checker sees it: its parameters in
 * order as one flat vector, the loss with one entry moved (through setWeights).
 */
function tfLoss(model: TfModel, inputs: Record<string, Tensor>, free: DimValues): Differentiable {
  const tf = engine.tf;
  const layout: Differentiable["layout"] = {};
  const tensors: { name: string; offset: number; base: Float32Array }[] = [];
  let offset = 0;
  for (const [name, v] of model.params) {
    layout[name] = { offset, size: v.size };
    tensors.push({ name, offset, base: Float32Array.from(v.dataSync()) });
    offset += v.size;
  }
  return {
    layout,
    lossAt(j, d) {
      const t = tensors.findLast((x) => x.offset <= j)!;
      const w = Float32Array.from(t.base);
      w[j - t.offset] = t.base[j - t.offset]! + d;
      model.setWeights({ [t.name]: w });
      const l = tf.tidy(() => model.forward(inputs, free).loss);
      const v = l.dataSync()[0]!;
      l.dispose();
      model.setWeights({ [t.name]: t.base });
      return v;
    },
  };
}

/** The gradient (tf.variableGrads) against finite differences at a few entries of every parameter (test/helpers/gradcheck.ts, F32_CHECK). */
function gradCheck(c: GradCase, seed: number, corrupt?: (g: Float64Array, layout: Differentiable["layout"]) => void): GradientReport & { loss: number } {
  const tf = engine.tf;
  const model = new TfModel(graphOf(c.spec), engine, c.fixed ?? {}, seed);
  const rng = new Rng(seed);
  model.setWeights(randomWeights(model, rng, 0.6));
  const inputs = c.inputs(engine, rng);
  try {
    const { value, grads } = tf.tidy(() => tf.variableGrads(() => model.forward(inputs, c.free).loss));
    const loss = value.dataSync()[0]!;
    value.dispose();
    for (const [name, v] of model.params) expect(grads[v.name], `gradient of ${name}`).toBeDefined();
    const g = Float64Array.from([...model.params.values()].flatMap((v) => [...grads[v.name]!.dataSync()]));
    tf.dispose(Object.values(grads));
    const target = tfLoss(model, inputs, c.free);
    corrupt?.(g, target.layout);
    return { loss, ...gradientCheck(target, g, loss, rng, F32_CHECK) };
  } finally {
    tf.dispose(Object.values(inputs));
    model.dispose();
  }
}

describe("gradients equal finite differences of the loss (cpu, float32)", () => {
  it.each(Object.keys(CASES))("%s", (name) => {
    const r = gradCheck(CASES[name]!, 3);
    report.add(`${name}: max abs`, r.worstAbs);
    report.add(`${name}: max rel (not tiny)${r.refined ? `, ${r.refined}/${r.entries} at a finer step (kink)` : ""}`, r.worstRel);
    expect(r.failures).toEqual([]);
    if (!CASES[name]!.kinks) expect(r.refined, "a smooth model compared at a finer step").toBe(0);
    // Not vacuous: some entries are not tiny.
    expect(r.notTiny).toBeGreaterThan(0);
  });
});

describe("the float32 finite-difference check can fail", () => {
  it.each([
    ["the recurrent weights' gradient 1.1 times too large", (g: Float64Array, o: number, n: number) => g.subarray(o, o + n).forEach((v, i, a) => (a[i] = v * 1.1))],
    ["the recurrent weights' gradient zero", (g: Float64Array, o: number, n: number) => g.fill(0, o, o + n)],
  ] as const)("%s", (_label, corrupt) => {
    expect(gradCheck(CASES["lstm"]!, 3).failures).toEqual([]);
    const r = gradCheck(CASES["lstm"]!, 3, (g, layout) => {
      const w = Object.entries(layout).find(([name]) => name.endsWith(".W"));
      expect(w, `a weight matrix among ${Object.keys(layout).join(", ")}`).toBeDefined();
      corrupt(g, w![1].offset, w![1].size);
    });
    expect(r.failures.length).toBeGreaterThan(0);
  });
});

/** Conv, pooling and the slice-based time ops, whose gradients the wasm backend has only because ops.ts builds them from slices. */
const WASM_CONV: GradCase = {
  spec: `vocab v[V] = [a, b, c]\nmodel m {\n  input x: [6, 6, 2]\n  target y: [] of v\n  a = tanh(conv2d<K=3, F=3, stride=1, pad=same>(x))\n  b = maxpool2d<F=2>(a)\n  c = avgpool2d<F=3, stride=1, pad=1>(b)\n  d = max(c) + first(c) + last(c) + mean(shift<1>(flip(c)))\n  logits = dense<V>(flatten(d))\n  loss cross_entropy(logits, y)\n}\n`,
  free: {},
  inputs: floats({ x: [6, 6, 2] }, { y: [[], 3] }),
};

describe("the wasm backend agrees with cpu", () => {
  /** The loss, the logits and every parameter's gradient on the current engine. */
  async function run(e: Engine, c: GradCase): Promise<{ loss: number; logits: Float32Array; grads: Map<string, Float32Array> }> {
    const tf = e.tf;
    const graph = graphOf(c.spec);
    const model = new TfModel(graph, e, {}, 7);
    const rng = new Rng(7);
    model.setWeights(randomWeights(model, rng, 0.6));
    const inputs = c.inputs(e, rng);
    const { value, grads } = tf.variableGrads(() => model.forward(inputs, c.free).loss);
    const logits = tf.tidy(() => model.forward(inputs, c.free).values.get(graph.values["logits"]!)!);
    const out = {
      loss: (await value.data())[0]!,
      logits: Float32Array.from(await logits.data()),
      grads: new Map([...model.params].map(([name, v]) => [name, Float32Array.from(grads[v.name]!.dataSync())])),
    };
    tf.dispose([value, logits, ...Object.values(grads), ...Object.values(inputs)]);
    model.dispose();
    return out;
  }

  afterAll(async () => {
    engine = await loadEngine("cpu");
  });

  it.each([
    ["seq2seq attention", CASES["seq2seq attention (ctx, with { h: enc.h }, cross_entropy on tokens)"]!],
    ["conv2d + pools + max / first / last / shift / flip", WASM_CONV],
  ] as const)("%s: forward and gradients within 1e-4", async (label, c) => {
    const cpu = await run(await loadEngine("cpu"), c);
    const wasm = await loadEngine("wasm");
    expect(wasm.backend).toBe("wasm");
    expect(wasm.tf.getBackend()).toBe("wasm");
    const w = await run(wasm, c);
    const dLoss = Math.abs(cpu.loss - w.loss);
    const dLogits = maxAbsDiff(cpu.logits, w.logits);
    const dGrads = Math.max(...[...cpu.grads].map(([name, g]) => maxAbsDiff(g, w.grads.get(name)!)));
    console.log(`wasm vs cpu, ${label}: loss ${dLoss.toExponential(2)}, logits ${dLogits.toExponential(2)}, gradients ${dGrads.toExponential(2)}`);
    expect(dLoss).toBeLessThanOrEqual(1e-4);
    expect(dLogits).toBeLessThanOrEqual(1e-4);
    expect(dGrads).toBeLessThanOrEqual(1e-4);
  });
});
