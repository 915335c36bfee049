/**
 * Pieces of the tfjs target that work below tfjs's op level: ops with their
 * own gradients (customOp), matrix products that avoid the wasm backend's slow
 * kernels, one-hot products as gathers, reused scratch arrays and a fast e^x
 * for the JS loops of fused scans (fused.ts).
 *
 * The wasm backend (tfjs 4.22) runs a matMul through XNNPACK only when neither
 * operand is transposed; `transposeA` or `transposeB` fall back to a naive
 * blocked loop that is 10-25x slower (measured: [32,128]x[128,512] 0.14 ms,
 * the same with transposeB 1.3 ms; [128,1600]x[1600,512] 5 ms, as
 * transposeA of [1600,128] 126 ms). tfjs's own gradient of matMul uses exactly
 * those transposed forms (dA = dY B^T, dB = A^T dY), so most of a training
 * step of a recurrent model went there. The products below transpose operands
 * explicitly (a cheap copy) and call the fast kernel, forwards and backwards.
 */
import type * as tfTypes from "@tensorflow/tfjs";
import type { Tf } from "./engine.js";

type Tensor = tfTypes.Tensor;

/**
 * Scratch arrays reused across training steps, by length. Writing fresh memory
 * measured ~4x slower than writing reused memory (page faults, zeroing), and
 * large typed arrays that come and go make V8 run full collections. Only arrays
 * that no tensor keeps come back here (the cpu backend keeps the arrays given
 * to tf.tensor; see tensorCopies). At most POOL_MAX floats are kept: past that
 * (e.g. many different sequence lengths) the pool starts again.
 */
const pool = new Map<number, Float32Array[]>();
const POOL_MAX = 1 << 24;
let pooled = 0;

/** An array of `length` floats (zeros when `zero`; else its contents are arbitrary). */
export function take(length: number, zero: boolean): Float32Array {
  const a = pool.get(length)?.pop();
  if (!a) return new Float32Array(length);
  pooled -= length;
  if (zero) a.fill(0);
  return a;
}

/** Arrays no longer used by anything, for take() to hand out again. */
export function give(arrays: Float32Array[]): void {
  for (const a of arrays) {
    if (a.length > POOL_MAX || pool.get(a.length)?.includes(a)) continue;
    if (pooled + a.length > POOL_MAX) {
      pool.clear();
      pooled = 0;
    }
    const list = pool.get(a.length) ?? [];
    if (list.length >= 4) continue;
    list.push(a);
    pool.set(a.length, list);
    pooled += a.length;
  }
}

/** Whether tf.tensor copies the array it is given, which can then be reused at once (wasm: into its memory). */
export function tensorCopies(tf: Tf): boolean {
  return tf.getBackend() === "wasm";
}

/** A tensor of an array from the pool, which goes back to the pool when the backend copied it. */
export function tensorOfScratch(tf: Tf, values: Float32Array, shape: number[]): Tensor {
  const t = tf.tensor(values, shape);
  if (tensorCopies(tf)) give([values]);
  return t;
}

interface WasmHeap {
  typedArrayFromHeap(t: { shape: number[]; dtype: string; dataId: object }): Float32Array;
}

/**
 * A float32 tensor's values without a copy where the backend allows it (wasm: a
 * view of its memory, valid until the next tfjs op or disposal: read it at once),
 * else dataSync(). Never write to it.
 */
export function peek(tf: Tf, t: Tensor): Float32Array {
  if (tf.getBackend() === "wasm") {
    const backend = tf.backend() as unknown as Partial<WasmHeap>;
    if (typeof backend.typedArrayFromHeap === "function") return backend.typedArrayFromHeap(t);
  }
  return t.dataSync() as Float32Array;
}

/** A copy of a float32 tensor's values in a pooled array (give it back when done). */
export function copyOf(tf: Tf, t: Tensor): Float32Array {
  const a = take(t.size, false);
  a.set(peek(tf, t));
  return a;
}

