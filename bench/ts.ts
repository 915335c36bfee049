/**
 * Benchmark of the ts target: one training step (forward, backward, optimizer
 * step, same batch every step) of the standalone trainer that `seqc compile
 * --target ts` emits, against the equivalent tfjs-layers model trained with
 * `model.trainOnBatch` (the standard Keras step, as ANCHORS.md measures it) on
 * a tfjs backend (wasm by default) in the same process. Two configs of
 * ../shared/bench/ANCHORS.md:
 *
 * 1. The small Elman RNN (B=10, T=5, V=3 one-hot, H=4, a sigmoid dense<1> per
 *    step, MSE, SGD): tfjs-layers simpleRNN + timeDistributed dense, sgd(0.5),
 *    meanSquaredError (tfjs_layers_small_elman.mjs). Also timed: the same
 *    model stepped by `optimizer.minimize` (no trainOnBatch bookkeeping).
 * 2. The char-LM LSTM of bench/tfjs.ts (B=32, T=50, V=64 one-hot, H=128,
 *    dense<V>, softmax cross-entropy per step, Adam 1e-3), its tfjs-layers
 *    model imported from there: as ANCHORS.md (tfjs's default LSTM gate
 *    activation, hardSigmoid) and with recurrentActivation "sigmoid" (the
 *    spec's equations). The emitted trainer in f32 and, for reference, f64.
 *
 * The specs are inline. The emitted files are transpiled into a temporary
 * directory and imported, optimizer included (optim.js of the emitted
 * runtime), so the measured code is the emitted code.
 *
 * Loss conventions: seqc's losses are summed over time (mse with a 1/2) and
 * averaged over the batch; Keras averages over batch and time. So seqc's loss
 * is (T/2) x Keras's for mse and T x for cross-entropy; the Elman spec's SGD
 * rate is 0.5 / (T/2) = 0.2, which makes its updates those of sgd(0.5) in
 * tfjs (Adam is invariant to the scale). Losses are printed in Keras's scale.
 * All implementations of a config start from the tfjs-layers model's initial
 * weights (copied into the emitted models, transposed and with the LSTM's
 * gate blocks reordered); before timing, the emitted f32 trainer and
 * tfjs-layers are stepped side by side and must give the same losses (for the
 * LSTM, the reference with sigmoid gates).
 *
 * Timing: implementations are interleaved round by round (fairer on a noisy
 * shared machine) after a warm-up, and the median over the rounds is
 * reported. LSTM: one step per round, training on. Elman: a round is a run of
 * ~100 ms (at least 10 steps) from the initial weights again (reset untimed),
 * so the loss check means the same for a trainer that does 30 steps and one
 * that does 30,000 (SGD at this rate wanders once converged). The benchmark
 * fails if a loss does not decrease (over each run for the Elman, over the
 * timed steps for the LSTM), the parameter counts differ, or the models do
 * not step alike.
 *
 * Options: `--steps N` timed repetitions per implementation (default 10),
 * `--backend cpu|wasm|tensorflow` for tfjs (default wasm, or SEQC_BENCH_BACKEND).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type * as tfTypes from "@tensorflow/tfjs";
import { specSettings } from "../src/backends/settings.js";
import { loadEngine, type BackendName, type Engine } from "../src/backends/tfjs/engine.js";
import { emitFiles, outputFiles, runtimeSources } from "../src/backends/ts/compile.js";
import type { Batch, Buf, CompiledModel, Dims, ModelInfo } from "../src/runtime/model-api.js";
import type { createOptimizer } from "../src/runtime/optim.js";
import { checkProgram } from "../src/check/check.js";
import { buildGraph } from "../src/graph/build.js";
import { loadProgram } from "../src/ir/program.js";
import type { KernelOptions } from "../src/kernel/lower.js";
import { median } from "./check.js";
import { option } from "./args.js";
import { layersCharLm, tokens } from "./tfjs.js";

export interface TsBenchOptions {
  /** tfjs backend of the references (default wasm). */
  backend?: BackendName;
  /** Timed repetitions per implementation (the median is reported); default 10. */
  steps?: number;
  log?: (line: string) => void;
}

