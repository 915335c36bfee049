/**
 * `seqc export DIR --to tfjs-layers -o OUT`: a trained seqc model directory as a
 * TensorFlow.js layers model (model.json + weights.bin, what
 * `tf.loadLayersModel` reads), and `seqc import-weights SPEC WEIGHTS -o DIR`:
 * a seqc model directory whose weights come from a tfjs-layers model of the
 * same architecture (one exported by seqc, or converted from Keras), or from a
 * PyTorch state_dict (src/backends/pytorch/weights.ts, docs/pytorch.md).
 *
 * Exit codes: 0 done; 1 the spec has errors, or its model has a construct
 * tfjs-layers does not have (the message names it and its place), or the
 * layers model does not fit the spec; 2 (UserIoError) unreadable or unwritable
 * files. TensorFlow.js is imported lazily, here only.
 */
import { compileSpec } from "../../driver.js";
import type { BackendName } from "../../backends/tfjs/engine.js";
import type { VocabularyJSON } from "../../runtime/vocab.js";
import { existsSync, statSync } from "node:fs";
import type { Graph } from "../../graph/graph.js";
import { readText, specFiles, UsageError, UserIoError } from "../io.js";
import { ioReason } from "../../runtime/errors.js";
import { compiledOrExit, type OutputOptions } from "../output.js";
import { reopen } from "../reopen.js";
import { EXPORT_TARGETS, type ExportTarget, type ImportFormat } from "../options.js";

export interface ExportCommandOptions extends OutputOptions {
  /** What to export to (`--to`; the global --format chooses how problems are reported). */
  to: ExportTarget;
  /** The directory to write (created if needed). */
  out: string;
  /** The value to export (a binding's name); default the first loss's prediction. */
  value?: string;
  backend?: BackendName;
  quiet?: boolean;
}

export interface ImportWeightsOptions extends OutputOptions {
  /** The weights' format; default: torch for a file or a path ending in .pt/.pth, else tfjs-layers. */
  from?: ImportFormat;
  /** The seqc model directory to write. */
  out: string;
  /** The spec's model, when it has several. */
  model?: string;
  /** The value the layers model computes (a binding's name); default the first loss's prediction. */
  value?: string;
  backend?: BackendName;
  quiet?: boolean;
}

/** What seqc records in an exported model.json's userDefinedMetadata. */
interface SeqcMetadata {
  spec: string;
  model: string;
  dims: Record<string, number>;
  vocabularies: Record<string, VocabularyJSON>;
}

function say(opts: { quiet?: boolean }, text: string): void {
  if (!opts.quiet) process.stderr.write(`${text}\n`);
}

/** An ExportError as one error line (exit 1). */
function refuse(message: string): number {
  process.stderr.write(`error: ${message}\n`);
  return 1;
}

export async function runExport(modelDir: string, opts: ExportCommandOptions): Promise<number> {
  if (!(EXPORT_TARGETS as readonly string[]).includes(opts.to)) throw new UserIoError(`cannot export to ${String(opts.to)}: the targets are ${EXPORT_TARGETS.join(", ")}`);
  const [reopened, { loadEngine }, exporter] = await Promise.all([
    reopen(modelDir, opts),
    import("../../backends/tfjs/engine.js"),
    import("../../backends/tfjs/export.js"),
  ]);
  if (typeof reopened === "number") return reopened;
  const { saved, program, graph } = reopened;
  await loadEngine(opts.backend);
  let model;
  try {
    model = exporter.exportLayers(graph, saved.weights, { dims: saved.meta.dims, sources: program.sources, ...(opts.value !== undefined ? { value: opts.value } : {}) });
  } catch (e) {
    if (e instanceof exporter.ExportError) return refuse(e.message);
    throw e;
  }
  const metadata: SeqcMetadata = { spec: saved.meta.spec.file, model: saved.meta.model, dims: saved.meta.dims, vocabularies: saved.meta.vocabularies };
  try {
    await exporter.saveLayersModel(model, opts.out, { seqc: metadata });
  } catch (e) {
    // writeAtomic's IoError names the file already.
    if (e instanceof UserIoError) throw e;
    throw new UserIoError(`cannot write ${opts.out}: ${ioReason(e)}`);
  } finally {
    model.dispose();
  }
  const layers = model.layers.filter((l) => l.getClassName() !== "InputLayer").map((l) => `${l.name} (${l.getClassName()})`);
  say(opts, `seqc: exported ${saved.meta.model} to ${opts.out} as a tfjs-layers model: ${layers.join(", ")}`);
  return 0;
}

/**
 * `seqc import-weights SPEC WEIGHTS -o DIR`: a seqc model directory for the
 * spec's model with the weights of a tfjs-layers model directory or of a
 * PyTorch state_dict (`--from`; by default a file, or a path ending in .pt or
 * .pth, is a state_dict, anything else a tfjs-layers directory).
 */
