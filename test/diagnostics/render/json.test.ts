import { describe, expect, it } from "vitest";
import { CODES } from "../../../src/diagnostics/codes.js";
import { diagnostic } from "../../../src/diagnostics/diagnostic.js";
import { renderJson } from "../../../src/diagnostics/render/json.js";
import { addError, FILE, outWarning, SOURCES, span } from "./fixtures.js";

describe("renderJson", () => {
  it("writes a versioned document with lines, columns and a summary", () => {
    const out = renderJson([addError(), outWarning()], SOURCES);
    expect(out.startsWith('{\n  "version": 1,')).toBe(true);
    const doc = JSON.parse(out);
    expect(doc.summary).toEqual({ errors: 1, warnings: 1, omitted: 0 });
    expect(doc.omitted).toEqual([]);
    expect(doc.diagnostics[0]).toEqual({
      code: "SEQ0301",
      severity: "error",
      message: "cannot add [4*H] and [3*H]",
      help: CODES.SEQ0301.help,
      notes: ["where H = 128, X = 64"],
      file: FILE,
      line: 7,
      column: 7,
      endLine: 7,
      endColumn: 12,
      labels: [
        { file: FILE, line: 7, column: 7, endLine: 7, endColumn: 12, ...offsets("a + b"), message: "[4*H] + [3*H]", primary: true },
        { file: FILE, line: 6, column: 7, endLine: 6, endColumn: 12, ...offsets("U @ h"), message: "this is [3*H]", primary: false },
      ],
    });
    expect(doc.diagnostics[1]).toMatchObject({ code: "SEQ0403", severity: "warning", line: 8, column: 3 });
  });

  it("leaves out help and notes when there are none", () => {
    const doc = JSON.parse(renderJson([diagnostic("SEQ0002", "unexpected }", span("}"))], SOURCES));
    expect(Object.keys(doc.diagnostics[0])).toEqual([
      "code", "severity", "message", "file", "line", "column", "endLine", "endColumn", "labels",
    ]);
    expect(doc.diagnostics[0].labels[0]).not.toHaveProperty("message");
  });

  it("gives null lines and columns when the source is missing", () => {
    const doc = JSON.parse(renderJson([diagnostic("SEQ0002", "oops", { file: "gone.seq", start: 3, end: 5 })], SOURCES));
    expect(doc.diagnostics[0]).toMatchObject({ file: "gone.seq", line: null, column: null, endLine: null, endColumn: null });
    expect(doc.diagnostics[0].labels[0]).toMatchObject({ start: 3, end: 5, line: null });
  });

  it("writes an empty list without diagnostics", () => {
    expect(JSON.parse(renderJson([], SOURCES))).toEqual({ version: 1, diagnostics: [], summary: { errors: 0, warnings: 0, omitted: 0 }, omitted: [] });
  });
});

function offsets(needle: string) {
  const { start, end } = span(needle);
  return { start, end };
}
