/**
 * The differential runner: one spec text, every target, one verdict.
 *
 * For a spec that checks, with the same weights and the same examples:
 *  - the ts target in f64 runs each example alone (its batches never pad);
 *    their mean loss and gradient are the reference;
 *  - its gradient equals 4-point central differences of its own loss
 *    (relative error <= 1e-6 where not tiny; test/helpers/gradcheck.ts);
 *  - the tfjs target (cpu, and wasm) runs all examples as one batch padded to
 *    the longest, with the per-example lengths: its loss and every gradient
 *    must equal the reference within 1e-4 of the tensor's scale.
 * So a padded batch equals its examples run one by one, and every target
 * equals every other. A spec the checker accepts must do all of this or be
 * refused by a target with a located message; anything else is a failure.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type * as tfTypes from "@tensorflow/tfjs";
import type { Graph } from "../../src/graph/graph.js";
import { compileInline } from "../helpers/spec.js";
import { DEFAULTS } from "../../src/backends/settings.js";
import { emitFiles, outputFiles, runtimeSources, TsTargetError } from "../../src/backends/ts/compile.js";
import type { Batch, CompiledModel, Dims, ModelInfo } from "../../src/runtime/model-api.js";
import { loadEngine, type Engine } from "../../src/backends/tfjs/engine.js";
import { TfModel } from "../../src/backends/tfjs/exec.js";
import { axisSize, perturb, randomBatch, Rng, vocabSize } from "../helpers/emitted.js";
import { compiledLoss, F64_CHECK, gradientCheck } from "../helpers/gradcheck.js";
import { maxAbs } from "../helpers/numeric.js";

export const FD_RTOL = F64_CHECK.rtol;
export const TFJS_RTOL = 1e-4;

export type Verdict =
  | { kind: "rejected"; stage: "check"; messages: string[] }
  | { kind: "refused"; stage: "ts"; message: string }
  | { kind: "ran"; worst: Record<Pair, number>; failures: string[]; examples: number; lengths: Record<string, number[]> };

export type Pair = "ts-f64 vs fd" | "tfjs-cpu vs ts-f64" | "tfjs-wasm vs ts-f64";

/** The transpiled runtime, once per process; each model's model.js is written beside it. */
let runtimeDir: string | undefined;
let counter = 0;

function runtime(): string {
  if (runtimeDir) return runtimeDir;
  runtimeDir = mkdtempSync(join(tmpdir(), "seqc-diff-"));
  const files = outputFiles(runtimeSources(), { js: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(runtimeDir, name), text);
  process.once("exit", () => rmSync(runtimeDir!, { recursive: true, force: true }));
  return runtimeDir;
}

/** The checked graph of the spec's model (by name; default the first), or the checker's messages. */
export function graphOrMessages(text: string, file = "gen.seq", name?: string): { graph: Graph; sources: Map<string, string> } | { messages: string[] } {
  const c = compileInline(text, { file, ...(name !== undefined ? { model: name } : {}) });
  const errors = c.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0 || !c.graph) return { messages: errors.map((d) => `${d.code}: ${d.message}`) };
  return { graph: c.graph, sources: c.program.sources };
}

interface TsModule {
  INFO: ModelInfo;
  createModel: (dims: Dims, maxBatch: number) => CompiledModel;
}

async function emitTs(graph: Graph, sources: Map<string, string>, text: string, file: string): Promise<TsModule> {
  const files = emitFiles(graph, sources, DEFAULTS, { file, source: text }, { precision: "f64" }, {});
  const js = outputFiles({ "model.ts": files["model.ts"]! }, { js: true })["model.js"]!;
  const path = join(runtime(), `model-${process.pid}-${counter++}.js`);
  writeFileSync(path, js.replaceAll(`from "./model.js"`, `from "./${path}"`));
  return (await import(pathToFileURL(path).href)) as TsModule;
}

async function engine(name: "cpu" | "wasm"): Promise<Engine> {
  // Both backends live in one tf instance: select the one asked for each time.
  const e = await loadEngine(name);
  if (e.tf.getBackend() !== name) await e.tf.setBackend(name);
  return e;
}

export interface RunOptions {
  seed: number;
  /** Examples in the batch. */
  examples?: number;
  /** Per-example lengths of each length dim are drawn from [min, max] (rounded up to the dim's multiple). */
  minLength?: number;
  maxLength?: number;
  /** Backends of tfjs to compare (default both). */
  backends?: ("cpu" | "wasm")[];
  /** Skip the finite-difference check (it is the slowest part). */
  noFd?: boolean;
  /** The model to run, by name (default the spec's last). */
  model?: string;
  /** The spec's file name (in messages and the emitted INFO). */
  file?: string;
  /**
   * Training mode, for the reference run only (setTraining): example b's dropout masks are drawn from the seed
   * dropout + b, batch_normalize uses the batch's statistics and moves the running ones.
   */
  dropout?: number;
}


/**
 * The padded batch of examples as tfjs tensors: each field padded along its
 * length axes to the longest example with junk (random tokens, 7.5 for
 * floats), so that a missing mask shows.
 */