/** Options from the command line (`--backend NAME`, `--steps N`) and the environment. */
export function tsBenchOptionsFrom(argv: string[]): TsBenchOptions {
  const backend = (option(argv, "--backend") ?? process.env["SEQC_BENCH_BACKEND"] ?? "wasm") as BackendName;
  const steps = option(argv, "--steps");
  if (steps !== undefined && !(Number.isInteger(Number(steps)) && Number(steps) >= 2)) throw new Error(`bench ts: --steps ${steps}: give a whole number >= 2`);
  return { backend, ...(steps !== undefined ? { steps: Number(steps) } : {}) };
}

// ------------------------------------------------------------------ specs

export const ELMAN = { B: 10, T: 5, V: 3, H: 4 };
const LSTM = { B: 32, T: 50, V: 64, H: 128 };

export const ELMAN_SPEC = `model elman_toy {
  vocab sym[V]
  dim H = ${ELMAN.H}
  dim T
  input x: [T] of sym
  target y: [T, 1]
  h = elman<H>(one_hot(x))
  p = sigmoid(dense<1>(h))
  loss mse(p, y)
  train { optimizer: sgd(lr: ${0.5 / (ELMAN.T / 2)}) }
}
`;

/** The char-LM spec of ANCHORS.md with `H` hidden units and Adam at `lr`. */
export function charLmSpec(H: number, lr = 0.001): string {
  return `model char_lstm {
  vocab chars[V]
  dim H = ${H}
  dim T
  input x: [T] of chars
  target y: [T] of chars
  h = lstm<H>(one_hot(x))
  logits = dense<V>(h)
  loss cross_entropy(logits, y)
  train { optimizer: adam(lr: ${lr}) }
}
`;
}

// ------------------------------------------------------------------ the emitted trainer

export interface Trainer {
  model: CompiledModel;
  info: ModelInfo;
  makeOptimizer: () => ReturnType<typeof createOptimizer>;
}

/**
 * Compiles an inline spec with the ts target, transpiles and imports model.js and optim.js from a temporary
 * directory. `kernel`: the lowering's speed choices (all on unless given; bench/ts-steps.ts turns them off).
 */
