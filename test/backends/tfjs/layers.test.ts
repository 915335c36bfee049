/**
 * The standard cells and layers, run by TfModel, agree with tfjs-layers given
 * the same weights (max abs difference <= 1e-5 on the cpu backend).
 *
 * Layouts: seqc matrices are [out, in] applied as W @ x; Keras kernels are
 * [in, units * gates] applied as x @ K, gates in the order i, f, c, o (LSTM) and
 * z, r, h (GRU). seqc's lstm has one W: [4*H, H + X] on concat(h, x) with gates
 * i, f, o, g; its gru is Cho 2014 with the reset gate applied before U_h, which
 * is also what tfjs-layers' GRUCell computes (it only supports resetAfter: false:
 * h~ = tanh(x K_h + (r * h) R_h + b_h), h' = z * h + (1 - z) * h~).
 */
import type { layers } from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../../src/runtime/init.js";
import { loadEngine, type Engine } from "../../../src/backends/tfjs/engine.js";
import type { DimValues } from "../../../src/graph/dims.js";
import { checkedShape, maxTensorDiff, modelOf, randoms, randomTensor, Report, type Tensor } from "./helpers.js";

const TOL = 1e-5;
const B = 3;
const T = 5;
const X = 3;
const H = 4;

let engine: Engine;
const report = new Report();

beforeAll(async () => {
  engine = await loadEngine("cpu");
});

afterAll(() => report.print("layers: max |seqc - tfjs-layers|"));

/** A [rows, cols] row-major matrix. */
interface Mat {
  rows: number;
  cols: number;
  data: Float32Array;
}

const mat = (rows: number, cols: number, data: Float32Array): Mat => ({ rows, cols, data });

/** Rows [r0, r0 + n) and columns [c0, c0 + m) of a matrix. */
function block(a: Mat, r0: number, n: number, c0: number, m: number): Mat {
  const out = new Float32Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) out[i * m + j] = a.data[(r0 + i) * a.cols + c0 + j]!;
  return mat(n, m, out);
}

function transpose(a: Mat): Mat {
  const out = new Float32Array(a.rows * a.cols);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) out[j * a.rows + i] = a.data[i * a.cols + j]!;
  return mat(a.cols, a.rows, out);
}

/** Matrices side by side (same row count). */
function hcat(parts: Mat[]): Mat {
  const rows = parts[0]!.rows;
  const cols = parts.reduce((s, p) => s + p.cols, 0);
  const out = new Float32Array(rows * cols);
  let c0 = 0;
  for (const p of parts) {
    for (let i = 0; i < rows; i++) for (let j = 0; j < p.cols; j++) out[i * cols + c0 + j] = p.data[i * p.cols + j]!;
    c0 += p.cols;
  }
  return mat(rows, cols, out);
}

function vcat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Keras LSTM weights (kernel, recurrent kernel, bias) from seqc's W: [4H, H + X] (gates i, f, o, g) and b: [4H]. */
function kerasLstm(W: Float32Array, b: Float32Array, h: number, x: number): Float32Array[] {
  const w = mat(4 * h, h + x, W);
  const seqGate = [0, 1, 3, 2]; // Keras i, f, c, o -> seqc blocks i, f, g, o
  const kernel = hcat(seqGate.map((g) => transpose(block(w, g * h, h, h, x))));
  const recurrent = hcat(seqGate.map((g) => transpose(block(w, g * h, h, 0, h))));
  const bias = vcat(seqGate.map((g) => b.slice(g * h, (g + 1) * h)));
  return [kernel.data, recurrent.data, bias];
}

/** Keras GRU weights from seqc's gru params (gates z, r, h). */
function kerasGru(p: Record<string, Float32Array>, prefix: string, h: number, x: number): Float32Array[] {
  const gates = ["z", "r", "h"];
  const kernel = hcat(gates.map((g) => transpose(mat(h, x, p[`${prefix}.W_${g}`]!))));
  const recurrent = hcat(gates.map((g) => transpose(mat(h, h, p[`${prefix}.U_${g}`]!))));
  const bias = vcat(gates.map((g) => p[`${prefix}.b_${g}`]!));
  return [kernel.data, recurrent.data, bias];
}

