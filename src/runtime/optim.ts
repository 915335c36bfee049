/**
 * Optimisation over flat parameter buffers for the standalone TypeScript
 * target: the optimizers of the tfjs target (TensorFlow.js's sgd, momentum,
 * adam and rmsprop, with the options and defaults `seqc train` gives them), L2
 * weight decay and clipping by global norm as the tfjs trainer applies them,
 * and the model directory's weights in the TensorFlow.js weights format
 * (float32, little-endian, in manifest order). Copied into the output of
 * `seqc compile --target ts`: runs in browsers too, so no Node built-ins.
 */
import type { Buf, CompiledModel, ModelInfo } from "./model-api.js";

export type OptimizerName = "sgd" | "momentum" | "adam" | "rmsprop";

/** An optimizer as a spec's `train {}` block or the command line gives it. */
export interface OptimizerSettings {
  name: OptimizerName;
  lr: number;
  /** beta (momentum), beta1, beta2, eps (adam), rho, eps (rmsprop). */
  options: Record<string, number>;
}

/** Default learning rates when only the optimizer's name is given (as src/backends/settings.ts). */
export const DEFAULT_LR: Record<OptimizerName, number> = { sgd: 0.1, momentum: 0.01, adam: 0.001, rmsprop: 0.001 };

export const OPTIMIZERS: readonly OptimizerName[] = ["sgd", "momentum", "adam", "rmsprop"];

/** An optimizer over one flat buffer of parameters and its gradient. */
export interface Optimizer {
  readonly name: OptimizerName;
  /** Updates applied so far. */
  readonly iterations: number;
  /** One update of `params` (in place) from `grads`, laid out alike. */
  step(params: Buf, grads: Buf): void;
  /** The optimizer's slots (e.g. adam's m and v), by name, laid out like the parameters. */
  slots(): Record<string, Buf>;
}

/** Option names each optimizer takes besides lr. */
const OPTION_NAMES: Record<OptimizerName, readonly string[]> = { sgd: [], momentum: ["beta"], adam: ["beta1", "beta2", "eps"], rmsprop: ["rho", "eps"] };

/** Makes a buffer like `like` (its precision) of `n` zeros. */
function zerosLike(like: Buf | "f32" | "f64", n: number): Buf {
  const f64 = like === "f64" || like instanceof Float64Array;
  return f64 ? new Float64Array(n) : new Float32Array(n);
}

/**
 * An optimizer for `size` parameters with TensorFlow.js's update rules, as the
 * tfjs target builds them:
 *
 *   sgd       w -= lr * g
 *   momentum  a = beta * a + g;  w -= lr * a                                   (beta 0.9)
 *   adam      m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
 *             w -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)        (0.9, 0.999, 1e-7)
 *   rmsprop   s = rho s + (1-rho) g^2;  w -= lr * g / sqrt(s + eps)            (0.9, 1e-7)
 *
 * Slots start at zero and use the parameters' precision.
 */
export function createOptimizer(settings: OptimizerSettings, size: number, precision: "f32" | "f64" = "f32"): Optimizer {
  const { name, lr } = settings;
  if (!OPTIMIZERS.includes(name)) throw new Error(`unknown optimizer ${String(name)}: use ${OPTIMIZERS.join(", ")}`);
  if (!(Number.isFinite(lr) && lr > 0)) throw new Error(`the learning rate ${lr} is not a number > 0`);
  for (const k of Object.keys(settings.options)) {
    if (!OPTION_NAMES[name].includes(k)) throw new Error(`optimizer ${name} has no option ${k}${OPTION_NAMES[name].length > 0 ? ` (it has lr, ${OPTION_NAMES[name].join(", ")})` : " (only lr)"}`);
  }
  const opt = (key: string, fallback: number): number => settings.options[key] ?? fallback;
  let iterations = 0;
  switch (name) {
    case "sgd":
      return {
        name,
        get iterations() {
          return iterations;
        },
        step(params, grads) {
          for (let i = 0; i < params.length; i++) params[i] = params[i]! - lr * grads[i]!;
          iterations++;
        },
        slots: () => ({}),
      };
    case "momentum": {
      const beta = opt("beta", 0.9);
      const acc = zerosLike(precision, size);
      return {
        name,
        get iterations() {
          return iterations;
        },
        step(params, grads) {
          for (let i = 0; i < params.length; i++) {
            const a = beta * acc[i]! + grads[i]!;
            acc[i] = a;
            params[i] = params[i]! - lr * a;
          }
          iterations++;
        },
        slots: () => ({ momentum: acc }),
      };
    }
    case "adam": {
      const beta1 = opt("beta1", 0.9);
      const beta2 = opt("beta2", 0.999);
      const eps = opt("eps", 1e-7);
      const m = zerosLike(precision, size);
      const v = zerosLike(precision, size);
      // TensorFlow.js keeps the running powers beta^t (starting at beta, t = 1).
      let accBeta1 = beta1;
      let accBeta2 = beta2;
      return {
        name,
        get iterations() {
          return iterations;
        },
        step(params, grads) {
          const c1 = 1 - accBeta1;
          const c2 = 1 - accBeta2;
          for (let i = 0; i < params.length; i++) {
            const g = grads[i]!;
            const mi = beta1 * m[i]! + (1 - beta1) * g;
            const vi = beta2 * v[i]! + (1 - beta2) * g * g;
            m[i] = mi;
            v[i] = vi;
            params[i] = params[i]! - (lr * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
          }
          accBeta1 *= beta1;
          accBeta2 *= beta2;
          iterations++;
        },
        slots: () => ({ m, v }),
      };
    }
    case "rmsprop": {
      const rho = opt("rho", 0.9);
      const eps = opt("eps", 1e-7);
      const ms = zerosLike(precision, size);
      return {
        name,
        get iterations() {
          return iterations;
        },
        step(params, grads) {
          for (let i = 0; i < params.length; i++) {
            const g = grads[i]!;
            const s = rho * ms[i]! + (1 - rho) * g * g;
            ms[i] = s;
            params[i] = params[i]! - (lr * g) / Math.sqrt(s + eps);
          }
          iterations++;
        },
        slots: () => ({ rms: ms }),
      };
    }
  }
}

/** L2 weight decay as the tfjs trainer applies it: g += decay * w (before clipping). */
export function applyWeightDecay(grads: Buf, params: Buf, decay: number): void {
  if (decay === 0) return;
  for (let i = 0; i < grads.length; i++) grads[i] = grads[i]! + decay * params[i]!;
}

/** The L2 norm of a whole buffer. */
export function globalNorm(grads: Buf): number {
  let s = 0;
  for (let i = 0; i < grads.length; i++) s += grads[i]! * grads[i]!;
  return Math.sqrt(s);
}

/**
 * Clips a gradient to a global norm as the tfjs trainer does: scales it by
 * min(1, maxNorm / (norm + 1e-12)). Returns the norm before clipping. A
 * maxNorm of 0 (or less) leaves the gradient alone.
 */
export function clipByGlobalNorm(grads: Buf, maxNorm: number): number {
  const norm = globalNorm(grads);
  if (!(maxNorm > 0)) return norm;
  const scale = Math.min(1, maxNorm / (norm + 1e-12));
  if (scale < 1) for (let i = 0; i < grads.length; i++) grads[i] = grads[i]! * scale;
  return norm;
}

// ------------------------------------------------------------------ weights

/** One entry of a TensorFlow.js weights manifest. */
export interface WeightEntry {
  name: string;
  shape: number[];
  dtype: "float32";
}

/** Weights that do not fit the model (missing, misshapen, truncated). */
export class WeightsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WeightsError";
  }
}

