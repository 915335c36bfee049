/**
 * The pytorch target's trainer as a user runs it: `seqc compile --target
 * pytorch`, then train.py on one process and under torchrun on two gloo
 * processes with the same global batches (the same weights after training,
 * <= 1e-6), a model directory that `seqc eval` reads and `--init` starts
 * from, and bad data or flags reported in one line (exit 1, 2), never a
 * traceback. Debian's torchrun 1.13 needs `--redirects 1 --tee 1`
 * (docs/pytorch-target.md). The one-process run stops after an epoch and
 * continues with --resume, writing its --log, so the resumed run is checked
 * against the straight two-process one. batch_norm (specs/tdnn_bn.seq): one
 * process and two reach the same weights and running statistics (the batch
 * statistics are the global batch's, a rank's stand-in row left out), and the
 * checkpoint has no optimizer slots for the running statistics. Where train.py mirrors seqc's runtime
 * in Python, the two are compared: learning rates per update (settings.ts
 * learningRate), batch plans of shipped data (batches.ts permutation and
 * planBatches), dropout seeds (init.ts dropoutSeed). Skipped, saying why,
 * without PyTorch.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadCheckpoint, loadModel } from "../../src/runtime/model-dir.js";
import { parseLog } from "../../src/runtime/train-log.js";
import { learningRate, parseSchedule, type TrainSettings } from "../../src/runtime/settings.js";
import { dropoutSeed, Rng } from "../../src/runtime/init.js";
import { permutation, planBatches } from "../../src/runtime/batches.js";
import { Examples } from "../../src/runtime/examples.js";
import { ROOT, runNode, runSeqc, scratch, type Run } from "../helpers/cli.js";
import { torchForTests } from "../helpers/torch.js";

const { python, skip } = await torchForTests();

const dir = scratch("seqc-torch-train-");

/** Runs python with ARGS from the scratch folder, one thread per process. */
function py(args: string[]): Run {
  const r = spawnSync(python, args, { cwd: dir.dir, encoding: "utf8", timeout: 600_000, env: { ...process.env, OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1" } });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const noTraceback = (r: Run) => expect(r.stderr).not.toContain("Traceback");

/** The weights of a model directory by name. */
const weights = (path: string) => loadModel(path).weights;

/** The largest difference between two model directories' weights, relative to each weight (at least 1). */
function largestDifference(a: ReturnType<typeof weights>, b: ReturnType<typeof weights>): number {
  let worst = 0;
  for (const [name, w] of a) {
    const v = b.get(name)!.values;
    w.values.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - v[i]!) / Math.max(1, Math.abs(x)))));
  }
  return worst;
}

/** torchrun on two gloo processes (Debian's 1.13 needs its output redirected: docs/pytorch-target.md). */
const TORCHRUN = ["-m", "torch.distributed.run", "--redirects", "1", "--tee", "1", "--nproc_per_node=2"];