/** Keras SimpleRNN weights from seqc's elman params. */
function kerasElman(p: Record<string, Float32Array>, prefix: string, h: number, x: number): Float32Array[] {
  return [transpose(mat(h, x, p[`${prefix}.W`]!)).data, transpose(mat(h, h, p[`${prefix}.U`]!)).data, p[`${prefix}.b`]!];
}

interface Case {
  /** The binding of `h` in the model. */
  body: string;
  /** Input x's shape [T, ...]. */
  input: number[];
  /** Declare `dim T = <value>` (windows need a known size to check); otherwise T is free and bound per batch. */
  bound?: boolean;
  /** Target y's shape (that of h). */
  out: string;
  /** seqc params -> tfjs-layers weights (their shapes come from the layer). */
  weights: (p: Record<string, Float32Array>) => Float32Array[];
  layer: (tf: Engine["tf"], inputShape: number[]) => AnyLayer;
  /** Pre-processing of the input for tfjs-layers (e.g. the left padding of a causal conv). */
  pre?: (tf: Engine["tf"], x: Tensor) => Tensor;
  /** Post-processing of the tfjs-layers output (e.g. time reversal for goBackwards). */
  post?: (tf: Engine["tf"], y: Tensor) => Tensor;
}

/** Runs one case: the same random weights and inputs through seqc and tfjs-layers. */
function runCase(label: string, c: Case, seed: number): number {
  const tf = engine.tf;
  const spec = `model m {\n  dim T${c.bound ? ` = ${c.input[0]}` : ""}\n  input x: [T, ${c.input.slice(1).join(", ")}]\n  target y: ${c.out}\n  h = ${c.body}\n  loss mse(h, y)\n}\n`;
  const { graph, model } = modelOf(spec, engine);
  const rng = new Rng(seed);
  const p: Record<string, Float32Array> = {};
  for (const [name, v] of model.params) p[name] = randoms(rng, v.size, 0.7);
  model.setWeights(p);
  const x = randomTensor(engine, rng, [B, ...c.input]);
  const hId = graph.values["h"]!;
  const free: DimValues = c.bound ? {} : { T: c.input[0]! };
  const ours = tf.tidy(() => model.forward({ x, y: tf.zeros(checkedShape(graph, "y", free, B)) }, free).values.get(hId)!);
  expect(ours.shape).toEqual(checkedShape(graph, "h", free, B));
  const xIn = c.pre ? c.pre(tf, x) : x;
  const net = tf.sequential({ layers: [c.layer(tf, xIn.shape.slice(1))] });
  const shapes = net.getWeights().map((w) => w.shape);
  const ws = c.weights(p);
  expect(ws.length).toBe(shapes.length);
  net.setWeights(ws.map((w, i) => tf.tensor(w, shapes[i]!)));
  const theirs = tf.tidy(() => {
    const y = net.predict(xIn) as Tensor;
    return c.post ? c.post(tf, y) : y;
  });
  const diff = maxTensorDiff(ours, theirs);
  report.add(label, diff);
  tf.dispose([ours, theirs, x, xIn]);
  net.dispose();
  model.dispose();
  return diff;
}

/** Any tfjs-layers layer. */
type AnyLayer = layers.Layer;

const reverseTime = (tf: Engine["tf"], y: Tensor) => tf.reverse(y, 1);

