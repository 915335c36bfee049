/**
 * Gradients of TfModel's loss (tf.variableGrads) against central finite
 * differences of the loss computed with TfModel.forward itself, in float32 on
 * the cpu backend: eps = 1e-2, |analytic - numeric| <= 1e-2 * max(|a|, |n|) + 1e-3
 * at a few random coordinates of every parameter. Then one model's forward pass
 * and gradients on the wasm backend against the cpu backend.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../../src/runtime/init.js";
import { loadEngine, type Engine } from "../../../src/backends/tfjs/engine.js";
import type { DimValues } from "../../../src/graph/dims.js";
import { TfModel } from "../../../src/backends/tfjs/exec.js";
import { graphOf, randoms, randomTensor, randomTokens, randomWeights, Report, type Tensor } from "./helpers.js";

const EPS = 1e-2;
/**
 * Models with relu or max are piecewise smooth: where a kink lies within EPS of
 * the point, the central difference straddles it (one-sided slopes differ), and
 * only there the coordinate is checked again with this step.
 */
const EPS_KINK = 1e-3;
const RTOL = 1e-2;
const ATOL = 1e-3;
const B = 2;
/** Coordinates checked per parameter. */
const COORDS = 3;

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
  /** Has relu or max (piecewise smooth). */
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

interface Check {
  param: string;
  index: number;
  analytic: number;
  numeric: number;
  /** The step of the difference quotient. */
  eps: number;
}

function agrees(analytic: number, numeric: number): boolean {
  return Math.abs(analytic - numeric) <= RTOL * Math.max(Math.abs(analytic), Math.abs(numeric)) + ATOL;
}

/** Relative error where the gradient is not tiny (below 1e-2, float32 rounding of the loss dominates the quotient). */
const relErr = (c: { analytic: number; numeric: number }) => (Math.max(Math.abs(c.analytic), Math.abs(c.numeric)) < 1e-2 ? 0 : Math.abs(c.analytic - c.numeric) / Math.max(Math.abs(c.analytic), Math.abs(c.numeric)));

/** Analytic and finite-difference gradients at a few coordinates of every parameter. */
function gradCheck(c: GradCase, seed: number): Check[] {
  const tf = engine.tf;
  const graph = graphOf(c.spec);
  const model = new TfModel(graph, engine, c.fixed ?? {}, seed);
  const rng = new Rng(seed);
  model.setWeights(randomWeights(model, rng, 0.6));
  const inputs = c.inputs(engine, rng);
  const lossValue = (): number => {
    const l = tf.tidy(() => model.forward(inputs, c.free).loss);
    const v = l.dataSync()[0]!;
    l.dispose();
    return v;
  };
  const { value, grads } = tf.tidy(() => tf.variableGrads(() => model.forward(inputs, c.free).loss));
  value.dispose();
  const checks: Check[] = [];
  for (const [name, v] of model.params) {
    const g = grads[v.name];
    expect(g, `gradient of ${name}`).toBeDefined();
    const ga = g!.dataSync();
    const base = Float32Array.from(v.dataSync());
    const picks = v.size <= COORDS ? [...Array(v.size).keys()] : [...new Set(Array.from({ length: COORDS }, () => Math.floor(rng.next() * v.size)))];
    for (const index of picks) {
      const at = (delta: number) => {
        const w = Float32Array.from(base);
        w[index] = base[index]! + delta;
        model.setWeights({ [name]: w });
        return lossValue();
      };
      const numeric = (at(EPS) - at(-EPS)) / (2 * EPS);
      const analytic = ga[index]!;
      if (c.kinks && (!agrees(analytic, numeric) || relErr({ analytic, numeric }) > RTOL / 10)) {
        // A kink of relu or max within eps: the difference quotient straddles it. Closer in, it must agree.
        const closer = (at(EPS_KINK) - at(-EPS_KINK)) / (2 * EPS_KINK);
        checks.push({ param: name, index, analytic, numeric: closer, eps: EPS_KINK });
      } else checks.push({ param: name, index, analytic, numeric, eps: EPS });
      model.setWeights({ [name]: base });
    }
  }
  tf.dispose(Object.values(grads));
  tf.dispose(Object.values(inputs));
  model.dispose();
  return checks;
}

describe("gradients equal finite differences of the loss (cpu, float32)", () => {
  it.each(Object.keys(CASES))("%s", (name) => {
    const checks = gradCheck(CASES[name]!, 3);
    const refined = checks.filter((c) => c.eps !== EPS).length;
    report.add(`${name}: max abs`, Math.max(...checks.map((c) => Math.abs(c.analytic - c.numeric))));
    report.add(`${name}: max rel (|g| >= 1e-2)${refined ? `, ${refined}/${checks.length} at eps ${EPS_KINK}` : ""}`, Math.max(...checks.map(relErr)));
    const bad = checks.filter((c) => !agrees(c.analytic, c.numeric));
    expect(bad).toEqual([]);
    // Not all zero: the check is not vacuous.
    expect(checks.some((c) => Math.abs(c.analytic) > 1e-3)).toBe(true);
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
    const diffs = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
    const dLoss = Math.abs(cpu.loss - w.loss);
    const dLogits = diffs(cpu.logits, w.logits);
    const dGrads = Math.max(...[...cpu.grads].map(([name, g]) => diffs(g, w.grads.get(name)!)));
    console.log(`wasm vs cpu, ${label}: loss ${dLoss.toExponential(2)}, logits ${dLogits.toExponential(2)}, gradients ${dGrads.toExponential(2)}`);
    expect(dLoss).toBeLessThanOrEqual(1e-4);
    expect(dLogits).toBeLessThanOrEqual(1e-4);
    expect(dGrads).toBeLessThanOrEqual(1e-4);
  });
});
