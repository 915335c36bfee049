/**
 * Every I/O failure of every command is exit 2, in one line that names the
 * path and says what is wrong in words (src/runtime/errors.ts ioReason), not
 * a system error code or a stack trace.
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runSeqc, scratch } from "../helpers/cli.js";
import { writeTarget } from "../../src/runtime/files.js";

const tmp = scratch("seqc-io-failures-");
const XOR = ["train", "specs/mlp_xor.seq", "--data", "specs/data/xor.jsonl", "--epochs", "1", "--backend", "cpu", "-q"];

describe("every I/O failure is exit 2, in one line naming the path", () => {
  let model = "", file = "", dir = "", missing = "";

  beforeAll(() => {
    [model, file, dir, missing] = ["xor-model", "plain-file", "a-dir", "missing"].map((n) => join(tmp.dir, n)) as [string, string, string, string];
    writeFileSync(file, "x");
    mkdirSync(dir, { recursive: true });
    const r = runSeqc([...XOR, "-o", model]);
    expect(r.status, r.stderr).toBe(0);
  });

  const cases = (): [string, string[], string][] => [
    ["summary of a missing spec", ["summary", `${missing}.seq`], `${missing}.seq`],
    ["ir of a directory", ["ir", dir], dir],
    ["fmt of a directory", ["fmt", dir], dir],
    ["train on missing data", ["train", "specs/mlp_xor.seq", "--data", `${missing}.jsonl`, "-o", join(tmp.dir, "m2")], `${missing}.jsonl`],
    ["eval of a missing model directory", ["eval", missing, "--data", "specs/data/xor.jsonl"], missing],
    ["eval of a file as the model directory", ["eval", file, "--data", "specs/data/xor.jsonl"], file],
    ["predict on missing data", ["predict", model, "--data", `${missing}.jsonl`, "--backend", "cpu"], `${missing}.jsonl`],
    ["compile into a file", ["compile", "specs/mlp_xor.seq", "-o", file], file],
    ["compile under a file", ["compile", "specs/mlp_xor.seq", "-o", join(file, "sub")], join(file, "sub")],
    ["export under a file", ["export", model, "-o", join(file, "sub"), "--backend", "cpu"], join(file, "sub")],
    ["import-weights from a missing layers model", ["import-weights", "specs/mlp_xor.seq", missing, "-o", join(tmp.dir, "iw"), "--backend", "cpu"], missing],
    ["train with a log that is a directory", [...XOR, "-o", join(tmp.dir, "m3"), "--log", dir], dir],
    // Found full while training: the weights so far are saved (checked below).
    ["train with a log on a full device (/dev/full)", [...XOR, "-o", join(tmp.dir, "m4"), "--log", "/dev/full"], "/dev/full"],
    ["graph onto a directory", ["graph", "specs/mlp_xor.seq", "--to", "dot", "-o", dir], dir],
    // Written into, not replaced by a file (writeAtomic); the test below checks it is still a device.
    ["graph onto a full device (/dev/full)", ["graph", "specs/mlp_xor.seq", "--to", "dot", "-o", "/dev/full"], "/dev/full"],
    ["plot of a directory", ["plot", dir, "--terminal"], dir],
  ];

  // The paths exist once beforeAll has run: the cases are listed by name and built in the test.
  it.each(cases().map(([what]) => what))("%s", (what) => {
    const [, args, path] = cases().find(([w]) => w === what)!;
    // Were writeAtomic to replace it, the test (run as root) would turn the device into a file: not tried then.
    if (path === "/dev/full") expect(writeTarget(path).through).toBe(true);
    const r = runSeqc(args);
    expect(r.status, r.stderr).toBe(2);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^seqc: /);
    expect(lines[0]).toContain(path);
    // in words, not the system's error codes
    expect(lines[0]).not.toMatch(/\bE[A-Z]{3,}\b/);
    if (path === "/dev/full") {
      expect(lines[0]).toContain("the disk is full");
      expect(statSync(path).isCharacterDevice()).toBe(true);
    }
    if (args[0] === "train" && path === "/dev/full") {
      expect(lines[0]).toBe(`seqc: cannot write the log /dev/full: the disk is full; training stopped, the weights so far are saved in ${join(tmp.dir, "m4")}`);
      expect(existsSync(join(tmp.dir, "m4", "model.json"))).toBe(true);
    }
  });
});
