/**
 * `seqc export DIR --to tfjs-layers -o OUT`: a trained seqc model directory as a
 * TensorFlow.js layers model (model.json + weights.bin, what
 * `tf.loadLayersModel` reads), and `seqc import-weights SPEC LAYERS_DIR -o DIR`:
 * a seqc model directory whose weights come from a tfjs-layers model of the
 * same architecture (one exported by seqc, or converted from Keras).
 *
 * Exit codes: 0 done; 1 the spec has errors, or its model has a construct
 * tfjs-layers does not have (the message names it and its place), or the
 * layers model does not fit the spec; 2 (UserIoError) unreadable or unwritable
 * files. TensorFlow.js is imported lazily, here only.
 */
import { compileSpec } from "../../driver.js";
import type { BackendName } from "../../backends/tfjs/engine.js";
import type { VocabularyJSON } from "../../runtime/vocab.js";
import { readText, specFiles, UserIoError } from "../io.js";
import { ioReason } from "../../runtime/errors.js";
import { compiledOrExit, type OutputOptions } from "../output.js";
import { reopen } from "../reopen.js";
import { EXPORT_TARGETS, type ExportTarget } from "../options.js";

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

export async function runImportWeights(spec: string, layersDir: string, opts: ImportWeightsOptions): Promise<number> {
  const compiled = compiledOrExit(compileSpec(spec, specFiles(spec, opts.model)), opts);
  if (typeof compiled === "number") return compiled;
  const { program, model: info, graph } = compiled;
  const [{ loadEngine }, exporter, { saveModel }, { specSettings }, { Vocabulary }] = await Promise.all([
    import("../../backends/tfjs/engine.js"),
    import("../../backends/tfjs/export.js"),
    import("../../runtime/model-dir.js"),
    import("../../backends/settings.js"),
    import("../../runtime/vocab.js"),
  ]);
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
  let weights;
  try {
    weights = exporter.importLayersWeights(graph, layers, { dims: meta.dims ?? {}, sources: program.sources, ...(opts.value !== undefined ? { value: opts.value } : {}) });
  } catch (e) {
    if (e instanceof exporter.ExportError) return refuse(`${layersDir} does not fit ${spec}: ${e.message}`);
    throw e;
  } finally {
    layers.dispose();
  }
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
        dims: exporter.dimsFromWeights(graph, ordered, meta.dims ?? {}),
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
  say(opts, `seqc: wrote ${opts.out}: ${info.name} with the weights of ${layersDir} (${ordered.size} parameters)`);
  if (missing.length > 0) say(opts, `seqc: warning: no tokens for the data vocabular${missing.length === 1 ? "y" : "ies"} ${missing.join(", ")} (the layers model does not record them): eval, predict and sample need them`);
  return 0;
}
