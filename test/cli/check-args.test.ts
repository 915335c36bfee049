/**
 * `seqc check`'s command line read without yargs (src/cli/check-args.ts): the
 * usual forms are read here; anything else goes to yargs, which reports it.
 */
import { describe, expect, it } from "vitest";
import { readCheckArgs } from "../../src/cli/check-args.js";
import { runSeqc } from "../helpers/cli.js";

describe("readCheckArgs", () => {
  it("reads files, formats, quiet, color and dims, options anywhere after check", () => {
    expect(readCheckArgs(["check", "a.seq", "-"])).toEqual({ files: ["a.seq", "-"], format: "human", color: undefined, quiet: false, dims: [] });
    expect(readCheckArgs(["check", "-f", "json", "a.seq", "--quiet", "--no-color", "--dim", "V=65", "--dim=H=3", "b.seq"])).toEqual({
      files: ["a.seq", "b.seq"], format: "json", color: false, quiet: true, dims: ["V=65", "H=3"],
    });
    expect(readCheckArgs(["check", "--format=sarif", "-q", "--color", "a.seq"])).toMatchObject({ format: "sarif", quiet: true, color: true });
  });

  it("leaves everything else to yargs", () => {
    for (const argv of [
      [],
      ["summary", "a.seq"],
      ["--format", "json", "check", "a.seq"],
      ["check"],
      ["check", "--quiet"],
      ["check", "a.seq", "--help"],
      ["check", "a.seq", "-h"],
      ["check", "a.seq", "--version"],
      ["check", "a.seq", "--bogus"],
      ["check", "a.seq", "--format", "xml"],
      ["check", "a.seq", "--format"],
      ["check", "a.seq", "-f", "json", "-f", "sarif"],
      ["check", "a.seq", "--quiet=false"],
      ["check", "a.seq", "--dim"],
      ["check", "--", "a.seq"],
      ["check", "a.seq", "-qf", "json"],
    ]) {
      expect(readCheckArgs(argv), argv.join(" ")).toBeUndefined();
    }
  });
});

describe("seqc check through yargs and around it", () => {
  it("--help is yargs' help of the check command", () => {
    const r = runSeqc(["check", "specs/mlp_xor.seq", "--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("seqc check <files..>");
    expect(r.stdout).toContain("--quiet");
  });

  it("an unknown option is yargs' usage error (exit 2)", () => {
    const r = runSeqc(["check", "specs/mlp_xor.seq", "--bogus"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/Unknown argument: bogus/);
  });

  it("options before the command still work (yargs reads them)", () => {
    const r = runSeqc(["--format", "json", "check", "specs/mlp_xor.seq"]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ diagnostics: [] });
  });
});
