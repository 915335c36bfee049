/**
 * The ts target's trainer (../../src/runtime/trainer.ts) with a
 * hand-written model of the bigram spec: training lowers the loss, batches
 * hold one length, the model directory is seqc's (seqc eval reads it and
 * agrees), the initial weights and the loss trajectory equal the tfjs
 * target's, --init reads seqc's directories, truncated BPTT carries states,
 * eval's accuracy follows seqc eval, sample generates, and bad input gives a
 * message and an exit code, never a stack trace.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { parseDataset } from "../../src/backends/tfjs/dataset.js";
import { vocabulariesToJSON } from "../../src/runtime/vocab.js";
import { loadModel, saveModel } from "../../src/runtime/model-dir.js";
import { loadEngine, type Engine } from "../../src/backends/tfjs/engine.js";
import { TfModel } from "../../src/backends/tfjs/exec.js";
import { Trainer } from "../../src/backends/tfjs/train.js";
import type { CompiledModel, ModelInfo, ValueView } from "../../src/runtime/model-api.js";
import type { Metrics } from "../../src/runtime/metrics.js";
import type { CreateModel } from "../../src/runtime/trainer.js";
import { evaluate } from "../../src/runtime/metrics.js";
import { dataModelOf, readData } from "../../src/runtime/data.js";
import { runEval } from "../../src/cli/commands/use.js";
import { parseLog } from "../../src/runtime/train-log.js";
import { dropoutSeed } from "../../src/runtime/init.js";
import { BIGRAM_SPEC, bigram, compile, epochLosses, run, tempDir, type Calls } from "./helpers.js";

let engine: Engine;
beforeAll(async () => {
  engine = await loadEngine("cpu");
});

const { graph, info } = compile(BIGRAM_SPEC);
const dir = tempDir();

/** Sequences over abc where each character is followed by the next one of the cycle; lengths 2..6. */
function cycleJsonl(n: number, offset = 0): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const len = 2 + ((i + offset) % 5);
    let s = "";
    for (let t = 0; t <= len; t++) s += "abc"[(i + t) % 3];
    lines.push(JSON.stringify({ x: s.slice(0, -1), y: s.slice(1) }));
  }
  return lines.join("\n") + "\n";
}

const train = join(dir, "train.jsonl");
const test = join(dir, "test.jsonl");
writeFileSync(train, cycleJsonl(40));
writeFileSync(test, cycleJsonl(9, 2));
const TEXT = "the cat sat on the mat. the rat ate the hat.\n".repeat(2);
const text = join(dir, "text.txt");
writeFileSync(text, TEXT);

function newCalls(): Calls {
  return { forwards: [], initialStates: [], created: [] };
}

/** seqc eval DIR --data FILE --format json (the tfjs target on the cpu backend). */
async function seqcEval(model: string, data: string): Promise<Metrics> {
  let out = "";
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => {
    out += String(s);
    return true;
  });
  try {
    expect(await runEval(model, data, { format: "json", color: false, backend: "cpu" })).toBe(0);
  } finally {
    spy.mockRestore();
  }
  return JSON.parse(out);
}