export async function emitTrainer(file: string, text: string, precision: "f32" | "f64", dims: Dims, maxBatch: number, kernel: Partial<KernelOptions> = {}): Promise<Trainer> {
  const program = loadProgram(file, {
    text,
    readFile: () => {
      throw new Error("the benchmark specs import nothing");
    },
  });
  const result = checkProgram(program);
  const errors = [...program.diagnostics, ...result.diagnostics];
  if (errors.length > 0) throw new Error(`bench ts: ${file} does not check: ${errors.map((d) => d.message).join("; ")}`);
  const checked = result.models[0]!;
  const files = emitFiles(buildGraph(checked), program.sources, specSettings(checked.model), { file, source: text }, { precision, kernel }, runtimeSources());
  const dir = mkdtempSync(join(tmpdir(), "seqc-bench-ts-"));
  try {
    for (const [name, body] of Object.entries(outputFiles(files, { js: true }))) writeFileSync(join(dir, name), body);
    const mod = (await import(pathToFileURL(join(dir, "model.js")).href)) as { INFO: ModelInfo; createModel: (dims: Dims, maxBatch: number) => CompiledModel };
    const optim = (await import(pathToFileURL(join(dir, "optim.js")).href)) as { createOptimizer: typeof createOptimizer };
    const model = mod.createModel(dims, maxBatch);
    model.init(1);
    const info = mod.INFO;
    return { model, info, makeOptimizer: () => optim.createOptimizer(info.settings.optimizer, model.params.length, info.precision, model.optimizerMemory) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A training step of the emitted trainer as its trainer.ts does it (no weight decay or clipping: the specs set none), the loss divided by `scale`; reset restores the current weights and a fresh optimizer. */
function trainerStepper(t: Trainer, batch: Batch, scale: number): { step: () => number; reset: () => void } {
  const { model } = t;
  const initial = model.params.slice();
  let opt = t.makeOptimizer();
  return {
    step: () => {
      const loss = model.forward(batch);
      model.backward();
      opt.step(model.params, model.grads);
      return loss / scale;
    },
    reset: () => {
      model.params.set(initial);
      opt = t.makeOptimizer();
    },
  };
}

/** dst (rows x cols, row-major, at off) = src^T, src being cols x rows. */
function putTransposed(dst: Buf, off: number, rows: number, cols: number, src: ArrayLike<number>): void {
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) dst[off + r * cols + c] = src[c * rows + r]!;
}

function param(model: CompiledModel, name: string): { offset: number; size: number; shape: number[] } {
  const p = model.layout[name];
  if (!p) throw new Error(`bench ts: the emitted model has no parameter ${name} (it has ${Object.keys(model.layout).join(", ")})`);
  return p;
}

// ------------------------------------------------------------------ timing

interface Impl {
  label: string;
  params: number;
  /** One training step; returns the loss before the update, in Keras's scale. */
  step: () => number | Promise<number>;
  /** When given, each timed repetition trains from the initial weights: called (untimed) before each. */
  reset?: () => void;
  /** Steps per timed repetition. */
  group: number;
  /** ms/step of each repetition. */
  times: number[];
  /** The losses of each repetition's steps. */
  runs: number[][];
}

function impl(label: string, params: number, step: () => number | Promise<number>, reset?: () => void): Impl {
  return { label, params, step, ...(reset ? { reset } : {}), group: 1, times: [], runs: [] };
}

async function run(impl: Impl): Promise<number> {
  const r = impl.step();
  return typeof r === "number" ? r : await r;
}

/** Warm-up (at least `warmup` steps and `warmupMs`), then the group size for ~`groupMs` per repetition, at least `minGroup` (1 step if groupMs is 0). */
async function prepare(impl: Impl, warmup: number, warmupMs: number, groupMs: number, minGroup = 1): Promise<void> {
  const t0 = performance.now();
  for (let i = 0; i < warmup || performance.now() - t0 < warmupMs; i++) await run(impl);
  if (groupMs > 0) {
    let n = 0;
    const t1 = performance.now();
    while (performance.now() - t1 < groupMs / 2 || n < 2) {
      await run(impl);
      n++;
    }
    impl.group = Math.max(minGroup, Math.round((groupMs * n) / (performance.now() - t1)));
  }
  impl.reset?.();
}

/** Times the implementations interleaved: `reps` rounds, each a group of steps of every implementation. */
async function timeRounds(impls: Impl[], reps: number): Promise<void> {
  for (let r = 0; r < reps; r++) {
    for (const impl of impls) {
      impl.reset?.();
      const losses: number[] = [];
      const t0 = performance.now();
      for (let i = 0; i < impl.group; i++) losses.push(await run(impl));
      impl.times.push((performance.now() - t0) / impl.group);
      impl.runs.push(losses);
    }
  }
}

// ------------------------------------------------------------------ report

const pad = (s: string, n: number) => (s.length >= n ? s : " ".repeat(n - s.length) + s);

/**
 * Prints the table of a config; returns the problems found: a loss that does
 * not decrease (over each repetition when they start from the initial
 * weights, else over all timed steps), parameter counts that differ.
 */
function report(log: (l: string) => void, impls: Impl[], reference: Impl, tokensPerStep: number): string[] {
  const problems: string[] = [];
  log(`  ${"implementation".padEnd(48)}${pad("params", 8)}${pad("steps", 7)}${pad("ms/step", 10)}${pad("tokens/s", 11)}${pad("speed-up", 10)}   loss first -> last`);
  const refMs = median(reference.times);
  for (const i of impls) {
    const ms = median(i.times);
    const spans = i.reset ? i.runs : [i.runs.flat()];
    for (const s of spans) {
      if (!(s[s.length - 1]! < s[0]!)) {
        problems.push(`${i.label}: the loss did not decrease over ${i.reset ? "a repetition" : "the timed steps"} (${s[0]} -> ${s[s.length - 1]})`);
        break;
      }
    }
    const shown = spans[spans.length - 1]!;
    const digits = ms < 0.1 ? 4 : ms < 10 ? 3 : 1;
    log(
      `  ${i.label.padEnd(48)}${pad(String(i.params), 8)}${pad(String(i.runs.flat().length), 7)}${pad(ms.toFixed(digits), 10)}${pad(((tokensPerStep / ms) * 1000).toFixed(0), 11)}${pad(`${(refMs / ms).toFixed(2)}x`, 10)}   ${shown[0]!.toFixed(5)} -> ${shown[shown.length - 1]!.toFixed(5)} (${shown.length} steps)`,
    );
    if (i.params !== reference.params) problems.push(`${i.label}: ${i.params} parameters, the tfjs-layers model has ${reference.params}`);
  }
  return problems;
}

/** Steps both from the same weights and compares the losses (Keras's scale): returns the largest relative difference. */
async function lockstep(a: () => number | Promise<number>, b: () => number | Promise<number>, steps: number): Promise<{ worst: number; losses: [number, number][] }> {
  let worst = 0;
  const losses: [number, number][] = [];
  for (let i = 0; i < steps; i++) {
    const la = await a();
    const lb = await b();
    losses.push([la, lb]);
    worst = Math.max(worst, Math.abs(la - lb) / Math.max(Math.abs(la), 1e-12));
  }
  return { worst, losses };
}

const EQUIVALENCE_STEPS = 3;
const EQUIVALENCE_TOLERANCE = 1e-4;

function equivalence(log: (l: string) => void, what: string, r: { worst: number; losses: [number, number][] }): string[] {
  log(`  same weights, ${EQUIVALENCE_STEPS} steps: ${what} losses ${r.losses.map(([a, b]) => `${a.toFixed(6)}/${b.toFixed(6)}`).join(", ")}; largest relative difference ${r.worst.toExponential(1)}`);
  return r.worst <= EQUIVALENCE_TOLERANCE ? [] : [`${what}: the models differ (relative loss difference ${r.worst.toExponential(2)} > ${EQUIVALENCE_TOLERANCE})`];
}

// ------------------------------------------------------------------ 1. small Elman RNN

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return (s >>> 8) / 16777216;
  };
}

