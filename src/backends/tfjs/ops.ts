/**
 * Every op of the vocabulary in TensorFlow.js, as a table over OpKind.
 *
 * Each rule sees its arguments with the batch axis folded: a batched argument
 * is [N, ...elem] (N = batch times any mapped axes), an unbatched one (params,
 * constants) is [...elem] and broadcasts over N. The executor folds and unfolds
 * the mapped axes around the call.
 */
import type * as tfTypes from "@tensorflow/tfjs";
import type { OpKind } from "../../ir/ops.js";
import type { Attr } from "../../graph/graph.js";
import type { Tf } from "./engine.js";
import { avoidTransposedMatMul, gatherRows, matMul2d, matMulT, maxTiesShared } from "./custom.js";

type Tensor = tfTypes.Tensor;

export interface Arg {
  t: Tensor;
  batched: boolean;
}

export interface OpContext {
  tf: Tf;
  attrs: Record<string, Attr>;
  /** Whether the result is batched (some argument is). */
  batched: boolean;
  /** Element rank of the result. */
  rank: number;
  /** For losses and last over the time of sequences of different lengths: 1 for real steps, 0 for padding, [N, T]. */
  mask?: Tensor;
  /** For average pooling and batch statistics of a padded batch: 1 at real positions, [N, ...spatial, 1] (1 on axes that are not padded). */
  validity?: Tensor;
  /**
   * batch_normalize while training: normalise with the batch's statistics (over every axis but the last, the
   * positions `validity` marks real on a padded batch) and report them here; absent (eval), the running ones.
   */
  statistics?: (mean: Tensor, variance: Tensor) => void;
  /**
   * Transposes of unbatched operands (weights) made during one forward pass, so
   * that a weight used at every step of a scan is transposed once. Its tensors
   * belong to the pass's scope.
   */
  transposes?: Map<Tensor, Tensor>;
}

type Rule = (args: Arg[], ctx: OpContext) => Tensor;

/** Element rank of an argument (without the batch axis). */
function elemRank(a: Arg): number {
  return a.t.rank - (a.batched ? 1 : 0);
}

/** Reshapes batched arguments to [N, 1.., ...elem] of rank 1 + rank, so numpy broadcasting lines up with unbatched ones. */
function aligned(args: Arg[], rank: number): Tensor[] {
  return args.map((a) => {
    if (!a.batched || elemRank(a) === rank) return a.t;
    const [n, ...elem] = a.t.shape;
    return a.t.reshape([n!, ...Array<number>(rank - elem.length).fill(1), ...elem]);
  });
}

const binary = (f: (tf: Tf, a: Tensor, b: Tensor) => Tensor): Rule => (args, ctx) => {
  const [a, b] = aligned(args, ctx.rank) as [Tensor, Tensor];
  return f(ctx.tf, a, b);
};

/**
 * Both operands broadcast to their common shape. tfjs's gradients of maximum and
 * minimum (4.22) do not sum over broadcast axes (the gradient of a [4] operand
 * of a [3, 4] result would come out [3, 4]), so those ops get equal shapes.
 */
function broadcastBoth(tf: Tf, a: Tensor, b: Tensor): [Tensor, Tensor] {
  if (a.shape.join() === b.shape.join()) return [a, b];
  const n = Math.max(a.rank, b.rank);
  const shape = Array.from({ length: n }, (_, i) => Math.max(a.shape[a.rank - n + i] ?? 1, b.shape[b.rank - n + i] ?? 1));
  return [tf.broadcastTo(a, shape), tf.broadcastTo(b, shape)];
}

const unary = (f: (tf: Tf, a: Tensor) => Tensor): Rule => (args, ctx) => f(ctx.tf, args[0]!.t);

/** Axis of the tensor for an element axis, given whether the argument is batched. */
function axisOf(a: Arg, elemAxis: number): number {
  return elemAxis + (a.batched ? 1 : 0);
}

/** The one batch size among batched arguments. */
function batchOf(args: Arg[]): number | undefined {
  return args.find((a) => a.batched)?.t.shape[0];
}

