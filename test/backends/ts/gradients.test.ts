/**
 * The ts target's gradients, for every model of every spec in specs/:
 *
 * 1. In f64, the emitted backward() against the 4-point central difference
 *    (-f(x+2h) + 8f(x+h) - 8f(x-h) + f(x-2h)) / 12h of the emitted forward(),
 *    h = 1e-3 (truncation O(h^4) and rounding ~1e-16 |loss| / h are both far
 *    below the tolerance; measured worst 5e-8 over all specs on smooth models),
 *    max relative error 1e-6 where the gradient is not tiny. The entries
 *    picked, the rule for "tiny" (per tensor: max(|g|, |fd|) < max(1e-3 * max
 *    |g| of the tensor, 1e-8 * (1 + |loss|) / h), i.e. 1e-5 (1 + |loss|) at
 *    h = 1e-3; tiny entries get the absolute tolerance 1e-6 * that floor) and
 *    the handling of relu / max kinks (finer steps 1e-4 .. 1e-7 only where two
 *    steps' differences disagree, i.e. where the loss itself is not smooth;
 *    same relative tolerance, the finer step's floor) are in
 *    test/helpers/gradcheck.ts (gradientCheck, F64_CHECK).
 *
 * 2. In f32, the emitted gradient against the tfjs target's (TfModel with
 *    tf.variableGrads on the cpu backend) for the same weights and batch:
 *    per parameter tensor, max |g_ts - g_tfjs| <= 1e-4 * max(max |g_tfjs| of
 *    that tensor, 0.05 * max |g_tfjs| over the model). Relative to the
 *    tensor's largest entry, not entry by entry, because f32 rounding of
 *    near-zero entries is relative to the scale of the sums they come from;
 *    the model-wide floor is for tensors whose gradient is small by
 *    cancellation: in alphago_policy, h12.10.conv2d.b has max |g| 5.9e-4 where
 *    the model's is 0.25, and the emitted f32 code itself differs from the
 *    emitted f64 code there by 3.1e-7 (tfjs by 6.5e-8), i.e. 5e-4 of that
 *    tensor but 1.3e-6 of the model's scale. The losses agree
 *    within 1e-5 relative.
 *
 * Every model runs in training mode: models with dropout with drawn masks, one
 * fixed set (the same seed on both targets: runtime/init.ts drawMask) for
 * every forward pass of a check; batch_normalize with batch statistics (its
 * running statistics are not trained and get no gradient: they are left out).
 *
 * Models are small: batch 2, sequence lengths 3 (4 where a dim must be a
 * multiple of 4), data vocabularies of 5 tokens, parameters moved randomly
 * off their initial values by half their rms (test/helpers/emitted.ts perturb). Specs
 * whose fixed sizes would make this slow (conv nets on 19x19x192 and
 * 56x56x256 maps, hidden sizes of 256+ or 4096 features) are shrunk by exact
 * text replacements (SHRINK in test/helpers/spec.ts): the same layers and ops, smaller numbers.
 */
import { readdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadEngine, type Engine } from "../../../src/backends/tfjs/engine.js";
import { TfModel } from "../../../src/backends/tfjs/exec.js";
import type { Batch, CompiledModel, Dims } from "../../../src/runtime/model-api.js";
import { axisSize, emitModelOf, perturb, randomBatch, Rng, smallDims } from "../../helpers/emitted.js";
import { compiledLoss, F64_CHECK, gradientCheck, trainedLayout, type GradientReport } from "../../helpers/gradcheck.js";
import { maxAbs } from "../../helpers/numeric.js";
import { checkFile, SHRINK, type CheckedFile } from "../../helpers/spec.js";

const SPEC_DIR = join(resolve(dirname(fileURLToPath(import.meta.url)), "../../.."), "specs");
const B = 2;
const RTOL = F64_CHECK.rtol;
const TFJS_RTOL = 1e-4;
const SEED = 3;
/** The training seed: the dropout masks of models with dropout (both targets draw the same masks from it). */
const TRAINING_SEED = 5;