function padded(tf: Engine["tf"], info: ModelInfo, examples: Batch[], maxDims: Dims, rng: Rng): Record<string, tfTypes.Tensor> {
  const out: Record<string, tfTypes.Tensor> = {};
  for (const f of info.fields) {
    const shape = f.shape.map((d) => axisSize(d, maxDims));
    const size = shape.reduce((a, b) => a * b, 1);
    const data = f.dtype === "int32" ? new Int32Array(size * examples.length) : new Float32Array(size * examples.length);
    const V = f.dtype === "int32" ? vocabSize(info, f.vocab!, maxDims) : 0;
    examples.forEach((ex, b) => {
      const own = f.shape.map((d) => axisSize(d, ex.dims));
      const src = ex.fields[f.name]!;
      for (let i = 0; i < size; i++) {
        // Row-major index i of the padded shape -> the example's own index, or padding.
        let rest = i;
        let j = 0;
        let inside = true;
        for (let a = 0; a < shape.length; a++) {
          const stride = shape.slice(a + 1).reduce((x, y) => x * y, 1);
          const k = Math.floor(rest / stride);
          rest %= stride;
          if (k >= own[a]!) inside = false;
          j = j * own[a]! + k;
        }
        data[b * size + i] = inside ? src[j]! : f.dtype === "int32" ? Math.floor(rng.next() * V) : 7.5;
      }
    });
    out[f.name] = f.dtype === "int32" ? tf.tensor(data, [examples.length, ...shape], "int32") : tf.tensor(data, [examples.length, ...shape]);
  }
  return out;
}

/**
 * The reference run of a spec: the ts target in f64 on each example alone,
 * from weights moved off the spec's initialisers; their mean loss and
 * gradient, and (unless noFd) its gradient against finite differences.
 */
export interface Reference {
  graph: Graph;
  sources: Map<string, string>;
  info: ModelInfo;
  /** The values of the free dims that are not lengths (data vocabularies: 5 tokens). */
  fixed: Dims;
  lengths: Record<string, number[]>;
  maxDims: Dims;
  /** The examples, each a batch of one. */
  examples: Batch[];
  /** The weights by parameter name. */
  weights: Record<string, Float64Array>;
  loss: number;
  grads: Record<string, Float64Array>;
  failures: string[];
  fdWorst: number;
  rng: Rng;
  /** With RunOptions.dropout: the seed of each example's dropout masks. */
  dropoutSeeds?: number[];
  /**
   * With RunOptions.dropout, for a model with running statistics (params that are not trained): their values after
   * each example's forward pass, which started from `weights`.
   */
  running?: Record<string, Float64Array>[];
}

/** The reference run (see Reference), or why the spec does not get one. */
export async function reference(text: string, opts: RunOptions): Promise<Reference | Exclude<Verdict, { kind: "ran" }>> {
  const file = opts.file ?? "gen.seq";
  const g = graphOrMessages(text, file, opts.model);
  if ("messages" in g) return { kind: "rejected", stage: "check", messages: g.messages };
  const { graph, sources } = g;
  let ts: TsModule;
  try {
    ts = await emitTs(graph, sources, text, file);
  } catch (e) {
    if (e instanceof TsTargetError) return { kind: "refused", stage: "ts", message: e.message };
    throw e;
  }
  const info = ts.INFO;
  const rng = new Rng(opts.seed);
  const B = opts.examples ?? 3;
  const minLength = opts.minLength ?? 2;
  const maxLength = opts.maxLength ?? 5;
  // Fixed dims for the run: data vocabularies (5 tokens); lengths vary per example.
  const vocabDims = new Set(info.vocabs.flatMap((v) => (v.sizeDim && !v.tokens ? [v.sizeDim] : [])));
  const fixed: Dims = {};
  for (const d of info.dims) if (d.value === undefined && vocabDims.has(d.name)) fixed[d.name] = 5;
  const lengths: Record<string, number[]> = {};
  for (const d of info.dims) {
    if (d.value !== undefined || vocabDims.has(d.name)) continue;
    const lo = Math.ceil(minLength / d.multiple) * d.multiple;
    const hi = Math.max(lo, Math.floor(maxLength / d.multiple) * d.multiple);
    lengths[d.name] = Array.from({ length: B }, () => lo + d.multiple * Math.floor(rng.next() * ((hi - lo) / d.multiple + 1)));
  }
  const dimsOf = (b: number): Dims => ({ ...fixed, ...Object.fromEntries(Object.entries(lengths).map(([k, v]) => [k, v[b]!])) });
  // The batch's length: the longest example's, or (odd seeds) one unit more, so that every example is padded,
  // as in a batch that is not trimmed to its own longest example.
  const unit = (k: string) => info.dims.find((d) => d.name === k)!.multiple;
  const maxDims: Dims = { ...fixed, ...Object.fromEntries(Object.entries(lengths).map(([k, v]) => [k, Math.max(...v) + (opts.seed % 2) * unit(k)])) };

  // Reference weights: the spec's initialisers, moved off their initial values.
  const first = ts.createModel(dimsOf(0), 1);
  first.init(opts.seed);
  perturb(first, rng);
  const flat = Float64Array.from(first.params);
  // One example per batch: tokens uniform over the vocabulary, float inputs in [-1, 1), float targets in (0.05, 0.95).
  const examples = Array.from({ length: B }, (_, b) => randomBatch(info, dimsOf(b), 1, rng, "f64"));

  const failures: string[] = [];
  let fdWorst = 0;
  // ts f64, one example at a time.
  let loss = 0;
  const grads = new Float64Array(flat.length);
  const frozen = info.params.filter((p) => p.trainable === false).map((p) => p.name);
  const running: Record<string, Float64Array>[] = [];
  for (let b = 0; b < B; b++) {
    const m = b === 0 ? first : ts.createModel(dimsOf(b), 1);
    m.params.set(flat);
    if (opts.dropout !== undefined) m.setTraining?.(opts.dropout + b);
    const l = m.forward(examples[b]!);
    if (opts.dropout !== undefined && frozen.length > 0) running.push(Object.fromEntries(frozen.map((name) => {
      const { offset, size } = m.layout[name]!;
      return [name, Float64Array.from(m.params.subarray(offset, offset + size))];
    })));
    if (!Number.isFinite(l)) failures.push(`ts-f64: loss ${l} on example ${b}`);
    m.backward();
    loss += l / B;
    for (let i = 0; i < grads.length; i++) grads[i] += m.grads[i]! / B;
    if (b === 0 && !opts.noFd) {
      const g0 = Float64Array.from(m.grads);
      const r = gradientCheck(compiledLoss(m, examples[0]!), g0, l, new Rng(opts.seed + 1));
      fdWorst = r.worstRel;
      failures.push(...r.failures.map((f) => `ts-f64 vs fd: ${f}`));
    }
  }
  const byName = (buf: Float64Array) => Object.fromEntries(Object.entries(first.layout).map(([name, { offset, size }]) => [name, buf.slice(offset, offset + size)]));
  const dropoutSeeds = opts.dropout !== undefined ? examples.map((_, b) => opts.dropout! + b) : undefined;
  return { graph, sources, info, fixed, lengths, maxDims, examples, weights: byName(flat), loss, grads: byName(grads), failures, fdWorst, rng, ...(dropoutSeeds ? { dropoutSeeds } : {}), ...(running.length > 0 ? { running } : {}) };
}

