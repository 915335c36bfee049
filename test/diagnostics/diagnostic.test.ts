/** src/diagnostics/diagnostic.ts: building diagnostics from the code table, their primary label, and sorting and deduplicating them. */
import { describe, expect, it } from "vitest";
import { CODES } from "../../src/diagnostics/codes.js";
import { diagnostic, hasErrors, label, normalizeDiagnostics, primaryLabel, type Diagnostic } from "../../src/diagnostics/diagnostic.js";

const at = (file: string, start: number, end = start + 1) => ({ file, start, end });

describe("diagnostic", () => {
  it("takes its severity and default help from the code's entry, the primary label first", () => {
    const d = diagnostic("SEQ0302", "cannot multiply [3, 4] by [5]", { ...at("a.seq", 10, 15), message: "here" }, { labels: [label(at("a.seq", 2), "declared")] });
    expect(d).toEqual({
      code: "SEQ0302",
      severity: "error",
      message: "cannot multiply [3, 4] by [5]",
      labels: [
        { file: "a.seq", start: 10, end: 15, message: "here", primary: true },
        { file: "a.seq", start: 2, end: 3, message: "declared", primary: false },
      ],
      help: CODES.SEQ0302.help,
    });
  });

  it("an explicit help replaces the default; no help and no empty notes when there are none", () => {
    expect(diagnostic("SEQ0302", "m", at("a.seq", 0), { help: "transpose W" }).help).toBe("transpose W");
    const plain = diagnostic("SEQ0002", "expected )", at("a.seq", 0), { notes: [] });
    expect("help" in plain).toBe(false);
    expect("notes" in plain).toBe(false);
    expect(diagnostic("SEQ0002", "m", at("a.seq", 0), { notes: ["where H = 4"] }).notes).toEqual(["where H = 4"]);
  });

  it("label: a secondary label, with a message only when given", () => {
    expect(label(at("b.seq", 4))).toEqual({ file: "b.seq", start: 4, end: 5, primary: false });
    expect(Object.keys(label(at("b.seq", 4)))).not.toContain("message");
  });
});

describe("primaryLabel and hasErrors", () => {
  it("the first primary label, else the first label", () => {
    const d: Diagnostic = { code: "SEQ0101", severity: "error", message: "m", labels: [{ ...at("a", 1), primary: false }, { ...at("a", 5), primary: true }, { ...at("a", 9), primary: true }] };
    expect(primaryLabel(d)?.start).toBe(5);
    expect(primaryLabel({ ...d, labels: [{ ...at("a", 7), primary: false }] })?.start).toBe(7);
    expect(primaryLabel({ ...d, labels: [] })).toBeUndefined();
  });

  it("hasErrors: some diagnostic is an error (warnings alone are not)", () => {
    const warning: Diagnostic = { code: "SEQ0101", severity: "warning", message: "w", labels: [] };
    expect(hasErrors([])).toBe(false);
    expect(hasErrors([warning])).toBe(false);
    expect(hasErrors([warning, diagnostic("SEQ0101", "e", at("a", 0))])).toBe(true);
  });
});

describe("normalizeDiagnostics", () => {
  it("sorts by file, then offset, then code", () => {
    const ds = [
      diagnostic("SEQ0302", "x", at("b.seq", 3)),
      diagnostic("SEQ0301", "x", at("a.seq", 9)),
      diagnostic("SEQ0303", "x", at("a.seq", 2)),
      diagnostic("SEQ0101", "x", at("a.seq", 2)),
    ];
    expect(normalizeDiagnostics(ds).map((d) => `${primaryLabel(d)!.file}:${primaryLabel(d)!.start} ${d.code}`)).toEqual(["a.seq:2 SEQ0101", "a.seq:2 SEQ0303", "a.seq:9 SEQ0301", "b.seq:3 SEQ0302"]);
  });

  it("removes exact duplicates (code, message and primary span) and keeps near ones", () => {
    const d = diagnostic("SEQ0101", "unknown name h", at("a.seq", 4, 5));
    const out = normalizeDiagnostics([
      d,
      { ...d, labels: [...d.labels, label(at("a.seq", 0))] },
      diagnostic("SEQ0101", "unknown name g", at("a.seq", 4, 5)),
      diagnostic("SEQ0101", "unknown name h", at("a.seq", 4, 6)),
      diagnostic("SEQ0109", "unknown name h", at("a.seq", 4, 5)),
    ]);
    expect(out).toHaveLength(4);
    expect(out[0]).toBe(d);
  });

  it("does not change its argument", () => {
    const ds = [diagnostic("SEQ0302", "x", at("b.seq", 3)), diagnostic("SEQ0301", "x", at("a.seq", 9))];
    const copy = [...ds];
    normalizeDiagnostics(ds);
    expect(ds).toEqual(copy);
  });
});