const CELLS: Record<string, Case> = {
  elman: {
    body: `elman<${H}>(x)`,
    input: [T, X],
    out: `[T, ${H}]`,
    weights: (p) => kerasElman(p, "h", H, X),
    layer: (tf, inputShape) => tf.layers.simpleRNN({ inputShape, units: H, returnSequences: true, activation: "tanh" }),
  },
  lstm: {
    body: `lstm<${H}>(x)`,
    input: [T, X],
    out: `[T, ${H}]`,
    weights: (p) => kerasLstm(p["h.W"]!, p["h.b"]!, H, X),
    layer: (tf, inputShape) => tf.layers.lstm({ inputShape, units: H, returnSequences: true, unitForgetBias: false, recurrentActivation: "sigmoid" }),
  },
  gru: {
    body: `gru<${H}>(x)`,
    input: [T, X],
    out: `[T, ${H}]`,
    weights: (p) => kerasGru(p, "h", H, X),
    layer: (tf, inputShape) => tf.layers.gru({ inputShape, units: H, returnSequences: true, recurrentActivation: "sigmoid" }),
  },
  "reverse elman": {
    body: `reverse elman<${H}>(x)`,
    input: [T, X],
    out: `[T, ${H}]`,
    weights: (p) => kerasElman(p, "h", H, X),
    layer: (tf, inputShape) => tf.layers.simpleRNN({ inputShape, units: H, returnSequences: true, activation: "tanh", goBackwards: true }),
    post: reverseTime,
  },
  "reverse lstm": {
    body: `reverse lstm<${H}>(x)`,
    input: [T, X],
    out: `[T, ${H}]`,
    weights: (p) => kerasLstm(p["h.W"]!, p["h.b"]!, H, X),
    layer: (tf, inputShape) => tf.layers.lstm({ inputShape, units: H, returnSequences: true, unitForgetBias: false, recurrentActivation: "sigmoid", goBackwards: true }),
    post: reverseTime,
  },
  "reverse gru": {
    body: `reverse gru<${H}>(x)`,
    input: [T, X],
    out: `[T, ${H}]`,
    weights: (p) => kerasGru(p, "h", H, X),
    layer: (tf, inputShape) => tf.layers.gru({ inputShape, units: H, returnSequences: true, recurrentActivation: "sigmoid", goBackwards: true }),
    post: reverseTime,
  },
  "bidirectional lstm": {
    body: `bidirectional lstm<${H}>(x)`,
    input: [T, X],
    out: `[T, ${2 * H}]`,
    weights: (p) => [...kerasLstm(p["h.fwd.W"]!, p["h.fwd.b"]!, H, X), ...kerasLstm(p["h.bwd.W"]!, p["h.bwd.b"]!, H, X)],
    layer: (tf, inputShape) =>
      tf.layers.bidirectional({
        inputShape,
        layer: tf.layers.lstm({ units: H, returnSequences: true, unitForgetBias: false, recurrentActivation: "sigmoid" }),
        mergeMode: "concat",
      }),
  },
  "bidirectional gru": {
    body: `bidirectional gru<${H}>(x)`,
    input: [T, X],
    out: `[T, ${2 * H}]`,
    weights: (p) => [...kerasGru(p, "h.fwd", H, X), ...kerasGru(p, "h.bwd", H, X)],
    layer: (tf, inputShape) =>
      tf.layers.bidirectional({
        inputShape,
        layer: tf.layers.gru({ units: H, returnSequences: true, recurrentActivation: "sigmoid" }),
        mergeMode: "concat",
      }),
  },
  "dense over time": {
    body: `dense<${H}>(x)`,
    input: [T, X],
    out: `[T, ${H}]`,
    weights: (p) => [transpose(mat(H, X, p["h.W"]!)).data, p["h.b"]!],
    layer: (tf, inputShape) => tf.layers.dense({ inputShape, units: H }),
  },
};

describe("recurrent cells agree with tfjs-layers (cpu)", () => {
  it.each(Object.keys(CELLS))("%s", (name) => {
    for (const seed of [1, 2]) expect(runCase(name, CELLS[name]!, seed)).toBeLessThanOrEqual(TOL);
  });
});

/** Conv1D cases: output length N' = (N + P - D*(F-1) - 1)/S + 1 with TensorFlow's padding. */
const CONVS: { n: number; f: number; stride: number; pad: "valid" | "same" | "causal"; dilation: number }[] = [
  { n: 8, f: 3, stride: 1, pad: "valid", dilation: 1 },
  { n: 9, f: 3, stride: 2, pad: "valid", dilation: 1 },
  { n: 8, f: 3, stride: 1, pad: "same", dilation: 1 },
  { n: 8, f: 3, stride: 2, pad: "same", dilation: 1 },
  { n: 8, f: 4, stride: 2, pad: "same", dilation: 1 },
  { n: 8, f: 3, stride: 1, pad: "valid", dilation: 2 },
  { n: 8, f: 3, stride: 1, pad: "same", dilation: 2 },
  { n: 8, f: 3, stride: 1, pad: "causal", dilation: 1 },
  { n: 8, f: 3, stride: 1, pad: "causal", dilation: 2 },
];

/**
 * tfjs-layers' Conv1D has no causal padding ("not implemented yet" in
 * conv1dWithBias), so a causal case is compared with a valid convolution of the
 * input padded on the left by D*(F-1) zeros, which is what causal means in Keras.
 */