/** What tfjs's engine offers below tf.customGrad: several outputs, and gradients computed only for the inputs that need them. */
interface KernelFuncEngine {
  isTapeOn?(): boolean;
  runKernelFunc(params: {
    forwardFunc: (backend: unknown, save: (tensors: Tensor[]) => void) => Tensor | Tensor[];
    backwardsFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => Record<string, () => Tensor>;
    inputs: Record<string, Tensor>;
  }): Tensor | Tensor[];
}

/**
 * An op with its own gradient. `forward` runs without recording to the tape
 * (inside a tidy: only the returned tensors survive) and may `save` tensors for
 * `backward` (they are kept only when gradients are being recorded, which
 * `recording` says: when false, `backward` will not run); it returns one or
 * more outputs. `backward` gets one cotangent per output (zeros for
 * unused ones) and returns one gradient function per input, called only for
 * the inputs that lead to a parameter. Like tf.customGrad, but with several
 * outputs and lazy per-input gradients, through the engine's runKernelFunc
 * (tfjs-core 4.x; tf.customGrad is built on it).
 */
export function customOp(
  tf: Tf,
  inputs: Tensor[],
  forward: (save: (tensors: Tensor[]) => void, recording: boolean) => Tensor[],
  backward: (dys: Tensor[], saved: Tensor[]) => (() => Tensor)[],
): Tensor[] {
  const engine = tf.engine() as unknown as KernelFuncEngine;
  if (typeof engine.runKernelFunc !== "function") throw new Error("customOp: this version of tfjs-core has no runKernelFunc");
  let outputs = 0;
  const recording = engine.isTapeOn?.() ?? true;
  const out = engine.runKernelFunc({
    inputs: Object.fromEntries(inputs.map((t, i) => [String(i), t])),
    forwardFunc: (_backend, save) => {
      const outs = forward(save, recording);
      outputs = outs.length;
      return outs;
    },
    backwardsFunc: (dy, saved) => {
      const dys = outputs === 1 && !Array.isArray(dy) ? [dy] : (dy as Tensor[]);
      const grads = backward(dys, saved);
      return Object.fromEntries(grads.map((g, i) => [String(i), g]));
    },
  });
  return Array.isArray(out) ? out : [out];
}

/** Whether matrix products should avoid transposed kernels (the wasm backend's are slow). */
export function avoidTransposedMatMul(tf: Tf): boolean {
  return tf.getBackend() === "wasm";
}

/** a [m, k] @ b [k, n], forwards and backwards without transposed matMul kernels. */
export function matMul2d(tf: Tf, a: Tensor, b: Tensor): Tensor {
  return customOp(
    tf,
    [a, b],
    (save) => {
      save([a, b]);
      return [tf.matMul(a, b)];
    },
    ([dy], [sa, sb]) => [() => tf.matMul(dy!, tf.transpose(sb!)), () => tf.matMul(tf.transpose(sa!), dy!)],
  )[0]!;
}

/**
 * x [N, n] @ W^T for W [m, n] (a layer's W @ x over a batch), without transposed
 * kernels: forwards x @ wT, where wT is W's transpose (given when the caller
 * has it, e.g. once per forward pass for a weight used at every step); backwards
 * dx = dy @ W and dW = dy^T @ x.
 */
export function matMulT(tf: Tf, x: Tensor, w: Tensor, wT?: Tensor): Tensor {
  return customOp(
    tf,
    [x, w],
    (save) => {
      save([x, w]);
      return [tf.matMul(x, wT ?? tf.transpose(w))];
    },
    ([dy], [sx, sw]) => [() => tf.matMul(dy!, sw!), () => tf.matMul(tf.transpose(dy!), sx!)],
  )[0]!;
}

/**
 * e^x, 3-4x faster than Math.exp in V8 and accurate to 1e-13 (relative): 2^(n/64)
 * from two tables times a degree-4 polynomial of the remainder. Arguments are
 * clamped to [-104, 89], beyond which a float32 result is 0 or infinite anyway.
 */