async function benchElman(engine: Engine, reps: number, log: (l: string) => void): Promise<string[]> {
  const tf = engine.tf;
  const { B, T, V, H } = ELMAN;
  const rand = lcg(7);
  const xData = Int32Array.from({ length: B * T }, () => Math.floor(rand() * V));
  const yData = Float32Array.from({ length: B * T }, () => rand());
  log(`small Elman RNN training step (B=${B}, T=${T}, V=${V} one-hot, H=${H}, sigmoid dense<1> per step, MSE, SGD 0.5 in Keras's scale), tfjs ${engine.backend} backend`);

  // tfjs_layers_small_elman.mjs of ANCHORS.md.
  const build = (): tfTypes.Sequential => {
    const m = tf.sequential();
    m.add(tf.layers.simpleRNN({ units: H, returnSequences: true, inputShape: [T, V] }));
    m.add(tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 1, activation: "sigmoid" }) }));
    m.compile({ optimizer: tf.train.sgd(0.5), loss: "meanSquaredError" });
    return m;
  };
  const xs = tf.oneHot(tf.tensor(xData, [B, T], "int32"), V).toFloat();
  const ys = tf.tensor(yData, [B, T, 1]);

  // Every implementation starts from the weights tfjs-layers initialised, and each timed repetition trains from them again.
  const layers = build();
  const initial = layers.getWeights().map((w) => w.clone());
  const layersImpl = impl(
    "tfjs-layers simpleRNN, trainOnBatch",
    layers.countParams(),
    async () => (await layers.trainOnBatch(xs, ys)) as number,
    () => layers.setWeights(initial),
  );

  // The same model stepped by optimizer.minimize of the same loss.
  const lean = build();
  lean.setWeights(initial);
  const sgd = tf.train.sgd(0.5);
  const leanStep = () =>
    tf.tidy(() => {
      const loss = sgd.minimize(() => tf.losses.meanSquaredError(ys, lean.apply(xs, { training: true }) as tfTypes.Tensor) as tfTypes.Scalar, true);
      return loss!.dataSync()[0]!;
    });
  const leanImpl = impl("tfjs-layers simpleRNN, optimizer.minimize", lean.countParams(), leanStep, () => lean.setWeights(initial));

  // Keras: h = tanh(x K + h R + b), p = sigmoid(h D + d); seqc: tanh(W x + U h + b), sigmoid(W h + b).
  const [k, rk, b, dk, db] = initial.map((w) => w.dataSync());
  const seqc: Impl[] = [];
  const problems: string[] = [];
  for (const precision of ["f32", "f64"] as const) {
    const t = await emitTrainer("bench_elman.seq", ELMAN_SPEC, precision, { V, T }, B);
    const p = t.model.params;
    putTransposed(p, param(t.model, "h.W").offset, H, V, k!);
    putTransposed(p, param(t.model, "h.U").offset, H, H, rk!);
    p.set(b!, param(t.model, "h.b").offset);
    putTransposed(p, param(t.model, "p.dense.W").offset, 1, H, dk!);
    p.set(db!, param(t.model, "p.dense.b").offset);
    const batch: Batch = { size: B, dims: { T }, fields: { x: xData, y: precision === "f32" ? Float32Array.from(yData) : Float64Array.from(yData) } };
    const { step, reset } = trainerStepper(t, batch, T / 2);
    const s = impl(`seqc ts target, emitted trainer (${precision})`, p.length, step, reset);
    if (precision === "f32") {
      problems.push(...equivalence(log, "tfjs-layers/seqc f32", await lockstep(layersImpl.step, s.step, EQUIVALENCE_STEPS)));
      layersImpl.reset!();
    }
    reset();
    seqc.push(s);
  }

  const all = [layersImpl, leanImpl, ...seqc];
  for (const i of all) await prepare(i, 10, 300, 100, 10);
  await timeRounds(all, reps);
  log(`  median of ${reps} interleaved repetitions of ~100 ms (${all.map((i) => i.group).join("/")} steps, each from the same initial weights) after a warm-up; speed-up against trainOnBatch`);
  problems.push(...report(log, all, layersImpl, B * T));
  const f32 = median(seqc[0]!.times);
  log(`  emitted trainer (f32) vs tfjs-layers: ${(median(layersImpl.times) / f32).toFixed(0)}x faster per step than trainOnBatch (goal >= 100x), ${(median(leanImpl.times) / f32).toFixed(0)}x than optimizer.minimize`);
  for (const w of [xs, ys, ...initial]) w.dispose();
  layers.dispose();
  lean.dispose();
  sgd.dispose();
  return problems;
}