/** Broadcasts an unbatched tensor to [N, ...]. */
function withBatch(tf: Tf, a: Arg, n: number): Tensor {
  return a.batched ? a.t : batchOfN(tf, a.t, n);
}

/**
 * An unbatched tensor (broadcast to `shape`) repeated over a batch of n: [n, ...shape]. zeros + t rather
 * than broadcastTo: wasm's Tile kernel is ~5x slower than Fill and a broadcasting Add.
 */
export function batchOfN(tf: Tf, t: Tensor, n: number, shape: readonly number[] = t.shape): Tensor {
  return tf.add(tf.zeros([n, ...shape]), t);
}

/** W's transpose, made once per forward pass when the pass keeps a memo. */
function transposeOf(ctx: OpContext, w: Tensor): Tensor {
  const known = ctx.transposes?.get(w);
  if (known && !known.isDisposed) return known;
  const t = ctx.tf.transpose(w);
  ctx.transposes?.set(w, t);
  return t;
}

const matmul: Rule = (args, ctx) => {
  const tf = ctx.tf;
  const [a, b] = args as [Arg, Arg];
  const ra = elemRank(a);
  const rb = elemRank(b);
  // 2-D products without transposed kernels (slow on wasm), forwards and backwards.
  const fast = tuning.fastMatmul && avoidTransposedMatMul(tf);
  const mm = (x: Tensor, y: Tensor) => (fast ? matMul2d(tf, x, y) : tf.matMul(x, y));
  if (!a.batched && !b.batched) {
    const A = ra === 1 ? a.t.reshape([1, -1]) : a.t;
    const B = rb === 1 ? b.t.reshape([-1, 1]) : b.t;
    const out = mm(A, B);
    return out.reshape([...(ra === 2 ? [a.t.shape[0]!] : []), ...(rb === 2 ? [b.t.shape[1]!] : [])]);
  }
  if (!a.batched) {
    // W @ x: [m, n] @ [N, n] -> [N, m]; [m, n] @ [N, n, k] -> [N, m, k]
    const hot = rb === 1 && ra === 2 ? oneHotIndices(tf, b.t) : undefined;
    if (hot) return gatherRows(tf, a.t, hot, true);
    if (rb === 1) {
      if (ra !== 2) return tf.sum(tf.mul(b.t, a.t), -1);
      return fast ? matMulT(tf, b.t, a.t, transposeOf(ctx, a.t)) : tf.matMul(b.t, a.t, false, true);
    }
    const [n, inner, k] = b.t.shape as [number, number, number];
    if (ra === 1) return tf.matMul(a.t.reshape([1, 1, inner]).tile([n, 1, 1]), b.t).reshape([n, k]);
    const flat = b.t.transpose([1, 0, 2]).reshape([inner, n * k]);
    return mm(a.t, flat).reshape([a.t.shape[0]!, n, k]).transpose([1, 0, 2]);
  }
  if (!b.batched) {
    // x @ W: [N, n] @ [n, k] -> [N, k]; [N, m, n] @ [n, k] -> [N, m, k]; [N, n] @ [n] -> [N]
    if (rb === 1) {
      if (ra === 1) return tf.sum(tf.mul(a.t, b.t), -1);
      // A 2-D product: tfjs's gradient of a batched matMul with a broadcast 2-D operand keeps the batch axis.
      const [n, m, inner] = a.t.shape as [number, number, number];
      return mm(a.t.reshape([n * m, inner]), b.t.reshape([inner, 1])).reshape([n, m]);
    }
    const hot = ra === 1 ? oneHotIndices(tf, a.t) : undefined;
    if (hot) return gatherRows(tf, b.t, hot, false);
    if (ra === 1) return mm(a.t, b.t);
    const [n, m, inner] = a.t.shape as [number, number, number];
    return mm(a.t.reshape([n * m, inner]), b.t).reshape([n, m, b.t.shape[1]!]);
  }
  // both batched
  if (ra === 1 && rb === 1) return tf.sum(tf.mul(a.t, b.t), -1);
  if (ra === 2 && rb === 1) return tf.matMul(a.t, b.t.expandDims(2)).squeeze([2]);
  if (ra === 1 && rb === 2) return tf.matMul(a.t.expandDims(1), b.t).squeeze([1]);
  return tf.matMul(a.t, b.t);
};