interface Case {
  label: string;
  spec?: CheckedFile;
  index: number;
  error?: unknown;
}

const files = readdirSync(SPEC_DIR)
  .filter((f) => f.endsWith(".seq"))
  .sort();

const CASES: Case[] = files.flatMap((f): Case[] => {
  try {
    const spec = checkFile(join(SPEC_DIR, f), SHRINK[f]);
    return spec.models.map((m, index) => ({ label: `${f} ${m.name}`, spec, index }));
  } catch (error) {
    return [{ label: f, index: -1, error }];
  }
});

/** A model of a case with its dims, parameters moved off their init and a batch, all from fixed seeds. */
async function setUp(c: Case, precision: "f32" | "f64") {
  if (c.error !== undefined) throw c.error;
  const spec = c.spec!;
  const em = await emitModelOf(spec.models[c.index]!, spec.sources, { file: spec.file, source: spec.source }, precision);
  rmSync(em.dir, { recursive: true, force: true }); // imported already
  const dims: Dims = smallDims(em.INFO);
  const model: CompiledModel = em.createModel(dims, B);
  model.init(SEED);
  // As in training: one fixed set of dropout masks for every forward pass of the check, batch statistics.
  model.setTraining?.(TRAINING_SEED);
  const rng = new Rng(11);
  perturb(model, rng);
  const batch: Batch = randomBatch(em.INFO, dims, B, rng, precision);
  return { em, dims, model, batch, rng };
}

const rows: (GradientReport & { label: string })[] = [];

describe("ts target, f64: gradients equal 4-point central differences of the loss", () => {
  afterAll(() => {
    const lines = rows.map((r) => `  ${r.label.padEnd(44)} entries ${String(r.entries).padStart(3)} (not tiny ${String(r.notTiny).padStart(3)}, finer step for a kink ${r.refined})  worst rel ${r.worstRel.toExponential(1)}`);
    console.log(`ts gradients vs finite differences (tolerance ${RTOL})\n${lines.join("\n")}`);
  });

  it("covers every spec file", () => {
    expect(files.length).toBeGreaterThanOrEqual(26);
    expect(CASES.filter((c) => c.error === undefined).length).toBeGreaterThanOrEqual(33);
  });

  it.each(CASES.map((c) => [c.label, c] as const))("%s", async (label, c) => {
    const { model, batch, rng } = await setUp(c, "f64");
    expect(Object.keys(model.layout).length, "a model without parameters").toBeGreaterThan(0);
    if (model.setTraining) {
      // Not vacuous: training (masks, batch statistics) changes the loss.
      model.setTraining(undefined);
      const plain = model.forward(batch);
      model.setTraining(TRAINING_SEED);
      expect(Math.abs(model.forward(batch) - plain), "training mode changes nothing").toBeGreaterThan(1e-6);
    }
    const loss = model.forward(batch);
    expect(Number.isFinite(loss)).toBe(true);
    model.backward();
    const g = Float64Array.from(model.grads);
    expect(g.every(Number.isFinite)).toBe(true);
    expect(maxAbs(g), "the gradient is all zero").toBeGreaterThan(1e-6);
    const r = gradientCheck(compiledLoss(model, batch), g, loss, rng);
    rows.push({ label, ...r });
    expect(r.failures).toEqual([]);
    // Most entries are compared at the first step (the finer steps are sound but coarser, see gradientCheck).
    expect(r.refined).toBeLessThanOrEqual(Math.max(2, r.entries / 4));
    // Not vacuous: most parameter tensors have an entry whose gradient is not tiny.
    expect(r.tensorsWithSignal).toBeGreaterThanOrEqual(Math.ceil((3 * r.tensors) / 4));
  });
});

