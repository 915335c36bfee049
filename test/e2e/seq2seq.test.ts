/**
 * seq2seq_attention learns the toy task of specs/data/reverse.jsonl (reverse
 * a string of 3..6 digits), trained with the real CLI (`seqc train`), and is
 * decoded greedily and by beam search (width 3, alpha 0.7) on held-out
 * examples: beam search must match or beat greedy, both far above chance
 * (a random guess of the right length is right with probability 10^-len).
 *
 * The spec is sized for this task (E = 32, H = 64): four epochs (10 s of CPU here) reach 98.9% of held-out strings greedy and by beam.
 *
 * Decoding calls `runSample` in-process, as `seqc sample DIR --input FILE
 * [--beam W --alpha A --compare]` does.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { runSample, type CompareResult, type SampleOptions } from "../../src/cli/commands/use.js";
import { UserIoError } from "../../src/cli/io.js";
import { runNode, runSeqc } from "../helpers/cli.js";

const out = mkdtempSync(join(tmpdir(), "seqc-s2s-"));
const spec = "specs/seq2seq_attention.seq";
const trainData = join(out, "train.jsonl");
const heldOut = join(out, "held_out.jsonl");
const modelDir = join(out, "model");
const TRAIN = 1800;

/** Runs `seqc sample` in-process and returns what it printed. */
async function sample(opts: Partial<SampleOptions>): Promise<string> {
  let printed = "";
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    printed += String(chunk);
    return true;
  });
  try {
    const code = await runSample(modelDir, { format: "human", color: false, prime: "", length: 12, temperature: 1, greedy: false, seed: 1, backend: "wasm", ...opts });
    expect(code).toBe(0);
  } finally {
    spy.mockRestore();
  }
  return printed;
}

afterEach(() => vi.restoreAllMocks());

let trainSeconds = 0;

beforeAll(() => {
  const lines = readFileSync("specs/data/reverse.jsonl", "utf8").trim().split("\n");
  const train = lines.slice(0, TRAIN);
  const seen = new Set(train.map((l) => JSON.stringify((JSON.parse(l) as { x: string[] }).x)));
  // Held out: the other examples, without any source string seen in training.
  const held = lines.slice(TRAIN).filter((l) => !seen.has(JSON.stringify((JSON.parse(l) as { x: string[] }).x)));
  writeFileSync(trainData, train.join("\n") + "\n");
  writeFileSync(heldOut, held.join("\n") + "\n");
  const started = performance.now();
  const r = runSeqc(["train", spec, "--data", trainData, "-o", modelDir, "--epochs", "4", "--batch", "32", "--lr", "0.005", "--validation", "0", "--backend", "wasm", "-q"]);
  trainSeconds = (performance.now() - started) / 1000;
  expect(r.status, r.stderr).toBe(0);
});

