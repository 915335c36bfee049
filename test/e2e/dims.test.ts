/**
 * `--dim NAME=VALUE` for check, summary, train and compile: a free dim gets a
 * value (summary's counts become numbers); a value the spec's declarations
 * exclude, or a name it does not declare, is exit 2 with one line saying why;
 * a value its shapes exclude is a diagnostic (exit 1); data that disagrees is
 * the data's problem (exit 1).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runSeqc } from "../helpers/cli.js";

const tmp = mkdtempSync(join(tmpdir(), "seqc-dims-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The 59 distinct tokens seqc builds from specs/data/char_lm.txt (its characters and the specials). */
const CHAR_LM_V = 59;

describe("seqc summary --dim", () => {
  it("without it, a data vocabulary leaves the counts symbolic; with it they are numbers", () => {
    const before = runSeqc(["summary", "specs/char_lstm.seq"]);
    expect(before.status).toBe(0);
    expect(before.stdout).toMatch(/^total params: 4\*H\*H \+ 5\*H\*V \+ 4\*H \+ V$/m);
    const after = runSeqc(["summary", "specs/char_lstm.seq", "--dim", "V=65"]);
    expect(after.status, after.stderr).toBe(0);
    // 4*H*(H + V) + 4*H + H*V + V with H = 128, V = 65
    expect(after.stdout).toMatch(/^total params: 4\*H\*H \+ 5\*H\*V \+ 4\*H \+ V = 107,713$/m);
    expect(after.stdout).toMatch(/^dims: H = 128, T free, V = 65$/m);
    const json = JSON.parse(runSeqc(["summary", "specs/char_lstm.seq", "--dim=V=65", "--format", "json"]).stdout) as { total: { value: number } }[];
    expect(json[0]!.total.value).toBe(107_713);
  });

  it("a dim the spec fixes to another value: exit 2, why in one line", () => {
    const r = runSeqc(["summary", "specs/char_lstm.seq", "--dim", "H=64"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("seqc: --dim H=64: the spec fixes H = 128\n");
  });

  it("a dim the spec does not have: exit 2, with the dims it has", () => {
    const r = runSeqc(["summary", "specs/char_lstm.seq", "--dim", "X=3"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("seqc: --dim X=3: specs/char_lstm.seq has no dim X (its dims: H, T, V)\n");
  });

  it("a value that breaks `multiple of`: exit 2", () => {
    const r = runSeqc(["summary", "specs/pyramid_rnn.seq", "--dim", "T=6"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("seqc: --dim T=6: T is declared a multiple of 4\n");
    expect(runSeqc(["summary", "specs/pyramid_rnn.seq", "--dim", "T=8"]).status).toBe(0);
  });

  it("the size of a vocabulary the spec lists: exit 2", () => {
    const r = runSeqc(["summary", "specs/char_rnn_hello.seq", "--dim", "V=5"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("seqc: --dim V=5: the vocabulary chars lists 4 tokens\n");
  });

  it("a malformed --dim, or two values for one name: a usage error (exit 2)", () => {
    for (const [args, message] of [
      [["--dim", "V"], `--dim takes NAME=VALUE (e.g. --dim V=65), not "V"`],
      [["--dim", "V=0"], "--dim V=0: a dim is a whole number from 1 to 2147483647"],
      [["--dim", "V=6.5"], `--dim takes NAME=VALUE (e.g. --dim V=65), not "V=6.5"`],
      [["--dim", "V=65", "--dim", "V=66"], "--dim V is given two values, 65 and 66"],
    ] as const) {
      const r = runSeqc(["summary", "specs/char_lstm.seq", ...args]);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr).toContain(`seqc: ${message}\n`);
    }
  });
});

describe("seqc check --dim", () => {
  it("a value that fits: exit 0", () => {
    const r = runSeqc(["check", "specs/char_lstm.seq", "--dim", "V=65"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain("checked 1 file: no problems");
  });

  it("a value the shapes exclude: the diagnostic, at its place, with the value (exit 1)", () => {
    const spec = "model m {\n  dim T\n  input x: [T, 2]\n  target y: [T - 4, 3]\n  loss mse(conv1d<K=3, F=5>(x), y)\n}\n";
    expect(runSeqc(["check", "-"], { input: spec }).status).toBe(0);
    const r = runSeqc(["check", "-", "--dim", "T=3"], { input: spec });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error[SEQ0203]: a dim must be at least 1, but T - 4 is -1");
    expect(r.stderr).toContain("<stdin>:4:14");
    expect(r.stderr).toContain("= where T = 3");
  });

  it("several specs: a name is known if any declares it; a spec that excludes the value is named", () => {
    expect(runSeqc(["check", "specs/char_lstm.seq", "specs/mlp_xor.seq", "--dim", "V=65"]).status).toBe(0);
    const unknown = runSeqc(["check", "specs/char_lstm.seq", "specs/mlp_xor.seq", "--dim", "Q=3"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toBe("seqc: --dim Q=3: none of the 2 specs has a dim Q (their dims: H, T, V)\n");
    const fixed = runSeqc(["check", "specs/char_lstm.seq", "specs/char_rnn_hello.seq", "--dim", "V=65"]);
    expect(fixed.status).toBe(2);
    expect(fixed.stderr).toBe("seqc: --dim V=65: in specs/char_rnn_hello.seq, the vocabulary chars lists 4 tokens\n");
  });

  it("through yargs too (an option before the command)", () => {
    const r = runSeqc(["--format", "json", "check", "specs/char_lstm.seq", "--dim", "H=64"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("seqc: --dim H=64: the spec fixes H = 128\n");
  });
});

describe("seqc compile and train --dim", () => {
  it("compile fixes the dim in the trainer", () => {
    const out = join(tmp, "lm-ts");
    const r = runSeqc(["compile", "specs/char_lstm.seq", "-o", out, "--dim", `V=${CHAR_LM_V}`, "--no-js", "-q"]);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(out, "model.ts"), "utf8")).toMatch(/"name": "V",\s*"multiple": 1,\s*"value": 59/);
  });

  it("compile refuses a value the spec excludes (exit 2), before writing anything", () => {
    const r = runSeqc(["compile", "specs/char_lstm.seq", "-o", join(tmp, "never"), "--dim", "H=3"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("seqc: --dim H=3: the spec fixes H = 128\n");
  });

  it("train: the data's vocabulary must have the size given (else the data's problem, exit 1)", () => {
    const text = join(tmp, "small.txt");
    writeFileSync(text, "the quick brown fox jumps over the lazy dog\n".repeat(3));
    const args = ["train", "specs/char_lstm.seq", "--data", text, "--epochs", "1", "--bptt", "10", "--batch", "2", "--validation", "0", "--backend", "cpu", "-q"];
    const wrong = runSeqc([...args, "-o", join(tmp, "lm-wrong"), "--dim", "V=5"]);
    expect(wrong.status).toBe(1);
    const size = /the vocabulary chars has (\d+) tokens, but the model is built for V = 5/.exec(wrong.stderr);
    expect(size, wrong.stderr).not.toBeNull();
    const right = runSeqc([...args, "-o", join(tmp, "lm-right"), "--dim", `V=${size![1]}`]);
    expect(right.status, right.stderr).toBe(0);
    const excluded = runSeqc([...args, "-o", join(tmp, "lm-never"), "--dim", "H=64"]);
    expect(excluded.status).toBe(2);
    expect(excluded.stderr).toBe("seqc: --dim H=64: the spec fixes H = 128\n");
  }, 240_000);
});
