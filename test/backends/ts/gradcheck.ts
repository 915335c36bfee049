/**
 * Shared by the ts target's gradient tests: specs loaded (optionally shrunk by
 * exact text replacements), small dims for a model's free dims, seeded random
 * batches and parameters, and the 4-point central difference of the loss.
 */
import { readFileSync } from "node:fs";
import { checkProgram } from "../../../src/check/check.js";
import type { ModelInfo as CheckedModel } from "../../../src/check/infer.js";
import { loadProgram } from "../../../src/ir/program.js";
import { Rng } from "../../../src/runtime/init.js";
import type { Batch, Buf, CompiledModel, Dims, ModelInfo } from "../../../src/runtime/model-api.js";

export { Rng };

/** Exact text replacements that shrink the specs whose sizes make a gradient check slow. */
export const SHRINK: Record<string, [string, string][]> = {
  "alphago_policy.seq": [
    // K = 5 maps, not fewer: with 3, whole layers of the 12 relu layers die and their gradients are exactly 0.
    // A 3x3 board: on 4x4 the relu pre-activations near 0 are so many that over half the entries met a kink.
    ["dim K = 192", "dim K = 5"],
    ["input x: [19, 19, 48]", "input x: [3, 3, 2]"],
    ["target y: [19, 19, 1]", "target y: [3, 3, 1]"],
  ],
  "resnet_bottleneck.seq": [
    // 3x3 maps: on 4x4x5 the relu(f + x) after each identity shortcut put a kink near 45% of the entries.
    ["input x: [56, 56, 256]", "input x: [3, 3, 4]"],
    ["bottleneck<D=64>", "bottleneck<D=3>"],
  ],
  "inception_block.seq": [
    ["input x: [28, 28, 192]", "input x: [5, 5, 3]"],
    ["inception<K1=64, R3=96, K3=128, R5=16, K5=32, KP=32>", "inception<K1=2, R3=2, K3=3, R5=2, K5=2, KP=2>"],
  ],
  "pyramid_rnn.seq": [
    ["dim F = 40", "dim F = 3"],
    ["dim H = 256", "dim H = 4"],
  ],
  "caption_decoder.seq": [
    ["dim F = 4096", "dim F = 6"],
    ["dim E = 256", "dim E = 4"],
    ["dim H = 512", "dim H = 5"],
  ],
  "stacked_rnn.seq": [["dim H = 256", "dim H = 6"]],
};


export interface LoadedSpec {
  models: CheckedModel[];
  sources: Map<string, string>;
  file: string;
  source: string;
}

/**
 * Loads and checks a spec file (a path, relative to the working directory or absolute),
 * after replacing each `[from, to]` of `replacements` in its text; every
 * `from` must occur (so a spec that changes makes the test fail loudly rather
 * than silently testing the full-size model).
 */
export function loadSpec(path: string, replacements: readonly (readonly [string, string])[] = []): LoadedSpec {
  let text = readFileSync(path, "utf8");
  for (const [from, to] of replacements) {
    if (!text.includes(from)) throw new Error(`${path}: the text ${JSON.stringify(from)} to shrink is not in the spec any more`);
    text = text.split(from).join(to);
  }
  const program = loadProgram(path, { text });
  const result = checkProgram(program);
  const errors = [...program.diagnostics, ...result.diagnostics].filter((d) => d.severity === "error");
  if (errors.length > 0) throw new Error(`${path} does not check: ${errors.map((d) => d.message).join("; ")}`);
  return { models: result.models, sources: program.sources, file: program.root.file, source: program.sources.get(program.root.file)! };
}

/** One axis of a field's shape (a number, an atom, or a part/multiple of one such as "T/4" or "2*T") for these dims. */
export function axisSize(d: number | string, dims: Dims): number {
  if (typeof d === "number") return d;
  const m = /^(?:(\d+)\*)?([A-Za-z_]\w*)(?:\/(\d+))?$/.exec(d);
  if (!m) throw new Error(`cannot read the axis ${d}`);
  const v = dims[m[2]!];
  if (v === undefined) throw new Error(`no value for the dim ${m[2]}`);
  const n = (Number(m[1] ?? 1) * v) / Number(m[3] ?? 1);
  if (!Number.isInteger(n)) throw new Error(`the axis ${d} is not whole for ${m[2]} = ${v}`);
  return n;
}

