/**
 * The executor's optimisations compute the same loss and gradients as the plain
 * loop (within 1e-5), and really run (each falls back silently otherwise):
 *
 * - hoisting (ExecOptions.hoist) and the fused scan (ExecOptions.fuse, fused.ts),
 *   over the standard cells and a cell that uses every elementwise op, with
 *   padding masks, given initial states (truncated BPTT), reverse scans, and a
 *   body the fused scan does not handle;
 * - matrix products without transposed kernels (tuning.fastMatmul), on wasm;
 * - one-hot products as gathers (tuning.gatherOneHot).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type * as tfTypes from "@tensorflow/tfjs";
import { loadEngine, type Engine } from "../../../src/backends/tfjs/engine.js";
import { TfModel, type ScanStates } from "../../../src/backends/tfjs/exec.js";
import { gathers } from "../../../src/backends/tfjs/custom.js";
import { tuning } from "../../../src/backends/tfjs/ops.js";
import type { ExecOptions } from "../../../src/backends/tfjs/optimize.js";
import { Rng } from "../../../src/runtime/init.js";
import { maxAbsDiff } from "../../helpers/numeric.js";
import { graphOf, randoms, randomWeights, Report } from "./helpers.js";

let engine: Engine;
beforeAll(async () => {
  engine = await loadEngine("cpu");
});

const tuningBefore = { ...tuning };
afterEach(() => Object.assign(tuning, tuningBefore));

const report = new Report();
afterAll(() => report.print("optimised paths: max |gradient - plain loop's gradient|"));

const TOL = 1e-5;
const B = 3;
const T = 6;

const PLAIN: ExecOptions = { hoist: false, fuse: false };
const HOISTED: ExecOptions = { hoist: true, fuse: false };
const FUSED: ExecOptions = { hoist: true, fuse: true };

/** A token model around a cell call (one_hot input, dense + cross-entropy at every step). */
const tokenSpec = (call: string, cells = "") => `${cells}
model m {
  dim T
  vocab v[V] = [a, b, c, d]
  input x: [T] of v
  target y: [T] of v
  h = ${call}(one_hot(x))
  logits = dense<V>(h)
  loss cross_entropy(logits, y)
}
`;

/** A float model around a cell call (mse on its outputs). */
const floatSpec = (call: string, x: number, h: number, cells = "") => `${cells}
model m {
  dim T
  input x: [T, ${x}]
  target y: [T, ${h}]
  h = ${call}(x)
  loss mse(h, y)
}
`;

/**
 * Every elementwise op of the fused interpreter in the loop, products of both
 * forms (W @ v and v @ M), a concat of loop values, unbatched operands (p, 0.5).
 */
const ZOO = `cell zoo<H>(x: [X]) -> [H] {
  param W: [H, X] = glorot
  param U: [H, H] = orthogonal
  param M: [H, H] = glorot
  param V: [H, 2*H] = glorot
  param p: [H] = 0.3
  state h: [H] = 0
  state c: [H] = 0.5
  let a = W @ x + U @ h + h @ M
  let b = relu(a) - leaky_relu(a, alpha: 0.2) * elu(a) + softplus(a) / (abs(a) + 1)
  let d = maximum(b, minimum(a, p)) + sqrt(square(c) + 1) - log(exp(-square(a)) + 1) - -h * 0.1
  c' = tanh(V @ concat(d, c * h)) * sigmoid(a)
  h' = c' - 0.5 * c
  out h'
}
`;

/** Corners of the fused scan: a scalar state broadcast over a vector, the output is the state before the step, a state taken straight from the input, a concat with a parameter multiplied from the left. */
const CORNERS = `cell corners<H>(x: [X]) -> [H] {
  param W: [H, X] = glorot
  param U: [H, H] = orthogonal
  param M: [3*H, H] = glorot
  param q: [H] = 0.2
  state s: [] = 0.5
  state p: [X] = 0
  state h: [H] = 0
  s' = sigmoid(s + 0.1)
  p' = x
  h' = tanh(concat(h, q, 0.5 * h) @ M + W @ p + (U @ h) * s)
  out h
}
`;

