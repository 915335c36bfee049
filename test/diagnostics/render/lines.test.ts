import { describe, expect, it } from "vitest";
import { label } from "../../../src/diagnostics/diagnostic.js";
import { labelRange, lineIndex, position } from "../../../src/diagnostics/render/lines.js";

describe("lineIndex", () => {
  it("records the start of every line", () => {
    expect(lineIndex("ab\ncd\n\ne").starts).toEqual([0, 3, 6, 7]);
    expect(lineIndex("").starts).toEqual([0]);
  });

  it("returns the cached index for the same text", () => {
    const text = "x\ny\n";
    expect(lineIndex(text)).toBe(lineIndex(text));
  });
});

describe("position", () => {
  const text = "ab\ncd\n\ne";

  it("maps offsets to 1-based lines and columns", () => {
    expect(position(text, 0)).toEqual({ line: 1, column: 1 });
    expect(position(text, 1)).toEqual({ line: 1, column: 2 });
    expect(position(text, 3)).toEqual({ line: 2, column: 1 });
    expect(position(text, 4)).toEqual({ line: 2, column: 2 });
    expect(position(text, 6)).toEqual({ line: 3, column: 1 });
    expect(position(text, 7)).toEqual({ line: 4, column: 1 });
  });

  it("puts a newline at the end of its line", () => {
    expect(position(text, 2)).toEqual({ line: 1, column: 3 });
  });

  it("accepts a precomputed index", () => {
    expect(position(lineIndex(text), 4)).toEqual({ line: 2, column: 2 });
  });

  it("handles CRLF line ends", () => {
    const crlf = "ab\r\ncd\r\n";
    expect(position(crlf, 4)).toEqual({ line: 2, column: 1 });
    expect(position(crlf, 5)).toEqual({ line: 2, column: 2 });
    // Both the \r and the \n are the end of line 1.
    expect(position(crlf, 2)).toEqual({ line: 1, column: 3 });
    expect(position(crlf, 3)).toEqual({ line: 1, column: 3 });
    expect(position(crlf, crlf.length)).toEqual({ line: 3, column: 1 });
  });

  it("handles the end of the file and clamps offsets outside it", () => {
    expect(position(text, text.length)).toEqual({ line: 4, column: 2 });
    expect(position(text, text.length + 10)).toEqual({ line: 4, column: 2 });
    expect(position("ab\n", 3)).toEqual({ line: 2, column: 1 });
    expect(position("ab\n", 99)).toEqual({ line: 2, column: 1 });
    expect(position("", 5)).toEqual({ line: 1, column: 1 });
    expect(position(text, -1)).toEqual({ line: 1, column: 1 });
  });

  it("agrees with a naive count on every offset", () => {
    const sample = "a\r\n\nbc\r\nd\n\r\nef";
    for (let offset = 0; offset <= sample.length; offset++) {
      const before = sample.slice(0, offset);
      const line = before.split("\n").length;
      const lineStart = before.lastIndexOf("\n") + 1;
      const column = offset - lineStart + 1 - (sample[offset] === "\n" && sample[offset - 1] === "\r" ? 1 : 0);
      expect(position(sample, offset), `offset ${offset}`).toEqual({ line, column });
    }
  });
});

describe("labelRange", () => {
  it("gives the range of a label, with an exclusive end column", () => {
    const sources = new Map([["a.seq", "x = 1\ny = x + z\n"]]);
    expect(labelRange(label({ file: "a.seq", start: 10, end: 15 }), sources)).toEqual({
      line: 2,
      column: 5,
      endLine: 2,
      endColumn: 10,
    });
  });

  it("is undefined when the file is not among the sources", () => {
    expect(labelRange(label({ file: "b.seq", start: 0, end: 1 }), new Map())).toBeUndefined();
  });
});