/**
 * Values for the free dims: sequence lengths the smallest multiple of their
 * known divisor that is at least `length`, data vocabularies `vocab` tokens.
 */
export function smallDims(info: ModelInfo, length = 3, vocab = 5): Dims {
  const dims: Dims = {};
  const vocabDims = new Set(info.vocabs.flatMap((v) => (v.sizeDim && !v.tokens ? [v.sizeDim] : [])));
  for (const d of info.dims) {
    if (d.value !== undefined) continue;
    dims[d.name] = vocabDims.has(d.name) ? vocab : d.multiple * Math.ceil(length / d.multiple);
  }
  return dims;
}

/** The number of tokens of a vocabulary for these dims. */
export function vocabSize(info: ModelInfo, name: string, dims: Dims): number {
  const v = info.vocabs.find((x) => x.name === name);
  if (!v) throw new Error(`no vocabulary ${name}`);
  if (v.tokens) return v.tokens.length;
  const fixed = info.dims.find((d) => d.name === v.sizeDim)?.value;
  return fixed ?? dims[v.sizeDim!]!;
}

/**
 * A random batch: token fields uniform over their vocabulary, float inputs
 * uniform in [-1, 1), float targets uniform in (0, 1) (valid for bce, and
 * harmless for mse and probability targets of cross_entropy).
 */
export function randomBatch(info: ModelInfo, dims: Dims, size: number, rng: Rng, precision: "f32" | "f64"): Batch {
  const floats = (values: number[]): Buf => (precision === "f32" ? Float32Array.from(values) : Float64Array.from(values));
  const fields: Record<string, Buf | Int32Array> = {};
  for (const f of info.fields) {
    const n = size * f.shape.reduce<number>((a, d) => a * axisSize(d, dims), 1);
    if (f.dtype === "int32") {
      const V = vocabSize(info, f.vocab!, dims);
      fields[f.name] = Int32Array.from({ length: n }, () => Math.floor(rng.next() * V));
    } else if (f.role === "target") fields[f.name] = floats(Array.from({ length: n }, () => 0.05 + 0.9 * rng.next()));
    else fields[f.name] = floats(Array.from({ length: n }, () => rng.uniform(1)));
  }
  return { size, dims: { ...dims }, fields };
}

/**
 * Moves every parameter away from its initial value (some are all zeros or
 * ones): each entry gets uniform noise of half the tensor's rms (0.1 for an
 * all-zero tensor), so the values stay small and the model stays in its
 * ordinary regime (no saturation, few relu kinks near the point).
 */
export function perturb(model: CompiledModel, rng: Rng): void {
  for (const { offset, size } of Object.values(model.layout)) {
    let ss = 0;
    for (let i = 0; i < size; i++) ss += model.params[offset + i]! ** 2;
    const rms = Math.sqrt(ss / size);
    const s = rms > 0 ? 0.5 * rms : 0.1;
    for (let i = 0; i < size; i++) model.params[offset + i] += rng.uniform(s);
  }
}

