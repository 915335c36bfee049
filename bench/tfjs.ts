/**
 * Benchmark of the tfjs target: one training step (forward, tf.variableGrads,
 * Adam update) of the char-level LSTM language model of ANCHORS.md (B=32, T=50,
 * V=64 one-hot, H=128, softmax cross-entropy at every step), built from a spec,
 * against the equivalent tfjs-layers model (tf.layers.lstm + a time-distributed
 * softmax dense, trainOnBatch) on the same backend in the same process.
 *
 * Backend: wasm by default; `--backend cpu|wasm|tensorflow` (or SEQC_BENCH_BACKEND).
 * `--ablation` times seqc with the optimisations added one by one (ExecOptions
 * hoist and fuse, ops.ts's tuning switches) instead of the defaults alone.
 */
import type * as tfTypes from "@tensorflow/tfjs";
import { checkProgram } from "../src/check/check.js";
import { buildGraph } from "../src/graph/build.js";
import { loadProgram } from "../src/ir/program.js";
import { loadEngine, type BackendName, type Engine } from "../src/backends/tfjs/engine.js";
import { TfModel, type ExecOptions } from "../src/backends/tfjs/exec.js";
import { tuning } from "../src/backends/tfjs/ops.js";
import { option } from "./args.js";
import { median } from "./check.js";

const B = 32;
const T = 50;
const V = 64;
const H = 128;

const SPEC = `model char_lstm {
  vocab chars[V]
  dim H = ${H}
  dim T
  input x: [T] of chars
  target y: [T] of chars
  h = lstm<H>(one_hot(x))
  logits = dense<V>(h)
  loss cross_entropy(logits, y)
}
`;

export interface TfBenchOptions {
  backend?: BackendName;
  /** Timed steps per implementation (the median is reported); default 5. */
  steps?: number;
  warmup?: number;
  /** Also time seqc with each optimisation switched off. */
  ablation?: boolean;
  log?: (line: string) => void;
}

/** Options from the command line (`--backend NAME`, `--steps N`, `--ablation`) and the environment. */
export function tfBenchOptionsFrom(argv: string[]): TfBenchOptions {
  const backend = (option(argv, "--backend") ?? process.env["SEQC_BENCH_BACKEND"] ?? "wasm") as BackendName;
  const steps = option(argv, "--steps");
  return { backend, ...(steps ? { steps: Number(steps) } : {}), ablation: argv.includes("--ablation") };
}

function seqcGraph() {
  const program = loadProgram("bench_char_lstm.seq", {
    text: SPEC,
    readFile: () => {
      throw new Error("the benchmark spec imports nothing");
    },
  });
  const result = checkProgram(program);
  if (result.diagnostics.length > 0) throw new Error(`bench: the char-LM spec does not check: ${result.diagnostics.map((d) => d.message).join("; ")}`);
  return buildGraph(result.models[0]!);
}

/** Milliseconds per call of step: `warmup` unmeasured calls, then the median of `steps`. */
function timeSteps(step: () => void, warmup: number, steps: number): number {
  for (let i = 0; i < warmup; i++) step();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    step();
    times.push(performance.now() - t0);
  }
  return median(times);
}

export function tokens(tf: Engine["tf"], seed: number): tfTypes.Tensor {
  const data = new Int32Array(B * T);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = (s >>> 16) % V;
  }
  return tf.tensor(data, [B, T], "int32");
}

/** A seqc training step of the char-LM with the given executor options; returns ms/step and the first loss. */
function seqcStep(engine: Engine, x: tfTypes.Tensor, y: tfTypes.Tensor, variant: Variant, warmup: number, steps: number): { ms: number; loss: number } {
  const tf = engine.tf;
  const model = new TfModel(seqcGraph(), engine, { V }, 1);
  Object.assign(model.options, variant.options);
  const tuningBefore = { ...tuning };
  Object.assign(tuning, variant.tuning);
  const vars = [...model.params.values()];
  const opt = tf.train.adam(1e-3);
  let first = Number.NaN;
  const step = () => {
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => model.forward({ x, y }, { T }).loss, vars);
      opt.applyGradients(grads as unknown as Record<string, tfTypes.Variable>);
      return value.dataSync()[0]!;
    });
    if (Number.isNaN(first)) first = loss;
  };
  const ms = timeSteps(step, warmup, steps);
  Object.assign(tuning, tuningBefore);
  opt.dispose();
  model.dispose();
  return { ms, loss: first };
}