/** A cell whose loop has an op the fused scan does not handle (softmax): hoisting runs alone. */
const SOFT = `cell soft<H>(x: [X]) -> [H] {
  param W: [H, X + H] = glorot
  state h: [H] = 0
  h' = softmax(W @ concat(x, h))
  out h'
}
`;

interface Run {
  loss: number;
  grads: Map<string, Float32Array>;
  states: Map<string, Float32Array>;
  hoisted: number;
  fused: number;
}

interface Case {
  spec: string;
  /** Inputs of one batch. */
  inputs: (e: Engine, rng: Rng) => Record<string, tfTypes.Tensor>;
  lengths?: Record<string, number[]>;
  /** Initial states of the model-level scans (as truncated BPTT passes them). */
  initial?: (e: Engine, rng: Rng) => ScanStates;
  /** Every node of the body depends on a state: hoisting alone leaves it to the plain loop, fusing does not. */
  nothingToHoist?: boolean;
}

const tokens = (e: Engine, rng: Rng) => {
  const t = () => e.tf.tensor(Int32Array.from({ length: B * T }, () => Math.floor(rng.next() * 4)), [B, T], "int32");
  return { x: t(), y: t() };
};
const floats = (x: number, h: number) => (e: Engine, rng: Rng) => ({ x: e.tf.tensor(randoms(rng, B * T * x), [B, T, x]), y: e.tf.tensor(randoms(rng, B * T * h), [B, T, h]) });

/** Loss, gradients (by parameter name) and final states of one forward pass with the given options. */
function run(e: Engine, c: Case, options: ExecOptions, fastMatmul: boolean): Run {
  const tf = e.tf;
  tuning.fastMatmul = fastMatmul;
  const graph = graphOf(c.spec);
  const model = new TfModel(graph, e, { V: 4 }, 7);
  Object.assign(model.options, options);
  const rng = new Rng(11);
  model.setWeights(randomWeights(model, rng, 0.5));
  const inputs = c.inputs(e, rng);
  const initial = c.initial?.(e, rng) ?? {};
  const names = new Map([...model.params].map(([name, v]) => [v.name, name]));
  let states = new Map<string, Float32Array>();
  const { value, grads } = tf.variableGrads(() => {
    const r = model.forward(inputs, { T }, c.lengths ?? {}, initial);
    states = new Map(Object.entries(r.states).flatMap(([scan, s]) => Object.entries(s).map(([k, t]) => [`${scan}.${k}`, Float32Array.from(t.dataSync())] as const)));
    return r.loss;
  }, [...model.params.values()]);
  const out: Run = {
    loss: value.dataSync()[0]!,
    grads: new Map(Object.entries(grads).map(([k, g]) => [names.get(k)!, Float32Array.from(g.dataSync())])),
    states,
    hoisted: model.hoistedScans,
    fused: model.fusedScans,
  };
  tf.dispose([value, ...Object.values(grads), ...Object.values(inputs), ...Object.values(initial).flatMap((s) => Object.values(s))]);
  model.dispose();
  return out;
}

/** The largest difference of gradients (and final states) between two runs, after checking the loss. */
function compare(label: string, plain: Run, other: Run): void {
  expect(Math.abs(other.loss - plain.loss), `${label}: loss`).toBeLessThan(TOL);
  let worst = 0;
  for (const [name, g] of plain.grads) {
    const h = other.grads.get(name);
    expect(h, `${label}: gradient of ${name}`).toBeDefined();
    const diff = maxAbsDiff(g, h!);
    expect(diff, `${label}: gradient of ${name}`).toBeLessThan(TOL);
    worst = Math.max(worst, diff);
  }
  for (const [name, s] of plain.states) {
    const diff = maxAbsDiff(s, other.states.get(name)!);
    expect(diff, `${label}: final state ${name}`).toBeLessThan(TOL);
  }
  // Not vacuous: the gradients are not all zero.
  expect([...plain.grads.values()].some((g) => g.some((v) => Math.abs(v) > 1e-3))).toBe(true);
  report.add(label, worst);
}