const concat: Rule = (args, ctx) => {
  const tf = ctx.tf;
  const n = batchOf(args);
  const ts = n === undefined ? args.map((a) => a.t) : args.map((a) => withBatch(tf, a, n));
  return tf.concat(ts, -1);
};

/**
 * The parts of the last split of each tensor: `let i, f, o, g = split<4>(z)` is
 * four split nodes, and one tf.split (n slices) serves them all instead of four.
 */
const splits = new WeakMap<Tensor, { n: number; parts: Tensor[] }>();

const split: Rule = (args, ctx) => {
  const x = args[0]!.t;
  const n = Number(ctx.attrs["n"]);
  let known = splits.get(x);
  if (!known || known.n !== n || known.parts.some((p) => p.isDisposed)) {
    known = { n, parts: ctx.tf.split(x, n, -1) };
    splits.set(x, known);
  }
  return known.parts[Number(ctx.attrs["index"])]!;
};

/** A [N, T] padding mask shaped to broadcast over a batched [N, T, ...] tensor. */
function maskOver(mask: Tensor, x: Tensor): Tensor {
  return mask.reshape([...mask.shape, ...Array<number>(x.rank - 2).fill(1)]);
}

/** Reductions (a padded batch's real positions only: see padding.ts). */
const reduce = (kind: "sum" | "mean" | "max"): Rule => (args, ctx) => {
  const a = args[0]!;
  const axis = axisOf(a, Number(ctx.attrs["axis"]));
  return kind === "sum" ? ctx.tf.sum(a.t, axis) : kind === "mean" ? ctx.tf.mean(a.t, axis) : maxTiesShared(ctx.tf, a.t, axis);
};

/** Moves an axis to the end, applies f over the last axis, and moves it back. */
function onAxis(tf: Tf, x: Tensor, axis: number, f: (x: Tensor) => Tensor): Tensor {
  if (axis === x.rank - 1) return f(x);
  const perm = [...Array(x.rank).keys()].filter((i) => i !== axis).concat([axis]);
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return f(tf.transpose(x, perm)).transpose(inverse);
}

const softmaxLike = (f: (tf: Tf, x: Tensor) => Tensor): Rule => (args, ctx) =>
  onAxis(ctx.tf, args[0]!.t, axisOf(args[0]!, Number(ctx.attrs["axis"])), (x) => f(ctx.tf, x));

/** Sequence ops work on the first element axis (time). */
const timeAxis = (a: Arg) => axisOf(a, 0);

const shift: Rule = (args, ctx) => {
  const tf = ctx.tf;
  const a = args[0]!;
  const k = Number(ctx.attrs["k"]);
  const ax = timeAxis(a);
  const len = a.t.shape[ax]!;
  const pad = a.t.shape.map((_, i) => (i === ax ? [k, 0] : [0, 0])) as [number, number][];
  return tf.slice(tf.pad(a.t, pad), 0, a.t.shape.map((s, i) => (i === ax ? len : s)));
};

const fold: Rule = (args, ctx) => {
  const a = args[0]!;
  const k = Number(ctx.attrs["k"]);
  const shape = a.t.shape;
  const ax = timeAxis(a);
  return a.t.reshape([...shape.slice(0, ax), shape[ax]! / k, k * shape[ax + 1]!, ...shape.slice(ax + 2)]);
};