describe("conv1d agrees with tf.layers.conv1d (cpu)", () => {
  const K = 4;
  const C = 3;
  it.each(CONVS.map((c) => [`F=${c.f} stride=${c.stride} pad=${c.pad} dilation=${c.dilation} (N=${c.n})`, c] as const))("%s", (label, c) => {
    const span = c.dilation * (c.f - 1);
    const out = c.pad === "valid" ? Math.floor((c.n - span - 1) / c.stride) + 1 : c.pad === "same" ? Math.ceil(c.n / c.stride) : c.n;
    const diff = runCase(
      `conv1d ${label}`,
      {
        body: `conv1d<K=${K}, F=${c.f}, stride=${c.stride}, pad=${c.pad}, dilation=${c.dilation}>(x)`,
        input: [c.n, C],
        bound: true,
        out: `[${out}, ${K}]`,
        // seqc's kernel [F, C, K] is Keras's [kernelSize, inChannels, filters].
        weights: (p) => [p["h.W"]!, p["h.b"]!],
        pre: c.pad === "causal" ? (tf, x) => tf.pad(x, [[0, 0], [span, 0], [0, 0]]) : undefined,
        layer: (tf, inputShape) =>
          tf.layers.conv1d({ inputShape, filters: K, kernelSize: c.f, strides: c.stride, padding: c.pad === "causal" ? "valid" : c.pad, dilationRate: c.dilation }),
      },
      7,
    );
    expect(diff).toBeLessThanOrEqual(TOL);
  });
});

describe("conv2d agrees with tf.layers.conv2d (cpu)", () => {
  const K = 4;
  const C = 2;
  const cases: { n: number; f: number; stride: number; pad: "valid" | "same"; dilation: number }[] = [
    { n: 6, f: 3, stride: 1, pad: "valid", dilation: 1 },
    { n: 7, f: 3, stride: 2, pad: "valid", dilation: 1 },
    { n: 6, f: 3, stride: 1, pad: "same", dilation: 1 },
    { n: 6, f: 3, stride: 2, pad: "same", dilation: 1 },
    { n: 7, f: 3, stride: 1, pad: "valid", dilation: 2 },
    { n: 6, f: 3, stride: 1, pad: "same", dilation: 2 },
  ];
  it.each(cases.map((c) => [`F=${c.f} stride=${c.stride} pad=${c.pad} dilation=${c.dilation} (${c.n}x${c.n + c.stride})`, c] as const))("%s", (label, c) => {
    const m = c.n + c.stride; // a non-square input catches swapped axes; the checker wants whole window counts
    const size = (n: number) => (c.pad === "valid" ? Math.floor((n - c.dilation * (c.f - 1) - 1) / c.stride) + 1 : Math.ceil(n / c.stride));
    const diff = runCase(
      `conv2d ${label}`,
      {
        body: `conv2d<K=${K}, F=${c.f}, stride=${c.stride}, pad=${c.pad}, dilation=${c.dilation}>(x)`,
        input: [c.n, m, C],
        bound: true,
        out: `[${size(c.n)}, ${size(m)}, ${K}]`,
        // seqc's kernel [F, F, C, K] is Keras's [kernelHeight, kernelWidth, inChannels, filters].
        weights: (p) => [p["h.W"]!, p["h.b"]!],
        layer: (tf, inputShape) =>
          tf.layers.conv2d({ inputShape, filters: K, kernelSize: c.f, strides: c.stride, padding: c.pad, dilationRate: c.dilation }),
      },
      11,
    );
    expect(diff).toBeLessThanOrEqual(TOL);
  });
});

