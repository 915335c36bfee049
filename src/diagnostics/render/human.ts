/**
 * The terminal format: a header, a code frame per label, notes and help, like
 *
 *     error[SEQ0301]: cannot add [4*H] and [3*H]
 *       --> specs/lstm.seq:7:7
 *       5 |   a = W @ x
 *       6 |   b = U @ h
 *         |       ----- [3*H]
 *     > 7 |   z = a + b
 *         |       ^^^^^ [4*H] + [3*H]
 *       8 |   out z
 *        = where H = 128, X = 64
 *        = help: ...
 *
 * A secondary label in the primary label's file whose span lies on one line
 * shown in the primary frame is drawn inside that frame: a row of `-` under
 * its span and its message, right after the line (and after the line's `^`
 * row, if any); several such labels on a line get one row each, by column.
 * Any other secondary label gets a frame of its own, after a `-->` line when
 * it is in another file than the primary label, else after a `...` line.
 *
 * A frame that would show a line longer than MAX_LINE shows a window of its
 * lines around the span instead, with `…` where they are cut; the carets
 * still point at the span. At most MAX_PER_FILE diagnostics of a file are
 * shown, then a line says how many more there are; the summary counts all.
 */
import { createRequire } from "node:module";
import { primaryLabel, type Diagnostic, type Label, type Sources } from "../diagnostic.js";
import { limitPerFile, omittedMessage, summarize, type Summary } from "./common.js";
import { lineIndex, position, type LineIndex, type Position } from "./lines.js";

export interface HumanOptions {
  /** Use ANSI colors; when false the output contains no escape codes. */
  color: boolean;
}

type CodeFrame = typeof import("@babel/code-frame");
let codeFrame: CodeFrame | undefined;

/**
 * @babel/code-frame, loaded on the first frame drawn: a clean `seqc check`
 * draws none and should not pay for loading it (it is CommonJS, so it can be
 * required synchronously).
 */
function codeFrameColumns(...args: Parameters<CodeFrame["codeFrameColumns"]>): string {
  codeFrame ??= createRequire(import.meta.url)("@babel/code-frame") as CodeFrame;
  return codeFrame.codeFrameColumns(...args);
}

const RED = "31";
const YELLOW = "33";
const BOLD = "1";

/** Lines of context code-frame shows above and below a span. */
const LINES_ABOVE = 2;
const LINES_BELOW = 1;

/** A frame showing a line longer than this shows a window of WINDOW columns of its lines. */
export const MAX_LINE = 200;
const WINDOW = 120;
/** Columns of the window before the span's start. */
const WINDOW_LEAD = 40;
/** A span over more lines than this is framed by its first line only. */
const MAX_SPAN_LINES = 8;
const ELLIPSIS = "…";

/**
 * Renders diagnostics for a terminal, followed by a summary line such as
 * "2 errors, 1 warning". Returns "" when there are no diagnostics.
 */
export function renderHuman(diags: readonly Diagnostic[], sources: Sources, opts: HumanOptions): string {
  if (diags.length === 0) return "";
  const shown = limitPerFile(diags);
  const blocks: string[] = [];
  shown.diagnostics.forEach((d, i) => {
    blocks.push(renderDiagnostic(d, sources, opts.color));
    const file = primaryLabel(d)?.file ?? null;
    const next = shown.diagnostics[i + 1];
    if (next && (primaryLabel(next)?.file ?? null) === file) return;
    const omitted = shown.omitted.find((o) => o.file === file);
    if (omitted) blocks.push(`... ${omittedMessage(omitted)}`);
  });
  return `${blocks.join("\n\n")}\n\n${summaryLine(summarize(diags))}\n`;
}