const pick = (which: "first" | "last"): Rule => (args, ctx) => {
  const a = args[0]!;
  const ax = timeAxis(a);
  if (which === "last" && ctx.mask && a.batched) {
    // Each sequence's own last real step: the mask's last 1 per row, as weights over time.
    const m = ctx.mask;
    const lastReal = ctx.tf.sub(m, ctx.tf.concat([ctx.tf.slice(m, [0, 1], [-1, -1]), ctx.tf.zerosLike(ctx.tf.slice(m, [0, 0], [-1, 1]))], 1));
    return ctx.tf.sum(ctx.tf.mul(a.t, maskOver(lastReal, a.t)), 1);
  }
  const index = which === "first" ? 0 : a.t.shape[ax]! - 1;
  // A slice, not gather: gather's gradient needs a kernel the wasm backend lacks.
  const begin = a.t.shape.map((_, i) => (i === ax ? index : 0));
  const size = a.t.shape.map((d, i) => (i === ax ? 1 : d));
  return ctx.tf.slice(a.t, begin, size).squeeze([ax]);
};

/** Tensors made by the one_hot rule (and reshapes of them): their int32 indices, so that products with them can gather rows. */
const oneHots = new WeakMap<Tensor, { indices: Tensor; depth: number; inRange?: boolean }>();

/** Whether products with one-hot tensors gather (see tuning.gatherOneHot). */
const gathering = (tf: Tf) => tuning.gatherOneHot && tf.getBackend() !== "wasm";

/** The indices of a one-hot tensor made by the one_hot rule, when products with it gather and they all are in [0, depth). */
function oneHotIndices(tf: Tf, t: Tensor): Tensor | undefined {
  if (!gathering(tf)) return undefined;
  const o = oneHots.get(t);
  if (!o || o.indices.isDisposed) return undefined;
  if (o.inRange === undefined) o.inRange = (o.indices.dataSync() as Int32Array).every((i) => i >= 0 && i < o.depth);
  return o.inRange ? o.indices : undefined;
}

/**
 * t reshaped (the last axis kept); a one-hot tensor's indices follow it. With
 * `perm`, t is transposed first (perm keeps the last axis last).
 */
export function reshapeOneHot(tf: Tf, t: Tensor, shape: number[], perm?: number[]): Tensor {
  const out = (perm ? tf.transpose(t, perm) : t).reshape(shape);
  const o = gathering(tf) ? oneHots.get(t) : undefined;
  if (o && !o.indices.isDisposed && shape[shape.length - 1] === t.shape[t.rank - 1]) {
    const indices = (perm ? tf.transpose(o.indices, perm.slice(0, -1)) : o.indices).reshape(shape.slice(0, -1));
    oneHots.set(out, { indices, depth: o.depth });
  }
  return out;
}

const oneHot: Rule = (args, ctx) => {
  const depth = Number(ctx.attrs["depth"]);
  const indices = args[0]!.t.toInt();
  const out = ctx.tf.oneHot(indices, depth).toFloat();
  oneHots.set(out, { indices, depth });
  return out;
};

const flatten: Rule = (args) => {
  const a = args[0]!;
  return a.batched ? a.t.reshape([a.t.shape[0]!, -1]) : a.t.reshape([-1]);
};