export async function runImportWeights(spec: string, from: string, opts: ImportWeightsOptions): Promise<number> {
  if (/\.(pt|pth|bin|ckpt)$/i.test(spec) && /\.seq$/i.test(from)) throw new UsageError(`the spec comes first: seqc import-weights ${from} ${spec} -o DIR`);
  const format = opts.from ?? (/\.(pt|pth)$/i.test(from) || (existsSync(from) && statSync(from).isFile()) ? "torch" : "tfjs-layers");
  const compiled = compiledOrExit(compileSpec(spec, specFiles(spec, opts.model)), opts);
  if (typeof compiled === "number") return compiled;
  const imported = format === "torch" ? await fromTorch(spec, compiled.graph, from, opts) : await fromLayers(spec, compiled, from, opts);
  if (typeof imported === "number") return imported;
  const { graph, model: info } = compiled;
  const [{ saveModel }, { specSettings }, { Vocabulary }, { dimsFromWeights }] = await Promise.all([
    import("../../runtime/model-dir.js"),
    import("../../backends/settings.js"),
    import("../../runtime/vocab.js"),
    import("../../graph/dims.js"),
  ]);
  const { weights, meta } = imported;
  // The spec's vocabularies: listed in the spec, or recorded by seqc's export; a data vocabulary of a foreign model is unknown.
  const vocabularies: Record<string, VocabularyJSON> = { ...(meta.vocabularies ?? {}) };
  for (const v of graph.vocabs) if (v.tokens && !vocabularies[v.name]) vocabularies[v.name] = Vocabulary.fixed(v.tokens, v.name).toJSON();
  const missing = graph.vocabs.filter((v) => !vocabularies[v.name]).map((v) => v.name);
  const ordered = new Map(graph.params.map((p) => [p.name, weights.get(p.name)!]));
  const settings = specSettings(info.model);
  const source = readText(spec);
  try {
    saveModel(
      opts.out,
      {
        spec: { file: spec, source },
        model: info.name,
        dims: dimsFromWeights(graph, ordered, meta.dims ?? {}),
        vocabularies,
        settings,
        trained: { epochs: 0, seed: settings.seed },
      },
      ordered,
    );
  } catch (e) {
    // writeAtomic's IoError names the file already.
    if (e instanceof UserIoError) throw e;
    throw new UserIoError(`cannot write ${opts.out}: ${ioReason(e)}`);
  }
  say(opts, `seqc: wrote ${opts.out}: ${info.name} with the weights of ${from} (${ordered.size} parameters)`);
  if (missing.length > 0) say(opts, `seqc: warning: no tokens for the data vocabular${missing.length === 1 ? "y" : "ies"} ${missing.join(", ")} (${format === "torch" ? "a state_dict does" : "the layers model does"} not record them): eval, predict and sample need them`);
  return 0;
}

/** What an importer gives: seqc weights by parameter name, and what the source recorded about the model. */
interface Imported {
  weights: Map<string, { shape: number[]; values: Float32Array }>;
  meta: Partial<SeqcMetadata>;
}

/** The weights of a tfjs-layers model directory, or exit 1 when it does not fit the spec. */
async function fromLayers(spec: string, compiled: { program: { sources: ReadonlyMap<string, string> }; graph: Graph }, layersDir: string, opts: ImportWeightsOptions): Promise<Imported | number> {
  const [{ loadEngine }, exporter] = await Promise.all([import("../../backends/tfjs/engine.js"), import("../../backends/tfjs/export.js")]);
  await loadEngine(opts.backend);
  let layers;
  let meta: Partial<SeqcMetadata> = {};
  try {
    layers = await exporter.loadLayersModel(layersDir);
    const m = exporter.layersMetadata(layersDir)?.["seqc"];
    if (m && typeof m === "object") meta = m as Partial<SeqcMetadata>;
  } catch (e) {
    throw new UserIoError(`cannot read the tfjs-layers model in ${layersDir}: ${ioReason(e)}`);
  }
  try {
    return { weights: exporter.importLayersWeights(compiled.graph, layers, { dims: meta.dims ?? {}, sources: compiled.program.sources, ...(opts.value !== undefined ? { value: opts.value } : {}) }), meta };
  } catch (e) {
    if (e instanceof exporter.ExportError) return refuse(`${layersDir} does not fit ${spec}: ${e.message}`);
    throw e;
  } finally {
    layers.dispose();
  }
}

/** The weights of a PyTorch state_dict file, or exit 1 when it does not fit the spec (docs/pytorch.md). */
async function fromTorch(spec: string, graph: Graph, path: string, opts: ImportWeightsOptions): Promise<Imported | number> {
  const [{ readStateDict }, { importTorchWeights, seqcLayers, TorchImportError }] = await Promise.all([import("../torch-file.js"), import("../../backends/pytorch/weights.js")]);
  try {
    // The spec's side first: a layer torch does not have is said without starting Python.
    seqcLayers(graph);
    const dict = readStateDict(path);
    if (dict.entry) say(opts, `seqc: ${path}: the state_dict is its entry ${dict.entry}`);
    if (dict.skipped.length > 0) say(opts, `seqc: ${path}: not weights, skipped: ${dict.skipped.join(", ")}`);
    return { weights: importTorchWeights(graph, dict.tensors), meta: {} };
  } catch (e) {
    if (e instanceof TorchImportError) return refuse(`${path} does not fit ${spec}: ${e.message}`);
    throw e;
  }
}
