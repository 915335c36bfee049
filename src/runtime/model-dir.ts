/**
 * The model directory, shared by the targets: `model.json` (the spec's source,
 * the model's name, the fixed dims, the vocabularies, the training settings and
 * a TensorFlow.js weights manifest) and `weights.bin` (float32, in manifest
 * order) — the TensorFlow.js weights format, so `tf.io` tools can read the
 * weights. model.json records the SHA-256 of every other file, and every read
 * checks them and that each weight is finite: flipped bits are refused, never
 * computed with.
 *
 * A save replaces the directory's model as a whole or not at all: the new
 * files are written beside the old ones as `NAME.next` (each through a
 * temporary file and a rename), `model.json.next` last; once that exists the
 * save is decided, and renaming the `.next` files over the old ones
 * (model.json last) completes it. A save or read that finds a
 * `model.json.next` completes that earlier save first; `.next` files without
 * one are an unfinished save and are removed, as are the temporary files of
 * writes that never finished. A kill at any moment leaves the
 * previous model or the new one, never a mix.
 *
 * A training checkpoint adds the trainer's state for `seqc train --resume`:
 * `optimizer.json` (the run's position, the generator's state, the optimizer's
 * iteration count and a manifest) and `optimizer.bin` (the optimizer's slots and
 * any states carried between BPTT windows, float32).
 *
 * Reading one for a model checks it against the model (names, shapes at the
 * saved dims, dtypes, vocabularies): a ModelFileError (exit 2) names the
 * weight that does not fit. seqc and emitted trainers read and write model
 * directories here, so each reads the other's.
 *
 * Runtime file: imports only its siblings and Node built-ins.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { DimTable, type DimAtomInfo, type DimVocabInfo } from "./dims.js";
import { IoError, ioReason, ModelFileError } from "./errors.js";

export { ModelFileError };
import { alive, removeStaleTemps, writeAtomic } from "./files.js";
import type { Buf, CompiledModel, DimTerms, ModelInfo } from "./model-api.js";
import type { TrainSettings } from "./settings.js";
import { Vocabulary, type VocabularyJSON } from "./vocab.js";

export const MODEL_FORMAT = "seqc-model";
export const MODEL_VERSION = 1;

export interface WeightEntry {
  name: string;
  shape: number[];
  dtype: "float32";
}

export interface ModelFile {
  format: typeof MODEL_FORMAT;
  version: typeof MODEL_VERSION;
  /** The spec's file name and full text, so the model can be rebuilt without the original file. */
  spec: { file: string; source: string };
  model: string;
  /** Values of the dims that were free in the spec and fixed by the data (e.g. a vocabulary's size). */
  dims: Record<string, number>;
  vocabularies: Record<string, VocabularyJSON>;
  settings: TrainSettings;
  /** Training state, for --resume. */
  trained: TrainedInfo;
  weightsManifest: { paths: string[]; weights: WeightEntry[] }[];
}

export interface TrainedInfo {
  /** Completed epochs. */
  epochs: number;
  seed: number;
  /** SHA-256 (hex) of the directory's other files, by file name (absent in models saved by seqc before 0.1). */
  checksums?: Record<string, string>;
}

export const OPTIMIZER_FORMAT = "seqc-trainer-state";

/** optimizer.json: the trainer's state besides its tensors (`progress` is the trainer's, JSON-safe). */
export interface TrainerStateFile {
  format: typeof OPTIMIZER_FORMAT;
  version: 1;
  progress: Record<string, unknown>;
  optimizer: { name: string; iterations: number };
  manifest: { paths: string[]; weights: WeightEntry[] };
}

/** The trainer's state as saved: JSON parts and named float32 tensors. */
export interface SavedTrainerState {
  progress: Record<string, unknown>;
  optimizer: { name: string; iterations: number };
  tensors: Map<string, { shape: number[]; values: Float32Array }>;
}

export interface SavedModel {
  meta: ModelFile;
  weights: Map<string, { shape: number[]; values: Float32Array }>;
}