type Layout = CompiledModel["layout"];

function layoutOf(layout: Layout, name: string): Layout[string] {
  const l = layout[name];
  if (!l) throw new WeightsError(`the model's layout has no parameter ${name}`);
  return l;
}

/**
 * The weights of a model in the TensorFlow.js weights format: one manifest
 * entry per parameter in `info.params` order and the float32 values,
 * little-endian, concatenated in that order (the layout of weights.bin).
 */
export function encodeWeights(info: ModelInfo, layout: Layout, params: Buf): { entries: WeightEntry[]; bytes: Uint8Array } {
  let total = 0;
  for (const p of info.params) total += layoutOf(layout, p.name).size;
  const bytes = new Uint8Array(total * 4);
  const view = new DataView(bytes.buffer);
  const entries: WeightEntry[] = [];
  let at = 0;
  for (const p of info.params) {
    const l = layoutOf(layout, p.name);
    entries.push({ name: p.name, shape: [...l.shape], dtype: "float32" });
    for (let i = 0; i < l.size; i++) {
      view.setFloat32(at, params[l.offset + i]!, true);
      at += 4;
    }
  }
  return { entries, bytes };
}

const show = (shape: readonly number[]) => `[${shape.join(", ")}]`;

/**
 * Reads weights in the TensorFlow.js format (manifest entries and the bytes of
 * their float32 values, concatenated in manifest order) into `params`, by
 * parameter name. Every parameter of the model must be there with its shape;
 * entries for other names are errors too (the weights are another model's).
 * `source` names the weights in messages (e.g. the directory).
 */
export function decodeWeights(info: ModelInfo, layout: Layout, params: Buf, entries: readonly WeightEntry[], bytes: Uint8Array, source = "the weights"): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found = new Map<string, { shape: number[]; at: number }>();
  let at = 0;
  for (const e of entries) {
    if (e.dtype !== undefined && e.dtype !== "float32") throw new WeightsError(`${source}: weight ${e.name} is ${String(e.dtype)}; only float32 weights are read`);
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new WeightsError(`${source}: weight ${e.name} has no valid shape`);
    if (found.has(e.name)) throw new WeightsError(`${source}: weight ${e.name} is listed twice`);
    let n = 1;
    for (const d of e.shape) n *= d;
    found.set(e.name, { shape: e.shape, at });
    at += n * 4;
  }
  if (at > bytes.byteLength) throw new WeightsError(`${source}: the weights data has ${bytes.byteLength} bytes, but the manifest lists ${at} (${at / 4} float32 values): the file is truncated or is not these weights`);
  const ours = new Set(info.params.map((p) => p.name));
  const extra = [...found.keys()].filter((k) => !ours.has(k));
  const missing = info.params.map((p) => p.name).filter((k) => !found.has(k));
  if (missing.length > 0 || extra.length > 0) {
    const parts: string[] = [];
    if (missing.length > 0) parts.push(`no weights for ${missing.join(", ")}`);
    if (extra.length > 0) parts.push(`weights for ${extra.join(", ")}, which model ${info.name} does not have`);
    throw new WeightsError(`${source} do not fit model ${info.name}: ${parts.join("; ")}`);
  }
  for (const p of info.params) {
    const l = layoutOf(layout, p.name);
    const w = found.get(p.name)!;
    if (w.shape.length !== l.shape.length || w.shape.some((d, i) => d !== l.shape[i])) {
      throw new WeightsError(`${source}: weight ${p.name} has shape ${show(w.shape)}, but model ${info.name} needs ${show(l.shape)} (were the dims or the vocabularies different?)`);
    }
  }
  for (const p of info.params) {
    const l = layoutOf(layout, p.name);
    const w = found.get(p.name)!;
    for (let i = 0; i < l.size; i++) params[l.offset + i] = view.getFloat32(w.at + 4 * i, true);
  }
}
