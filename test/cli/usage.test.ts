/**
 * The CLI in CI and with a wrong output location: checking nothing is not a
 * pass, a spec can come on standard input, and train refuses a log or model
 * directory it cannot write before it trains (exit 2, no internal error).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
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
