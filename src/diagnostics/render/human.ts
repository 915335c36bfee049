/**
 * The terminal format: a header, a code frame per label, notes and help, like
 *
 *     error[SEQ0301]: cannot add [4*H] and [3*H]
 *       --> specs/lstm.seq:7:7
 *       5 |   a = W @ x
 *       6 |   b = U @ h
 *     > 7 |   z = a + b
 *         |       ^^^^^ [4*H] + [3*H]
 *       8 |   out z
 *        = where H = 128, X = 64
 *        = help: ...
 *
 * Secondary labels get a frame of their own, after a `-->` line when they are
 * in another file than the primary label, else after a `...` line.
 */
import { codeFrameColumns } from "@babel/code-frame";
import { primaryLabel, type Diagnostic, type Label, type Sources } from "../diagnostic.js";
import { summarize, type Summary } from "./common.js";
import { lineIndex, position } from "./lines.js";

export interface HumanOptions {
  /** Use ANSI colors; when false the output contains no escape codes. */
  color: boolean;
}

const RED = "31";
const YELLOW = "33";
const BOLD = "1";

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
  for (const label of labels) {
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
    lines.push(frame(text, label));
  }
  for (const note of d.notes ?? []) lines.push(`   = ${note}`);
  if (d.help) lines.push(`   = help: ${d.help}`);
  return lines.join("\n");
}

function frame(text: string, label: Label): string {
  const index = lineIndex(text);
  const start = position(index, label.start);
  const last = position(index, Math.max(label.start, label.end - 1));
  // code-frame takes an exclusive end column on a single line but an inclusive
  // one on the last line of a multi-line span.
  const end = last.line === start.line ? { line: last.line, column: last.column + (label.end > label.start ? 1 : 0) } : last;
  // code-frame also breaks lines at a lone "\r", U+2028 and U+2029; blank them
  // (same length, so columns hold) to keep its line numbers equal to ours.
  const rawLines = text.replace(/\r(?!\n)|[\u2028\u2029]/g, " ");
  return codeFrameColumns(rawLines, { start, end }, { highlightCode: false, linesAbove: 2, linesBelow: 1, message: label.message });
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
