/**
 * seqc's diagnostics as LSP diagnostics, by the URI of the file each is in: the
 * code (`SEQ0308`), severity, message with its help and notes, the primary
 * label's range, and the other labels as related information.
 */
import { DiagnosticSeverity, type Diagnostic, type DiagnosticRelatedInformation, type Range } from "vscode-languageserver";
import type { SpecDiagnostic, SpecLabel } from "../api.js";
import type { Analysis } from "./analysis.js";
import { positionOf } from "./positions.js";

const START: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

/** A label's range from its 1-based lines and columns (UTF-16, as LSP counts characters); the file's start when its text is unknown. */
function labelRange(l: Pick<SpecLabel, "line" | "column" | "endLine" | "endColumn">): Range {
  if (l.line === null || l.column === null || l.endLine === null || l.endColumn === null) return START;
  return { start: positionOf(l.line, l.column), end: positionOf(l.endLine, l.endColumn) };
}

/** One seqc diagnostic as the editor shows it. */
export function toLspDiagnostic(d: SpecDiagnostic, uriOf: (file: string) => string | undefined): Diagnostic {
  const extra = [...(d.help ? [`help: ${d.help}`] : []), ...(d.notes ?? []).map((n) => `note: ${n}`)];
  const out: Diagnostic = {
    range: labelRange(d),
    severity: d.severity === "error" ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    code: d.code,
    source: "seqc",
    message: [d.message, ...extra].join("\n"),
  };
  const related: DiagnosticRelatedInformation[] = [];
  for (const l of d.labels) {
    const uri = uriOf(l.file);
    if (l.primary || uri === undefined) continue;
    related.push({ location: { uri, range: labelRange(l) }, message: l.message ?? "related" });
  }
  if (related.length > 0) out.relatedInformation = related;
  return out;
}

/**
 * The diagnostics of a checked document by URI: the document's own (always
 * present, empty when it checks), and those in the files it imports. A
 * diagnostic whose file is unknown goes to the document.
 */
export function diagnosticsByUri(a: Analysis): Map<string, Diagnostic[]> {
  const out = new Map<string, Diagnostic[]>([[a.document.uri, []]]);
  for (const d of a.inspection.diagnostics) {
    const uri = (d.file !== null && a.uriOf(d.file)) || a.document.uri;
    const list = out.get(uri) ?? [];
    list.push(toLspDiagnostic(d, a.uriOf));
    out.set(uri, list);
  }
  return out;
}
