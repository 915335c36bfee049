import { describe, expect, it } from "vitest";
import { CODES } from "../../../src/diagnostics/codes.js";
import { diagnostic, label } from "../../../src/diagnostics/diagnostic.js";
import { renderHuman } from "../../../src/diagnostics/render/human.js";
import { addError, FILE, outWarning, SOURCES, span } from "./fixtures.js";

describe("renderHuman", () => {
  it("prints the header, location, frame, notes and help", () => {
    const out = renderHuman([addError()], SOURCES, { color: false });
    const lines = out.split("\n");
    expect(lines[0]).toBe("error[SEQ0301]: cannot add [4*H] and [3*H]");
    expect(lines[1]).toBe(`  --> ${FILE}:7:7`);
    expect(lines).toContain("> 7 |   z = a + b");
    expect(lines).toContain("    |       ^^^^^ [4*H] + [3*H]");
    expect(lines).toContain("   = where H = 128, X = 64");
    expect(lines).toContain(`   = help: ${CODES.SEQ0301.help}`);
    expect(out.endsWith("\n\n1 error\n")).toBe(true);
  });

  it("frames a secondary label in the same file with its message", () => {
    const lines = renderHuman([addError()], SOURCES, { color: false }).split("\n");
    expect(lines).toContain("> 6 |   b = U @ h");
    expect(lines).toContain("    |       ^^^^^ this is [3*H]");
    expect(lines.filter((l) => l.startsWith("  -->"))).toHaveLength(1);
  });

  it("gives a secondary label in another file its own location line and frame", () => {
    const other = "dim H = 96\n";
    const sources = new Map([...SOURCES, ["specs/dims.seq", other]]);
    const d = diagnostic("SEQ0103", "H is defined twice", span("dim H = 128"), {
      labels: [label({ file: "specs/dims.seq", start: 0, end: 10 }, "first defined here")],
    });
    const lines = renderHuman([d], sources, { color: false }).split("\n");
    expect(lines).toContain("  --> specs/dims.seq:1:1");
    expect(lines).toContain("> 1 | dim H = 96");
    expect(lines).toContain("    | ^^^^^^^^^^ first defined here");
  });

  it("prints only a location with offsets when the source is missing", () => {
    const d = diagnostic("SEQ0003", "cannot import x.seq", { file: "gone.seq", start: 4, end: 9, message: "here" });
    const out = renderHuman([d], new Map(), { color: false });
    expect(out).toContain("  --> gone.seq (offsets 4..9): here");
    expect(out).not.toContain("|");
  });

  it("marks every line of a multi-line span", () => {
    const d = diagnostic("SEQ0301", "bad", span("a = W @ x\n  b"));
    const lines = renderHuman([d], SOURCES, { color: false }).split("\n");
    expect(lines).toContain("> 5 |   a = W @ x");
    expect(lines).toContain("    |   ^^^^^^^^^");
    expect(lines).toContain("> 6 |   b = U @ h");
    expect(lines).toContain("    | ^^^");
  });

  it("points at the end of a file that ends with a newline", () => {
    const d = diagnostic("SEQ0002", "unexpected end of file", { file: FILE, start: 1e9, end: 1e9 });
    const out = renderHuman([d], SOURCES, { color: false });
    expect(out).toContain(`  --> ${FILE}:10:1`);
    expect(out).toContain("> 10 |");
  });

  it("counts errors and warnings in the summary", () => {
    const out = renderHuman([addError(), addError(), outWarning()], SOURCES, { color: false });
    expect(out.split("\n").at(-2)).toBe("2 errors, 1 warning");
    expect(renderHuman([outWarning()], SOURCES, { color: false })).toMatch(/^warning\[SEQ0403\]: suspicious out\n[^]*\n1 warning\n$/);
  });

  it("prints nothing without diagnostics", () => {
    expect(renderHuman([], SOURCES, { color: true })).toBe("");
  });

  it("uses no escape codes without color", () => {
    expect(renderHuman([addError(), outWarning()], SOURCES, { color: false })).not.toContain("\x1b");
  });

  it("colors the severity and makes the message bold with color", () => {
    const out = renderHuman([addError(), outWarning()], SOURCES, { color: true });
    expect(out).toContain("\x1b[31;1merror[SEQ0301]\x1b[0m: \x1b[1mcannot add [4*H] and [3*H]\x1b[0m");
    expect(out).toContain("\x1b[33;1mwarning[SEQ0403]\x1b[0m");
  });

  it("keeps frame line numbers right with CRLF and lone CR", () => {
    const text = "a\r\nb\rc\r\nd = e\r\n";
    const start = text.indexOf("e");
    const d = diagnostic("SEQ0101", "unknown name e", { file: "w.seq", start, end: start + 1 });
    const lines = renderHuman([d], new Map([["w.seq", text]]), { color: false }).split("\n");
    expect(lines[1]).toBe("  --> w.seq:3:5");
    expect(lines).toContain("> 3 | d = e");
    expect(lines).toContain("    |     ^");
  });
});
