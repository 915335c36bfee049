/** src/diagnostics/render/common.ts: counts by severity, and a diagnostic as one text (message, notes, help). */
import { describe, expect, it } from "vitest";
import { diagnostic, type Diagnostic } from "../../../src/diagnostics/diagnostic.js";
import { fullMessage, summarize } from "../../../src/diagnostics/render/common.js";

const at = { file: "a.seq", start: 0, end: 1 };

describe("summarize", () => {
  it("errors and warnings", () => {
    const warning: Diagnostic = { ...diagnostic("SEQ0101", "w", at), severity: "warning" };
    expect(summarize([])).toEqual({ errors: 0, warnings: 0 });
    expect(summarize([diagnostic("SEQ0101", "e", at), warning, diagnostic("SEQ0302", "e", at)])).toEqual({ errors: 2, warnings: 1 });
  });
});

describe("fullMessage", () => {
  it("the message, each note on its own line, then the help", () => {
    const d = diagnostic("SEQ0302", "cannot multiply", at, { notes: ["where H = 4", "and X = 2"], help: "transpose W" });
    expect(fullMessage(d)).toBe("cannot multiply\nwhere H = 4\nand X = 2\nhelp: transpose W");
  });

  it("the message alone when there is nothing else", () => {
    expect(fullMessage(diagnostic("SEQ0002", "expected )", at))).toBe("expected )");
  });
});