/** The 4-point central difference (-f(x+2h) + 8f(x+h) - 8f(x-h) + f(x-2h)) / 12h of the loss in params[j] (restored after). */
export function centralDiff(model: CompiledModel, batch: Batch, j: number, h: number): number {
  const x = model.params[j]!;
  const at = (d: number): number => {
    model.params[j] = x + d;
    return model.forward(batch);
  };
  const v = (-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h);
  model.params[j] = x;
  return v;
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

/** Steps of the central difference: the first, then finer ones while a kink spoils the coarser (see gradientCheck). */
export const STEPS = [1e-3, 1e-4, 1e-5, 1e-6, 1e-7] as const;

export interface GradientReport {
  /** Entries compared, those that were not tiny, and those compared at a finer step because of a kink. */
  entries: number;
  notTiny: number;
  refined: number;
  /** Parameter tensors with at least one entry that is not tiny. */
  tensorsWithSignal: number;
  tensors: number;
  /** Largest |g - fd| / max(|g|, |fd|) over the entries that are not tiny. */
  worstRel: number;
  failures: string[];
}

/**
 * Compares backward() (already run; its gradient is `g`) with central
 * differences of forward() at some entries of every parameter tensor.
 *
 * Entries: the 2 of largest |g| in the tensor and 2 uniformly random ones (all
 * entries of a tensor of at most 4), so that a gradient that is wrongly zero
 * still meets a non-zero difference.
 *
 * Tiny: with Gt = max |g| over the tensor, L the loss and h the step of the
 * difference, an entry is not tiny when max(|g|, |fd|) >= floor(h) =
 * max(1e-3 Gt, 1e-8 (1 + |L|) / h). The second term keeps the rounding error
 * of the difference (measured up to ~2.5e-16 |L| / h, mut3 with |L| = 188)
 * some 40 times below rtol * floor(h) for rtol = 1e-6: it is 1e-5 (1 + |L|)
 * at h = 1e-3, and grows at the finer steps. A not-tiny entry must satisfy |g - fd| <= rtol max(|g|,
 * |fd|); a tiny one |g - fd| <= rtol floor(h).
 *
 * Kinks (relu, max, maxpool): the difference at STEPS[0] is used unless it
 * disagrees with the gradient; then the next finer step is computed, and if
 * the two differences disagree with each other by more than rtol (relative
 * to the larger of them and the coarser step's floor), the loss is not smooth
 * within 2h of the point: the coarser difference is discarded and the finer
 * one takes its place, down to the last step. For a smooth loss the
 * differences at two steps agree to ~1e-8 relative, and they only use
 * forward(): a wrong gradient cannot make them disagree, so this never
 * excuses a wrong backward; it only makes the comparison of that entry
 * coarser (the floor of the finer step), and the count is reported.
 */
export function gradientCheck(model: CompiledModel, batch: Batch, g: ArrayLike<number>, loss: number, rng: Rng, rtol: number): GradientReport {
  const r: GradientReport = { entries: 0, notTiny: 0, refined: 0, tensorsWithSignal: 0, tensors: 0, worstRel: 0, failures: [] };
  for (const [name, { offset, size }] of Object.entries(model.layout)) {
    r.tensors++;
    let Gt = 0;
    for (let i = 0; i < size; i++) Gt = Math.max(Gt, Math.abs(g[offset + i]!));
    const floorAt = (h: number) => Math.max(1e-3 * Gt, (1e-8 * (1 + Math.abs(loss))) / h);
    const picks = size <= 4 ? Array.from({ length: size }, (_, i) => i) : [...new Set([...largest(g, offset, size, 2), Math.floor(rng.next() * size), Math.floor(rng.next() * size)])];
    let signal = false;
    for (const i of picks) {
      const j = offset + i;
      const a = g[j]!;
      let h: number = STEPS[0];
      const ok = (fd: number) => {
        const scale = Math.max(Math.abs(a), Math.abs(fd));
        return Math.abs(a - fd) <= rtol * Math.max(scale, floorAt(h));
      };
      let fd = centralDiff(model, batch, j, h);
      let refined = false;
      for (let s = 1; s < STEPS.length && !ok(fd); s++) {
        const finer = centralDiff(model, batch, j, STEPS[s]!);
        if (Math.abs(finer - fd) <= rtol * Math.max(Math.abs(finer), Math.abs(fd), floorAt(h))) break; // smooth: fd stands
        refined = true;
        fd = finer;
        h = STEPS[s]!;
      }
      if (refined) r.refined++;
      const scale = Math.max(Math.abs(a), Math.abs(fd));
      r.entries++;
      if (scale >= floorAt(h)) {
        r.notTiny++;
        signal = true;
        r.worstRel = Math.max(r.worstRel, Math.abs(a - fd) / scale);
      }
      if (!ok(fd)) r.failures.push(`${name}[${i}]: backward ${a}, finite difference ${fd}`);
    }
    if (signal) r.tensorsWithSignal++;
  }
  return r;
}
