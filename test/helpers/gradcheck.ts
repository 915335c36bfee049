/**
 * The one finite-difference gradient checker of the tests, for every target:
 * a model is a flat parameter vector cut into named tensors and a loss with
 * one entry moved (`Differentiable`); `compiledLoss` adapts the ts target's
 * emitted models, test/backends/tfjs/grads.test.ts adapts TfModel. Two
 * settings: `F64_CHECK` (4-point differences, steps refined down to 1e-7,
 * relative tolerance 1e-6) for the ts target in f64, and `F32_CHECK` (2-point
 * differences at 1e-2, then 1e-3, tolerance 1e-2) for float32.
 */
import type { Rng } from "../../src/runtime/init.js";
import type { Batch, CompiledModel } from "../../src/runtime/model-api.js";

/** A model as the checker sees it. */
export interface Differentiable {
  /** The parameter tensors as ranges of one flat vector (the gradient's layout). */
  layout: Record<string, { offset: number; size: number }>;
  /** The loss with the flat parameter entry `j` moved by `d`; the parameters are as before after the call. */
  lossAt(j: number, d: number): number;
}

/** How finely and how strictly to compare. */
export interface CheckOptions {
  /** |g - fd| <= rtol * max(|g|, |fd|, floor(h)). */
  rtol: number;
  /** Steps of the difference: the first, then finer ones while a kink spoils the coarser (see gradientCheck). */
  steps: readonly number[];
  /** The 2-point (f(x+h) - f(x-h)) / 2h or the 4-point (-f(x+2h) + 8f(x+h) - 8f(x-h) + f(x-2h)) / 12h central difference. */
  points: 2 | 4;
  /** The magnitude below which an entry is tiny, at step h, for a tensor whose largest |g| is Gt and the loss L. */
  floor(h: number, Gt: number, loss: number): number;
  /** Entries compared per tensor: the `largest` of largest |g| and `random` uniformly random ones (every entry of a tensor no larger). */
  largest: number;
  random: number;
}

/** Steps of the f64 check: 1e-3, then finer ones down to 1e-7 where the loss has a kink near the point. */
export const STEPS = [1e-3, 1e-4, 1e-5, 1e-6, 1e-7] as const;

/**
 * f64 (the ts target): tiny is max(1e-3 Gt, 1e-8 (1 + |L|) / h). The second
 * term keeps the rounding error of the difference (measured up to ~2.5e-16
 * |L| / h, mut3 with |L| = 188) some 40 times below rtol * floor(h) for rtol =
 * 1e-6: it is 1e-5 (1 + |L|) at h = 1e-3, and grows at the finer steps.
 */
export const F64_CHECK: CheckOptions = {
  rtol: 1e-6,
  steps: STEPS,
  points: 4,
  floor: (h, Gt, loss) => Math.max(1e-3 * Gt, (1e-8 * (1 + Math.abs(loss))) / h),
  largest: 2,
  random: 2,
};

/**
 * float32 (TensorFlow.js): a 2-point difference at 1e-2 (its rounding error,
 * ~6e-8 |L| / h, and its truncation error are both near 1e-5), 1e-3 where a
 * kink of relu or max lies within the step; 1e-2 relative, 1e-3 absolute.
 */
export const F32_CHECK: CheckOptions = {
  rtol: 1e-2,
  steps: [1e-2, 1e-3],
  points: 2,
  floor: () => 0.1,
  largest: 1,
  random: 2,
};

/** The central difference of the loss in entry j at step h (`points` of the options). */
export function centralDiff(model: Differentiable, j: number, h: number, points: 2 | 4 = 4): number {
  const at = (d: number) => model.lossAt(j, d);
  if (points === 2) return (at(h) - at(-h)) / (2 * h);
  return (-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h);
}

/** The parameters of an emitted model that it trains, by name: not the running statistics of batch_normalize (no gradient). */
export function trainedLayout(model: CompiledModel): CompiledModel["layout"] {
  const frozen = new Set(model.info.params.filter((p) => p.trainable === false).map((p) => p.name));
  return Object.fromEntries(Object.entries(model.layout).filter(([name]) => !frozen.has(name)));
}

/** An emitted model (ts target) on one batch: its trained params moved in place, its forward() the loss. */
export function compiledLoss(model: CompiledModel, batch: Batch): Differentiable {
  return {
    layout: trainedLayout(model),
    lossAt(j, d) {
      const x = model.params[j]!;
      model.params[j] = x + d;
      const v = model.forward(batch);
      model.params[j] = x;
      return v;
    },
  };
}

