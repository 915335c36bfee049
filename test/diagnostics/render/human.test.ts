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

  it("draws a secondary label on a line of the primary frame as a `-` row under that line", () => {
    const lines = renderHuman([addError()], SOURCES, { color: false }).split("\n");
    const at = lines.indexOf("  6 |   b = U @ h");
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toBe("    |       ----- this is [3*H]");
    expect(lines[at + 2]).toBe("> 7 |   z = a + b");
    expect(lines.filter((l) => l.startsWith("  -->"))).toHaveLength(1);
    expect(lines).not.toContain("  ...");
    expect(lines.filter((l) => l.includes("|"))).toHaveLength(6);
  });

  it("draws same-line secondary labels in one frame, one row each by column, after the `^` row", () => {
    const text = "a = 1\nz = x + y\nb = 2\n";
    const at = (needle: string, length = needle.length) => ({ file: "t.seq", start: text.indexOf(needle), end: text.indexOf(needle) + length });
    const d = diagnostic("SEQ0301", "cannot add [4] and [3]", { ...at("x + y"), message: "bad" }, {
      labels: [label(at("y"), "[3]"), label(at("x"), "[4]")],
    });
    expect(renderHuman([d], new Map([["t.seq", text]]), { color: false })).toBe(
      [
        "error[SEQ0301]: cannot add [4] and [3]",
        "  --> t.seq:2:5",
        "  1 | a = 1",
        "> 2 | z = x + y",
        "    |     ^^^^^ bad",
        "    |     - [4]",
        "    |         - [3]",
        "  3 | b = 2",
        `   = help: ${CODES.SEQ0301.help}`,
        "",
        "1 error",
        "",
      ].join("\n"),
    );
  });

  it("matches code-frame's gutter width and keeps tabs before the `-` marks", () => {
    const text = ["l1", "l2", "l3", "l4", "l5", "l6", "l7", "l8", "\tz = x + y", "l10", ""].join("\n");
    const start = text.indexOf("x + y");
    const y = text.indexOf("y");
    const d = diagnostic("SEQ0301", "bad", { file: "t.seq", start, end: start + 5 }, {
      labels: [label({ file: "t.seq", start: y, end: y + 1 }, "[3]"), label({ file: "t.seq", start: y, end: y })],
    });
    const lines = renderHuman([d], new Map([["t.seq", text]]), { color: false }).split("\n");
    expect(lines.slice(2, 9)).toEqual([
      "   7 | l7",
      "   8 | l8",
      ">  9 | \tz = x + y",
      "     | \t    ^^^^^",
      "     | \t        - [3]",
      "     | \t        -",
      "  10 | l10",
    ]);
  });

  it("gives a secondary label far from the primary, or on several lines, a frame of its own", () => {
    const d = diagnostic("SEQ0403", "suspicious out", span("out z"), {
      labels: [label(span("dim H = 128"), "H here"), label(span("a + b\n  out"), "two lines")],
    });
    const out = renderHuman([d], SOURCES, { color: false });
    const lines = out.split("\n");
    expect(lines.filter((l) => l === "  ...")).toHaveLength(2);
    expect(lines).toContain("> 1 | dim H = 128");
    expect(lines).toContain("    | ^^^^^^^^^^^ H here");
    expect(lines).toContain("> 7 |   z = a + b");
    expect(lines).toContain("    |       ^^^^^");
    expect(lines).toContain("    | ^^^^^ two lines");
    expect(out).not.toMatch(/\| *-/);
    expect(lines.filter((l) => l.startsWith("  -->"))).toHaveLength(1);
  });

  it("gives a secondary label in another file its own location line and frame", () => {
    const other = "dim H = 96\n";
    const sources = new Map([...SOURCES, ["specs/dims.seq", other]]);
    const d = diagnostic("SEQ0103", "H is defined twice", span("dim H = 128"), {
      labels: [label({ file: "specs/dims.seq", start: 0, end: 10 }, "first defined here"), label(span("H ="), "again here")],
    });
    const lines = renderHuman([d], sources, { color: false }).split("\n");
    expect(lines.slice(1, 5)).toEqual([`  --> ${FILE}:1:1`, "> 1 | dim H = 128", "    | ^^^^^^^^^^^", "    |     --- again here"]);
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

describe("renderHuman on long lines", () => {
  // A 200 KB line with `bad` at column 100_001, between short lines.
  const long = `${"a".repeat(100_000)}bad${"b".repeat(100_000)}`;
  const text = `x = 1\n${long}\ny = 2\n`;
  const start = text.indexOf("bad");
  const sources = new Map([["long.seq", text]]);

  it("shows a window around the column with ellipses, the carets under the span", () => {
    const d = diagnostic("SEQ0101", "unknown name `bad`", { file: "long.seq", start, end: start + 3, message: "here" });
    const out = renderHuman([d], sources, { color: false });
    expect(out.length).toBeLessThan(1000);
    const lines = out.split("\n");
    expect(lines[1]).toBe("  --> long.seq:2:100001");
    const row = lines.find((l) => l.startsWith("> 2 | "))!;
    expect(row).toBe(`> 2 | …${"a".repeat(40)}bad${"b".repeat(77)}…`);
    const caret = lines[lines.indexOf(row) + 1]!;
    // The carets sit under `bad` in the shown row.
    expect(caret.indexOf("^^^")).toBe(row.indexOf("bad"));
    expect(caret.endsWith("^^^ here")).toBe(true);
    // Short context lines are cut by the same window: nothing of them is left there.
    expect(lines).toContain("  1 | …");
  });

  it("keeps a window at the start of the line without a leading ellipsis", () => {
    const d = diagnostic("SEQ0101", "bad start", { file: "long.seq", start: 6, end: 7 });
    const lines = renderHuman([d], sources, { color: false }).split("\n");
    const row = lines.find((l) => l.startsWith("> 2 | "))!;
    expect(row).toBe(`> 2 | ${"a".repeat(120)}…`);
    expect(lines[lines.indexOf(row) + 1]).toBe("    | ^");
    expect(lines).toContain("  1 | x = 1");
  });

  it("clips a span wider than the window to it, and draws inline labels in window columns", () => {
    const d = diagnostic("SEQ0301", "wide", { file: "long.seq", start: start - 5, end: start + 50_000 }, {
      labels: [label({ file: "long.seq", start, end: start + 3 }, "bad")],
    });
    const lines = renderHuman([d], sources, { color: false }).split("\n");
    const row = lines.find((l) => l.startsWith("> 2 | "))!;
    const carets = lines[lines.indexOf(row) + 1]!;
    expect(carets.indexOf("^")).toBe(row.indexOf("bad") - 5);
    expect(carets.length).toBeLessThanOrEqual(row.length);
    const mark = lines[lines.indexOf(row) + 2]!;
    expect(mark.indexOf("--- bad")).toBe(row.indexOf("bad"));
  });

  it("frames a span over many lines by its first line", () => {
    const many = Array.from({ length: 30 }, (_, i) => `line${i}`).join("\n");
    const d = diagnostic("SEQ0106", "block", { file: "m.seq", start: 0, end: many.length });
    const out = renderHuman([d], new Map([["m.seq", many]]), { color: false });
    expect(out).toContain("> 1 | line0");
    expect(out).not.toContain("line5");
  });
});

describe("renderHuman on binary text", () => {
  it("shows control characters in a frame as U+FFFD, tabs as they are", () => {
    const text = "a\u0000\u001b[31m\tb\u007f\n";
    const d = diagnostic("SEQ0001", "binary", { file: "b.seq", start: 1, end: 2 });
    const out = renderHuman([d], new Map([["b.seq", text]]), { color: false });
    expect(out).toContain("> 1 | a\ufffd\ufffd[31m\tb\ufffd");
    expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
  });
});