function renderDiagnostic(d: Diagnostic, sources: Sources, color: boolean): string {
  const severityColor = d.severity === "error" ? RED : YELLOW;
  const lines = [`${paint(color, `${d.severity}[${d.code}]`, severityColor, BOLD)}: ${paint(color, d.message, BOLD)}`];
  const primary = primaryLabel(d);
  const labels = primary ? [primary, ...d.labels.filter((l) => l !== primary)] : [];
  // Secondary labels drawn inside the primary frame, by the label.
  const inline = new Map<Label, Mark>();
  const primaryText = primary && sources.get(primary.file);
  const primaryLayout = primary && primaryText !== undefined ? layout(primaryText, primary) : undefined;
  if (primary && primaryLayout) {
    for (const label of labels) {
      if (label === primary || label.primary || label.file !== primary.file) continue;
      const mark = inlineMark(primaryLayout, label);
      if (mark) inline.set(label, mark);
    }
  }
  for (const label of labels) {
    if (inline.has(label)) continue;
    const text = sources.get(label.file);
    if (text === undefined) {
      lines.push(`  --> ${label.file} (offsets ${label.start}..${label.end})${label.message ? `: ${label.message}` : ""}`);
      continue;
    }
    if (label === primary || label.file !== primary?.file) {
      const { line, column } = position(text, label.start);
      lines.push(`  --> ${label.file}:${line}:${column}`);
    } else {
      lines.push("  ...");
    }
    lines.push(label === primary && primaryLayout ? frame(primaryLayout, [...inline.values()]) : frame(layout(text, label)));
  }
  for (const note of d.notes ?? []) lines.push(`   = ${note}`);
  if (d.help) lines.push(`   = help: ${d.help}`);
  return lines.join("\n");
}

/** A label's code frame before rendering: what is passed to code-frame and which lines it shows. */
interface Layout {
  label: Label;
  index: LineIndex;
  /** The shown lines as given to code-frame (from line `first`), windowed when long. */
  rawLines: string;
  /** Line n of the file as shown is sourceLines[n - first]. */
  sourceLines: string[];
  /** The location given to code-frame (columns within the shown lines). */
  start: Position;
  end: Position;
  /** The first and last line number the frame shows. */
  first: number;
  last: number;
  /** A column of the file's line to the column of the shown line. */
  column: (column: number) => number;
}

/** The text of line `n` (1-based) without its terminator. */
function lineText(index: LineIndex, n: number): string {
  const from = index.starts[n - 1] ?? index.text.length;
  let to = n < index.starts.length ? index.starts[n]! - 1 : index.text.length;
  if (to > from && index.text[to - 1] === "\r") to--;
  return index.text.slice(from, to);
}

function layout(text: string, label: Label): Layout {
  const index = lineIndex(text);
  const start = position(index, label.start);
  let last = position(index, Math.max(label.start, label.end - 1));
  // A span over many lines (a whole block) is framed by its first line, to the line's end.
  if (last.line - start.line >= MAX_SPAN_LINES) last = { line: start.line, column: Math.max(start.column, lineText(index, start.line).length) };
  const single = last.line === start.line;
  // code-frame takes an exclusive end column on a single line but an inclusive
  // one on the last line of a multi-line span.
  const end = single ? { line: last.line, column: last.column + (label.end > label.start ? 1 : 0) } : last;
  // The window code-frame computes from linesAbove and linesBelow.
  const first = Math.max(start.line - LINES_ABOVE, 1);
  const lastShown = Math.min(index.starts.length, end.line + LINES_BELOW);
  // code-frame also breaks lines at a lone "\r", U+2028 and U+2029; blank them
  // (same length, so columns hold) to keep its line numbers equal to ours.
  // Other control characters (but tabs) would drive the terminal: show them as U+FFFD.
  let lines: string[] = [];
  for (let n = first; n <= lastShown; n++) {
    lines.push(lineText(index, n).replace(/[\r\u2028\u2029]/g, " ").replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, "\ufffd"));
  }
  let column = (c: number) => c;
  if (lines.some((l) => l.length > MAX_LINE)) {
    // One window for every shown line, so the lines stay aligned.
    const from = Math.max(0, start.column - 1 - WINDOW_LEAD);
    const to = from + WINDOW;
    const lead = from > 0 ? ELLIPSIS.length : 0;
    lines = lines.map((l) => `${from > 0 ? ELLIPSIS : ""}${l.slice(from, to)}${l.length > to ? ELLIPSIS : ""}`);
    column = (c: number) => Math.min(Math.max(c - 1 - from, 0), WINDOW) + 1 + lead;
  }
  const shownStart = { line: start.line, column: column(start.column) };
  const shownEnd = single ? { line: end.line, column: Math.max(column(end.column), shownStart.column + (label.end > label.start ? 1 : 0)) } : { line: end.line, column: column(end.column) };
  return { label, index, rawLines: lines.join("\n"), sourceLines: lines, start: shownStart, end: shownEnd, first, last: lastShown, column };
}