/** Padding (before, after) of a spatial axis of size n for a window of f (dilation d, stride s). */
function padding(pad: Attr, n: number, f: number, d: number, s: number): [number, number] {
  const span = d * (f - 1);
  if (pad === "valid") return [0, 0];
  if (pad === "full") return [span, span];
  if (pad === "causal") return [span, 0];
  if (pad === "same") {
    // TensorFlow's rule: output ceil(n / s), the odd unit of padding after.
    const total = Math.max((Math.ceil(n / s) - 1) * s + span + 1 - n, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  }
  return [Number(pad), Number(pad)];
}

/**
 * Window positions of a batched [N, ...spatial(r), C] tensor, as plain slices:
 * for every kernel offset, the input seen by each output position, [N, ...out, C].
 * Built from pad, slice and reshape only, so it has gradients on every backend
 * (the wasm backend has no conv or pooling backprop kernels).
 */
function windows(tf: Tf, x: Tensor, r: number, f: readonly number[], stride: number, dilation: number, pad: Attr, padValue: number): { slices: Tensor[]; out: number[] } {
  const spatial = x.shape.slice(1, 1 + r);
  const pads = spatial.map((n, i) => padding(pad, n, f[i]!, dilation, stride));
  const out = spatial.map((n, i) => Math.floor((n + pads[i]![0] + pads[i]![1] - dilation * (f[i]! - 1) - 1) / stride) + 1);
  // Pad so that every slice of out*stride elements from each offset fits.
  const needed = spatial.map((n, i) => dilation * (f[i]! - 1) + out[i]! * stride - (n + pads[i]![0] + pads[i]![1]));
  const padded = tf.pad(x, x.shape.map((_, i) => (i >= 1 && i <= r ? [pads[i - 1]![0], pads[i - 1]![1] + Math.max(0, needed[i - 1]!)] : [0, 0])) as [number, number][], padValue);
  // Kernel offsets in row-major order of the kernel's spatial axes (as the kernel reshapes to [F1*..*Fr*C, K]).
  const offsets: number[][] = r === 1 ? [...Array(f[0]!).keys()].map((k) => [k]) : [...Array(f[0]! * f[1]!).keys()].map((k) => [Math.floor(k / f[1]!), k % f[1]!]);
  const n = x.shape[0]!;
  const c = x.shape[x.rank - 1]!;
  const slices = offsets.map((off) => {
    const begin = [0, ...off.map((o) => o * dilation), 0];
    const size = [n, ...out.map((o) => o * stride), c];
    let t = tf.slice(padded, begin, size);
    if (stride > 1) {
      // Every stride-th position: split each axis into (out, stride) and keep index 0.
      const split = [n, ...out.flatMap((o) => [o, stride]), c];
      t = t.reshape(split);
      t = tf.slice(t, split.map(() => 0), split.map((d, i) => (i >= 1 && i <= 2 * r && i % 2 === 0 ? 1 : d))).reshape([n, ...out, c]);
    }
    return t;
  });
  return { slices, out };
}

const conv: Rule = (args, ctx) => {
  const tf = ctx.tf;
  const [x, w] = args as [Arg, Arg];
  const n = batchOf(args) ?? 1;
  const input = withBatch(tf, x, n);
  const kernel = w.t;
  const r = kernel.rank - 2;
  const f = kernel.shape.slice(0, r);
  const k = kernel.shape[kernel.rank - 1]!;
  const { slices, out } = windows(tf, input, r, f, Number(ctx.attrs["stride"]), Number(ctx.attrs["dilation"]), ctx.attrs["pad"]!, 0);
  // im2col: patches [N * positions, F..F * C] times the kernel as [F..F * C, K].
  const patches = tf.concat(slices, -1);
  const rows = patches.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const flat = patches.reshape([rows, -1]);
  const y = tuning.fastMatmul && avoidTransposedMatMul(tf) ? matMul2d(tf, flat, kernel.reshape([-1, k])) : tf.matMul(flat, kernel.reshape([-1, k]));
  return y.reshape([n, ...out, k]);
};

const pool = (kind: "max" | "avg"): Rule => (args, ctx) => {
  const tf = ctx.tf;
  const x = args[0]!;
  const size = Number(ctx.attrs["size"]);
  const stride = Number(ctx.attrs["stride"]) || size;
  const r = elemRank(x) - 1;
  const pad = ctx.attrs["pad"]!;
  const sizes = Array<number>(r).fill(size);
  const { slices } = windows(tf, x.t, r, sizes, stride, 1, pad, kind === "max" ? -1e30 : 0);
  const stacked = tf.stack(slices);
  if (kind === "max") return maxTiesShared(tf, stacked, 0);
  // The mean over the real elements of each window: padding is not counted (as in TensorFlow and Keras),
  // nor are the padded positions of a padded batch (ctx.validity).
  const spatial = x.t.shape.slice(x.batched ? 1 : 0, -1);
  const ones = ctx.validity ? tf.broadcastTo(ctx.validity, [ctx.validity.shape[0]!, ...spatial, 1]) : tf.ones([1, ...spatial, 1]);
  const counts = tf.sum(tf.stack(windows(tf, ones, r, sizes, stride, 1, pad, 0).slices), 0);
  // A window wholly in the padding of a padded batch counts nothing: its (junk) mean is 0, not 0/0.
  return tf.div(tf.sum(stacked, 0), ctx.validity ? tf.maximum(counts, 1) : counts);
};

/** Sums every axis but the batch axis: a per-example loss [N]. */
function perExample(tf: Tf, x: Tensor): Tensor {
  return x.rank <= 1 ? x : tf.sum(x, [...Array(x.rank).keys()].slice(1));
}

const EPS = 1e-7;

/** Each loss element by element (the shape of the prediction); the rule sums them per example. */
const LOSSES: Record<"mse" | "bce" | "bce_logits" | "cross_entropy", (tf: Tf, p: Tensor, y: Tensor, tokens: boolean) => Tensor> = {
  mse: (tf, p, y) => tf.mul(0.5, tf.square(tf.sub(p, y))),
  bce: (tf, p, y) => {
    const q = tf.clipByValue(p, EPS, 1 - EPS);
    return tf.neg(tf.add(tf.mul(y, tf.log(q)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, q)))));
  },
  bce_logits: (tf, z, y) => tf.add(tf.sub(tf.relu(z), tf.mul(z, y)), tf.log1p(tf.exp(tf.neg(tf.abs(z))))),
  cross_entropy: (tf, z, y, tokens) => {
    const logp = tf.logSoftmax(z);
    const target = tokens ? tf.oneHot(y.toInt(), z.shape[z.rank - 1]!).toFloat() : y;
    return tf.neg(tf.mul(target, logp));
  },
};