describe("training", () => {
  const out = join(dir, "trained");
  let trained: Awaited<ReturnType<typeof run>>;
  const calls = newCalls();

  beforeAll(async () => {
    trained = await run(["--data", train, "--out", out, "--epochs", "6", "--batch", "4", "--log", `${out}.jsonl`], info, bigram(info, calls));
  });

  it("--log: seqc's training log, a record per 10 updates and per epoch, the epochs' losses those printed", () => {
    const { records, problems } = parseLog(readFileSync(`${out}.jsonl`, "utf8"));
    expect(problems).toEqual([]);
    expect(records.map((r) => `${r.kind} ${r.epoch} ${r.step}`)).toEqual([1, 2, 3, 4, 5, 6].flatMap((e) => [`steps ${e} ${e * 10}`, `epoch ${e} ${e * 10}`]));
    expect(records.filter((r) => r.kind === "epoch").map((r) => r.loss.toFixed(5))).toEqual(epochLosses(trained.stdout).map((l) => l.toFixed(5)));
    expect(records.every((r) => r.lr === info.settings.optimizer.lr && r.tokensPerSecond > 0 && r.validationLoss === undefined)).toBe(true);
  });

  it("gives each update's forward pass the dropout seed of that update (dropoutSeed of the run's seed), eval none", async () => {
    expect(calls.forwards).toHaveLength(60);
    expect(calls.forwards.map((f) => f.dropout)).toEqual(Array.from({ length: 60 }, (_, k) => dropoutSeed(info.settings.seed, k)));
    const evalCalls = newCalls();
    const r = await run(["eval", "--model", out, "--data", test], info, bigram(info, evalCalls));
    expect(r.code).toBe(0);
    expect(evalCalls.forwards.length).toBeGreaterThan(0);
    expect(evalCalls.forwards.every((f) => f.dropout === undefined)).toBe(true);
  });

  it("lowers the loss, one progress line per epoch, and saves", () => {
    expect(trained.stderr).toBe("");
    expect(trained.code).toBe(0);
    const losses = epochLosses(trained.stdout);
    expect(losses).toHaveLength(6);
    expect(losses[5]!).toBeLessThan(losses[0]! / 5);
    expect(trained.stdout).toMatch(new RegExp(`^epoch 1/6  step 10/10  loss \\d+\\.\\d{5}  lr ${info.settings.optimizer.lr}  \\d+ examples/s$`, "m"));
    expect(trained.stdout).toMatch(new RegExp(`trained bigram: 6 epochs on 40 examples, loss ${losses[5]!.toFixed(5)} .*saved ${out}\\n$`));
  });

  it("creates the model for the longest example and the batch size, and never mixes lengths in a batch", () => {
    expect(calls.created).toEqual([{ dims: { T: 6, V: 5 }, maxBatch: 4 }]);
    // Every epoch sees each example once: 8 examples of each length 2..6, in batches of up to 4 of one length.
    expect(calls.forwards).toHaveLength(60);
    const epoch1 = calls.forwards.slice(0, 10);
    const byLength = new Map<number, number>();
    for (const f of epoch1) byLength.set(f.dims["T"]!, (byLength.get(f.dims["T"]!) ?? 0) + f.size);
    expect([...byLength].sort()).toEqual([2, 3, 4, 5, 6].map((t) => [t, 8]));
    // Shuffled: the order of the lengths differs between epochs.
    const order = (e: number) => calls.forwards.slice(10 * e, 10 * e + 10).map((f) => f.dims["T"]).join();
    expect(new Set([0, 1, 2, 3, 4, 5].map(order)).size).toBeGreaterThan(1);
  });

  it("leaves no lock, and refuses (exit 2) a directory another run is training into, before training", async () => {
    expect(existsSync(join(out, ".seqc-lock"))).toBe(false);
    const busy = join(dir, "busy");
    mkdirSync(busy, { recursive: true });
    writeFileSync(join(busy, ".seqc-lock"), `${process.ppid}\n`);
    const r = await run(["--data", train, "--out", busy, "--epochs", "1"], info, bigram(info));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${busy} is being written by another training run (process ${process.ppid})`);
    expect(existsSync(join(busy, "model.json"))).toBe(false);
  });

  it("refuses (exit 2) a model whose parameters need more than --max-memory, before allocating it", async () => {
    const r = await run(["--data", train, "--out", join(dir, "never"), "--max-memory", "0.0000001"], info, bigram(info));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("model bigram has 30 parameters: training it needs at least 480 bytes (4-byte values for the parameters, their gradients and adam's 2 slots each), more than --max-memory 1e-7 GB");
    expect(existsSync(join(dir, "never"))).toBe(false);
  });

  it("writes seqc's model directory, which seqc's reader loads", () => {
    const saved = loadModel(out);
    expect(saved.meta.format).toBe("seqc-model");
    expect(saved.meta.model).toBe("bigram");
    expect(saved.meta.spec).toEqual({ file: "spec.seq", source: BIGRAM_SPEC });
    expect(saved.meta.dims).toEqual({ V: 5, T: 6 });
    expect(saved.meta.vocabularies).toEqual({ chars: { tokens: ["a", "b", "c", "<unk>", "<eos>"], unk: "<unk>", eos: "<eos>" } });
    expect(saved.meta.settings).toEqual({ ...info.settings, epochs: 6, batch: 4 });
    expect(saved.meta.trained).toEqual({ epochs: 6, seed: 1, checksums: { "weights.bin": expect.stringMatching(/^[0-9a-f]{64}$/) } });
    expect([...saved.weights.keys()]).toEqual(["logits.W", "logits.b"]);
    expect(saved.weights.get("logits.W")!.shape).toEqual([5, 5]);
    expect(saved.weights.get("logits.b")!.shape).toEqual([5]);
    // No temporary files left behind.
    expect(readFileSync(join(out, "model.json"), "utf8").endsWith("\n")).toBe(true);
  });

  it("eval reports what seqc eval reports on the same directory", async () => {
    const ours = await run(["eval", "--model", out, "--data", test, "--format", "json"], info, bigram(info));
    expect(ours.code).toBe(0);
    const m = JSON.parse(ours.stdout);
    const theirs = await seqcEval(out, test);
    expect(m.loss).toBeCloseTo(theirs.loss, 4);
    expect(m.outputs[0].stepAccuracy).toBe(1);
    expect(m.outputs[0].stepAccuracy).toBeCloseTo(theirs.outputs[0]!.stepAccuracy!, 6);
    expect(m.outputs[0].sequenceAccuracy).toBeCloseTo(theirs.outputs[0]!.sequenceAccuracy!, 6);
    expect(m.outputs[0].perplexity).toBeGreaterThan(1);
    // The same names for what each loss compares (the spec's, not "prediction").
    expect([m.outputs[0].prediction, m.outputs[0].target]).toEqual([theirs.outputs[0]!.prediction, theirs.outputs[0]!.target]);
    expect([m.outputs[0].prediction, m.outputs[0].target]).toEqual(["logits", "y"]);
    const human = await run(["eval", "--model", out, "--data", test], info, bigram(info));
    expect(human.stdout).toMatch(/^loss \d+\.\d{5}\ncross_entropy\(logits, y\)   accuracy per step 100\.00%   sequences all right 100\.00%   perplexity \d/);
  });

  it("sample continues the cycle greedily, and samples reproducibly with a seed", async () => {
    const greedy = await run(["sample", "--model", out, "--prime", "b", "--length", "7"], info, bigram(info));
    expect(greedy).toEqual({ code: 0, stdout: "bcabcabc\n", stderr: "" });
    const a = await run(["sample", "--model", out, "--prime", "ab", "--length", "30", "--temperature", "3", "--seed", "4"], info, bigram(info));
    const b = await run(["sample", "--model", out, "--prime", "ab", "--length", "30", "--temperature", "3", "--seed", "4"], info, bigram(info));
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout.startsWith("ab")).toBe(true);
    // At temperature 3 the model is unsure: not the greedy cycle.
    expect(a.stdout).not.toBe("ab" + "cab".repeat(10) + "\n");
  });
});

describe("agreement with the tfjs target", () => {
  it("starts from the tfjs target's initial weights for a seed", async () => {
    const out = join(dir, "init0");
    const r = await run(["--data", train, "--out", out, "--epochs", "0", "--seed", "7"], info, bigram(info));
    expect(r.code).toBe(0);
    const saved = loadModel(out);
    const tf = new TfModel(graph, engine, { V: 5 }, 7);
    for (const [name, v] of tf.params) expect(Array.from(saved.weights.get(name)!.values), name).toEqual(Array.from(v.dataSync()));
    tf.dispose();
  });

  /** The tfjs trainer's epoch losses on the text file (loaded as `seqc train` loads it). */
  async function tfjsLosses(settings: ModelInfo["settings"], seqLength: number): Promise<number[]> {
    const data = parseDataset(TEXT, graph, { format: "text", seqLength });
    const model = new TfModel(graph, engine, data.dims, settings.seed);
    const trainer = new Trainer(model, settings);
    const reports = await trainer.fit(data);
    trainer.dispose();
    model.dispose();
    return reports.map((r) => r.loss);
  }

  it("repeats the tfjs trainer's losses (adam, clipping, weight decay, shuffling, a cosine schedule after a warm-up)", async () => {
    const args = ["--data", text, "--out", join(dir, "traj"), "--epochs", "4", "--batch", "3", "--seq-length", "5", "--clip", "1.5", "--weight-decay", "0.01", "--seed", "3", "--lr-schedule", "cosine(steps: 12, min: 0.001)", "--warmup", "3"];
    const r = await run(args, info, bigram(info));
    expect(r.code).toBe(0);
    const settings = { ...info.settings, epochs: 4, batch: 3, clip: 1.5, weightDecay: 0.01, seed: 3, lrSchedule: { name: "cosine" as const, options: { steps: 12, min: 0.001 } }, warmup: 3 };
    const want = await tfjsLosses(settings, 5);
    const got = epochLosses(r.stdout);
    expect(got).toHaveLength(4);
    got.forEach((l, i) => expect(l, `epoch ${i + 1}`).toBeCloseTo(want[i]!, 3));
    expect(got[3]!).toBeLessThan(got[0]!);
    // The epoch lines show the rate of the epoch's last update: down the cosine to its floor by the last epoch.
    const rates = [...r.stdout.matchAll(/^epoch \d\/4 .* lr (\S+) /gm)].map((m) => Number(m[1]));
    expect(rates[0]!).toBeGreaterThan(0.001);
    expect(rates[3]).toBe(0.001);
  });

  it("repeats them with truncated BPTT over text streams, another optimizer and a step schedule", async () => {
    const r = await run(["--data", text, "--out", join(dir, "traj2"), "--epochs", "3", "--batch", "4", "--bptt", "6", "--optimizer", "rmsprop", "--lr", "0.05", "--lr-schedule", "step(every: 10, gamma: 0.3)"], info, bigram(info));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("truncated BPTT: windows of 6 steps");
    // As seqc train lays text out for BPTT: `batch` streams of the text, one example each.
    const available = [...TEXT].length - 1;
    const streams = Math.min(4, Math.floor(available / 6));
    const want = await tfjsLosses({ ...info.settings, epochs: 3, batch: 4, bptt: 6, optimizer: { name: "rmsprop", lr: 0.05, options: {} }, lrSchedule: { name: "step", options: { every: 10, gamma: 0.3 } } }, Math.floor(available / streams));
    const got = epochLosses(r.stdout);
    expect(got).toHaveLength(3);
    got.forEach((l, i) => expect(l, `epoch ${i + 1}`).toBeCloseTo(want[i]!, 3));
  });

  it("Ctrl-C in the middle of a text stream's windows stops after that step, saves a loadable model and says so", async () => {
    // One batch of 2 streams of ~44 characters in windows of 2: 22 updates in the only batch of each epoch.
    const calls = newCalls();
    const create = bigram(info, calls);
    const interrupting: typeof create = (dims, maxBatch) => {
      const model = create(dims, maxBatch);
      const forward = model.forward.bind(model);
      model.forward = (batch) => {
        // The trainer's handler is the last one added; Ctrl-C arrives during the third update.
        if (calls.forwards.length === 2) (process.listeners("SIGINT").at(-1) as () => void)();
        return forward(batch);
      };
      return model;
    };
    const out = join(dir, "interrupted");
    const listeners = process.listenerCount("SIGINT");
    const r = await run(["--data", text, "--out", out, "--epochs", "5", "--batch", "2", "--bptt", "2", "--validation", "0"], info, interrupting);
    expect(r.code, r.stderr).toBe(130);
    expect(calls.forwards).toHaveLength(3);
    expect(calls.forwards.every((f) => f.dims["T"] === 2)).toBe(true);
    expect(r.stderr).toContain("train.js: interrupted: saving after this step (Ctrl-C again to stop at once;");
    expect(r.stderr).toContain(`train.js: interrupted in epoch 1; the weights so far are saved in ${out}`);
    const saved = loadModel(out);
    expect(saved.meta.trained.epochs).toBe(0);
    expect(saved.weights.has("logits.W")).toBe(true);
    expect(process.listenerCount("SIGINT")).toBe(listeners);
  });

  it("--init starts from a model directory seqc saved (weights and vocabulary)", async () => {
    const seqcDir = join(dir, "from-seqc");
    const data = parseDataset(TEXT, graph, { format: "text", seqLength: 10 });
    const tf = new TfModel(graph, engine, data.dims, 11);
    const weights = new Map([...tf.params].map(([n, v]) => [n, { shape: v.shape, values: Float32Array.from(v.dataSync()) }]));
    tf.dispose();
    saveModel(seqcDir, { spec: { file: "spec.seq", source: BIGRAM_SPEC }, model: "bigram", dims: data.dims, vocabularies: vocabulariesToJSON(data.vocabularies), settings: info.settings, trained: { epochs: 1, seed: 11 } }, weights);
    // The training data has fewer characters than the saved vocabulary: the saved one is kept.
    const out = join(dir, "re-init");
    const r = await run(["--data", train, "--init", seqcDir, "--out", out, "--epochs", "0"], info, bigram(info));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const saved = loadModel(out);
    expect(saved.meta.vocabularies).toEqual(vocabulariesToJSON(data.vocabularies));
    for (const [name, w] of weights) expect(Array.from(saved.weights.get(name)!.values), name).toEqual(Array.from(w.values));
    // And eval of seqc's directory agrees with seqc eval.
    writeFileSync(join(dir, "text-test.txt"), "the mat sat on the cat.\n");
    const ours = JSON.parse((await run(["eval", "--model", seqcDir, "--data", join(dir, "text-test.txt"), "--format", "json"], info, bigram(info))).stdout);
    const theirs = await seqcEval(seqcDir, join(dir, "text-test.txt"));
    expect(ours.loss).toBeCloseTo(theirs.loss, 3);
    expect(ours.outputs[0].stepAccuracy).toBeCloseTo(theirs.outputs[0]!.stepAccuracy!, 6);
    expect(ours.outputs[0].perplexity).toBeCloseTo(theirs.outputs[0]!.perplexity!, 3);
  });
});

describe("truncated BPTT", () => {
  it("cuts each batch into windows and carries copies of the scans' final states within the batch", async () => {
    const scanInfo: ModelInfo = { ...info, scans: [{ name: "h", states: ["s"] }] };
    const file = join(dir, "seven.jsonl");
    writeFileSync(file, ["abcabca", "bcabcab", "cabcabc"].map((s) => JSON.stringify({ x: s, y: s.slice(1) + s[0] })).join("\n") + "\n");
    const calls = newCalls();
    const r = await run(["--data", file, "--out", join(dir, "bptt"), "--epochs", "2", "--batch", "2", "--bptt", "3"], scanInfo, bigram(scanInfo, calls, { scan: true }));
    expect(r.code).toBe(0);
    // Per epoch: a batch of 2 and one of 1, each cut into windows of 3, 3 and 1 steps.
    expect(calls.forwards.map((f) => `${f.size}x${f.dims["T"]}`)).toEqual(["2x3", "2x3", "2x1", "1x3", "1x3", "1x1", "2x3", "2x3", "2x1", "1x3", "1x3", "1x1"]);
    // The model is made for a window (T = 3), not for the examples' 7 steps.
    expect(calls.created.map((c) => c.dims["T"])).toEqual([3]);
    for (let k = 0; k < calls.forwards.length; k += 3) {
      expect(calls.initialStates[k], `window 1 of batch ${k / 3}`).toBeUndefined();
      const [w1, w2] = [calls.forwards[k]!, calls.forwards[k + 1]!];
      const s2 = calls.initialStates[k + 1]!["h.s"]!;
      const s3 = calls.initialStates[k + 2]!["h.s"]!;
      // The state after window 1 is the sum of its ids (the fake scan), carried into window 2, then into 3.
      const sums = (f: typeof w1) => Array.from({ length: f.size }, (_, n) => f.x.slice(n * 3, n * 3 + 3).reduce((a, b) => a + b, 0));
      expect(Array.from(s2)).toEqual(sums(w1));
      expect(Array.from(s3)).toEqual(sums(w1).map((s, n) => s + sums(w2)[n]!));
      expect(s2).not.toBe(s3);
    }
  });

  it("is not used when the data cannot be cut (a note says so)", async () => {
    const i = base("mse", ["T"], [1]);
    const file = join(dir, "per-sequence.jsonl");
    writeFileSync(file, '{"x": [1, 2, 3, 4], "y": [1]}\n{"x": [1, 2, 3, 4], "y": [0]}\n');
    const r = await run(["--data", file, "--out", join(dir, "nobptt"), "--epochs", "1", "--bptt", "2"], i, identity(i));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("note: --bptt 2 is not used: the data cannot be cut into windows");
  });
});

/** A model whose prediction is its input x (so accuracy is a function of the data). */
function identity(i: ModelInfo): CreateModel {
  return () => {
    let view: ValueView | undefined;
    const m: CompiledModel = {
      info: i,
      params: new Float32Array(0),
      grads: new Float32Array(0),
      layout: {},
      init() {},
      forward(b) {
        view = { data: b.fields["x"] as Float32Array, offset: 0, shape: [b.size, ...i.fields[0]!.shape.map((d) => (typeof d === "number" ? d : b.dims[d]!))] };
        return 0;
      },
      backward() {},
      value: () => view!,
      lossValue: () => view!,
      lossTarget: () => view!,
      finalStates: () => ({}),
      setInitialStates() {},
    };
    return m;
  };
}
const base = (op: ModelInfo["losses"][number]["op"], xShape: (string | number)[], yShape: (string | number)[]): ModelInfo => ({
  ...info,
  vocabs: [],
  dims: [{ name: "T", multiple: 1 }],
  fields: [
    { name: "x", role: "input", dtype: "float32", shape: xShape },
    { name: "y", role: "target", dtype: "float32", shape: yShape },
  ],
  params: [],
  losses: [{ op, target: "y" }],
});

describe("eval's accuracy", () => {
  it("thresholds probabilities at 0.5 (mse, bce) and logits at 0 (bce_logits), per step and per sequence", () => {
    const lines = [
      { x: [0.9, 0.3], y: [1, 0] }, // 0.5: right, right;   0: right, wrong
      { x: [0.4, -0.2], y: [1, 0] }, // 0.5: wrong, right;   0: right, right
      { x: [0.7, 0.1, 0.2], y: [1, 0, 0] }, // 0.5: all right;  0: right, wrong, wrong
    ].map((l) => JSON.stringify(l)).join("\n");
    for (const [op, step, seq] of [["mse", 6 / 7, 2 / 3], ["bce", 6 / 7, 2 / 3], ["bce_logits", 4 / 7, 1 / 3]] as const) {
      const i = base(op, ["T"], ["T"]);
      const data = readData(lines, dataModelOf(i));
      const m = evaluate(identity(i)({ T: 3 }, 64), i, data);
      expect(m.outputs[0]!.stepAccuracy, op).toBeCloseTo(step, 10);
      expect(m.outputs[0]!.sequenceAccuracy, op).toBeCloseTo(seq, 10);
      expect(m.outputs[0]!.perplexity).toBeUndefined();
    }
  });

  it("compares argmaxes for cross_entropy with probability targets", () => {
    const i = base("cross_entropy", ["T", 3], ["T", 3]);
    const lines = [
      { x: [[1, 5, 2], [0, 0, 3]], y: [[0, 1, 0], [1, 0, 0]] },
      { x: [[9, 5, 2], [0, 4, 3]], y: [[1, 0, 0], [0, 1, 0]] },
    ].map((l) => JSON.stringify(l)).join("\n");
    const m = evaluate(identity(i)({ T: 2 }, 64), i, readData(lines, dataModelOf(i)));
    expect(m.outputs[0]!.stepAccuracy).toBeCloseTo(3 / 4, 10);
    expect(m.outputs[0]!.sequenceAccuracy).toBeCloseTo(1 / 2, 10);
  });
});

describe("bad input", () => {
  it("a --log it cannot write: exit 2 naming it, before training (and no lock left)", async () => {
    const out = join(dir, "log-out");
    const r = await run(["--data", train, "--out", out, "--log", join(dir, "no", "log.jsonl")], info, bigram(info, newCalls()));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`train.js: cannot write the log ${join(dir, "no", "log.jsonl")}: its folder does not exist\n`);
    expect(r.stdout).not.toContain("epoch");
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  });

  it("a --log that fills up while training (/dev/full): exit 2 naming it, in one line; the weights so far saved", async () => {
    const out = join(dir, "full-log-out");
    const r = await run(["--data", train, "--out", out, "--epochs", "2", "--batch", "4", "-q", "--log", "/dev/full"], info, bigram(info, newCalls()));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`train.js: cannot write the log /dev/full: the disk is full; training stopped, the weights so far are saved in ${out}\n`);
    expect(loadModel(out).meta.model).toBe("bigram");
    expect(readdirSync(out).sort()).toEqual(["model.json", "weights.bin"]);
  });

  it("reports bad data with line numbers and exit 1, before training", async () => {
    const file = join(dir, "bad.jsonl");
    writeFileSync(file, ['{"x": "ab", "y": "bc"}', '{"x": "ab", "y": "b"}', "", '{"x": "ab"}', "{nope", '{"x": [1], "y": "a"}', '{"x": "a", "y": "b", "z": 1}'].join("\n") + "\n");
    const calls = newCalls();
    const r = await run(["--data", file, "--out", join(dir, "bad-out")], info, bigram(info, calls));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(calls.created).toEqual([]);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines[0]).toBe(`train.js: ${file}: 5 problems in the data for model bigram`);
    expect(lines.slice(1)).toEqual([
      "  line 2: field y: y has length 1, but x has length 2 (both are T)",
      "  line 4: missing field y (target: [T] of chars)",
      expect.stringMatching(/^ {2}line 5: not valid JSON: /),
      "  line 6: field x: token id 1 at x[0]: vocabulary chars is built from the data, so its ids are not known; write tokens as strings (or load a saved vocabulary)",
      "  line 7: unknown field z: model bigram has x, y",
    ]);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("reports tokens a fixed vocabulary does not have, and text a model cannot read", async () => {
    const fixed = compile(BIGRAM_SPEC.replace("vocab chars[V]", "vocab chars[V] = [a, b, c]")).info;
    const file = join(dir, "unknown.jsonl");
    writeFileSync(file, '{"x": "ab", "y": "bc"}\n{"x": "ad", "y": "bc"}\n{"x": [0, 7], "y": "bc"}\n');
    const r = await run(["--data", file], fixed, bigram(fixed));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`line 2: field x: unknown token "d" at x[1]: vocabulary chars has a, b, c and no <unk>`);
    expect(r.stderr).toContain("line 3: field x: token id 7 at x[1] is out of range: vocabulary chars has ids 0..2");
    const t = join(dir, "unknown.txt");
    writeFileSync(t, "abc\nabd\n");
    const r2 = await run(["--data", t], fixed, bigram(fixed));
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain(`line 1: column 4: character "\\n" is not in the vocabulary`);
    expect(r2.stderr).toContain(`line 2: column 3: character "d" is not in the vocabulary`);
  });

  it("usage and I/O problems are exit 2 with a message", async () => {
    const cases: [string[], RegExp][] = [
      [[], /--data FILE is required/],
      [["--data", join(dir, "missing.jsonl")], /cannot read .*missing\.jsonl: no such file/],
      [["--data", train, "--epochs", "two"], /--epochs needs a number, not "two"/],
      [["--data", train, "--batch", "0"], /--batch 0: expected a whole number >= 1/],
      [["--data", train, "--frobnicate"], /unknown option --frobnicate/],
      [["--data", train, "--optimizer", "lbfgs"], /--optimizer lbfgs: use sgd, momentum, adam, rmsprop/],
      [["--data", train, "--lr-schedule", "cosine(min: 0.1)"], /--lr-schedule cosine\(min: 0\.1\): cosine needs steps/],
      [["--data", train, "--warmup", "-3"], /--warmup -3: expected a whole number >= 0/],
      [["--data", join(dir, "data.parquet")], /cannot tell the format .* "\.parquet"/],
      [["--data", train, "--init", join(dir, "nowhere")], /cannot read .*nowhere\/model\.json: no such file/],
      [["eval", "--model", join(dir, "trained")], /eval needs --model DIR and --data FILE/],
      [["sample", "--model", join(dir, "trained"), "--length", "-1"], /--length -1: expected a whole number >= 0/],
      [["sample", "--prime", "a"], /sample needs --model DIR/],
    ];
    for (const [argv, message] of cases) {
      const r = await run(argv, info, bigram(info));
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.stderr, argv.join(" ")).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it("refuses a directory of another model, or weights of other shapes", async () => {
    const other = compile(BIGRAM_SPEC.replace("model bigram", "model other")).info;
    const r = await run(["eval", "--model", join(dir, "trained"), "--data", test], other, bigram(other));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("holds model bigram, not other");
    // The saved vocabulary (5 tokens) decides V; a model laid out for another V does not fit.
    const wrongV: CreateModel = (dims, maxBatch) => bigram(info)({ ...dims, V: dims["V"]! + 1 }, maxBatch);
    const r2 = await run(["eval", "--model", join(dir, "trained"), "--data", test], info, wrongV);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/the weight logits\.W is \[5, 5\], but the model is built with it \[6, 6\]/);
  });

  it("stops on a loss that is not finite, keeping the last good weights", async () => {
    let n = 0;
    const nan: CreateModel = (dims, maxBatch) => {
      const m = bigram(info)(dims, maxBatch);
      const forward = m.forward.bind(m);
      return { ...m, forward: (b) => (++n > 15 ? NaN : forward(b)), backward: m.backward.bind(m), value: m.value.bind(m), lossValue: m.lossValue.bind(m), lossTarget: m.lossTarget.bind(m) };
    };
    const out = join(dir, "nan");
    const r = await run(["--data", train, "--out", out, "--epochs", "3"], info, nan);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the loss became NaN in epoch 2; training stopped\. The last good weights \(epoch 1\) are saved in/);
    expect(loadModel(out).meta.trained.epochs).toBe(1);
  });
});

describe("output", () => {
  it("--quiet prints the summary only; --help the usage", async () => {
    const r = await run(["--data", train, "--out", join(dir, "quiet"), "--epochs", "2", "-q"], info, bigram(info));
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stdout).toMatch(/^trained bigram: 2 epochs on 40 examples, loss /);
    const h = await run(["--help"], info, bigram(info));
    expect(h.code).toBe(0);
    expect(h.stdout).toContain("node train.js --data FILE");
    expect(h.stdout).toContain("x: [T] of chars (input), y: [T] of chars (target)");
    expect(h.stdout).toContain("default model-out");
  });

  it("holds out a validation fraction", async () => {
    const r = await run(["--data", train, "--out", join(dir, "val"), "--epochs", "2", "--validation", "0.25"], info, bigram(info));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("training bigram on 30 examples (10 held out)");
    expect(r.stdout).toMatch(/^epoch 1\/2 .* validation \d+\.\d{5} /m);
  });

  it("stops early when the validation loss does not improve for --patience epochs", async () => {
    // The identity model's loss is always 0: no epoch improves on the first.
    const i = base("mse", ["T"], ["T"]);
    const file = join(dir, "floats.jsonl");
    writeFileSync(file, Array.from({ length: 8 }, (_, k) => JSON.stringify({ x: [k, 1], y: [0, 1] })).join("\n") + "\n");
    const out = join(dir, "patience");
    const r = await run(["--data", file, "--out", out, "--epochs", "30", "--validation", "0.25", "--patience", "2"], i, identity(i));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("stopping early: no better validation loss for 2 epochs");
    expect(loadModel(out).meta.trained.epochs).toBe(3);
  });
});
