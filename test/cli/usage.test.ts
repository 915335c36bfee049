/**
 * The CLI in CI and with a wrong output location: checking nothing is not a
 * pass, a spec can come on standard input, and train refuses a log or model
 * directory it cannot write before it trains (exit 2, no internal error).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runSeqc } from "../helpers/cli.js";

const tmp = mkdtempSync(join(tmpdir(), "seqc-usage-"));
const XOR = ["train", "specs/mlp_xor.seq", "--data", "specs/data/xor.jsonl", "--epochs", "1", "--backend", "cpu", "-q"];

describe("seqc check in CI", () => {
  it("- reads the spec from standard input: a clean one passes, a bad one fails at <stdin>:line:col", () => {
    const good = runSeqc(["check", "-"], { input: "model m {\n  input x: [3]\n  target y: [3]\n  loss mse(x, y)\n}\n" });
    expect(good.status).toBe(0);
    expect(good.stderr).toContain("checked 1 file: no problems");
    const bad = runSeqc(["check", "-"], { input: "model m {\n  input x: [3]\n  target y: [2]\n  loss mse(x, y)\n}\n" });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/<stdin>:4:8/);
  });

  it("no files at all is a usage error (exit 2), not 'checked 0 files'", () => {
    const r = runSeqc(["check"]);
    expect(r.status).toBe(2);
    expect(r.stderr).not.toContain("checked 0 files");
  });
});

describe("seqc train: an output it cannot write is refused before training", () => {
  it("--log in a folder that does not exist: exit 2, named", () => {
    const r = runSeqc([...XOR, "-o", join(tmp, "m1"), "--log", join(tmp, "missing", "log.jsonl")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot write the log .*missing.*its folder does not exist/);
    expect(r.stderr).not.toContain("epoch");
  });

  it("-o onto a file, or under one: exit 2, named", () => {
    const file = join(tmp, "a-file");
    writeFileSync(file, "x");
    for (const out of [file, join(file, "sub")]) {
      const r = runSeqc([...XOR, "-o", out]);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`cannot write the model directory ${out}: it or a folder above it is a file`);
    }
  });
});

describe("every I/O failure is exit 2, in one line naming the path", () => {
  const model = join(tmp, "xor-model");
  const file = join(tmp, "plain-file");
  const dir = join(tmp, "a-dir");
  const missing = join(tmp, "missing");

  beforeAll(() => {
    writeFileSync(file, "x");
    mkdirSync(dir, { recursive: true });
    const r = runSeqc([...XOR, "-o", model]);
    expect(r.status, r.stderr).toBe(0);
  }, 240_000);

  const cases = (): [string, string[], string][] => [
    ["summary of a missing spec", ["summary", `${missing}.seq`], `${missing}.seq`],
    ["ir of a directory", ["ir", dir], dir],
    ["fmt of a directory", ["fmt", dir], dir],
    ["train on missing data", ["train", "specs/mlp_xor.seq", "--data", `${missing}.jsonl`, "-o", join(tmp, "m2")], `${missing}.jsonl`],
    ["eval of a missing model directory", ["eval", missing, "--data", "specs/data/xor.jsonl"], missing],
    ["eval of a file as the model directory", ["eval", file, "--data", "specs/data/xor.jsonl"], file],
    ["predict on missing data", ["predict", model, "--data", `${missing}.jsonl`, "--backend", "cpu"], `${missing}.jsonl`],
    ["compile into a file", ["compile", "specs/mlp_xor.seq", "-o", file], file],
    ["compile under a file", ["compile", "specs/mlp_xor.seq", "-o", join(file, "sub")], join(file, "sub")],
    ["export under a file", ["export", model, "-o", join(file, "sub"), "--backend", "cpu"], join(file, "sub")],
    ["import-weights from a missing layers model", ["import-weights", "specs/mlp_xor.seq", missing, "-o", join(tmp, "iw"), "--backend", "cpu"], missing],
    ["train with a log that is a directory", [...XOR, "-o", join(tmp, "m3"), "--log", dir], dir],
  ];

  it.each(cases().map(([what, args, path]) => [what, args, path] as const))("%s", (_what, args, path) => {
    const r = runSeqc(args);
    expect(r.status, r.stderr).toBe(2);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^seqc: /);
    expect(lines[0]).toContain(path);
    // in words, not the system's error codes
    expect(lines[0]).not.toMatch(/\bE[A-Z]{3,}\b/);
  }, 120_000);
});