describe("seq2seq_attention on the reversal task", () => {
  it("beam search (width 3, alpha 0.7) is at least as accurate as greedy on held-out strings, both far above chance", async () => {
    const result = JSON.parse(await sample({ input: heldOut, compare: true, beam: 3, alpha: 0.7, format: "json" })) as CompareResult;
    process.stderr.write(`seq2seq reversal: trained in ${trainSeconds.toFixed(1)} s; ${result.examples} held-out examples: greedy ${(100 * result.greedy.accuracy).toFixed(1)}%, beam ${(100 * result.beam.accuracy).toFixed(1)}%\n`);
    expect(result.examples).toBeGreaterThanOrEqual(150);
    expect(result.target).toBe("y");
    expect(result.beam).toMatchObject({ width: 3, alpha: 0.7 });
    expect(result.greedy.accuracy).toBeGreaterThanOrEqual(0.8);
    expect(result.beam.accuracy).toBeGreaterThanOrEqual(result.greedy.accuracy);
  });

  it("decodes a file of sources alone, greedily and by beam search", async () => {
    const sources = join(out, "sources.jsonl");
    writeFileSync(sources, ['{"x": ["3", "1", "4"]}', '{"x": "2718"}', '{"x": ["9", "0", "0", "5", "1"]}'].join("\n") + "\n");
    const greedy = await sample({ input: sources, greedy: true });
    expect(greedy.trim().split("\n")).toEqual(["314\t4 1 3", "2718\t8 1 7 2", "90051\t1 5 0 0 9"]);
    const beam = await sample({ input: sources, beam: 3, alpha: 0.7 });
    expect(beam).toBe(greedy);
    const json = JSON.parse(await sample({ input: sources, beam: 3, format: "json" })) as { output: string; finished: boolean; logProb: number; score: number }[];
    expect(json.map((r) => r.output)).toEqual(["4 1 3", "8 1 7 2", "1 5 0 0 9"]);
    for (const r of json) {
      expect(r.finished).toBe(true);
      expect(r.score).toBeCloseTo(r.logProb / Math.pow(r.output.split(" ").length + 1, 0.7), 6);
    }
  });

  it("seqc eval and the emitted trainer's eval agree on batches of mixed source and target lengths", () => {
    const ts = join(out, "ts");
    const c = runSeqc(["compile", spec, "-o", ts, "--quiet"]);
    expect(c.status, c.stderr).toBe(0);
    const ours = runSeqc(["eval", modelDir, "--data", heldOut, "--format", "json", "--backend", "cpu"]);
    expect(ours.status, ours.stderr).toBe(0);
    const m = JSON.parse(ours.stdout) as { loss: number; outputs: { stepAccuracy: number; sequenceAccuracy: number; perplexity: number }[] };
    const theirs = runNode([join(ts, "train.js"), "eval", "--model", modelDir, "--data", heldOut]);
    expect(theirs.status, theirs.stderr).toBe(0);
    const num = (re: RegExp) => Number(re.exec(theirs.stdout)?.[1]);
    // The held-out lines mix lengths 3..6: seqc pads and masks a batch, the emitted trainer batches equal lengths.
    const lengths = new Set(readFileSync(heldOut, "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { x: string[] }).x.length));
    expect(lengths.size).toBeGreaterThan(1);
    expect(num(/^loss (\S+)/m)).toBeCloseTo(m.loss, 4);
    expect(num(/accuracy per step (\S+)%/)).toBeCloseTo(100 * m.outputs[0]!.stepAccuracy, 1);
    expect(num(/sequences all right (\S+)%/)).toBeCloseTo(100 * m.outputs[0]!.sequenceAccuracy, 1);
    expect(num(/perplexity (\S+)/)).toBeCloseTo(m.outputs[0]!.perplexity, 2);
  });

  it("predict --format json prints full-precision outputs of the real steps, labelled with tokens", () => {
    const r = runSeqc(["predict", modelDir, "--data", heldOut, "--format", "json", "--backend", "cpu"]);
    expect(r.status, r.stderr).toBe(0);
    const rows = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { example: number; output: number[][]; labels: string[] });
    const held = readFileSync(heldOut, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { y: string[] });
    expect(rows.length).toBe(held.length);
    rows.forEach((row, i) => {
      expect(row.example).toBe(i + 1);
      expect(row.output.length).toBe(held[i]!.y.length);
      expect(row.labels.length).toBe(held[i]!.y.length);
      expect(row.output[0]!.length).toBeGreaterThan(10);
    });
    // Not rounded: the values printed keep float32 precision (a value rounded to 4 decimals prints at most 4).
    const decimals = rows.flatMap((r) => r.output.flat()).map((v) => String(v).split(".")[1]?.length ?? 0);
    expect(Math.max(...decimals)).toBeGreaterThan(6);
    // ...and the human format rounds to 4.
    const human = runSeqc(["predict", modelDir, "--data", heldOut, "--backend", "cpu"]);
    expect(Math.max(...[...human.stdout.matchAll(/\.(\d+)/g)].map((m) => m[1]!.length))).toBe(4);
    // The labels are mostly the targets (the model is trained).
    const right = rows.reduce((n, row, i) => n + row.labels.filter((t, k) => t === held[i]!.y[k]).length, 0);
    expect(right / held.reduce((n, h) => n + h.y.length, 0)).toBeGreaterThan(0.8);
  });

  it("reads --input through the validated loader: every bad line with its number, exit 1", async () => {
    const bad = join(out, "bad.jsonl");
    writeFileSync(bad, ['{"x": [["3"], "1"]}', "", '{"x": 5}', '{"y": "1 2"}', '{"x": "12", "extra": 1}'].join("\n") + "\n");
    let err = "";
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      err += String(chunk);
      return true;
    });
    let code: number;
    try {
      code = await runSample(modelDir, { format: "human", color: false, prime: "", length: 12, temperature: 1, greedy: true, seed: 1, backend: "cpu", input: bad });
    } finally {
      spy.mockRestore();
    }
    expect(code).toBe(1);
    expect(err).toMatch(/line 1: field x: expected a token/);
    expect(err).toMatch(/line 3: field x/);
    expect(err).toMatch(/line 4: missing field x/);
    expect(err).toMatch(/line 5: .*extra/);
  });

  it("explains what is missing: a source, or a start token outside the vocabulary", async () => {
    await expect(sample({ prime: "1" })).rejects.toThrow(/--input/);
    await expect(sample({ input: heldOut, start: "<nope>", greedy: true })).rejects.toThrow(UserIoError);
    await expect(sample({ compare: true })).rejects.toThrow(/--input/);
  });
});