function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Named float32 tensors as one buffer and its manifest, in the map's order. */
function pack(tensors: Map<string, { shape: number[]; values: Float32Array }>): { bin: Uint8Array; entries: WeightEntry[] } {
  const entries: WeightEntry[] = [];
  const total = [...tensors.values()].reduce((n, w) => n + w.values.length, 0);
  const bin = new Float32Array(total);
  let offset = 0;
  for (const [name, w] of tensors) {
    entries.push({ name, shape: w.shape, dtype: "float32" });
    bin.set(w.values, offset);
    offset += w.values.length;
  }
  return { bin: new Uint8Array(bin.buffer), entries };
}

function unpack(buf: Uint8Array, entries: WeightEntry[], what: string): Map<string, { shape: number[]; values: Float32Array }> {
  const all = new Float32Array(buf.buffer, buf.byteOffset, Math.floor(buf.byteLength / 4));
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  let offset = 0;
  for (const w of entries) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    if (offset + n > all.length) throw new ModelFileError(`${what} is shorter than its manifest`);
    out.set(w.name, { shape: w.shape, values: all.slice(offset, offset + n) });
    offset += n;
  }
  return out;
}

/** The files a model directory's save writes (a trainer state's only with one). */
const SAVED_FILES = ["optimizer.bin", "optimizer.json", "weights.bin", "model.json"] as const;
const NEXT = ".next";

/**
 * Completes or discards a save that was cut short (see the file comment): with
 * a `model.json.next`, its `.next` files are renamed into place, model.json
 * last; without, the `.next` files are removed. Then a file of the trainer
 * state that model.json does not record (a save without state) is removed.
 */
function settle(dir: string): void {
  const committed = existsSync(join(dir, "model.json" + NEXT));
  try {
    removeStaleTemps(dir);
    for (const f of SAVED_FILES) {
      const next = join(dir, f + NEXT);
      if (!existsSync(next)) continue;
      if (committed) renameSync(next, join(dir, f));
      else rmSync(next, { force: true });
    }
  } catch (e) {
    throw new IoError(`cannot complete the save of ${dir}: ${ioReason(e)}`);
  }
}

/**
 * Writes a model directory, replacing what it held as a whole (see the file
 * comment). With `state`, also the trainer's state (optimizer.json,
 * optimizer.bin); without, a trainer state left from an earlier run is
 * removed. model.json records the checksum of every other file.
 */
export function saveModel(
  dir: string,
  meta: Omit<ModelFile, "weightsManifest" | "format" | "version">,
  weights: Map<string, { shape: number[]; values: Float32Array }>,
  state?: SavedTrainerState,
): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new IoError(`cannot create the model directory ${dir}: ${ioReason(e)}`);
  }
  settle(dir);
  const trained: TrainedInfo = { ...meta.trained };
  const checksums: Record<string, string> = {};
  const put = (name: string, data: string | Uint8Array) => {
    writeAtomic(join(dir, name + NEXT), data);
    checksums[name] = sha256(data);
  };
  if (state) {
    const packed = pack(state.tensors);
    const file: TrainerStateFile = {
      format: OPTIMIZER_FORMAT,
      version: 1,
      progress: state.progress,
      optimizer: state.optimizer,
      manifest: { paths: ["optimizer.bin"], weights: packed.entries },
    };
    put("optimizer.bin", packed.bin);
    put("optimizer.json", JSON.stringify(file, null, 2) + "\n");
  }
  const { bin, entries } = pack(weights);
  put("weights.bin", bin);
  trained.checksums = checksums;
  const file: ModelFile = { format: MODEL_FORMAT, version: MODEL_VERSION, ...meta, trained, weightsManifest: [{ paths: ["weights.bin"], weights: entries }] };
  // The save is decided once model.json.next exists; settle() moves it into place.
  writeAtomic(join(dir, "model.json" + NEXT), JSON.stringify(file, null, 2) + "\n");
  settle(dir);
  if (!state) {
    try {
      for (const f of ["optimizer.json", "optimizer.bin"]) rmSync(join(dir, f), { force: true });
    } catch (e) {
      throw new IoError(`cannot remove the old trainer state of ${dir}: ${ioReason(e)}`);
    }
  }
}