describe.skipIf(skip !== "")(skip || "train.py of specs/ab_recognizer.seq", () => {
  let out: string;
  let data: string;
  // A slice of the seed task's data: 24 examples of several lengths; batches of 8 on both runs.
  const run = (epochs: number) => ["--epochs", String(epochs), "--batch", "8", "--lr", "0.3", "--device", "cpu", "--float64", "--quiet"];

  beforeAll(() => {
    out = join(dir.dir, "ab");
    const r = runSeqc(["compile", "specs/ab_recognizer.seq", "--target", "pytorch", "-o", out]);
    expect(r.status, r.stderr).toBe(0);
    data = join(dir.dir, "ab.jsonl");
    writeFileSync(data, readFileSync(join(ROOT, "specs/data/ab_recognizer.jsonl"), "utf8").split("\n").slice(0, 24).join("\n") + "\n");
  });

  it("one process (an epoch, then --resume) and two gloo processes under torchrun reach the same weights; --log as seqc's", () => {
    const log = join(dir.dir, "one.jsonl");
    const first = py([join(out, "train.py"), "--data", data, "-o", join(dir.dir, "one"), "--log", log, ...run(1)]);
    expect(first.status, first.stderr).toBe(0);
    const one = py([join(out, "train.py"), "--data", data, "-o", join(dir.dir, "one"), "--log", log, "--resume", ...run(2)]);
    expect(one.status, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/trained ab_recognizer: 2 epochs on 24 examples.*1 process/);
    // The log of both parts, the updates counted on across the resume: 10 batches an epoch (of one length each), a
    // `steps` record per 10 updates and an `epoch` record per epoch.
    const { records, problems } = parseLog(readFileSync(log, "utf8"));
    expect(problems).toEqual([]);
    expect(records.map((r) => [r.kind, r.epoch, r.step])).toEqual([["steps", 1, 10], ["epoch", 1, 10], ["steps", 2, 20], ["epoch", 2, 20]]);
    expect(loadCheckpoint(join(dir.dir, "one")).state.progress).toMatchObject({ trainer: "pytorch", epoch: 2, steps: 20 });
    // seqc train keeps TensorFlow.js's optimizer slots: it does not resume train.py's checkpoint.
    const tfjs = runSeqc(["train", "specs/ab_recognizer.seq", "--data", data, "-o", join(dir.dir, "one"), "--resume"]);
    expect(tfjs.status).toBe(2);
    expect(tfjs.stderr).toContain("holds a checkpoint of another trainer (pytorch: train.py --resume continues it)");
    const two = py([...TORCHRUN, join(out, "train.py"), "--data", data, "-o", join(dir.dir, "two"), ...run(2)]);
    expect(two.status, two.stderr).toBe(0);
    expect(two.stdout).toMatch(/2 processes/);
    const a = weights(join(dir.dir, "one"));
    const b = weights(join(dir.dir, "two"));
    const names = (JSON.parse(readFileSync(join(out, "info.json"), "utf8")) as { params: { name: string }[] }).params.map((p) => p.name);
    expect([...a.keys()]).toEqual(names);
    const worst = largestDifference(a, b);
    console.log(`1 vs 2 processes: largest difference of a weight ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(1e-6);
    // And training moved them from the seed's initial weights (seqc's initialisers, as bridge.js draws them).
    const start = join(dir.dir, "initial.bin");
    const info = JSON.parse(readFileSync(join(out, "info.json"), "utf8")) as { settings: { seed: number } };
    const init = runNode([join(out, "seqc_node", "bridge.js"), "init", join(out, "info.json"), JSON.stringify(loadModel(join(dir.dir, "one")).meta.dims), String(info.settings.seed), start]);
    expect(init.status, init.stderr).toBe(0);
    const initial = new Float64Array(readFileSync(start).buffer.slice(0));
    const trained = [...a.values()].flatMap((w) => Array.from(w.values));
    expect(Math.max(...trained.map((x, i) => Math.abs(x - initial[i]!)))).toBeGreaterThan(1e-3);
  });

  it("batch_norm: one process and two reach the same weights and running statistics; the running ones get no optimizer slots", () => {
    const bn = join(dir.dir, "bn");
    const compiled = runSeqc(["compile", "specs/tdnn_bn.seq", "--target", "pytorch", "-o", bn]);
    expect(compiled.status, compiled.stderr).toBe(0);
    // 18 training examples of series.csv in batches of 17 and 1: in the batch of 1, rank 1 has a stand-in row only,
    // which must not count in the statistics.
    const flags = ["--data", join(ROOT, "specs/data/series.csv"), "--epochs", "1", "--batch", "17", "--device", "cpu", "--float64", "--quiet"];
    const one = py([join(bn, "train.py"), ...flags, "-o", join(dir.dir, "bn-one")]);
    expect(one.status, one.stderr).toBe(0);
    const two = py([...TORCHRUN, join(bn, "train.py"), ...flags, "-o", join(dir.dir, "bn-two")]);
    expect(two.status, two.stderr).toBe(0);
    expect(two.stdout).toMatch(/trained tdnn_bn: 1 epoch on 18 examples.*2 processes/);
    const a = weights(join(dir.dir, "bn-one"));
    const worst = largestDifference(a, weights(join(dir.dir, "bn-two")));
    console.log(`batch_norm, 1 vs 2 processes: largest difference of a weight ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(1e-6);
    // The running statistics moved from their initial values (mean 0, variance 1) with the batches'.
    const running = ["h1.batch_norm.running_mean", "h1.batch_norm.running_var", "h2.batch_norm.running_mean", "h2.batch_norm.running_var"];
    for (const name of running) {
      const start = name.endsWith("var") ? 1 : 0;
      expect(Math.max(...Array.from(a.get(name)!.values, (x) => Math.abs(x - start))), name).toBeGreaterThan(1e-3);
    }
    const slots = [...loadCheckpoint(join(dir.dir, "bn-one")).state.tensors.keys()];
    expect(slots.filter((k) => k.startsWith("p.W/"))).toEqual(["p.W/exp_avg", "p.W/exp_avg_sq", "p.W/step"]);
    expect(slots.filter((k) => running.some((name) => k.startsWith(`${name}/`)))).toEqual([]);
  });

  it("seqc eval reads the model directory; --init starts from it", () => {
    const r = runSeqc(["eval", join(dir.dir, "two"), "--data", "specs/data/ab_recognizer_test5.jsonl"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/accuracy per step/);
    const again = py([join(out, "train.py"), "--data", data, "-o", join(dir.dir, "again"), "--init", join(dir.dir, "two"), "--epochs", "0", "--device", "cpu", "--quiet"]);
    expect(again.status, again.stderr).toBe(0);
    for (const [name, w] of weights(join(dir.dir, "two"))) expect(Array.from(weights(join(dir.dir, "again")).get(name)!.values)).toEqual(Array.from(w.values));
    const ev = py([join(out, "train.py"), "eval", "--model", join(dir.dir, "two"), "--data", join(ROOT, "specs/data/ab_recognizer_test5.jsonl")]);
    expect(ev.status, ev.stderr).toBe(0);
    expect(ev.stdout).toMatch(/accuracy per step: \d+\.\d+%/);
  });

  it("train.py's learning rates, batch plans and dropout seeds are the runtime's", () => {
    // With every option given, and with the ones that have defaults left out (train.py's SCHEDULE_DEFAULTS against LR_SCHEDULES).
    const schedules = ["constant", "step(every: 3, gamma: 0.25)", "exponential(rate: 0.9, steps: 2)", "cosine(steps: 10, min: 0.001)", "step(every: 3)", "exponential(rate: 0.9)", "cosine(steps: 10)"];
    const settings = schedules.flatMap((text) => [0, 4].map((warmup) => ({ optimizer: { name: "sgd" as const, lr: 0.1, options: {} }, lrSchedule: parseSchedule(text), warmup })));
    const UPDATES = 30;
    const script = [
      "import json, sys",
      `sys.path.insert(0, ${JSON.stringify(out)})`,
      "import train as T, seqc_torch as S",
      "args = json.loads(sys.argv[1])",
      "data = T.read_data(args['data'], '--batch', '4', '--validation', '0.2', '--seed', '7')",
      "rng = S.Rng(7)",
      "plans = [T.epoch_batches(data, rng, 4) for _ in range(2)]",
      `rates = [[T.learning_rate(s, k) for k in range(${UPDATES})] for s in args['settings']]`,
      "seeds = [S.dropout_seed(s, k) for s in (0, 7, -3, 2**31 + 5) for k in (0, 1, 99, 12345)]",
      "print(json.dumps({'data': {k: data[k] for k in ('train', 'lengths', 'freeDims')}, 'plans': plans, 'rates': rates, 'seeds': seeds}))",
    ].join("\n");
    const r = py(["-c", script, JSON.stringify({ data: join(ROOT, "specs/data/ab_recognizer.jsonl"), settings })]);
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as { data: { train: number[]; lengths: Record<string, number[]>; freeDims: string[] }; plans: number[][][]; rates: number[][]; seeds: number[] };

    settings.forEach((s, i) => {
      const want = Array.from({ length: UPDATES }, (_, k) => learningRate(s as Pick<TrainSettings, "optimizer" | "lrSchedule" | "warmup">, k));
      got.rates[i]!.forEach((lr, k) => expect(Math.abs(lr - want[k]!), `${schedules[i >> 1]} warmup ${s.warmup}, update ${k}`).toBeLessThanOrEqual(1e-15 * want[k]!));
    });

    // The same examples (as the bridge read them: lengths, the split), planned by the runtime: the same batches.
    const { train, lengths, freeDims } = got.data;
    const count = Object.values(lengths)[0]!.length;
    const all = Examples.of(Array.from({ length: count }, (_, i) => ({ line: i, dims: Object.fromEntries(freeDims.map((d) => [d, lengths[d]![i]!])), fields: {} })));
    const kept = all.subset(train);
    const rng = new Rng(7);
    const want = [0, 1].map(() => planBatches(kept, permutation(kept.length, rng), 4, freeDims).map((b) => b.map((ex) => ex.line)));
    expect(new Set(Object.values(lengths)[0]).size, "examples of several lengths").toBeGreaterThan(1);
    expect(got.plans).toEqual(want);

    expect(got.seeds).toEqual([0, 7, -3, 2 ** 31 + 5].flatMap((s) => [0, 1, 99, 12345].map((k) => dropoutSeed(s, k))));
  });

  it("bad data is one line with its place (exit 1); a bad flag, model directory or unwritable output is exit 2", () => {
    const bad = join(dir.dir, "bad.jsonl");
    writeFileSync(bad, '{"x": "AB", "y": [[0], [1]]}\n{"x": "AQ", "y": [[0]]}\n');
    const r = py([join(out, "train.py"), "--data", bad, "-o", join(dir.dir, "bad"), "--device", "cpu"]);
    expect(r.status).toBe(1);
    // seqc's own message (the data is read by seqc's runtime): the file, then each bad line.
    expect(r.stderr).toMatch(/^train\.py: .*bad\.jsonl: 1 problem in the data for model ab_recognizer\n\s*line 2: field x: unknown token "Q"/);
    noTraceback(r);
    const flag = py([join(out, "train.py"), "--data", bad, "--batch", "0"]);
    expect(flag.status).toBe(2);
    expect(flag.stderr).toContain("--batch 0: expected a whole number >= 1");
    noTraceback(flag);
    const schedule = py([join(out, "train.py"), "--data", data, "-o", join(dir.dir, "sched"), "--lr-schedule", "cosine(min: 2)"]);
    expect(schedule.status).toBe(2);
    expect(schedule.stderr).toMatch(/^train\.py: --lr-schedule cosine\(min: 2\): cosine needs steps$/m);
    noTraceback(schedule);
    const resume = py([join(out, "train.py"), "--data", data, "-o", join(dir.dir, "nothing-yet"), "--resume"]);
    expect(resume.status).toBe(2);
    expect(resume.stderr).toMatch(/^train\.py: --resume: there is no checkpoint in .*nothing-yet/m);
    noTraceback(resume);
    const missing = py([join(out, "train.py"), "eval", "--model", join(dir.dir, "nowhere"), "--data", bad]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^train\.py: cannot read .*model\.json/m);
    noTraceback(missing);
    const underFile = py([join(out, "train.py"), "--data", data, "-o", join(bad, "model")]);
    expect(underFile.status).toBe(2);
    expect(underFile.stderr).toMatch(/^train\.py: .*bad\.jsonl.*: not a directory$/m);
    noTraceback(underFile);
  });
});
