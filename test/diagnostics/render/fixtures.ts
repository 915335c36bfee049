/** A small spec and diagnostics on it, shared by the renderer tests. */
import { diagnostic, label, type Diagnostic } from "../../../src/diagnostics/diagnostic.js";

export const FILE = "specs/lstm.seq";

export const TEXT = [
  "dim H = 128",
  "dim X = 64",
  "",
  "cell lstm(x: [X], h: [H]) {",
  "  a = W @ x",
  "  b = U @ h",
  "  z = a + b",
  "  out z",
  "}",
  "",
].join("\n");

export const SOURCES: ReadonlyMap<string, string> = new Map([[FILE, TEXT]]);

/** The span of the first occurrence of `needle` in TEXT. */
export function span(needle: string, file = FILE) {
  const start = TEXT.indexOf(needle);
  if (start < 0) throw new Error(`not in TEXT: ${needle}`);
  return { file, start, end: start + needle.length };
}

/** An error on `a + b` (line 7, columns 7 to 12) with a note, a secondary label and the code's help. */
export function addError(): Diagnostic {
  return diagnostic(
    "SEQ0301",
    "cannot add [4*H] and [3*H]",
    { ...span("a + b"), message: "[4*H] + [3*H]" },
    { labels: [label(span("U @ h"), "this is [3*H]")], notes: ["where H = 128, X = 64"] },
  );
}

/** A warning on `out z` (line 8, column 3); the table has no warning codes, so the severity is set here. */
export function outWarning(): Diagnostic {
  return { ...diagnostic("SEQ0403", "suspicious out", span("out z")), severity: "warning" };
}
