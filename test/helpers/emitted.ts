/**
 * The ts target's output in tests: a checked model emitted, written to a
 * temporary directory as `seqc compile` writes it and imported; values for its
 * free dims, random batches for its fields, and parameters moved off their
 * initial values (all from seeded generators).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { ModelInfo as CheckedModel } from "../../src/check/infer.js";
import { buildGraph } from "../../src/graph/build.js";
import type { Graph } from "../../src/graph/graph.js";
import type { KernelOptions } from "../../src/kernel/lower.js";
import { Rng } from "../../src/runtime/init.js";
import { specSettings } from "../../src/backends/settings.js";
import { emitFiles, outputFiles, runtimeSources } from "../../src/backends/ts/compile.js";
import type { Batch, Buf, CompiledModel, Dims, ModelInfo } from "../../src/runtime/model-api.js";

export { Rng };

export interface Emitted {
  dir: string;
  files: Record<string, string>;
  graph: Graph;
  INFO: ModelInfo;
  createModel: (dims: Dims, maxBatch: number) => CompiledModel;
}

/** Writes the output directory as `seqc compile` does, .js included. */
export function transpile(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(outputFiles(files, { js: true }))) writeFileSync(join(dir, name), text);
}

let counter = 0;

/** The ts target's files for a checked model (its program's sources, the root file's name and text), as `seqc compile` makes them (`kernel`: the lowering's speed choices, all on unless given). */
export function tsFiles(model: CheckedModel, sources: Map<string, string>, spec: { file: string; source: string }, precision: "f32" | "f64", graph: Graph = buildGraph(model), kernel: Partial<KernelOptions> = {}): Record<string, string> {
  return emitFiles(graph, sources, specSettings(model.model), spec, { precision, kernel }, runtimeSources());
}

/** Emits, writes (into a new temporary directory) and imports the model of a checked model. */
export async function emitModelOf(model: CheckedModel, sources: Map<string, string>, spec: { file: string; source: string }, precision: "f32" | "f64" = "f64"): Promise<Emitted> {
  const graph = buildGraph(model);
  const files = tsFiles(model, sources, spec, precision, graph);
  const dir = mkdtempSync(join(tmpdir(), `seqc-ts-${counter++}-`));
  transpile(dir, files);
  const mod = (await import(pathToFileURL(join(dir, "model.js")).href)) as Pick<Emitted, "INFO" | "createModel">;
  return { dir, files, graph, INFO: mod.INFO, createModel: mod.createModel };
}

/** One axis of a field's shape (a number, an atom, or a part/multiple of one such as "T/4" or "2*T") for these dims. */
export function axisSize(d: number | string, dims: Dims): number {
  if (typeof d === "number") return d;
  const m = /^(?:(\d+)\*)?([A-Za-z_]\w*)(?:\/(\d+))?$/.exec(d);
  if (!m) throw new Error(`cannot read the axis ${d}`);
  const v = dims[m[2]!];
  if (v === undefined) throw new Error(`no value for the dim ${m[2]}`);
  const n = (Number(m[1] ?? 1) * v) / Number(m[3] ?? 1);
  if (!Number.isInteger(n)) throw new Error(`the axis ${d} is not whole for ${m[2]} = ${v}`);
  return n;
}

/**
 * Values for the free dims: sequence lengths the smallest multiple of their
 * known divisor that is at least `length`, data vocabularies `vocab` tokens.
 */
export function smallDims(info: ModelInfo, length = 3, vocab = 5): Dims {
  const dims: Dims = {};
  const vocabDims = new Set(info.vocabs.flatMap((v) => (v.sizeDim && !v.tokens ? [v.sizeDim] : [])));
  for (const d of info.dims) {
    if (d.value !== undefined) continue;
    dims[d.name] = vocabDims.has(d.name) ? vocab : d.multiple * Math.ceil(length / d.multiple);
  }
  return dims;
}

/** The number of tokens of a vocabulary for these dims. */
export function vocabSize(info: ModelInfo, name: string, dims: Dims): number {
  const v = info.vocabs.find((x) => x.name === name);
  if (!v) throw new Error(`no vocabulary ${name}`);
  if (v.tokens) return v.tokens.length;
  const fixed = info.dims.find((d) => d.name === v.sizeDim)?.value;
  return fixed ?? dims[v.sizeDim!]!;
}

/**
 * A random batch: token fields uniform over their vocabulary, float inputs
 * uniform in [-1, 1), float targets uniform in (0.05, 0.95) (valid for bce, and
 * harmless for mse and probability targets of cross_entropy).
 */
export function randomBatch(info: ModelInfo, dims: Dims, size: number, rng: Rng, precision: "f32" | "f64"): Batch {
  const floats = (values: number[]): Buf => (precision === "f32" ? Float32Array.from(values) : Float64Array.from(values));
  const fields: Record<string, Buf | Int32Array> = {};
  for (const f of info.fields) {
    const n = size * f.shape.reduce<number>((a, d) => a * axisSize(d, dims), 1);
    if (f.dtype === "int32") {
      const V = vocabSize(info, f.vocab!, dims);
      fields[f.name] = Int32Array.from({ length: n }, () => Math.floor(rng.next() * V));
    } else if (f.role === "target") fields[f.name] = floats(Array.from({ length: n }, () => 0.05 + 0.9 * rng.next()));
    else fields[f.name] = floats(Array.from({ length: n }, () => rng.uniform(1)));
  }
  return { size, dims: { ...dims }, fields };
}

/**
 * Moves every parameter away from its initial value (some are all zeros or
 * ones): each entry gets uniform noise of half the tensor's rms (0.1 for an
 * all-zero tensor), so the values stay small and the model stays in its
 * ordinary regime (no saturation, few relu kinks near the point).
 */
export function perturb(model: CompiledModel, rng: Rng): void {
  for (const { offset, size } of Object.values(model.layout)) {
    let ss = 0;
    for (let i = 0; i < size; i++) ss += model.params[offset + i]! ** 2;
    const rms = Math.sqrt(ss / size);
    const s = rms > 0 ? 0.5 * rms : 0.1;
    for (let i = 0; i < size; i++) model.params[offset + i] += rng.uniform(s);
  }
}
