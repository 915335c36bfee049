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
 */
import { createRequire } from "node:module";
import { primaryLabel, type Diagnostic, type Label, type Sources } from "../diagnostic.js";
import { summarize, type Summary } from "./common.js";
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

/**
 * Renders diagnostics for a terminal, followed by a summary line such as
 * "2 errors, 1 warning". Returns "" when there are no diagnostics.
 */
export function renderHuman(diags: readonly Diagnostic[], sources: Sources, opts: HumanOptions): string {
  if (diags.length === 0) return "";
  const blocks = diags.map((d) => renderDiagnostic(d, sources, opts.color));
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
  /** The text as given to code-frame. */
  rawLines: string;
  /** Its lines, split as code-frame splits them. */
  sourceLines: string[];
  /** The location given to code-frame. */
  start: Position;
  end: Position;
  /** The first and last line number the frame shows. */
  first: number;
  last: number;
}

function layout(text: string, label: Label): Layout {
  const index = lineIndex(text);
  const start = position(index, label.start);
  const last = position(index, Math.max(label.start, label.end - 1));
  // code-frame takes an exclusive end column on a single line but an inclusive
  // one on the last line of a multi-line span.
  const end = last.line === start.line ? { line: last.line, column: last.column + (label.end > label.start ? 1 : 0) } : last;
  // code-frame also breaks lines at a lone "\r", U+2028 and U+2029; blank them
  // (same length, so columns hold) to keep its line numbers equal to ours.
  const rawLines = text.replace(/\r(?!\n)|[\u2028\u2029]/g, " ");
  const sourceLines = rawLines.split(/\r?\n/);
  // The window code-frame computes from linesAbove and linesBelow.
  const first = Math.max(start.line - LINES_ABOVE, 1);
  const lastShown = Math.min(sourceLines.length, end.line + LINES_BELOW);
  return { label, index, rawLines, sourceLines, start, end, first, last: lastShown };
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
  // As many marks as code-frame would draw for this span (at least one).
  const width = Math.max(1, label.end > label.start ? last.column + 1 - start.column : 0);
  return { line: start.line, column: start.column, width, message: label.message };
}

function frame(l: Layout, marks: readonly Mark[] = []): string {
  const out = codeFrameColumns(
    l.rawLines,
    { start: l.start, end: l.end },
    { highlightCode: false, linesAbove: LINES_ABOVE, linesBelow: LINES_BELOW, message: l.label.message },
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
        const spacing = (l.sourceLines[line - 1] ?? "").slice(0, Math.max(m.column - 1, 0)).replace(/[^\t]/g, " ");
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
