/**
 * batch_norm's running statistics through both trainers (specs/tdnn_bn.seq on
 * the generated series): `seqc train` (tfjs) and the emitted trainer (ts) move
 * them from their initial values (mean 0, variance 1) by the same updates, so
 * after the same epochs they agree; they are saved in the model directory like
 * weights (so checkpoints, --resume and --init carry them as they carry
 * weights), and eval on either target reads them back: the same loss for a
 * model trained by the other.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadModel } from "../../src/runtime/model-dir.js";
import { expectOk, runNodeAsync, runSeqcAsync, seqc } from "../helpers/cli.js";
import { maxAbsDiff } from "../helpers/numeric.js";

const SPEC = "specs/tdnn_bn.seq";
const DATA = "specs/data/series.csv";
const STATISTICS = ["h1.batch_norm.running_mean", "h1.batch_norm.running_var", "h2.batch_norm.running_mean", "h2.batch_norm.running_var"];

let tmp: string;
const dir = (name: string) => join(tmp, name);
const statistics = (model: string) => STATISTICS.map((name) => loadModel(model).weights.get(name)!.values);
const seqcEval = (model: string) => (JSON.parse(seqc("eval", model, "--data", DATA, "--backend", "cpu", "--format", "json")) as { loss: number }).loss;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "seqc-bn-"));
  const train = (out: string, ...more: string[]) => runSeqcAsync(["train", SPEC, "--data", DATA, "-o", dir(out), "-q", "--backend", "cpu", ...more]);
  const [compiled, trained] = await Promise.all([runSeqcAsync(["compile", SPEC, "-o", dir("ts"), "-q"]), train("tfjs", "--epochs", "3")]);
  expectOk("seqc compile", compiled);
  expectOk("seqc train", trained);
  expectOk("node train.js", await runNodeAsync([join(dir("ts"), "train.js"), "--data", DATA, "--out", dir("ts-model"), "--epochs", "3", "-q"]));
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("batch_norm's running statistics (specs/tdnn_bn.seq)", () => {
  it("training moves them from their initial values, both trainers alike", () => {
    const tfjs = statistics(dir("tfjs"));
    const ts = statistics(dir("ts-model"));
    tfjs.forEach((values, i) => {
      const variance = STATISTICS[i]!.endsWith("var");
      // The means of zero-mean data stay small; the variances move far from 1.
      expect(maxAbsDiff(values, new Float32Array(values.length).fill(variance ? 1 : 0)), STATISTICS[i]).toBeGreaterThan(variance ? 0.05 : 1e-4);
      expect(maxAbsDiff(values, ts[i]!), STATISTICS[i]).toBeLessThanOrEqual(1e-3 * Math.max(1, ...Array.from(values, Math.abs)));
    });
  });

  it("eval reads them back: seqc eval and the emitted trainer's eval agree on each other's models", async () => {
    const tsEval = async (model: string) => {
      const r = await runNodeAsync([join(dir("ts"), "train.js"), "eval", "--model", model, "--data", DATA, "--format", "json"]);
      return (JSON.parse(expectOk("node train.js eval", r)) as { loss: number }).loss;
    };
    for (const model of [dir("tfjs"), dir("ts-model")]) {
      const ours = seqcEval(model);
      expect(Number.isFinite(ours)).toBe(true);
      expect(Math.abs((await tsEval(model)) - ours)).toBeLessThanOrEqual(1e-4 * Math.max(1, ours));
    }
  });
});