/** Indices (within the tensor) of the `k` largest |g| in g[offset, offset + size), largest first. */
export function largest(g: ArrayLike<number>, offset: number, size: number, k: number): number[] {
  const top: number[] = [];
  for (let i = 0; i < size; i++) {
    const v = Math.abs(g[offset + i]!);
    if (top.length === k && v <= Math.abs(g[offset + top[k - 1]!]!)) continue;
    let at = top.length;
    while (at > 0 && v > Math.abs(g[offset + top[at - 1]!]!)) at--;
    top.splice(at, 0, i);
    if (top.length > k) top.pop();
  }
  return top;
}

export interface GradientReport {
  /** Entries compared, those that were not tiny, and those compared at a finer step because of a kink. */
  entries: number;
  notTiny: number;
  refined: number;
  /** Parameter tensors with at least one entry that is not tiny. */
  tensorsWithSignal: number;
  tensors: number;
  /** Largest |g - fd| / max(|g|, |fd|) over the entries that are not tiny, and largest |g - fd| over all. */
  worstRel: number;
  worstAbs: number;
  failures: string[];
}

/**
 * Compares a gradient `g` (the model's backward pass at the current
 * parameters, where the loss is `loss`) with central differences of the loss
 * at some entries of every parameter tensor.
 *
 * Entries: the `largest` of largest |g| in the tensor and `random` uniformly
 * random ones, so that a gradient that is wrongly zero still meets a non-zero
 * difference.
 *
 * Tiny: with Gt = max |g| over the tensor and h the step, an entry is not
 * tiny when max(|g|, |fd|) >= floor(h). A not-tiny entry must satisfy
 * |g - fd| <= rtol max(|g|, |fd|); a tiny one |g - fd| <= rtol floor(h).
 *
 * Kinks (relu, max, maxpool): the difference at the first step is used unless
 * it disagrees with the gradient; then the next finer step is computed, and
 * if the two differences disagree with each other by more than rtol (relative
 * to the larger of them and the coarser step's floor), the loss is not smooth
 * within 2h of the point: the coarser difference is discarded and the finer
 * one takes its place, down to the last step. For a smooth loss the
 * differences at two steps agree, and they only use the loss: a wrong
 * gradient cannot make them disagree, so this never excuses a wrong backward
 * pass; it only makes the comparison of that entry coarser (the floor of the
 * finer step), and the count is reported.
 */
export function gradientCheck(model: Differentiable, g: ArrayLike<number>, loss: number, rng: Rng, opts: CheckOptions = F64_CHECK): GradientReport {
  const { rtol, steps, points } = opts;
  const r: GradientReport = { entries: 0, notTiny: 0, refined: 0, tensorsWithSignal: 0, tensors: 0, worstRel: 0, worstAbs: 0, failures: [] };
  for (const [name, { offset, size }] of Object.entries(model.layout)) {
    r.tensors++;
    let Gt = 0;
    for (let i = 0; i < size; i++) Gt = Math.max(Gt, Math.abs(g[offset + i]!));
    const floorAt = (h: number) => opts.floor(h, Gt, loss);
    const picks =
      size <= opts.largest + opts.random
        ? Array.from({ length: size }, (_, i) => i)
        : [...new Set([...largest(g, offset, size, opts.largest), ...Array.from({ length: opts.random }, () => Math.floor(rng.next() * size))])];
    let signal = false;
    for (const i of picks) {
      const j = offset + i;
      const a = g[j]!;
      let h: number = steps[0]!;
      const ok = (fd: number) => {
        const scale = Math.max(Math.abs(a), Math.abs(fd));
        return Math.abs(a - fd) <= rtol * Math.max(scale, floorAt(h));
      };
      let fd = centralDiff(model, j, h, points);
      let refined = false;
      for (let s = 1; s < steps.length && !ok(fd); s++) {
        const finer = centralDiff(model, j, steps[s]!, points);
        if (Math.abs(finer - fd) <= rtol * Math.max(Math.abs(finer), Math.abs(fd), floorAt(h))) break; // smooth: fd stands
        refined = true;
        fd = finer;
        h = steps[s]!;
      }
      if (refined) r.refined++;
      const scale = Math.max(Math.abs(a), Math.abs(fd));
      r.entries++;
      r.worstAbs = Math.max(r.worstAbs, Math.abs(a - fd));
      if (scale >= floorAt(h)) {
        r.notTiny++;
        signal = true;
        r.worstRel = Math.max(r.worstRel, Math.abs(a - fd) / scale);
      }
      if (!ok(fd)) r.failures.push(`${name}[${i}]: gradient ${a}, finite difference ${fd} (step ${h})`);
    }
    if (signal) r.tensorsWithSignal++;
  }
  return r;
}
