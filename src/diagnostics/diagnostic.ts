/**
 * The one Diagnostic type of seqc. Lexer, parser, IR-schema (ajv) and checker
 * errors are all reported as Diagnostics; renderers turn them into a code frame
 * for people or JSON / SARIF / GitHub annotations for CI.
 *
 * Spans are plain character offsets into a file's text (they survive JSON);
 * line and column are computed only when rendering.
 */
import { CODES, type Code, type CodeInfo } from "./codes.js";

export type Severity = "error" | "warning";

/** A labelled region of a source file. The first primary label is where the diagnostic "is". */
export interface Label {
  file: string;
  /** Offset of the first character (0-based, UTF-16 code units). */
  start: number;
  /** Offset one past the last character. */
  end: number;
  message?: string;
  primary: boolean;
}

export interface Diagnostic {
  code: Code;
  severity: Severity;
  message: string;
  labels: Label[];
  /** What to do about it. */
  help?: string;
  /** Extra facts, e.g. "where H = 128, X = 64". */
  notes?: string[];
}

/** Source texts by file name, needed to turn offsets into lines and columns. */
export type Sources = ReadonlyMap<string, string>;

export interface Span {
  file: string;
  start: number;
  end: number;
}

/** Builds a diagnostic with the severity of its code's table entry. */
export function diagnostic(
  code: Code,
  message: string,
  primary: Span & { message?: string },
  extra: { labels?: Label[]; help?: string; notes?: string[] } = {},
): Diagnostic {
  const info: CodeInfo = CODES[code];
  const d: Diagnostic = {
    code,
    severity: info.severity,
    message,
    labels: [{ ...primary, primary: true }, ...(extra.labels ?? [])],
  };
  const help = extra.help ?? info.help;
  if (help) d.help = help;
  if (extra.notes && extra.notes.length > 0) d.notes = extra.notes;
  return d;
}

/** A secondary label. */
export function label(span: Span, message?: string): Label {
  return message === undefined ? { ...span, primary: false } : { ...span, message, primary: false };
}

export function primaryLabel(d: Diagnostic): Label | undefined {
  return d.labels.find((l) => l.primary) ?? d.labels[0];
}

export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === "error");
}

/** Sorts by file, then offset, then code; removes exact duplicates (same code, message and primary span). */
export function normalizeDiagnostics(diags: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const d of diags) {
    const p = primaryLabel(d);
    const key = `${d.code}|${d.message}|${p?.file}|${p?.start}|${p?.end}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out.sort((a, b) => {
    const pa = primaryLabel(a);
    const pb = primaryLabel(b);
    const fa = pa?.file ?? "";
    const fb = pb?.file ?? "";
    if (fa !== fb) return fa < fb ? -1 : 1;
    const sa = pa?.start ?? 0;
    const sb = pb?.start ?? 0;
    if (sa !== sb) return sa - sb;
    return a.code < b.code ? -1 : a.code > b.code ? 1 : 0;
  });
}