/** The lock file of a model directory a training run writes: the run's process id. */
export const LOCK_FILE = ".seqc-lock";

/**
 * Holds a model directory for one training run, so that two runs never write
 * one directory: DIR/.seqc-lock, created only if absent, holds the process id.
 * A lock of a running process is refused (an IoError, exit 2); one whose
 * process is gone (a killed run) is taken over. The lock goes when the
 * returned function is called, or when the process exits.
 */
export function lockModelDir(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new IoError(`cannot create the model directory ${dir}: ${ioReason(e)}`);
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: "wx" });
    } catch (e) {
      if ((e as { code?: string }).code !== "EEXIST") throw new IoError(`cannot write ${path}: ${ioReason(e)}`);
      let pid = NaN;
      try {
        pid = Number(readFileSync(path, "utf8").trim());
      } catch {
        // Gone since: try again.
      }
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new IoError(`${dir} is being written by another training run (process ${pid}): wait for it to end, or choose another output directory (if no such run is going, remove ${path})`);
      }
      rmSync(path, { force: true });
      continue;
    }
    const release = () => {
      try {
        if (readFileSync(path, "utf8").trim() === String(process.pid)) rmSync(path, { force: true });
      } catch {
        // Already gone.
      }
    };
    process.once("exit", release);
    return () => {
      process.off("exit", release);
      release();
    };
  }
  throw new IoError(`cannot lock ${dir}: another process keeps creating ${path}`);
}

/** Whether a directory holds a model.json. */
export function hasModel(dir: string): boolean {
  return existsSync(join(dir, "model.json"));
}

/**
 * A training checkpoint for --resume: the model and the trainer's state, every
 * file checked against the checksums in model.json. Throws a ModelFileError
 * saying what is missing or inconsistent.
 */
export function loadCheckpoint(dir: string): SavedModel & { state: SavedTrainerState } {
  const saved = loadModel(dir);
  const sums = saved.meta.trained?.checksums;
  if (!sums || sums["optimizer.json"] === undefined) throw new ModelFileError(`${dir} holds a model but no training state to resume from (no optimizer.json): it was saved by an older seqc or without one`);
  const read = (name: string): Buffer => {
    try {
      return readFileSync(join(dir, name));
    } catch (e) {
      throw new ModelFileError(`cannot read ${join(dir, name)}: ${(e as Error).message}`);
    }
  };
  const files = new Map(["optimizer.json", "optimizer.bin"].map((f) => [f, read(f)]));
  for (const [name, data] of files) {
    if (sums[name] !== sha256(data)) throw new ModelFileError(`${join(dir, name)} does not match ${join(dir, "model.json")} (the file was changed or damaged after it was saved): cannot resume from it`);
  }
  const file = JSON.parse(files.get("optimizer.json")!.toString("utf8")) as TrainerStateFile;
  if (file.format !== OPTIMIZER_FORMAT || file.version !== 1) throw new ModelFileError(`${join(dir, "optimizer.json")} is not a seqc trainer state`);
  const tensors = unpack(files.get("optimizer.bin")!, file.manifest.weights, join(dir, "optimizer.bin"));
  return { ...saved, state: { progress: file.progress, optimizer: file.optimizer, tensors } };
}

/** --resume's refusal of a directory that holds no model (seqc train, and the pytorch target's train.py through bridge.ts). */
export function checkHasCheckpoint(dir: string): void {
  if (!hasModel(dir)) throw new IoError(`--resume: there is no checkpoint in ${dir} (no model.json): train without --resume first`);
}

/** --resume continues a checkpoint of the same model of the same spec text (`spec.file` as the run names it); an IoError says what to do otherwise. */
export function checkResumable(meta: ModelFile, dir: string, model: string, spec: { file: string; source: string }): void {
  if (meta.model !== model) throw new IoError(`--resume: ${dir} holds model ${meta.model}, not ${model} of ${spec.file}: train without --resume, or choose another -o`);
  if (meta.spec.source !== spec.source) throw new IoError(`--resume: ${dir} was trained from another spec (${meta.spec.file}, whose text differs from ${spec.file}): train without --resume, or choose another -o`);
}


