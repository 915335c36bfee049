/**
 * The seed tasks of MODELS.md, each trained with the real CLI (`seqc train`,
 * tfjs target) and judged with `seqc eval` / `seqc sample`, as the README
 * documents them.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runSeqc, seqc } from "../helpers/cli.js";

const out = mkdtempSync(join(tmpdir(), "seqc-seed-"));


interface Metrics {
  loss: number;
  outputs: { stepAccuracy: number; sequenceAccuracy: number }[];
}

function evaluate(model: string, data: string): Metrics {
  return JSON.parse(seqc("eval", model, "--data", data, "--format", "json")) as Metrics;
}

describe("seed tasks (tfjs target)", () => {
  it("mlp_xor learns XOR to 4/4", () => {
    // 2,000 of the spec's 5,000 epochs (1,500 already reach 4/4).
    seqc("train", "specs/mlp_xor.seq", "--data", "specs/data/xor.jsonl", "-o", join(out, "xor"), "--epochs", "2000", "-q");
    expect(evaluate(join(out, "xor"), "specs/data/xor.jsonl").outputs[0]!.sequenceAccuracy).toBe(1);
  });

  it("char_rnn_hello generates hello from h", () => {
    seqc("train", "specs/char_rnn_hello.seq", "--data", "specs/data/hello.txt", "-o", join(out, "hello"), "-q");
    expect(seqc("sample", join(out, "hello"), "--prime", "h", "--length", "4", "--greedy").trim()).toBe("hello");
  });

  it("seq_completion gets all 5 test items right", () => {
    // 1,200 of the spec's 2,000 epochs (800 already get all 5 right, 500 get 4).
    seqc("train", "specs/seq_completion.seq", "--data", "specs/data/seq_completion_train.jsonl", "-o", join(out, "completion"), "--epochs", "1200", "-q");
    const m = evaluate(join(out, "completion"), "specs/data/seq_completion_test.jsonl");
    expect(m.outputs[0]!.sequenceAccuracy).toBe(1);
  });

  it("ab_recognizer: >= 99% per-step accuracy on fresh strings of length 5 and 20", () => {
    // 60 of the spec's 300 epochs (50 already reach 100% on both sets; the emitted trainer runs all 300 in ts-seed-tasks.test.ts).
    seqc("train", "specs/ab_recognizer.seq", "--data", "specs/data/ab_recognizer.jsonl", "-o", join(out, "ab"), "--epochs", "60", "-q");
    for (const test of ["specs/data/ab_recognizer_test5.jsonl", "specs/data/ab_recognizer_test20.jsonl"]) {
      expect(evaluate(join(out, "ab"), test).outputs[0]!.stepAccuracy).toBeGreaterThanOrEqual(0.99);
    }
  });

  it("bad data stops the run before training, with line numbers", () => {
    const r = runSeqc(["train", "specs/mlp_xor.seq", "--data", "specs/data/hello.txt", "-o", join(out, "bad")]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/seqc: /);
  });
});