const loss = (kind: keyof typeof LOSSES): Rule => (args, ctx) => {
  const [p, y] = args as [Arg, Arg];
  let elements = LOSSES[kind](ctx.tf, p.t, y.t, y.t.dtype === "int32");
  if (ctx.mask) {
    // Padded steps add nothing: the mask [N, T] is stretched over the remaining axes.
    const m = ctx.mask.reshape([...ctx.mask.shape, ...Array<number>(elements.rank - 2).fill(1)]);
    elements = ctx.tf.mul(elements, m);
  }
  return perExample(ctx.tf, elements);
};

/** Switches of the op rules (the benchmark turns them off to measure what each gives). */
export const tuning = {
  /** On the wasm backend, tanh of large tensors as 2 sigmoid(2x) - 1 (wasm's tanh kernel is ~6x slower than sigmoid's). */
  fastTanh: true,
  /** On the wasm backend, 2-D matrix products (and their gradients) without transposed matMul kernels, which wasm runs ~10x slower. */
  fastMatmul: true,
  /**
   * Products of a weight matrix with one_hot(tokens) as row gathers in JS (an
   * embedding lookup), except on wasm: there XNNPACK's product is as fast and the
   * gather's copies in and out of wasm memory made the benchmark's step no faster
   * (measured; on cpu it saves 17% of the step).
   */
  gatherOneHot: true,
};

/** Elements from which the sigmoid form of tanh pays for its three extra ops on wasm (measured: 32x512 yes, 32x128 no). */
const FAST_TANH_MIN = 8192;

/** tanh(x), as 2 sigmoid(2x) - 1 where that is faster (large tensors on wasm). */
export function tanh(tf: Tf, a: Tensor): Tensor {
  if (tuning.fastTanh && a.size >= FAST_TANH_MIN && tf.getBackend() === "wasm") return tf.sub(tf.mul(tf.sigmoid(tf.mul(a, 2)), 2), 1);
  return tf.tanh(a);
}

