/** `seqc summary` through the real command line: shapes and parameter counts, JSON, exit codes 1 and 2. */
import { describe, expect, it } from "vitest";
import { BAD_SHAPES, runSeqc, scratch } from "../../helpers/cli.js";

const tmp = scratch("seqc-summary-");
const run = (args: string[]) => runSeqc(args);

describe("seqc summary", () => {
  it("summary prints shapes and parameter counts", () => {
    const r = run(["summary", "specs/conv_arith.seq"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("[32, 32, 10]");
    expect(r.stdout).toMatch(/total params: 760\b/);
    expect(r.stdout).toContain("760");
  });

  it("summary --format json prints parseable JSON", () => {
    const r = run(["summary", "--format", "json", "specs/conv_arith.seq"]);
    expect(r.status).toBe(0);
    const models = JSON.parse(r.stdout) as { model: string; total: { value: number }; values: { shape: string }[] }[];
    expect(Array.isArray(models)).toBe(true);
    const big = models.find((m) => m.values.some((v) => v.shape === "[32, 32, 10]"));
    expect(big?.total.value).toBe(760);
  });

  it("summary exits 1 with a code frame on a spec with errors", () => {
    const r = run(["summary", tmp.file("bad_summary.seq", BAD_SHAPES)]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error\[SEQ0308\]/);
  });

  it("summary exits 2 on a missing file", () => {
    const r = run(["summary", "specs/no_such_spec.seq"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^seqc: cannot read specs\/no_such_spec\.seq/);
  });
});
