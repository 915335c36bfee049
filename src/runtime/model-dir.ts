/**
 * A seqc model directory: model.json (spec, dims, vocabularies, settings, the
 * weights manifest) and weights.bin, written atomically and read back for a
 * model with its names and shapes checked. The format of every target.
 * Runtime file: imports only its siblings and Node built-ins.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Buf, CompiledModel, ModelInfo, TrainDefaults } from "./model-api.js";
import { IoError } from "./errors.js";
import { decodeWeights, encodeWeights, WeightsError, type WeightEntry } from "./optim.js";
import { Vocabulary, type VocabularyJSON } from "./vocab.js";

export const MODEL_FORMAT = "seqc-model";
export const MODEL_VERSION = 1;

/** model.json, as src/backends/save.ts writes it. */
export interface ModelFile {
  format: typeof MODEL_FORMAT;
  version: typeof MODEL_VERSION;
  spec: { file: string; source: string };
  model: string;
  dims: Record<string, number>;
  vocabularies: Record<string, VocabularyJSON>;
  settings: TrainDefaults;
  trained: { epochs: number; seed: number; checksums?: Record<string, string> };
  weightsManifest: { paths: string[]; weights: WeightEntry[] }[];
}

/** Writes a file through a temporary name and a rename: readers never see it half-written. */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new IoError(`cannot write ${path}: ${(e as Error).message}`);
  }
}

/**
 * Saves a model directory in the format of seqc's tfjs target: weights.bin
 * (float32 little-endian, in manifest order) first, then model.json. A trainer
 * state left by an earlier `seqc train` (optimizer.json/.bin) is removed: it
 * would not belong to these weights.
 */
export function saveModelDir(
  dir: string,
  info: ModelInfo,
  model: Pick<CompiledModel, "layout">,
  params: Buf,
  meta: { dims: Record<string, number>; vocabularies: Record<string, Vocabulary>; settings: TrainDefaults; epochs: number },
): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new IoError(`cannot create ${dir}: ${(e as Error).message}`);
  }
  for (const f of ["optimizer.json", "optimizer.bin"]) rmSync(join(dir, f), { force: true });
  const { entries, bytes } = encodeWeights(info, model.layout, params);
  writeAtomic(join(dir, "weights.bin"), bytes);
  const file: ModelFile = {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    spec: info.spec,
    model: info.name,
    dims: meta.dims,
    vocabularies: Object.fromEntries(Object.entries(meta.vocabularies).map(([k, v]) => [k, v.toJSON()])),
    settings: meta.settings,
    trained: { epochs: meta.epochs, seed: meta.settings.seed },
    weightsManifest: [{ paths: ["weights.bin"], weights: entries }],
  };
  writeAtomic(join(dir, "model.json"), JSON.stringify(file, null, 2) + "\n");
}

/** A model directory as read: model.json, its vocabularies, and the weights (every group's, in manifest order). */
export interface LoadedDir {
  meta: ModelFile;
  vocabs: Record<string, Vocabulary>;
  entries: WeightEntry[];
  bytes: Uint8Array;
}

/** Reads a model directory written by seqc (or by this trainer) for model `info`. IoError when it cannot be read or is another model's. */
export function readModelDir(dir: string, info: ModelInfo): LoadedDir {
  const path = join(dir, "model.json");
  let meta: ModelFile;
  try {
    meta = JSON.parse(readFileSync(path, "utf8")) as ModelFile;
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new IoError(`cannot read ${path}: ${code === "ENOENT" ? "no such file (is it a model directory?)" : (e as Error).message}`);
  }
  if (!meta || meta.format !== MODEL_FORMAT || meta.version !== MODEL_VERSION) throw new IoError(`${dir} is not a seqc model directory (format ${String(meta?.format)} ${String(meta?.version)})`);
  if (meta.model !== info.name) throw new IoError(`${dir} holds model ${meta.model}, not ${info.name}`);
  if (!Array.isArray(meta.weightsManifest)) throw new IoError(`${path} has no weightsManifest`);
  const entries: WeightEntry[] = [];
  const parts: Uint8Array[] = [];
  for (const group of meta.weightsManifest) {
    if (!group || !Array.isArray(group.paths) || !Array.isArray(group.weights)) throw new IoError(`${path}: each weightsManifest entry needs paths and weights`);
    const files = group.paths.map((p) => {
      try {
        return readFileSync(join(dir, p));
      } catch (e) {
        throw new IoError(`cannot read the weights of ${dir}: ${(e as Error).message}`);
      }
    });
    const all = new Uint8Array(files.reduce((n, f) => n + f.byteLength, 0));
    let at = 0;
    for (const f of files) {
      all.set(f, at);
      at += f.byteLength;
    }
    // Each group's file holds its entries' values; trim it so the next group's values follow on.
    const need = group.weights.reduce((n, w) => n + 4 * (Array.isArray(w.shape) ? w.shape.reduce((a, b) => a * b, 1) : 0), 0);
    if (all.byteLength < need) throw new IoError(`${join(dir, group.paths[0] ?? "weights.bin")} is shorter than its manifest (${all.byteLength} bytes, ${need} needed)`);
    entries.push(...group.weights);
    parts.push(all.subarray(0, need));
  }
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.byteLength;
  }
  const vocabs: Record<string, Vocabulary> = {};
  try {
    for (const [k, v] of Object.entries(meta.vocabularies ?? {})) vocabs[k] = Vocabulary.fromJSON(v, k);
  } catch (e) {
    throw new IoError(`${path}: ${(e as Error).message}`);
  }
  return { meta, vocabs, entries, bytes };
}

/** Loads a model directory's weights into a model (by name, shapes checked). */
export function loadWeights(model: CompiledModel, info: ModelInfo, dir: LoadedDir, source: string): void {
  try {
    decodeWeights(info, model.layout, model.params, dir.entries, dir.bytes, source);
  } catch (e) {
    if (e instanceof WeightsError) throw new IoError(e.message);
    throw e;
  }
}