/** batch_normalize(x, mean, var): (x - m) / sqrt(v + epsilon), m and v the batch's (ctx.statistics) or the running ones. */
const batchNormalize: Rule = (args, ctx) => {
  const tf = ctx.tf;
  const [x, mean, variance] = args as [Arg, Arg, Arg];
  let m = mean.t;
  let v = variance.t;
  if (ctx.statistics) {
    const axes = Array.from({ length: x.t.rank - 1 }, (_, i) => i);
    if (ctx.validity) {
      // The mean over real positions only: [N, ..., 1] validity, 0 at padding.
      const w = ctx.validity;
      const count = tf.sum(tf.mul(tf.onesLike(x.t), w), axes);
      m = tf.div(tf.sum(tf.mul(x.t, w), axes), count);
      v = tf.div(tf.sum(tf.mul(tf.square(tf.sub(x.t, m)), w), axes), count);
    } else ({ mean: m, variance: v } = tf.moments(x.t, axes));
    ctx.statistics(m, v);
  }
  return tf.div(tf.sub(x.t, m), tf.sqrt(tf.add(v, Number(ctx.attrs["epsilon"]))));
};

export const TF_OPS: Record<OpKind, Rule> = {
  add: binary((tf, a, b) => tf.add(a, b)),
  sub: binary((tf, a, b) => tf.sub(a, b)),
  mul: binary((tf, a, b) => tf.mul(a, b)),
  // x times its mask (the graph's second argument: ones unless training).
  dropout: binary((tf, a, b) => tf.mul(a, b)),
  div: binary((tf, a, b) => tf.div(a, b)),
  maximum: binary((tf, a, b) => tf.maximum(...broadcastBoth(tf, a, b))),
  minimum: binary((tf, a, b) => tf.minimum(...broadcastBoth(tf, a, b))),
  matmul,
  neg: unary((tf, a) => tf.neg(a)),
  sigmoid: unary((tf, a) => tf.sigmoid(a)),
  tanh: unary((tf, a) => tanh(tf, a)),
  relu: unary((tf, a) => tf.relu(a)),
  elu: unary((tf, a) => tf.elu(a)),
  softplus: unary((tf, a) => tf.softplus(a)),
  exp: unary((tf, a) => tf.exp(a)),
  log: unary((tf, a) => tf.log(a)),
  sqrt: unary((tf, a) => tf.sqrt(a)),
  square: unary((tf, a) => tf.square(a)),
  abs: unary((tf, a) => tf.abs(a)),
  leaky_relu: (args, ctx) => ctx.tf.leakyRelu(args[0]!.t, Number(ctx.attrs["alpha"])),
  concat,
  split,
  fold,
  shift,
  flip: (args, ctx) => ctx.tf.reverse(args[0]!.t, timeAxis(args[0]!)),
  first: pick("first"),
  last: pick("last"),
  sum: reduce("sum"),
  mean: reduce("mean"),
  max: reduce("max"),
  softmax: softmaxLike((tf, x) => tf.softmax(x)),
  log_softmax: softmaxLike((tf, x) => tf.logSoftmax(x)),
  batch_normalize: batchNormalize,
  one_hot: oneHot,
  flatten,
  conv,
  maxpool: pool("max"),
  avgpool: pool("avg"),
  mse: loss("mse"),
  bce: loss("bce"),
  bce_logits: loss("bce_logits"),
  cross_entropy: loss("cross_entropy"),
};

/**
 * The slices of a tensor along an axis, like tf.unstack, but a single slice is
 * a reshape: tfjs's gradient of a one-output unstack fails (a 1-step scan or BPTT window).
 */
export function unstackSteps(tf: Tf, t: Tensor, axis: number): Tensor[] {
  if (t.shape[axis] === 1) return [t.reshape(t.shape.filter((_, i) => i !== axis))];
  return tf.unstack(t, axis);
}

/**
 * The states after step t of a scan over padded sequences: where step t is padding
 * (mask [N, T] is 0) a state keeps its previous value, elsewhere it takes the next one.
 */
export function maskedStates(tf: Tf, mask: Tensor, t: number, previous: Tensor[], next: Tensor[]): Tensor[] {
  const m = tf.slice(mask, [0, t], [-1, 1]);
  return next.map((value, i) => {
    const keep = m.reshape([m.shape[0]!, ...Array<number>(value.rank - 1).fill(1)]);
    return tf.add(previous[i]!, tf.mul(keep, tf.sub(value, previous[i]!)));
  });
}