const CASES: Record<string, Case> = {
  elman: { spec: tokenSpec("elman<5>"), inputs: tokens },
  lstm: { spec: tokenSpec("lstm<5>"), inputs: tokens },
  gru: { spec: tokenSpec("gru<5>"), inputs: tokens },
  gru_reset_after: { spec: floatSpec("gru_reset_after<4>", 3, 4), inputs: floats(3, 4) },
  gru_simplified: { spec: floatSpec("gru_simplified<4>", 3, 4), inputs: floats(3, 4) },
  lstm_peephole: { spec: floatSpec("lstm_peephole<4>", 3, 4), inputs: floats(3, 4) },
  mut1: { spec: floatSpec("mut1<4>", 4, 4), inputs: floats(4, 4) },
  mut2: { spec: floatSpec("mut2<4>", 4, 4), inputs: floats(4, 4) },
  mut3: { spec: floatSpec("mut3<4>", 3, 4), inputs: floats(3, 4) },
  "reverse lstm": { spec: floatSpec("reverse lstm<4>", 3, 4), inputs: floats(3, 4) },
  "bidirectional gru": { spec: floatSpec("bidirectional gru<3>", 3, 6), inputs: floats(3, 6) },
  "every elementwise op, both product forms, a concat in the loop": { spec: floatSpec("zoo<4>", 3, 4, ZOO), inputs: floats(3, 4) },
  "a scalar state, out = the state before the step, a state from the input, a concat with a parameter": {
    spec: floatSpec("corners<4>", 3, 4, CORNERS),
    inputs: floats(3, 4),
    nothingToHoist: true,
  },
  "lstm with padding masks": { spec: floatSpec("lstm<4>", 3, 4), inputs: floats(3, 4), lengths: { T: [6, 4, 1] } },
  "reverse gru with padding masks": { spec: floatSpec("reverse gru<4>", 3, 4), inputs: floats(3, 4), lengths: { T: [2, 6, 5] } },
  "lstm from given initial states (truncated BPTT)": {
    spec: floatSpec("lstm<4>", 3, 4),
    inputs: floats(3, 4),
    initial: (e, rng) => ({ h: { h: e.tf.tensor(randoms(rng, B * 4), [B, 4]), c: e.tf.tensor(randoms(rng, B * 4), [B, 4]) } }),
  },
};

describe("hoisting and fused scans agree with the plain loop (cpu)", () => {
  it.each(Object.keys(CASES))("%s", (name) => {
    const c = CASES[name]!;
    const plain = run(engine, c, PLAIN, false);
    const hoisted = run(engine, c, HOISTED, false);
    const fused = run(engine, c, FUSED, false);
    expect(plain.hoisted).toBe(0);
    if (c.nothingToHoist) expect(hoisted.hoisted).toBe(0);
    else expect(hoisted.hoisted).toBeGreaterThan(0);
    expect(hoisted.fused).toBe(0);
    expect(fused.fused).toBeGreaterThan(0);
    compare(`${name}: hoisted`, plain, hoisted);
    compare(`${name}: fused`, plain, fused);
  });

  it("a loop with an op the fused scan does not handle (softmax) runs hoisted, with the same gradients", () => {
    const c: Case = { spec: floatSpec("soft<4>", 3, 4, SOFT), inputs: floats(3, 4) };
    const plain = run(engine, c, PLAIN, false);
    const fused = run(engine, c, FUSED, false);
    expect(fused.hoisted).toBeGreaterThan(0);
    expect(fused.fused).toBe(0);
    compare("softmax in the loop: fused falls back", plain, fused);
  });

  it.each([
    ["an input projection of one_hot tokens (W @ x, hoisted)", tokenSpec("lstm<5>")],
    ["an embedding of one_hot tokens (x @ W, mapped over T)", tokenSpec("gru<5>", "").replace("h = gru<5>(one_hot(x))", "h = gru<5>(embedding<3>(one_hot(x)))")],
  ])("one-hot products as gathers: %s", (_label, spec) => {
    const c: Case = { spec, inputs: tokens };
    tuning.gatherOneHot = false;
    const plain = run(engine, c, PLAIN, false);
    const before = gathers.count;
    const noGather = run(engine, c, FUSED, false);
    expect(gathers.count).toBe(before);
    tuning.gatherOneHot = true;
    const gathered = run(engine, c, FUSED, false);
    expect(gathers.count).toBeGreaterThan(before);
    compare(`${_label}: matmul`, plain, noGather);
    compare(`${_label}: gather`, plain, gathered);
  });

  it("a one-hot of a token outside the vocabulary (all zeros) is not gathered", () => {
    const c: Case = {
      spec: tokenSpec("lstm<5>"),
      inputs: (e, rng) => {
        const { x, y } = tokens(e, rng);
        const bad = e.tf.tensor(Int32Array.from(x.dataSync(), (v, i) => (i === 4 ? -1 : v)), x.shape, "int32");
        x.dispose();
        return { x: bad, y };
      },
    };
    const plain = run(engine, c, PLAIN, false);
    const before = gathers.count;
    const fused = run(engine, c, FUSED, false);
    expect(gathers.count).toBe(before);
    compare("a token out of range: matmul", plain, fused);
  });

  it("forward passes without gradients (tf.tidy) leave no tensors behind", () => {
    const tf = engine.tf;
    const graph = graphOf(tokenSpec("gru<5>"));
    const model = new TfModel(graph, engine, { V: 4 }, 1);
    const inputs = tokens(engine, new Rng(1));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) tf.tidy(() => model.forward(inputs, { T }).loss).dispose();
    expect(model.fusedScans).toBe(2);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(Object.values(inputs));
    model.dispose();
  });
});