/** Reads a model directory: model.json checked for its form, and every weight of its manifest. */
export function loadModel(dir: string): SavedModel {
  if (existsSync(join(dir, "model.json" + NEXT))) settle(dir);
  let meta: ModelFile;
  try {
    meta = JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as ModelFile;
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new ModelFileError(`cannot read ${join(dir, "model.json")}: ${code === "ENOENT" ? "no such file (is it a model directory?)" : ioReason(e)}`);
  }
  if (!meta || typeof meta !== "object" || Array.isArray(meta)) throw new ModelFileError(`${join(dir, "model.json")} is not a seqc model file (not a JSON object)`);
  if (meta.format !== MODEL_FORMAT || meta.version !== MODEL_VERSION) {
    throw new ModelFileError(`${dir} is not a seqc model directory (format ${String(meta.format)} ${String(meta.version)})`);
  }
  const field = (name: string, ok: boolean, want: string) => {
    if (!ok) throw new ModelFileError(`${join(dir, "model.json")}: ${name} must be ${want}`);
  };
  const isObject = (v: unknown) => !!v && typeof v === "object" && !Array.isArray(v);
  field("spec", isObject(meta.spec) && typeof meta.spec.file === "string" && typeof meta.spec.source === "string", "an object { file, source } of strings");
  field("model", typeof meta.model === "string", "a string");
  field("dims", isObject(meta.dims) && Object.values(meta.dims).every((v) => Number.isInteger(v) && v > 0), "an object of whole numbers > 0");
  field("vocabularies", isObject(meta.vocabularies), "an object");
  field("weightsManifest", Array.isArray(meta.weightsManifest) && meta.weightsManifest.every((g) => isObject(g) && Array.isArray(g.paths) && g.paths.length === 1 && typeof g.paths[0] === "string" && Array.isArray(g.weights)), "an array of { paths: [one file name], weights }");
  const sums = meta.trained?.checksums;
  field("trained.checksums", sums === undefined || (isObject(sums) && Object.values(sums).every((v) => typeof v === "string")), "an object of strings");
  for (const group of meta.weightsManifest) {
    // A manifest names files in the directory, never a path out of it (`../../etc/passwd`).
    const p = group.paths[0]!;
    if (p !== basename(p) || p === "." || p === ".." || p.includes("\\") || p === "") throw new ModelFileError(`${join(dir, "model.json")}: the weights file ${JSON.stringify(p)} is not a file name in the model directory`);
  }
  for (const group of meta.weightsManifest) {
    for (const w of group.weights) {
      field("each weight of weightsManifest", isObject(w) && typeof w.name === "string" && Array.isArray(w.shape) && w.shape.every((d) => Number.isInteger(d) && d >= 0), "{ name, shape, dtype }");
      if (w.dtype !== "float32") throw new ModelFileError(`${join(dir, "model.json")}: the weight ${w.name} has dtype ${String(w.dtype)}; seqc saves and reads float32 weights only`);
    }
  }
  const weights = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const group of meta.weightsManifest) {
    const path = join(dir, group.paths[0]!);
    let buf: Buffer;
    try {
      buf = readFileSync(path);
    } catch (e) {
      throw new ModelFileError(`cannot read the weights of ${dir}: ${ioReason(e)} (${path})`);
    }
    const sum = sums?.[group.paths[0]!];
    if (sum !== undefined && sum !== sha256(buf)) throw new ModelFileError(`${path} does not match the checksum in ${join(dir, "model.json")}: the file was changed or damaged after it was saved`);
    for (const [name, w] of unpack(buf, group.weights, path)) {
      const bad = w.values.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new ModelFileError(`${path}: the weight ${name} holds ${w.values[bad]} at element ${bad}: a model's weights must be finite numbers`);
      weights.set(name, w);
    }
  }
  return { meta, weights };
}