const EXP_FRAC = Float64Array.from({ length: 64 }, (_, j) => Math.pow(2, j / 64));
const EXP_INT = Float64Array.from({ length: 310 }, (_, m) => Math.pow(2, m - 155));
const EXP_K = 64 / Math.LN2;
const EXP_L = Math.LN2 / 64;
export function fastExp(x: number): number {
  const c = x < -104 ? -104 : x > 89 ? 89 : x;
  const n = Math.round(c * EXP_K);
  const r = c - n * EXP_L;
  return EXP_INT[(n >> 6) + 155]! * EXP_FRAC[n & 63]! * (1 + r * (1 + r * (0.5 + r * (0.16666666666666666 + r * 0.041666666666666664))));
}

/** How many products ran as gathers (the tests check that the path runs). */
export const gathers = { count: 0 };

/**
 * Products with a one-hot operand as row gathers: onehot(i) @ W is W[i] (an
 * embedding) and W @ onehot(i) is W^T[i] (an input projection of tokens).
 * `indices` [N] are in [0, V) for W [V, k] (or [k, V] when `transposed`).
 * Both ways run in JS: the wasm backend's gather kernel is slow (25 ms for
 * 1600 rows of 512) and it has no kernel for tfjs's gradient of gather
 * (UnsortedSegmentSum); backwards, the rows of dy are added into dW.
 */
export function gatherRows(tf: Tf, w: Tensor, indices: Tensor, transposed: boolean): Tensor {
  gathers.count++;
  const [V, k] = transposed ? [w.shape[1]!, w.shape[0]!] : [w.shape[0]!, w.shape[1]!];
  const rows = indices.dataSync() as Int32Array;
  return customOp(
    tf,
    [w],
    () => {
      const data = peek(tf, w);
      let table = data;
      if (transposed) {
        table = take(V * k, false);
        for (let j = 0; j < k; j++) for (let v = 0; v < V; v++) table[v * k + j] = data[j * V + v]!;
      }
      const out = take(rows.length * k, false);
      for (let r = 0; r < rows.length; r++) out.set(table.subarray(rows[r]! * k, rows[r]! * k + k), r * k);
      if (transposed) give([table]);
      return [tensorOfScratch(tf, out, [rows.length, k])];
    },
    ([dy]) => [
      () => {
        const g = peek(tf, dy!);
        const acc = take(V * k, true);
        for (let r = 0; r < rows.length; r++) {
          const to = rows[r]! * k;
          const from = r * k;
          for (let j = 0; j < k; j++) acc[to + j]! += g[from + j]!;
        }
        if (!transposed) return tensorOfScratch(tf, acc, w.shape);
        const out = take(V * k, false);
        for (let v = 0; v < V; v++) for (let j = 0; j < k; j++) out[j * V + v] = acc[v * k + j]!;
        give([acc]);
        return tensorOfScratch(tf, out, w.shape);
      },
    ],
  )[0]!;
}

/**
 * The max over an axis whose gradient is shared evenly among tied maxima (as
 * TensorFlow's reduce_max and PyTorch's amax do). tfjs's own gradient gives
 * every tied entry the whole gradient, so max(x, x) had derivative 2 in x: a
 * window of a padded pool or a relu plateau makes such ties, not only chance.
 */
export function maxTiesShared(tf: Tf, x: Tensor, axis: number): Tensor {
  const f = tf.customGrad((...args: (Tensor | tfTypes.GradSaveFunc)[]) => {
    const t = args[0] as Tensor;
    const save = args[1] as tfTypes.GradSaveFunc;
    const kept = tf.max(t, axis, true);
    save([t, kept]);
    return {
      value: tf.squeeze(kept, [axis]),
      gradFunc: (dy, saved) => {
        const [xs, m] = saved as [Tensor, Tensor];
        const winners = tf.cast(tf.equal(xs, m), "float32");
        return tf.div(tf.mul(tf.expandDims(dy as Tensor, axis), winners), tf.sum(winners, axis, true));
      },
    };
  });
  return f(x);
}
