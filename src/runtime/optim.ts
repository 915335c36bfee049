/**
 * Optimisation over flat parameter buffers for the standalone TypeScript
 * target: the optimizers of the tfjs target (TensorFlow.js's sgd, momentum,
 * adam and rmsprop, with the options and defaults `seqc train` gives them), L2
 * weight decay and clipping by global norm as the tfjs trainer applies them.
 * Copied into the output of `seqc compile --target ts`: runs in browsers too,
 * so no Node built-ins.
 */
import { adamF32 } from "./gemm.js";
import type { Buf } from "./model-api.js";
import { OPTIMIZERS, type OptimizerName, type OptimizerSettings } from "./settings.js";

export type { OptimizerName, OptimizerSettings } from "./settings.js";

/** An optimizer over one flat buffer of parameters and its gradient. */
export interface Optimizer {
  readonly name: OptimizerName;
  /** Updates applied so far. */
  readonly iterations: number;
  /** One update of `params` (in place) from `grads`, laid out alike, at learning rate `lr` (default the settings'; a schedule's, settings.ts learningRate). */
  step(params: Buf, grads: Buf, lr?: number): void;
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

/** The i-th slot: `memory`'s i-th buffer zeroed when it is there and of this size and precision, else a new one. */
function slot(memory: readonly Buf[] | undefined, i: number, precision: "f32" | "f64", n: number): Buf {
  const b = memory?.[i];
  if (b === undefined || b.length !== n || (b instanceof Float64Array) !== (precision === "f64")) return zerosLike(precision, n);
  return b.fill(0);
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
 * Slots start at zero and use the parameters' precision. `memory`: buffers for them (a model's
 * optimizerMemory, beside its parameters, where adam's update runs on WebAssembly SIMD: gemm.ts adamF32, the
 * same bits as the loop here); without it they are new arrays.
 */
export function createOptimizer(settings: OptimizerSettings, size: number, precision: "f32" | "f64" = "f32", memory?: readonly Buf[]): Optimizer {
  const { name, lr: lr0 } = settings;
  if (!OPTIMIZERS.includes(name)) throw new Error(`unknown optimizer ${String(name)}: use ${OPTIMIZERS.join(", ")}`);
  if (!(Number.isFinite(lr0) && lr0 > 0)) throw new Error(`the learning rate ${lr0} is not a number > 0`);
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
        step(params, grads, lr = lr0) {
          for (let i = 0; i < params.length; i++) params[i] = params[i]! - lr * grads[i]!;
          iterations++;
        },
        slots: () => ({}),
      };
    case "momentum": {
      const beta = opt("beta", 0.9);
      const acc = slot(memory, 0, precision, size);
      return {
        name,
        get iterations() {
          return iterations;
        },
        step(params, grads, lr = lr0) {
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
      const m = slot(memory, 0, precision, size);
      const v = slot(memory, 1, precision, size);
      // TensorFlow.js keeps the running powers beta^t (starting at beta, t = 1).
      let accBeta1 = beta1;
      let accBeta2 = beta2;
      return {
        name,
        get iterations() {
          return iterations;
        },
        step(params, grads, lr = lr0) {
          const c1 = 1 - accBeta1;
          const c2 = 1 - accBeta2;
          if (!adamF32(params, grads, m, v, lr, beta1, beta2, c1, c2, eps)) for (let i = 0; i < params.length; i++) {
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
      const ms = slot(memory, 0, precision, size);
      return {
        name,
        get iterations() {
          return iterations;
        },
        step(params, grads, lr = lr0) {
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

/**
 * L2 weight decay as the tfjs trainer applies it: g += decay * w (before clipping), except in the `frozen`
 * ranges (running statistics, not trained), whose gradient stays 0 so that no optimizer moves them.
 */
export function applyWeightDecay(grads: Buf, params: Buf, decay: number, frozen: readonly { offset: number; size: number }[] = []): void {
  if (decay === 0) return;
  for (let i = 0; i < grads.length; i++) grads[i] = grads[i]! + decay * params[i]!;
  for (const r of frozen) grads.fill(0, r.offset, r.offset + r.size);
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
 * maxNorm of 0 (or less) leaves the gradient alone and computes nothing
 * (undefined): the trainer calls this at every update, clipping or not.
 */
export function clipByGlobalNorm(grads: Buf, maxNorm: number): number | undefined {
  if (!(maxNorm > 0)) return undefined;
  const norm = globalNorm(grads);
  const scale = Math.min(1, maxNorm / (norm + 1e-12));
  if (scale < 1) for (let i = 0; i < grads.length; i++) grads[i] = grads[i]! * scale;
  return norm;
}
