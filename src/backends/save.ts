/**
 * The model directory, shared by the targets: `model.json` (the spec's source,
 * the model's name, the fixed dims, the vocabularies, the training settings and
 * a TensorFlow.js weights manifest) and `weights.bin` (float32, in manifest
 * order) — the TensorFlow.js weights format, so `tf.io` tools can read the
 * weights. Every file is written to a temporary name and renamed: a crash never
 * leaves a half-written model.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { VocabularyJSON } from "./data/vocab.js";
import type { TrainSettings } from "./settings.js";

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
  trained: { epochs: number; seed: number };
  weightsManifest: { paths: string[]; weights: WeightEntry[] }[];
}

export interface SavedModel {
  meta: ModelFile;
  weights: Map<string, { shape: number[]; values: Float32Array }>;
}

function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** Writes a model directory (weights first, then model.json, so a readable model.json always has its weights). */
export function saveModel(dir: string, meta: Omit<ModelFile, "weightsManifest" | "format" | "version">, weights: Map<string, { shape: number[]; values: Float32Array }>): void {
  mkdirSync(dir, { recursive: true });
  const entries: WeightEntry[] = [];
  const total = [...weights.values()].reduce((n, w) => n + w.values.length, 0);
  const bin = new Float32Array(total);
  let offset = 0;
  for (const [name, w] of weights) {
    entries.push({ name, shape: w.shape, dtype: "float32" });
    bin.set(w.values, offset);
    offset += w.values.length;
  }
  writeAtomic(join(dir, "weights.bin"), new Uint8Array(bin.buffer));
  const file: ModelFile = { format: MODEL_FORMAT, version: MODEL_VERSION, ...meta, weightsManifest: [{ paths: ["weights.bin"], weights: entries }] };
  writeAtomic(join(dir, "model.json"), JSON.stringify(file, null, 2) + "\n");
}

/** A problem with a model directory (missing, another format, truncated weights). */
export class ModelFileError extends Error {}

export function loadModel(dir: string): SavedModel {
  let meta: ModelFile;
  try {
    meta = JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as ModelFile;
  } catch (e) {
    throw new ModelFileError(`cannot read ${join(dir, "model.json")}: ${(e as Error).message}`);
  }
  if (meta.format !== MODEL_FORMAT || meta.version !== MODEL_VERSION) {
    throw new ModelFileError(`${dir} is not a seqc model directory (format ${String(meta.format)} ${String(meta.version)})`);
  }
  const weights = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const group of meta.weightsManifest) {
    let buf: Buffer;
    try {
      buf = readFileSync(join(dir, group.paths[0]!));
    } catch (e) {
      throw new ModelFileError(`cannot read the weights of ${dir}: ${(e as Error).message}`);
    }
    const all = new Float32Array(buf.buffer, buf.byteOffset, Math.floor(buf.byteLength / 4));
    let offset = 0;
    for (const w of group.weights) {
      const n = w.shape.reduce((a, b) => a * b, 1);
      if (offset + n > all.length) throw new ModelFileError(`${dir}: weights.bin is shorter than its manifest`);
      weights.set(w.name, { shape: w.shape, values: all.slice(offset, offset + n) });
      offset += n;
    }
  }
  return { meta, weights };
}