// ------------------------------------------------------------------ 2. char-LM LSTM

/**
 * The weights of the tfjs-layers char-LM (lstm kernel, recurrent kernel, bias, dense kernel, dense bias, as
 * getWeights gives them) as the seqc char-LM's parameters by name. Keras: z = x K + h R + b, gate blocks
 * (i, f, c, o) along columns; seqc: W [h; x] + b, blocks (i, f, o, g) along rows.
 */
export function kerasCharLmToSeqc([k, rk, b, dk, db]: ArrayLike<number>[], H: number, V: number): Record<string, Float32Array> {
  const W = new Float32Array(4 * H * (H + V));
  const bias = new Float32Array(4 * H);
  const G = 4 * H;
  const keras = [0, 1, 3, 2]; // seqc block -> Keras block
  for (let blk = 0; blk < 4; blk++) {
    for (let j = 0; j < H; j++) {
      const row = blk * H + j;
      const col = keras[blk]! * H + j;
      for (let i = 0; i < H; i++) W[row * (H + V) + i] = rk![i * G + col]!;
      for (let i = 0; i < V; i++) W[row * (H + V) + H + i] = k![i * G + col]!;
      bias[row] = b![col]!;
    }
  }
  const dense = new Float32Array(V * H);
  putTransposed(dense, 0, V, H, dk!);
  return { "h.W": W, "h.b": bias, "logits.W": dense, "logits.b": Float32Array.from(db!) };
}