describe("ts target, f32: gradients equal the tfjs target's (cpu backend)", () => {
  let engine: Engine;
  const worst: string[] = [];
  beforeAll(async () => {
    engine = await loadEngine("cpu");
  });
  afterAll(() => console.log(`ts f32 vs tfjs: max over tensors of max |ts - tfjs| / max(max |tfjs| of the tensor, 0.05 max over the model) (tolerance ${TFJS_RTOL})\n${worst.join("\n")}`));

  it.each(CASES.map((c) => [c.label, c] as const))("%s", async (label, c) => {
    const { em, dims, model, batch } = await setUp(c, "f32");
    const tf = engine.tf;
    const loss = model.forward(batch);
    model.backward();
    const tfModel = new TfModel(em.graph, engine, dims, SEED);
    tfModel.training = TRAINING_SEED;
    try {
      expect([...tfModel.params.keys()].sort()).toEqual(Object.keys(model.layout).sort());
      const trained = trainedLayout(model);
      expect([...tfModel.params].filter(([, v]) => v.trainable).map(([name]) => name).sort()).toEqual(Object.keys(trained).sort());
      tfModel.setWeights(Object.fromEntries(Object.entries(model.layout).map(([name, { offset, size }]) => [name, model.params.subarray(offset, offset + size)])));
      const inputs = Object.fromEntries(
        em.INFO.fields.map((f) => {
          const shape = [B, ...f.shape.map((d) => axisSize(d, dims))];
          const data = batch.fields[f.name]!;
          return [f.name, f.dtype === "int32" ? tf.tensor(data as Int32Array, shape, "int32") : tf.tensor(Float32Array.from(data), shape)];
        }),
      );
      const { value, grads } = tf.variableGrads(() => tfModel.forward(inputs, dims).loss);
      const tfLoss = value.dataSync()[0]!;
      expect(Math.abs(loss - tfLoss)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(tfLoss)));
      const bad: string[] = [];
      let ratio = 0;
      const refs = Object.fromEntries(Object.keys(trained).map((name) => [name, grads[tfModel.params.get(name)!.name]!.dataSync()]));
      const G = Math.max(...Object.values(refs).map(maxAbs));
      for (const [name, { offset, size }] of Object.entries(trained)) {
        const ref = refs[name]!;
        const ours = model.grads.subarray(offset, offset + size);
        const m = Math.max(maxAbs(ref), 0.05 * G);
        let d = 0;
        for (let i = 0; i < size; i++) d = Math.max(d, Math.abs(ours[i]! - ref[i]!));
        ratio = Math.max(ratio, d / m);
        if (!(d <= TFJS_RTOL * m)) bad.push(`${name}: max |ts - tfjs| ${d.toExponential(2)}, max |tfjs| ${maxAbs(ref).toExponential(2)} (model ${G.toExponential(2)})`);
      }
      tf.dispose([value, ...Object.values(grads), ...Object.values(inputs)]);
      worst.push(`  ${label.padEnd(44)} ${ratio.toExponential(1)}  (loss ${Math.abs(loss - tfLoss).toExponential(1)} apart)`);
      expect(bad).toEqual([]);
    } finally {
      tfModel.dispose();
    }
  });
});

describe("the finite-difference check can fail", () => {
  it.each([
    ["one tensor's gradient 1.00001 times too large", (g: Float64Array, o: number, n: number) => g.subarray(o, o + n).forEach((v, i, a) => (a[i] = v * 1.00001))],
    ["one tensor's gradient zero", (g: Float64Array, o: number, n: number) => g.fill(0, o, o + n)],
    ["one tensor's gradient in reverse order", (g: Float64Array, o: number, n: number) => g.subarray(o, o + n).reverse()],
  ] as const)("%s", async (_label, corrupt) => {
    const c = CASES.find((x) => x.label === "ab_recognizer.seq ab_recognizer")!;
    const { model, batch, rng } = await setUp(c, "f64");
    expect(Object.keys(model.layout).length, "a model without parameters").toBeGreaterThan(0);
    const loss = model.forward(batch);
    model.backward();
    const g = Float64Array.from(model.grads);
    expect(gradientCheck(compiledLoss(model, batch), g, loss, rng).failures).toEqual([]);
    const { offset, size } = model.layout["h.U"]!;
    corrupt(g, offset, size);
    expect(gradientCheck(compiledLoss(model, batch), g, loss, new Rng(11)).failures.length).toBeGreaterThan(0);
  });
});
