/**
 * Padded batches: what each op does about the padding of sequences shorter
 * than the batch's longest, as a table over OpKind.
 *
 * An axis of a value is padded when its dim depends on a length dim whose
 * per-example values came with the batch (T, but also T - 2 after a valid
 * convolution, T/2 after fold, T*C after flatten): example i's real part is
 * the first extent_i(axis) positions, the rest is junk. A padded batch must
 * compute what each example computes alone, so every op that mixes positions
 * along a padded axis respects the real extent:
 *   - reductions, softmax and matrix products over the axis count real
 *     positions only;
 *   - convolutions and pools see zeros (or nothing) beyond the real part, as
 *     the example alone would see its padding;
 *   - flip reverses each example's real part;
 *   - losses, `last` and scans (states keep their value over padding) take
 *     the [N, T] mask of their first axis through the op context.
 * Positionwise ops need nothing. An op that moves data across a padded axis
 * in a way no rule covers (concat or split along it, flatten of a padded
 * axis that is not the first, ...) throws PaddingError, so a padded batch is
 * never silently wrong: the executor then runs such a model's ragged batches
 * as groups of equal lengths (TfModel.forwardByLength).
 */
import type * as tfTypes from "@tensorflow/tfjs";
import type { OpKind } from "../../ir/ops.js";
import { NodeError, type Attr } from "../../graph/graph.js";
import type { Tf } from "./engine.js";
import type { Arg, OpContext } from "./ops.js";

type Tensor = tfTypes.Tensor;

/** A padded batch reached an op that cannot respect its padding (`src`: where the op is in the spec). */
export class PaddingError extends NodeError {}

/** What the executor knows of one op call on a padded batch. */
export interface PadCall {
  tf: Tf;
  attrs: Record<string, Attr>;
  /** Per argument, per element axis: the [N, n] mask of a padded axis (1 real, 0 padding), or undefined. */
  masks: (Tensor | undefined)[][];
  /** The same for the op's result. */
  outMasks: (Tensor | undefined)[];
}

/** How an op changes for padding: new arguments, a mask for the op, a correction of its result, or its whole value. */
export interface PadPlan {
  args?: Arg[];
  /** Computes the op instead of its rule. */
  replace?: (args: Arg[]) => Tensor;
  ctx?: Partial<OpContext>;
  after?: (y: Tensor) => Tensor;
}

type PadRule = (args: Arg[], c: PadCall) => PadPlan;

/** What padded positions hold where they must never win a max or get a softmax weight. */
const NEVER = -1e9;

/** x with its padded positions (where the mask v is 0) set to `fill`. */
function padWith(tf: Tf, x: Tensor, v: Tensor, fill = 0): Tensor {
  return fill === 0 ? tf.mul(x, v) : tf.add(tf.mul(x, v), tf.mul(tf.sub(1, v), fill));
}

/** A [N, n] mask as a [N, 1.., n, 1..] tensor for element axis `axis` of a batched value of element rank `rank`. */
export function maskAt(mask: Tensor, rank: number, axis: number): Tensor {
  const [n, len] = mask.shape as [number, number];
  return mask.reshape([n, ...Array.from({ length: rank }, (_, i) => (i === axis ? len : 1))]);
}

/** The product of the masks of an argument's padded axes, broadcastable over it; undefined when none is padded. */
function validity(masks: (Tensor | undefined)[], tf: Tf): Tensor | undefined {
  let v: Tensor | undefined;
  masks.forEach((m, i) => {
    if (!m) return;
    const at = maskAt(m, masks.length, i);
    v = v ? tf.mul(v, at) : at;
  });
  return v;
}

const padded = (c: PadCall, arg: number) => c.masks[arg]!.some((m) => m !== undefined);

const positionwise: PadRule = () => ({});

/** Refuses padding on the given element axes (of any argument) with `why`. */
const refuseOn = (axes: (rank: number) => number[], why: string): PadRule => (args, c) => {
  args.forEach((_, i) => {
    const rank = c.masks[i]!.length;
    for (const ax of axes(rank)) if (c.masks[i]![ax]) throw new PaddingError(why);
  });
  return {};
};

const lastAxis = (rank: number) => (rank > 0 ? [rank - 1] : []);

/** Zeros the padded positions of every padded argument (a product or convolution then sums real positions only). */
const zeroPadding: PadRule = (args, c) => ({
  args: args.map((a, i) => {
    const v = validity(c.masks[i]!, c.tf);
    return v ? { ...a, t: padWith(c.tf, a.t, v) } : a;
  }),
});

/** The axis an op reduces or normalises over, as an element axis of its argument. */
function opAxis(c: PadCall, rank: number, fallback: number): number {
  const a = Number(c.attrs["axis"] ?? fallback);
  return a < 0 ? rank + a : a;
}

/** Losses and `last`: the mask of the first axis goes to the rule; padding on other axes is refused. */
const firstAxisMask = (what: string): PadRule => (_args, c) => {
  const ms = c.masks[0]!;
  if (ms.slice(1).some((m) => m)) throw new PaddingError(`${what} over a padded axis that is not the first`);
  return ms[0] ? { ctx: { mask: ms[0] } } : {};
};

const reduce = (kind: "sum" | "mean" | "max"): PadRule => (args, c) => {
  const rank = c.masks[0]!.length;
  const axis = opAxis(c, rank, 0);
  const m = c.masks[0]![axis];
  if (!m) return {};
  const tf = c.tf;
  const x = args[0]!;
  const at = maskAt(m, rank, axis);
  const plan: PadPlan = { args: [{ ...x, t: padWith(tf, x.t, at, kind === "max" ? NEVER : 0) }] };
  if (kind === "mean") {
    // mean over n positions of the zeroed value, times n / (real positions).
    const n = m.shape[1]!;
    const scale = tf.div(n, tf.sum(m, 1));
    plan.after = (y) => tf.mul(y, scale.reshape([-1, ...Array<number>(y.rank - 1).fill(1)]));
  }
  return plan;
};

