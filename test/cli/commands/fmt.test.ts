/**
 * `seqc fmt` through the real command line: --check (exit 1 on a file it
 * would change, which it leaves alone), rewriting in place atomically with
 * the comments kept, and a file with a syntax error left byte-identical.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BAD_SYNTAX, ROOT, runSeqc, scratch } from "../../helpers/cli.js";

const tmp = scratch("seqc-fmt-");
const run = (args: string[]) => runSeqc(args);

function seqFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir))
    .filter((n) => n.endsWith(".seq"))
    .sort()
    .map((n) => `${dir}/${n}`);
}

const SPECS = seqFiles("specs");
const STD = seqFiles("src/std");

describe("seqc fmt", () => {
  /** The same spec, badly laid out: wide indentation and extra blank lines, comments unchanged. */
  function mangle(text: string): string {
    return text.replace(/^ {2}/gm, "      ").replace(/^model /m, "\n\n\nmodel ").replace(/ = /g, "   =  ");
  }
  const SAMPLE = "specs/char_lstm.seq";
  const commentCount = (text: string) => text.split("\n").filter((l) => l.includes("#")).length;

  it("--check exits 0 on the specs and the standard library", () => {
    const r = run(["fmt", "--check", ...SPECS, ...STD]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("--check exits 0 on a quoted glob", () => {
    const r = run(["fmt", "--check", "specs/*.seq"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("--check exits 1 on a badly formatted file and leaves it untouched", () => {
    const original = readFileSync(join(ROOT, SAMPLE), "utf8");
    const bad = mangle(original);
    expect(bad).not.toBe(original);
    const file = tmp.file("check_only.seq", bad);
    const before = statSync(file).mtimeMs;
    const r = run(["fmt", "--check", file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`would reformat ${file}`);
    expect(readFileSync(file, "utf8")).toBe(bad);
    expect(statSync(file).mtimeMs).toBe(before);
  });

  it("rewrites a badly formatted file in place, keeping its comments, atomically", () => {
    const dir = mkdtempSync(join(tmp.dir, "fmt-"));
    const original = readFileSync(join(ROOT, SAMPLE), "utf8");
    const file = join(dir, "char_lstm.seq");
    writeFileSync(file, mangle(original));
    const r = run(["fmt", file]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`formatted ${file}`);
    const after = readFileSync(file, "utf8");
    expect(after).toBe(original);
    expect(commentCount(after)).toBe(commentCount(original));
    expect(commentCount(after)).toBeGreaterThan(0);
    expect(readdirSync(dir)).toEqual(["char_lstm.seq"]);
    expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
    const again = run(["fmt", "--check", file]);
    expect(again.status).toBe(0);
    expect(again.stderr).toBe("");
  });

  it("leaves a formatted file alone", () => {
    const file = tmp.file("already.seq", readFileSync(join(ROOT, SAMPLE), "utf8"));
    const before = statSync(file).mtimeMs;
    const r = run(["fmt", file]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    expect(statSync(file).mtimeMs).toBe(before);
  });

  it("exits 1 on a syntax error and leaves the file byte-identical", () => {
    const dir = mkdtempSync(join(tmp.dir, "fmt-bad-"));
    const file = join(dir, "bad.seq");
    const bytes = Buffer.from(`${BAD_SYNTAX}model   n {\n      a = 1\n}\n`, "utf8");
    writeFileSync(file, bytes);
    const r = run(["fmt", file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/error\[SEQ0002\]/);
    expect(readFileSync(file).equals(bytes)).toBe(true);
    expect(readdirSync(dir)).toEqual(["bad.seq"]);
  });

  it("exits 2 on a missing file", () => {
    const r = run(["fmt", join(tmp.dir, "nothing_here.seq")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^seqc: cannot read /);
  });
});