/** Pooling layers, padded average pooling included: both leave the padding out of the mean. */
describe("pooling agrees with tf.layers pooling (cpu)", () => {
  const C = 2;
  const cases: { kind: "max" | "avg"; r: 1 | 2; n: number; f: number; stride: number; pad: "valid" | "same" }[] = [
    { kind: "max", r: 1, n: 8, f: 2, stride: 2, pad: "valid" },
    { kind: "max", r: 1, n: 7, f: 3, stride: 1, pad: "valid" },
    { kind: "max", r: 1, n: 8, f: 3, stride: 1, pad: "same" },
    { kind: "max", r: 1, n: 8, f: 3, stride: 2, pad: "same" },
    { kind: "avg", r: 1, n: 8, f: 2, stride: 2, pad: "valid" },
    { kind: "avg", r: 1, n: 7, f: 3, stride: 2, pad: "valid" },
    { kind: "avg", r: 1, n: 8, f: 3, stride: 1, pad: "same" },
    { kind: "max", r: 2, n: 6, f: 2, stride: 2, pad: "valid" },
    { kind: "max", r: 2, n: 6, f: 3, stride: 1, pad: "same" },
    { kind: "avg", r: 2, n: 6, f: 2, stride: 2, pad: "valid" },
    { kind: "avg", r: 2, n: 7, f: 3, stride: 1, pad: "valid" },
    { kind: "avg", r: 2, n: 6, f: 3, stride: 1, pad: "same" },
  ];
  it.each(cases.map((c) => [`${c.kind}pool${c.r}d F=${c.f} stride=${c.stride} pad=${c.pad} (n=${c.n})`, c] as const))("%s", (label, c) => {
    const size = (n: number) => (c.pad === "valid" ? Math.floor((n - c.f) / c.stride) + 1 : Math.ceil(n / c.stride));
    const spatial = c.r === 1 ? [c.n] : [c.n, c.n + c.stride];
    const diff = runCase(
      label,
      {
        body: `${c.kind}pool${c.r}d<F=${c.f}, stride=${c.stride}, pad=${c.pad}>(x)`,
        input: [...spatial, C],
        bound: true,
        out: `[${[...spatial.map(size), C].join(", ")}]`,
        weights: () => [],
        layer: (tf, inputShape) => {
          const args = { inputShape, poolSize: c.f, strides: c.stride, padding: c.pad };
          const l = c.r === 1 ? (c.kind === "max" ? tf.layers.maxPooling1d(args) : tf.layers.averagePooling1d(args)) : c.kind === "max" ? tf.layers.maxPooling2d(args) : tf.layers.averagePooling2d(args);
          return l;
        },
      },
      13,
    );
    expect(diff).toBeLessThanOrEqual(TOL);
  });
});

describe("initial states agree with tfjs-layers' initialState (cpu)", () => {
  it.each(["lstm", "gru"])("%s with { h: h0, ... }", (cell) => {
    const tf = engine.tf;
    const states = cell === "lstm" ? "h: h0, c: c0" : "h: h0";
    const spec = `model m {\n  dim T = ${T}\n  input x: [T, ${X}]\n  input h0: [${H}]\n  input c0: [${H}]\n  target y: [T, ${H}]\n  h = ${cell}<${H}>(x) with { ${states} }\n  loss mse(h + 0 * c0, y)\n}\n`;
    const { graph, model } = modelOf(spec, engine);
    const rng = new Rng(5);
    const p: Record<string, Float32Array> = {};
    for (const [name, v] of model.params) p[name] = randoms(rng, v.size, 0.7);
    model.setWeights(p);
    const x = randomTensor(engine, rng, [B, T, X]);
    const h0 = randomTensor(engine, rng, [B, H]);
    const c0 = randomTensor(engine, rng, [B, H]);
    const ours = tf.tidy(() => model.forward({ x, h0, c0, y: tf.zeros([B, T, H]) }, {}).values.get(graph.values["h"]!)!);
    const layer =
      cell === "lstm"
        ? tf.layers.lstm({ units: H, returnSequences: true, unitForgetBias: false, recurrentActivation: "sigmoid" })
        : tf.layers.gru({ units: H, returnSequences: true, recurrentActivation: "sigmoid" });
    const initialState = cell === "lstm" ? [h0, c0] : [h0];
    tf.dispose(layer.apply(x, { initialState }) as Tensor);
    const shapes = layer.getWeights().map((w) => w.shape);
    const ws = cell === "lstm" ? kerasLstm(p["h.W"]!, p["h.b"]!, H, X) : kerasGru(p, "h", H, X);
    layer.setWeights(ws.map((w, i) => tf.tensor(w, shapes[i]!)));
    const theirs = layer.apply(x, { initialState }) as Tensor;
    const diff = maxTensorDiff(ours, theirs);
    report.add(`${cell} with initial states`, diff);
    expect(diff).toBeLessThanOrEqual(TOL);
    tf.dispose([ours, theirs, x, h0, c0]);
    layer.dispose();
    model.dispose();
  });
});