/** A secondary label drawn inside another label's frame: a row of `-` under `line`. */
interface Mark {
  line: number;
  column: number;
  width: number;
  message?: string;
}

/** The mark for `label` inside the frame of `frameLayout`, or undefined when its span is not on one line shown there. */
function inlineMark(frameLayout: Layout, label: Label): Mark | undefined {
  const start = position(frameLayout.index, label.start);
  const last = position(frameLayout.index, Math.max(label.start, label.end - 1));
  if (last.line !== start.line || start.line < frameLayout.first || start.line > frameLayout.last) return undefined;
  // As many marks as code-frame would draw for this span (at least one), in the shown line's columns.
  const column = frameLayout.column(start.column);
  const width = Math.max(1, label.end > label.start ? frameLayout.column(last.column + 1) - column : 0);
  return { line: start.line, column, width, message: label.message };
}

type FrameOptions = NonNullable<Parameters<typeof codeFrameColumns>[2]>;

function frame(l: Layout, marks: readonly Mark[] = []): string {
  const out = codeFrameColumns(
    l.rawLines,
    { start: l.start, end: l.end },
    // startLine (code-frame numbers the given lines from it) is missing from its type definitions.
    { highlightCode: false, linesAbove: LINES_ABOVE, linesBelow: LINES_BELOW, message: l.label.message, startLine: l.first } as FrameOptions,
  );
  if (marks.length === 0) return out;
  // code-frame's gutter: the line number right-aligned to the width of the
  // last shown line number (cut to that width the way code-frame does it).
  const numberWidth = String(l.last).length;
  const gutter = (line: number) => ` ${` ${line}`.slice(-numberWidth)} |`;
  const markRows = (line: number): string[] =>
    marks
      .filter((m) => m.line === line)
      .sort((a, b) => a.column - b.column || a.width - b.width)
      .map((m) => {
        const spacing = (l.sourceLines[line - l.first] ?? "").slice(0, Math.max(m.column - 1, 0)).replace(/[^\t]/g, " ");
        const rowGutter = ` ${gutter(line).replace(/\d/g, " ")} `;
        return `${rowGutter}${spacing}${"-".repeat(m.width)}${m.message ? ` ${m.message}` : ""}`;
      });
  const isRowOf = (row: string, line: number) =>
    [">", " "].some((lead) => row === `${lead}${gutter(line)}` || row.startsWith(`${lead}${gutter(line)} `));
  // Each shown line is its row, then its `^` row and the message, if any; the
  // marks of a line go at the end of that group.
  const rows: string[] = [];
  let line = l.first - 1;
  for (const row of out.split("\n")) {
    if (line < l.last && isRowOf(row, line + 1)) {
      rows.push(...markRows(line));
      line++;
    }
    rows.push(row);
  }
  rows.push(...markRows(line));
  return rows.join("\n");
}

function summaryLine({ errors, warnings }: Summary): string {
  const parts: string[] = [];
  if (errors > 0) parts.push(`${errors} error${errors === 1 ? "" : "s"}`);
  if (warnings > 0) parts.push(`${warnings} warning${warnings === 1 ? "" : "s"}`);
  return parts.join(", ");
}

/** Wraps text in ANSI SGR codes when color is on. */
function paint(color: boolean, text: string, ...codes: string[]): string {
  return color ? `\x1b[${codes.join(";")}m${text}\x1b[0m` : text;
}
