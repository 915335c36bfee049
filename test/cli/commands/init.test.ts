/**
 * `seqc init [DIR]`: writes model.seq and data.txt; the spec checks and is
 * formatted, a 1-epoch `seqc train` of it on the text works and the model
 * samples; existing files are left alone unless --force.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, runSeqc } from "../../helpers/cli.js";

const tmp = mkdtempSync(join(tmpdir(), "seqc-init-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("seqc init", () => {
  it("writes a spec that checks and a text it trains on for an epoch, then samples", () => {
    const dir = join(tmp, "lm");
    const init = runSeqc(["init", dir]);
    expect(init.status, init.stderr).toBe(0);
    expect(init.stdout).toContain(`wrote ${join(dir, "model.seq")}`);
    expect(init.stdout).toContain(`seqc train ${join(dir, "model.seq")} --data ${join(dir, "data.txt")} -o ${join(dir, "out")}`);
    const spec = join(dir, "model.seq");
    const check = runSeqc(["check", spec]);
    expect(check.status, check.stderr).toBe(0);
    expect(check.stderr).toContain("checked 1 file: no problems");
    expect(runSeqc(["fmt", "--check", spec]).status).toBe(0);
    const out = join(dir, "out");
    const train = runSeqc(["train", spec, "--data", join(dir, "data.txt"), "-o", out, "--epochs", "1"]);
    expect(train.status, train.stderr).toBe(0);
    expect(train.stderr).toMatch(/epoch 1\/1 {2}loss \d/);
    expect(existsSync(join(out, "model.json"))).toBe(true);
    const sample = runSeqc(["sample", out, "--prime", "The ", "--length", "40"]);
    expect(sample.status, sample.stderr).toBe(0);
    expect(sample.stdout.startsWith("The ")).toBe(true);
    const summary = runSeqc(["summary", spec]);
    expect(summary.stdout).toContain("a        value    [T, 64]");
  }, 240_000);

  it("without DIR, writes into the working directory", () => {
    const dir = join(tmp, "here");
    mkdirSync(dir);
    const r = spawnSync(process.execPath, [join(ROOT, "bin", "seqc.js"), "init"], { cwd: dir, encoding: "utf8", timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("seqc check model.seq");
    expect(existsSync(join(dir, "model.seq")) && existsSync(join(dir, "data.txt"))).toBe(true);
  });

  it("refuses to write over a file (exit 2, nothing written) unless --force", () => {
    const dir = join(tmp, "taken");
    mkdirSync(dir);
    writeFileSync(join(dir, "data.txt"), "mine\n");
    const r = runSeqc(["init", dir]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`seqc: ${join(dir, "data.txt")} exists: seqc init writes nothing over a file (--force replaces it)\n`);
    expect(readFileSync(join(dir, "data.txt"), "utf8")).toBe("mine\n");
    expect(existsSync(join(dir, "model.seq"))).toBe(false);
    const forced = runSeqc(["init", dir, "--force", "-q"]);
    expect(forced.status, forced.stderr).toBe(0);
    expect(forced.stdout).toBe("");
    expect(readFileSync(join(dir, "data.txt"), "utf8")).not.toBe("mine\n");
    expect(runSeqc(["check", join(dir, "model.seq")]).status).toBe(0);
  });

  it("a DIR that cannot be made: exit 2 with the path", () => {
    const file = join(tmp, "a-file");
    writeFileSync(file, "x");
    const r = runSeqc(["init", join(file, "sub")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`seqc: cannot write ${join(file, "sub")}: a folder on its path is a file\n`);
  });
});