/** The tfjs-layers char-LM of ANCHORS.md, compiled for trainOnBatch; `lstm` overrides options of its LSTM layer (e.g. recurrentActivation). */
export function layersCharLm(tf: Engine["tf"], lstm: Partial<Parameters<Engine["tf"]["layers"]["lstm"]>[0]> = {}): tfTypes.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.lstm({ units: H, returnSequences: true, inputShape: [T, V], ...lstm }));
  model.add(tf.layers.timeDistributed({ layer: tf.layers.dense({ units: V, activation: "softmax" }) }));
  model.compile({ optimizer: tf.train.adam(1e-3), loss: "categoricalCrossentropy" });
  return model;
}

/** The tfjs-layers reference of ANCHORS.md (tfjs_layers_lstm_charlm.mjs). */
async function layersStep(engine: Engine, x: tfTypes.Tensor, y: tfTypes.Tensor, warmup: number, steps: number): Promise<number> {
  const tf = engine.tf;
  const model = layersCharLm(tf);
  const xs = tf.oneHot(x, V).toFloat();
  const ys = tf.oneHot(y, V).toFloat();
  for (let i = 0; i < warmup; i++) await model.trainOnBatch(xs, ys);
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    await model.trainOnBatch(xs, ys);
    times.push(performance.now() - t0);
  }
  xs.dispose();
  ys.dispose();
  model.dispose();
  return median(times);
}

interface Variant {
  label: string;
  options: Partial<ExecOptions>;
  tuning: Partial<typeof tuning>;
}

const DEFAULTS: Variant = { label: "defaults", options: {}, tuning: {} };

/** Each optimisation added to the previous ones, in the order they were made. */
const ABLATIONS: Variant[] = [
  { label: "no optimisations", options: { hoist: false, fuse: false }, tuning: { fastTanh: false, fastMatmul: false, gatherOneHot: false } },
  { label: "+ hoisting (W @ concat split)", options: { hoist: true, fuse: false }, tuning: { fastTanh: false, fastMatmul: false, gatherOneHot: false } },
  { label: "+ tanh as 2 sigmoid(2x) - 1", options: { hoist: true, fuse: false }, tuning: { fastTanh: true, fastMatmul: false, gatherOneHot: false } },
  { label: "+ matmuls without transposed kernels", options: { hoist: true, fuse: false }, tuning: { fastTanh: true, fastMatmul: true, gatherOneHot: false } },
  { label: "+ fused scans", options: { hoist: true, fuse: true }, tuning: { fastTanh: true, fastMatmul: true, gatherOneHot: false } },
  { label: "+ one-hot gathers (not on wasm; all on)", options: { hoist: true, fuse: true }, tuning: { fastTanh: true, fastMatmul: true, gatherOneHot: true } },
];

export async function benchTfjs(opts: TfBenchOptions = {}): Promise<void> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const engine = await loadEngine(opts.backend ?? "wasm");
  const tf = engine.tf;
  const steps = opts.steps ?? 5;
  const warmup = opts.warmup ?? 2;
  const x = tokens(tf, 1);
  const y = tokens(tf, 2);
  const perTok = (ms: number) => ((B * T) / ms) * 1000;
  log(`char-LM LSTM training step (B=${B}, T=${T}, V=${V} one-hot, H=${H}, Adam, softmax cross-entropy per step), ${engine.backend} backend, median of ${steps} steps after ${warmup} warm-up`);
  const layers = await layersStep(engine, x, y, warmup, steps);
  const rows: { label: string; ms: number; loss: number }[] = [];
  if (opts.ablation) {
    for (const a of ABLATIONS) {
      const r = seqcStep(engine, x, y, a, warmup, steps);
      rows.push({ label: `seqc ${a.label}`, ms: r.ms, loss: r.loss });
    }
  } else {
    const r = seqcStep(engine, x, y, DEFAULTS, warmup, steps);
    rows.push({ label: "seqc", ms: r.ms, loss: r.loss });
  }
  const pad = (s: string, n: number) => (s.length >= n ? s : " ".repeat(n - s.length) + s);
  log(`  ${"implementation".padEnd(44)}${pad("ms/step", 10)}${pad("tokens/s", 11)}${pad("ratio", 8)}${pad("loss", 9)}`);
  log(`  ${"tfjs-layers (tf.layers.lstm, trainOnBatch)".padEnd(44)}${pad(layers.toFixed(1), 10)}${pad(perTok(layers).toFixed(0), 11)}${pad("1.00", 8)}`);
  for (const r of rows) log(`  ${r.label.padEnd(44)}${pad(r.ms.toFixed(1), 10)}${pad(perTok(r.ms).toFixed(0), 11)}${pad((layers / r.ms).toFixed(2), 8)}${pad(r.loss.toFixed(4), 9)}`);
  const last = rows[rows.length - 1]!;
  log(`  ratio seqc/tfjs-layers (tokens/s): ${(layers / last.ms).toFixed(2)}x`);
  x.dispose();
  y.dispose();
}
