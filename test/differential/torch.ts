/**
 * The pytorch target in the differential tester: models emitted by
 * src/backends/pytorch/emit.ts run in float64 on the examples of their
 * reference runs (run.ts `reference`: the ts target in f64, each example
 * alone), all of them in one Python process (torch_models.py), and compared
 * with the reference: loss and every gradient within TORCH_RTOL of their
 * scale; the state_dict holds the parameters alone, the spec's consts are
 * buffers without gradients, and the parameters without gradients are the
 * graph's running statistics (not trained). In training mode the running
 * statistics after each example's forward pass are compared too.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { emitTorchModel } from "../../src/backends/pytorch/emit.js";
import { PyTorchTargetError } from "../../src/backends/pytorch/ops.js";
import { torchRuntimeSources } from "../../src/backends/pytorch/compile.js";
import { axisSize } from "../helpers/emitted.js";
import { maxAbs } from "../helpers/numeric.js";
import type { Reference } from "./run.js";

export const TORCH_RTOL = 1e-9;

const HERE = dirname(fileURLToPath(import.meta.url));

/** What one model gave: the worst relative disagreement with the reference, and what failed. */
export interface TorchVerdict {
  worst: number;
  failures: string[];
  /** The emitter refused the model (a located PyTorchTargetError). */
  refused?: string;
}

/**
 * Emits each reference's model, runs them all in one Python process (`python`,
 * one that imports torch) and compares each with its reference.
 */
export function runTorch(python: string, refs: Reference[]): TorchVerdict[] {
  const dir = mkdtempSync(join(tmpdir(), "seqc-torch-diff-"));
  try {
    for (const [name, text] of Object.entries(torchRuntimeSources())) writeFileSync(join(dir, name), text);
    copyFileSync(join(HERE, "torch_models.py"), join(dir, "torch_models.py"));
    const verdicts: (TorchVerdict | undefined)[] = [];
    const jobs: unknown[] = [];
    const ran: number[] = [];
    refs.forEach((ref, i) => {
      let text: string;
      try {
        text = emitTorchModel(ref.graph, ref.sources);
      } catch (e) {
        if (!(e instanceof PyTorchTargetError)) throw e;
        verdicts[i] = { worst: 0, failures: [], refused: e.message };
        return;
      }
      const module = join(dir, `model_${i}.py`);
      writeFileSync(module, text);
      const fields = ref.info.fields.map((f) => ({ name: f.name, tokens: f.dtype === "int32" }));
      const examples = ref.examples.map((ex) => ({
        fields: Object.fromEntries(ref.info.fields.map((f) => [f.name, { shape: f.shape.map((d) => axisSize(d, ex.dims)), values: Array.from(ex.fields[f.name]!) }])),
      }));
      jobs.push({ module, dims: ref.fixed, dropout: ref.dropoutSeeds ?? null, weights: Object.fromEntries(Object.entries(ref.weights).map(([k, v]) => [k, Array.from(v)])), fields, examples });
      ran.push(i);
    });
    writeFileSync(join(dir, "jobs.json"), JSON.stringify(jobs));
    const r = spawnSync(python, [join(dir, "torch_models.py"), join(dir, "jobs.json"), join(dir, "out.json")], { encoding: "utf8", env: { ...process.env, OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1" } });
    if (r.status !== 0) throw new Error(`torch_models.py failed (${r.status}): ${r.stderr}`);
    const out = JSON.parse(readFileSync(join(dir, "out.json"), "utf8")) as (TorchRun | { error: string })[];
    ran.forEach((i, k) => (verdicts[i] = compare(refs[i]!, out[k]!)));
    return verdicts.map((v) => v!);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type TorchRun = { loss: number; grads: Record<string, number[]>; stateDict: string[]; buffers: Record<string, boolean>; frozen: string[]; running: Record<string, number[]>[] };

function compare(ref: Reference, got: TorchRun | { error: string }): TorchVerdict {
  if ("error" in got) return { worst: Infinity, failures: [`pytorch: ${got.error}`] };
  const failures: string[] = [];
  // The spec's consts are buffers without gradients, outside the state_dict (which holds the parameters alone).
  if (got.stateDict.length !== ref.graph.params.length) failures.push(`pytorch: the state_dict has ${got.stateDict.length} entries (${got.stateDict.join(", ")}), the model ${ref.graph.params.length} parameters`);
  const buffers = Object.entries(got.buffers);
  if (buffers.length !== ref.graph.constants.length || buffers.some(([, grad]) => grad)) failures.push(`pytorch: buffers ${JSON.stringify(got.buffers)} for the consts ${ref.graph.constants.map((c) => c.name).join(", ")}`);
  // batch_normalize's running statistics are parameters without gradients, and only they are.
  const frozen = ref.graph.params.filter((p) => p.trainable === false).map((p) => p.name);
  if (got.frozen.join() !== frozen.join()) failures.push(`pytorch: parameters without gradients ${got.frozen.join(", ") || "none"}, the graph's running statistics ${frozen.join(", ") || "none"}`);
  const lossErr = Math.abs(got.loss - ref.loss) / Math.max(1e-300, Math.abs(ref.loss));
  if (!(lossErr <= TORCH_RTOL)) failures.push(`pytorch vs ts-f64: loss ${got.loss} vs ${ref.loss}`);
  let worst = lossErr;
  for (const [name, want] of Object.entries(ref.grads)) {
    const ours = got.grads[name];
    if (!ours) {
      failures.push(`pytorch: no gradient of ${name}`);
      continue;
    }
    const scale = Math.max(maxAbs(want), 1e-300);
    let d = 0;
    for (let i = 0; i < want.length; i++) d = Math.max(d, Math.abs(ours[i]! - want[i]!));
    if (maxAbs(want) === 0 && d === 0) continue;
    if (!(d <= TORCH_RTOL * scale)) failures.push(`pytorch vs ts-f64: d${name} max |torch - ts| ${d.toExponential(2)}, scale ${scale.toExponential(2)}`);
    worst = Math.max(worst, d / scale);
  }
  // Training mode: the running statistics after each example's forward pass (from the reference weights).
  const running = ref.running ?? [];
  if (got.running.length !== running.length) failures.push(`pytorch: running statistics after ${got.running.length} forward passes, the reference ${running.length}`);
  running.forEach((want, k) => {
    for (const [name, values] of Object.entries(want)) {
      const ours = got.running[k]?.[name] ?? [];
      const scale = Math.max(maxAbs(values), 1e-300);
      let d = ours.length === values.length ? 0 : Infinity;
      for (let i = 0; i < values.length && d < Infinity; i++) d = Math.max(d, Math.abs(ours[i]! - values[i]!));
      if (!(d <= TORCH_RTOL * scale)) failures.push(`pytorch vs ts-f64: ${name} after example ${k}'s forward pass, max |torch - ts| ${d.toExponential(2)}, scale ${scale.toExponential(2)}`);
      worst = Math.max(worst, d / scale);
    }
  });
  return { worst, failures };
}
