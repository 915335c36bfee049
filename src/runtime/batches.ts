/**
 * Batches and truncated-BPTT windows of examples: a seeded shuffle, batches
 * of one length (bucketing), windows along the time dim, and the model's
 * Batch of some examples. Runtime file: imports only its siblings.
 */
import type { Batch, Buf, CompiledModel, Dims, ModelInfo } from "./model-api.js";
import type { DataSet } from "./data.js";
import type { Examples } from "./examples.js";
import { Rng } from "./init.js";

/** A Fisher-Yates shuffle of 0..n-1 (the order of the tfjs target's batches for the same generator). */
export function permutation(n: number, rng: { next(): number }): number[] {
  const out = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}

/**
 * The positions of the examples held out for validation and of those kept for
 * training (each in their original order): `fraction` of n chosen by `seed`,
 * at least one when fraction > 0 and n >= 2, never all of them.
 */
export function validationSplit(n: number, fraction: number, seed: number): { train: number[]; validation: number[] } {
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`validation fraction ${fraction} is not in [0, 1)`);
  let k = Math.round(n * fraction);
  if (fraction > 0 && k === 0 && n >= 2) k = 1;
  k = Math.min(k, n - 1);
  const all = Array.from({ length: n }, (_, i) => i);
  if (k <= 0) return { train: all, validation: [] };
  const order = permutation(n, new Rng(seed));
  return { train: order.slice(k).sort((a, b) => a - b), validation: order.slice(0, k).sort((a, b) => a - b) };
}

/** What a run says it trains on, in both trainers: `training NAME on N examples (M held out), starting from DIR`. */
export function trainingOn(model: string, examples: number, heldOut: number, init?: string): string {
  return `training ${model} on ${examples} examples${heldOut > 0 ? ` (${heldOut} held out)` : ""}${init !== undefined ? `, starting from ${init}` : ""}`;
}

/**
 * Batches of examples of identical lengths: walking `order` (default: the
 * examples in order), each example joins the open batch of its lengths (a
 * new one when there is none or it is full). Batches come in the order they
 * were opened, so with one length they are consecutive runs of `order`, as
 * the tfjs target's. Each batch is a subset of `examples` (no object per example).
 */
export function planBatches(examples: Examples, order: readonly number[] | undefined, size: number, freeDims: readonly string[]): Examples[] {
  return planBatchIndices(examples, order, size, freeDims).map((b) => examples.subset(b));
}

/** planBatches' batches as the positions of their examples in `examples`. */
export function planBatchIndices(examples: Examples, order: readonly number[] | undefined, size: number, freeDims: readonly string[]): number[][] {
  const open = new Map<string, number[]>();
  const all: number[][] = [];
  const n = order ? order.length : examples.length;
  for (let k = 0; k < n; k++) {
    const i = order ? order[k]! : k;
    const key = freeDims.map((d) => examples.dim(d, i) ?? 0).join(",");
    let b = open.get(key);
    if (!b || b.length >= size) {
      b = [];
      open.set(key, b);
      all.push(b);
    }
    b.push(i);
  }
  return all;
}

/** A window along the time dim: steps [t0, t0 + w). */
export interface Window {
  t0: number;
  w: number;
}

/** The dim truncated BPTT cuts along: the data's one free dim, when every field has it as its first axis (as the tfjs trainer's windowAxis). */
export function windowDim(info: ModelInfo, data: DataSet): string | undefined {
  if (data.freeDims.length !== 1) return undefined;
  const atom = data.freeDims[0]!;
  return info.fields.every((f) => f.shape[0] === atom) ? atom : undefined;
}

export function windowsOf(batch: Examples, atom: string | undefined, bptt: number): (Window | undefined)[] {
  if (atom === undefined || bptt <= 0) return [undefined];
  const T = batch.dim(atom, 0) ?? 0;
  const out: Window[] = [];
  for (let t0 = 0; t0 < T; t0 += bptt) out.push({ t0, w: Math.min(bptt, T - t0) });
  return out.length > 0 ? out : [undefined];
}

/** The model's Batch of some examples (of identical lengths), or of their window along `atom`. */
export function batchOf(info: ModelInfo, items: Examples, extraDims: Dims, atom?: string, win?: Window): Batch {
  const dims: Dims = { ...extraDims, ...items.dims(0) };
  if (atom !== undefined && win) dims[atom] = win.w;
  const fields: Record<string, Buf | Int32Array> = {};
  for (const f of info.fields) {
    const rows = Array.from({ length: items.length }, (_, i) => {
      const d = items.field(f.name, i);
      if (atom === undefined || !win) return d;
      const per = d.length / (items.dim(atom, i) ?? 1);
      return d.subarray(win.t0 * per, (win.t0 + win.w) * per);
    });
    const n = rows.reduce((s, r) => s + r.length, 0);
    const out = f.dtype === "int32" ? new Int32Array(n) : info.precision === "f64" ? new Float64Array(n) : new Float32Array(n);
    let at = 0;
    for (const r of rows) {
      out.set(r, at);
      at += r.length;
    }
    fields[f.name] = out;
  }
  return { size: items.length, dims, fields };
}

/** Copies of the final states of the scans that truncated BPTT carries (the model's buffers are overwritten by the next pass). */
export function carriedStates(model: CompiledModel, info: ModelInfo): Record<string, Buf> | undefined {
  if (info.scans.length === 0) return undefined;
  const fin = model.finalStates();
  const out: Record<string, Buf> = {};
  for (const s of info.scans) {
    for (const st of s.states) {
      const key = `${s.name}.${st}`;
      const v = fin[key];
      if (!v) continue;
      const n = v.shape.reduce((a, b) => a * b, 1);
      out[key] = v.data.slice(v.offset, v.offset + n) as Buf; // states are floats
    }
  }
  return out;
}

/** Values of the free dims at their maxima over some examples. */
export function maxDims(examples: Examples, freeDims: readonly string[]): Dims {
  const out: Dims = {};
  for (const d of freeDims) out[d] = 0;
  for (let i = 0; i < examples.length; i++) for (const d of freeDims) out[d] = Math.max(out[d]!, examples.dim(d, i) ?? 0);
  return out;
}