/** What a model directory is checked against: a graph's or an emitted model's name, dims, vocabularies and parameters. */
export interface ModelShape {
  name: string;
  dims: readonly DimAtomInfo[];
  vocabs: readonly DimVocabInfo[];
  params: readonly { name: string; shape: readonly DimTerms[] }[];
}

/**
 * Checks a model directory against the model it claims to hold: the model's
 * name, every parameter present with the shape the spec gives it (at the dims
 * saved with it), no weight the model lacks, a value for every dim and a
 * vocabulary for every vocabulary the spec takes from the data. A
 * ModelFileError names what does not fit, so a transposed or missing weight
 * is never read silently.
 */
export function checkModelFits(saved: SavedModel, model: ModelShape, dir: string): void {
  const where = (what: string) => `${dir}: ${what}`;
  if (saved.meta.model !== model.name) throw new ModelFileError(where(`it holds model ${saved.meta.model}, not ${model.name}`));
  for (const v of model.vocabs) {
    if (!v.tokens && saved.meta.vocabularies[v.name] === undefined) throw new ModelFileError(where(`model.json has no vocabulary ${v.name} (model ${model.name} builds it from the data)`));
  }
  const params = new Map(model.params.map((p) => [p.name, p]));
  for (const name of saved.weights.keys()) {
    if (!params.has(name)) throw new ModelFileError(where(`the weights hold ${name}, which model ${model.name} does not have (its parameters: ${[...params.keys()].join(", ")})`));
  }
  const table = new DimTable(model.dims, model.vocabs);
  const units = table.unitsOf(saved.meta.dims);
  for (const p of model.params) {
    const w = saved.weights.get(p.name);
    if (!w) throw new ModelFileError(where(`the weights have no ${p.name}, a parameter of model ${model.name}`));
    const want = p.shape.map((d) => table.evaluate(d, units));
    const unknown = [...new Set(p.shape.flatMap((d) => [...table.atomsOf(d)]))].filter((a) => !units.has(a));
    if (unknown.length > 0) throw new ModelFileError(where(`model.json gives no value for ${unknown.join(", ")}, a dim of ${p.name}`));
    if (want.join() !== w.shape.join()) throw new ModelFileError(where(`the weight ${p.name} is [${w.shape.join(", ")}], but model ${model.name} has it [${want.join(", ")}]`));
  }
}

/** The vocabularies saved in model.json. */
export function savedVocabularies(saved: SavedModel, dir: string): Record<string, Vocabulary> {
  try {
    return Object.fromEntries(Object.entries(saved.meta.vocabularies).map(([k, v]) => [k, Vocabulary.fromJSON(v, k)]));
  } catch (e) {
    throw new ModelFileError(`${join(dir, "model.json")}: ${(e as Error).message}`);
  }
}

// ---------------------------------------------------------------------- an emitted model's weights

type Layout = CompiledModel["layout"];

/** An emitted model's parameters as named float32 weights, in the model's order (the layout of weights.bin). */
export function modelWeights(info: ModelInfo, layout: Layout, params: Buf): Map<string, { shape: number[]; values: Float32Array }> {
  return new Map(
    info.params.map((p) => {
      const l = layout[p.name]!;
      return [p.name, { shape: [...l.shape], values: Float32Array.from(params.subarray(l.offset, l.offset + l.size)) }];
    }),
  );
}

/** A saved weight has the shape the model is built with (at the data's dims), or a ModelFileError names it: for either target's model. */
export function checkBuiltShape(dir: string, name: string, saved: readonly number[], built: readonly number[]): void {
  if (saved.join() !== built.join()) throw new ModelFileError(`${dir}: the weight ${name} is [${saved.join(", ")}], but the model is built with it [${built.join(", ")}]`);
}

/** Sets an emitted model's parameters from a model directory checked by checkModelFits (same names; shapes at the model's dims). */
export function setModelWeights(info: ModelInfo, layout: Layout, params: Buf, saved: SavedModel, dir: string): void {
  for (const p of info.params) {
    const l = layout[p.name]!;
    const w = saved.weights.get(p.name)!;
    checkBuiltShape(dir, p.name, w.shape, l.shape);
    params.set(w.values, l.offset);
  }
}
