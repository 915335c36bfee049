/**
 * The seed tasks trained by the standalone trainer that `seqc compile --target
 * ts` writes: `node DIR/train.js ...` runs as its own process, with neither
 * seqc nor TensorFlow.js in it, and is judged by its own `eval` / `sample`, as
 * the README's "Standalone TypeScript trainers" section documents. The model
 * directories it writes and reads are the tfjs target's: `seqc eval` reads a
 * directory the trainer saved, the trainer reads one `seqc train` saved, and
 * both give the same loss.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectOk, ROOT, runNode, runSeqcAsync, seqc } from "../helpers/cli.js";

let tmp: string;
/** The compiled trainer of each seed task, by spec name. */
const dirs: Record<string, string> = {};
const SPECS = ["ab_recognizer", "seq_completion", "char_rnn_hello"] as const;

interface Metrics {
  loss: number;
  outputs: { loss: string; target?: string; stepAccuracy?: number; sequenceAccuracy?: number }[];
}


/** `node DIR/train.js ARGS`: the emitted trainer on its own (paths relative to the repository root, as in the README). */
function trainer(dir: string, ...args: string[]): string {
  return expectOk(`node ${join(dir, "train.js")} ${args.join(" ")}`, runNode([join(dir, "train.js"), ...args]));
}

const trainerEval = (dir: string, model: string, data: string) =>
  JSON.parse(trainer(dir, "eval", "--model", model, "--data", data, "--format", "json")) as Metrics;