async function benchLstm(engine: Engine, reps: number, log: (l: string) => void): Promise<string[]> {
  const tf = engine.tf;
  const { B, T, V, H } = LSTM;
  const x = tokens(tf, 1);
  const y = tokens(tf, 2);
  const xData = x.dataSync() as Int32Array;
  const yData = y.dataSync() as Int32Array;
  const xs = tf.oneHot(x, V).toFloat();
  const ys = tf.oneHot(y, V).toFloat();
  log(`char-LM LSTM training step (B=${B}, T=${T}, V=${V} one-hot, H=${H}, dense<V>, softmax cross-entropy per step, Adam 1e-3), tfjs ${engine.backend} backend`);

  // Both tfjs-layers models and the emitted ones start from the same weights.
  const sigm = layersCharLm(tf, { recurrentActivation: "sigmoid" });
  const initial = sigm.getWeights().map((w) => w.clone());
  const anchors = layersCharLm(tf);
  anchors.setWeights(initial);
  const anchorsImpl = impl("tfjs-layers lstm (ANCHORS: hardSigmoid gates)", anchors.countParams(), async () => (await anchors.trainOnBatch(xs, ys)) as number);
  const sigmImpl = impl("tfjs-layers lstm, recurrentActivation sigmoid", sigm.countParams(), async () => (await sigm.trainOnBatch(xs, ys)) as number);

  const [k, rk, b, dk, db] = initial.map((w) => w.dataSync());
  const problems: string[] = [];
  const seqc: Impl[] = [];
  for (const precision of ["f32", "f64"] as const) {
    const t = await emitTrainer("bench_char_lstm.seq", charLmSpec(LSTM.H), precision, { V, T }, B);
    const p = t.model.params;
    for (const [name, values] of Object.entries(kerasCharLmToSeqc([k!, rk!, b!, dk!, db!], H, V))) p.set(values, param(t.model, name).offset);
    const batch: Batch = { size: B, dims: { T }, fields: { x: xData, y: yData } };
    const { step } = trainerStepper(t, batch, T);
    const s = impl(`seqc ts target, emitted trainer (${precision})`, p.length, step);
    if (precision === "f32") problems.push(...equivalence(log, "tfjs-layers (sigmoid gates)/seqc f32", await lockstep(sigmImpl.step, s.step, EQUIVALENCE_STEPS)));
    seqc.push(s);
  }

  const all = [anchorsImpl, sigmImpl, ...seqc];
  for (const i of all) await prepare(i, 2, 0, 0);
  await timeRounds(all, reps);
  log(`  median of ${reps} interleaved steps after 2 warm-up steps; speed-up against the ANCHORS reference`);
  problems.push(...report(log, all, anchorsImpl, B * T));
  const f32 = median(seqc[0]!.times);
  log(
    `  emitted trainer (f32) vs tfjs-layers: ${(median(anchorsImpl.times) / f32).toFixed(2)}x (ANCHORS reference), ${(median(sigmImpl.times) / f32).toFixed(2)}x (sigmoid gates) faster per step (goal > 1x)`,
  );
  for (const t of [x, y, xs, ys, ...initial]) t.dispose();
  anchors.dispose();
  sigm.dispose();
  return problems;
}

// ------------------------------------------------------------------ entry

export async function benchTs(opts: TsBenchOptions = {}): Promise<void> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const reps = opts.steps ?? 10;
  const engine = await loadEngine(opts.backend ?? "wasm");
  const problems = [...(await benchElman(engine, reps, log))];
  log("");
  problems.push(...(await benchLstm(engine, reps, log)));
  if (problems.length > 0) throw new Error(`the ts benchmark's checks failed:\n  ${problems.join("\n  ")}`);
}