/** softmax and log_softmax over a padded axis: padded logits are -1e9 (no weight), padded results are zeroed. */
const softmaxLike: PadRule = (args, c) => {
  const rank = c.masks[0]!.length;
  const axis = opAxis(c, rank, -1);
  const m = c.masks[0]![axis];
  if (!m) return {};
  const tf = c.tf;
  const at = maskAt(m, rank, axis);
  const x = args[0]!;
  return { args: [{ ...x, t: padWith(tf, x.t, at, NEVER) }], after: (y) => padWith(tf, y, at) };
};

/** Matrix products: a padded contracted axis sums real positions only (both operands zeroed there); free axes are positionwise. */
const matmul: PadRule = (args, c) => {
  const ra = c.masks[0]!.length;
  const rb = c.masks[1]!.length;
  const contractedA = ra - 1;
  const contractedB = 0;
  if (!c.masks[0]![contractedA] && !(rb > 0 && c.masks[1]![contractedB])) return {};
  return {
    args: args.map((a, i) => {
      const axis = i === 0 ? contractedA : contractedB;
      const m = c.masks[i]![axis];
      return m ? { ...a, t: padWith(c.tf, a.t, maskAt(m, c.masks[i]!.length, axis)) } : a;
    }),
  };
};

/** Max pooling over padded axes: padding is -1e9 (as the example's own padding, never the max), padded results zeroed. */
const maxpool: PadRule = (args, c) => {
  if (!padded(c, 0)) return {};
  const tf = c.tf;
  const v = validity(c.masks[0]!, tf)!;
  const out = validity(c.outMasks, tf);
  const x = args[0]!;
  return { args: [{ ...x, t: padWith(tf, x.t, v, NEVER) }], ...(out ? { after: (y: Tensor) => padWith(tf, y, out) } : {}) };
};

/** Average pooling over padded axes: the mean of each window's real elements (the rule counts them from the validity). */
const avgpool: PadRule = (args, c) => {
  if (!padded(c, 0)) return {};
  const tf = c.tf;
  const rank = c.masks[0]!.length;
  if (c.masks[0]![rank - 1]) throw new PaddingError("pooling over a padded channel axis");
  // [N, ...spatial, 1] (1 on axes that are not padded): the validity of the spatial positions.
  const v = validity(c.masks[0]!, tf)!;
  const x = args[0]!;
  return { args: [{ ...x, t: padWith(tf, x.t, v) }], ctx: { validity: v } };
};

/** flip of a padded first axis: each example's real part reversed (padding stays at the end), as a batched permutation. */
const flip: PadRule = (_args, c) => {
  const m = c.masks[0]![0];
  if (c.masks[0]!.slice(1).some((x) => x)) throw new PaddingError("flip of a value padded on an axis that is not the first");
  if (!m) return {};
  const tf = c.tf;
  const [n, len] = m.shape as [number, number];
  const lengths = m.sum(1).dataSync();
  const perm = new Float32Array(n * len * len);
  for (let b = 0; b < n; b++) {
    const l = lengths[b]!;
    for (let t = 0; t < len; t++) perm[b * len * len + t * len + (t < l ? l - 1 - t : t)] = 1;
  }
  const P = tf.tensor3d(perm, [n, len, len]);
  return {
    replace: (args) => {
      const x = args[0]!.t;
      return tf.matMul(P, x.reshape([n, len, -1])).reshape(x.shape);
    },
  };
};

/** Batch statistics over padded axes count real positions only (the rule weighs by their validity); the units must not be padded. */
const batchNormalize: PadRule = (_args, c) => {
  const rank = c.masks[0]!.length;
  if (c.masks[0]![rank - 1]) throw new PaddingError("batch_normalize of a value padded on its last axis (the units)");
  const v = validity(c.masks[0]!, c.tf);
  return v ? { ctx: { validity: v } } : {};
};

export const PADDING: Record<OpKind, PadRule> = {
  add: positionwise,
  sub: positionwise,
  mul: positionwise,
  dropout: positionwise,
  div: positionwise,
  matmul,
  neg: positionwise,
  sigmoid: positionwise,
  tanh: positionwise,
  relu: positionwise,
  elu: positionwise,
  softplus: positionwise,
  exp: positionwise,
  log: positionwise,
  sqrt: positionwise,
  square: positionwise,
  abs: positionwise,
  leaky_relu: positionwise,
  maximum: positionwise,
  minimum: positionwise,
  concat: refuseOn(lastAxis, "concat along a padded axis"),
  split: refuseOn(lastAxis, "split of a padded axis"),
  fold: refuseOn((r) => (r > 1 ? [1] : []), "fold of a value padded on its second axis"),
  shift: positionwise, // y[t] = x[t - k] reads earlier, real positions only
  flip,
  first: positionwise,
  last: firstAxisMask("last"),
  sum: reduce("sum"),
  mean: reduce("mean"),
  max: reduce("max"),
  softmax: softmaxLike,
  log_softmax: softmaxLike,
  batch_normalize: batchNormalize,
  one_hot: positionwise,
  flatten: refuseOn((r) => Array.from({ length: Math.max(0, r - 1) }, (_, i) => i + 1), "flatten of a value padded on an axis that is not the first"),
  conv: zeroPadding,
  maxpool,
  avgpool,
  mse: firstAxisMask("a loss"),
  cross_entropy: firstAxisMask("a loss"),
  bce: firstAxisMask("a loss"),
  bce_logits: firstAxisMask("a loss"),
};