const seqcEval = (model: string, data: string) => JSON.parse(seqc("eval", model, "--data", data, "--format", "json")) as Metrics;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "seqc-ts-seed-"));
  // The three compiles in parallel: each loads the compiler and TypeScript (a few seconds).
  await Promise.all(
    SPECS.map(async (name) => {
      dirs[name] = join(tmp, name);
      const r = await runSeqcAsync(["compile", `specs/${name}.seq`, "-o", dirs[name], "-q"]);
      expectOk(`seqc compile specs/${name}.seq`, r);
    }),
  );
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("seed tasks (ts target: the emitted trainer alone)", () => {
  it("the output imports only its own files and node: built-ins (no seqc, no @tensorflow)", () => {
    for (const name of SPECS) {
      const seen = new Set<string>();
      const files = readdirSync(dirs[name]!).filter((f) => /\.(js|ts)$/.test(f));
      const runtime = readdirSync(join(ROOT, "src", "runtime")).filter((f) => f.endsWith(".ts"));
      expect(files.filter((f) => f.endsWith(".js")).sort()).toEqual([...runtime, "model.ts", "train.ts"].map((f) => f.replace(/\.ts$/, ".js")).sort());
      for (const f of files) {
        const text = readFileSync(join(dirs[name]!, f), "utf8");
        expect(text, `${name}/${f}`).not.toContain("@tensorflow");
        expect(text, `${name}/${f}`).not.toContain("seqc/src");
        const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^"'`;]*?from\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1] ?? m[2]!);
        for (const s of specifiers) expect(s, `${name}/${f} imports ${s}`).toMatch(/^(node:[a-z0-9_/]+|\.\/[\w-]+\.js)$/);
        specifiers.forEach((s) => seen.add(s));
      }
      // (the scan above sees the imports: train.js's and the trainer's file I/O)
      expect([...seen]).toEqual(expect.arrayContaining(["./trainer.js", "./model.js", "node:fs"]));
    }
  });

  it("ab_recognizer: >= 99% per-step accuracy on fresh strings of length 5 and 20; seqc eval agrees on the loss", () => {
    const dir = dirs.ab_recognizer!;
    const model = join(dir, "model");
    const out = trainer(dir, "--data", "specs/data/ab_recognizer.jsonl", "--out", model, "-q");
    expect(out).toMatch(/^trained ab_recognizer: 300 epochs on 500 examples/m);
    for (const test of ["specs/data/ab_recognizer_test5.jsonl", "specs/data/ab_recognizer_test20.jsonl"]) {
      const m = trainerEval(dir, model, test);
      console.log(`ts target ab_recognizer ${test}: loss ${m.loss}, per step ${m.outputs[0]!.stepAccuracy}, per sequence ${m.outputs[0]!.sequenceAccuracy}`);
      expect(m.outputs[0]!.stepAccuracy).toBeGreaterThanOrEqual(0.99);
      // The model directory is seqc's: seqc eval (tfjs) reads it and computes the same loss and accuracy.
      const s = seqcEval(model, test);
      expect(Math.abs(s.loss - m.loss)).toBeLessThan(1e-4 * Math.max(1, Math.abs(s.loss)));
      expect(s.outputs[0]!.stepAccuracy).toBeCloseTo(m.outputs[0]!.stepAccuracy!, 6);
    }
  });

  it("the human eval report is the accuracy line seqc eval prints", () => {
    const dir = dirs.ab_recognizer!;
    const text = trainer(dir, "eval", "--model", join(dir, "model"), "--data", "specs/data/ab_recognizer_test20.jsonl");
    expect(text).toMatch(/^loss \d+\.\d+\n/);
    expect(text).toMatch(/accuracy per step (99\.\d\d|100\.00)%/);
  });

  it("seq_completion gets all 5 test items right (the model directory, judged by seqc eval)", () => {
    const dir = dirs.seq_completion!;
    const model = join(dir, "model");
    trainer(dir, "--data", "specs/data/seq_completion_train.jsonl", "--out", model, "-q");
    const s = seqcEval(model, "specs/data/seq_completion_test.jsonl");
    console.log(`ts target seq_completion (seqc eval): loss ${s.loss}, per sequence ${s.outputs[0]!.sequenceAccuracy}`);
    expect(s.outputs[0]!.sequenceAccuracy).toBe(1);
    const m = trainerEval(dir, model, "specs/data/seq_completion_test.jsonl");
    expect(Math.abs(s.loss - m.loss)).toBeLessThan(1e-4);
  });

  it("seq_completion: the trainer's own eval reports all 5 test items right", () => {
    // The loss's target is an expression, mse(a3, one_hot(y)), not a target field:
    // seqc eval reports its accuracy; the emitted trainer must too.
    const dir = dirs.seq_completion!;
    const model = join(dir, "model");
    if (!existsSync(join(model, "model.json"))) trainer(dir, "--data", "specs/data/seq_completion_train.jsonl", "--out", model, "-q");
    const m = trainerEval(dir, model, "specs/data/seq_completion_test.jsonl");
    expect(m.outputs[0]!.sequenceAccuracy).toBe(1);
  });

  it("char_rnn_hello generates hello from h", () => {
    const dir = dirs.char_rnn_hello!;
    const model = join(dir, "model");
    trainer(dir, "--data", "specs/data/hello.txt", "--out", model, "-q");
    expect(trainer(dir, "sample", "--model", model, "--prime", "h", "--length", "4", "--temperature", "0").trim()).toBe("hello");
  });

  it("reads a model directory trained by seqc train: eval and --init give seqc eval's loss", () => {
    const dir = dirs.ab_recognizer!;
    const fromSeqc = join(tmp, "ab-seqc");
    seqc("train", "specs/ab_recognizer.seq", "--data", "specs/data/ab_recognizer.jsonl", "-o", fromSeqc, "--epochs", "5", "-q");
    const test = "specs/data/ab_recognizer_test20.jsonl";
    const reference = seqcEval(fromSeqc, test).loss;
    console.log(`seqc train --epochs 5: seqc eval loss ${reference}`);
    // eval --model reads it directly.
    expect(Math.abs(trainerEval(dir, fromSeqc, test).loss - reference)).toBeLessThan(1e-4 * Math.max(1, reference));
    // --init starts from its weights: with no epochs, the saved model is the same model.
    const init = join(tmp, "ab-init");
    const out = trainer(dir, "--init", fromSeqc, "--data", "specs/data/ab_recognizer.jsonl", "--epochs", "0", "--out", init);
    expect(out).toContain(`starting from ${fromSeqc}`);
    expect(Math.abs(trainerEval(dir, init, test).loss - reference)).toBeLessThan(1e-4 * Math.max(1, reference));
    expect(Math.abs(seqcEval(init, test).loss - reference)).toBeLessThan(1e-4 * Math.max(1, reference));
    // And training on from there starts at the trained loss, not at a fresh model's (0.165 after one epoch from scratch).
    const more = trainer(dir, "--init", fromSeqc, "--data", "specs/data/ab_recognizer.jsonl", "--epochs", "1", "--out", join(tmp, "ab-more"), "-q");
    const loss = Number(/loss (\d+\.\d+)/.exec(more)?.[1]);
    expect(loss).toBeLessThan(0.05);
  });
});
