/**
 * The machine-readable format: a versioned JSON document. Lines and columns
 * are 1-based, endColumn is one past the last character, and all of them are
 * null when the file's text is not among the sources (start/end still say where).
 * At most MAX_PER_FILE diagnostics of a file are listed; `omitted` says how
 * many more each file has, and the summary counts them all.
 */
import type { Code } from "../codes.js";
import { primaryLabel, type Diagnostic, type Label, type Sources } from "../diagnostic.js";
import { limitPerFile, summarize, type Omitted, type Summary } from "./common.js";
import { labelRange } from "./lines.js";

/** 1-based; endColumn is one past the last character; null when the file's text is unknown. */
export interface JsonRange {
  line: number | null;
  column: number | null;
  endLine: number | null;
  endColumn: number | null;
}

/** A label with its place as lines and columns, besides its offsets. */
export interface JsonLabel extends JsonRange {
  file: string;
  start: number;
  end: number;
  message?: string;
  primary: boolean;
}

/** A diagnostic with the place of its primary label as file, lines and columns (the API's `check` returns these too). */
export interface JsonDiagnostic extends JsonRange {
  code: Code;
  severity: Diagnostic["severity"];
  message: string;
  help?: string;
  notes?: string[];
  file: string | null;
  labels: JsonLabel[];
}

/** The counts of a report: errors and warnings found (listed or not), and how many are not listed. */
export interface JsonSummary extends Summary {
  omitted: number;
}

/** The document renderJson produces; bump `version` on incompatible changes. */
export interface JsonReport {
  version: 1;
  /** Root cause first: by file, then place; at most MAX_PER_FILE per file. */
  diagnostics: JsonDiagnostic[];
  summary: JsonSummary;
  /** Per file, how many diagnostics are not listed (empty when all are). */
  omitted: Omitted[];
}

const NO_RANGE: JsonRange = { line: null, column: null, endLine: null, endColumn: null };

/** Renders diagnostics as a JSON document (see JsonReport), indented by 2 spaces. */
export function renderJson(diags: readonly Diagnostic[], sources: Sources): string {
  const shown = limitPerFile(diags);
  const report: JsonReport = {
    version: 1,
    diagnostics: shown.diagnostics.map((d) => locateDiagnostic(d, sources)),
    summary: { ...summarize(diags), omitted: shown.omitted.reduce((n, o) => n + o.count, 0) },
    omitted: shown.omitted,
  };
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** A diagnostic as JSON-ready data: its offsets turned into lines and columns with the sources' texts. */
export function locateDiagnostic(d: Diagnostic, sources: Sources): JsonDiagnostic {
  const primary = primaryLabel(d);
  const range = (primary && labelRange(primary, sources)) ?? NO_RANGE;
  return {
    code: d.code,
    severity: d.severity,
    message: d.message,
    ...(d.help !== undefined && { help: d.help }),
    ...(d.notes !== undefined && { notes: d.notes }),
    file: primary?.file ?? null,
    line: range.line,
    column: range.column,
    endLine: range.endLine,
    endColumn: range.endColumn,
    labels: d.labels.map((l) => jsonLabel(l, sources)),
  };
}

function jsonLabel(l: Label, sources: Sources): JsonLabel {
  const range = labelRange(l, sources) ?? NO_RANGE;
  return {
    file: l.file,
    line: range.line,
    column: range.column,
    endLine: range.endLine,
    endColumn: range.endColumn,
    start: l.start,
    end: l.end,
    ...(l.message !== undefined && { message: l.message }),
    primary: l.primary,
  };
}