describe("the wasm backend: products without transposed kernels, fused scans", () => {
  let wasm: Engine;
  beforeAll(async () => {
    wasm = await loadEngine("wasm");
  });
  afterAll(async () => {
    engine = await loadEngine("cpu");
  });

  it.each(["lstm", "gru"])("%s: every optimisation on agrees with the plain loop with tfjs's own matMul gradients", (cell) => {
    const c: Case = { spec: tokenSpec(`${cell}<5>`), inputs: tokens };
    const plain = run(wasm, c, PLAIN, false);
    const fastMatmul = run(wasm, c, PLAIN, true);
    const all = run(wasm, c, FUSED, true);
    expect(all.fused).toBeGreaterThan(0);
    compare(`wasm ${cell}: matmuls without transposed kernels`, plain, fastMatmul);
    compare(`wasm ${cell}: all optimisations`, plain, all);
  });

  it("training steps (gradients, Adam) leave no tensors behind", () => {
    const tf = wasm.tf;
    const model = new TfModel(graphOf(tokenSpec("lstm<5>")), wasm, { V: 4 }, 1);
    const inputs = tokens(wasm, new Rng(2));
    const opt = tf.train.adam(0.01);
    const step = () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => model.forward(inputs, { T }).loss, [...model.params.values()]);
        opt.applyGradients(grads as Record<string, tfTypes.Variable>);
        value.dataSync();
      });
    step(); // Adam makes its slots at the first step
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    expect(model.fusedScans).toBe(4);
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    tf.dispose(Object.values(inputs));
    model.dispose();
  });

  it("dense layers, a conv and an attention scan (ctx: the tape-based loop) with products without transposed kernels", () => {
    const spec = `cell att<H>(y: [E], ctx mem: [S, H]) -> [H] {
  param W_a: [H, H] = glorot
  param W: [H, 2*H + E] = glorot
  state h: [H] = 0
  let alpha = softmax(mem @ (W_a @ h))
  h' = tanh(W @ concat(h, y, alpha @ mem))
  out h'
}
model m {
  dim T
  input x: [T, 3]
  target y: [T, 2]
  enc = lstm<3>(relu(conv1d<K=2, F=3, pad=same>(x)))
  dec = att<3>(dense<2>(x), enc)
  loss mse(dense<2>(dec), y)
}
`;
    const c: Case = { spec, inputs: floats(3, 2) };
    const plain = run(wasm, c, PLAIN, false);
    const fast = run(wasm, c, FUSED, true);
    compare("wasm dense + conv + attention: all optimisations", plain, fast);
  });
});