/** Runs one spec on every target; see the file comment. */
export async function runSpec(text: string, opts: RunOptions): Promise<Verdict> {
  const ref = await reference(text, opts);
  if (!("graph" in ref)) return ref;
  const { graph, info, fixed, lengths, maxDims, examples, loss, rng } = ref;
  const failures = [...ref.failures];
  const worst: Record<Pair, number> = { "ts-f64 vs fd": ref.fdWorst, "tfjs-cpu vs ts-f64": 0, "tfjs-wasm vs ts-f64": 0 };

  for (const backend of opts.backends ?? (["cpu", "wasm"] as const)) {
    const pair: Pair = backend === "cpu" ? "tfjs-cpu vs ts-f64" : "tfjs-wasm vs ts-f64";
    const e = await engine(backend);
    const tf = e.tf;
    const tfModel = new TfModel(graph, e, fixed, opts.seed);
    const inputs = padded(tf, info, examples, maxDims, rng);
    try {
      tfModel.setWeights(ref.weights);
      const lens = Object.fromEntries(Object.entries(lengths).map(([k, v]) => [k, v]));
      const { value, grads: tg } = tf.variableGrads(() => tfModel.forward(inputs, maxDims, lens).loss);
      const tfLoss = value.dataSync()[0]!;
      const lossErr = Math.abs(tfLoss - loss) / Math.max(1, Math.abs(loss));
      if (!(lossErr <= TFJS_RTOL)) failures.push(`${pair}: loss ${tfLoss} vs ${loss}`);
      let ratio = lossErr;
      const refs = ref.grads;
      const G = Math.max(...Object.values(refs).map(maxAbs));
      for (const [name, ref] of Object.entries(refs)) {
        const v = tg[tfModel.params.get(name)!.name];
        if (!v) {
          if (maxAbs(ref) > 0) failures.push(`${pair}: ${name} has no tfjs gradient`);
          continue;
        }
        const ours = v.dataSync();
        const scale = Math.max(maxAbs(ref), 0.05 * G, 1e-6);
        let d = 0;
        for (let i = 0; i < ref.length; i++) d = Math.max(d, Math.abs(ours[i]! - ref[i]!));
        if (!(d <= TFJS_RTOL * scale)) failures.push(`${pair}: d${name} max |tfjs - ts| ${d.toExponential(2)}, scale ${scale.toExponential(2)}`);
        ratio = Math.max(ratio, d / scale);
      }
      worst[pair] = ratio;
      tf.dispose([value, ...Object.values(tg)]);
    } finally {
      tf.dispose(Object.values(inputs));
      tfModel.dispose();
    }
  }
  return { kind: "ran", worst, failures, examples: examples.length, lengths };
}
