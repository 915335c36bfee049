/** `seqc ir` through the real command line: the IR as JSON, exit 1 on a syntax error and 2 on a missing file. */
import { describe, expect, it } from "vitest";
import { BAD_SYNTAX, runSeqc, scratch } from "../../helpers/cli.js";

const tmp = scratch("seqc-ir-");
const run = (args: string[]) => runSeqc(args);

describe("seqc ir", () => {
  it("ir prints the IR as JSON", () => {
    const r = run(["ir", "specs/ab_recognizer.seq"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('"version": 1');
    const ir = JSON.parse(r.stdout) as { version: number; items: { kind: string; name?: string }[] };
    expect(ir.version).toBe(1);
    expect(ir.items).toContainEqual(expect.objectContaining({ kind: "model", name: "ab_recognizer" }));
  });

  it("ir exits 1 on a syntax error and 2 on a missing file", () => {
    const bad = run(["ir", tmp.file("bad_ir.seq", BAD_SYNTAX)]);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toMatch(/^error\[SEQ0002\]/);
    const missing = run(["ir", "specs/no_such_spec.seq"]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^seqc: cannot read/);
  });
});
