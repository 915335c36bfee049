/** Pieces shared by several renderers. */
import type { Diagnostic } from "../diagnostic.js";

/** Counts of diagnostics by severity. */
export interface Summary {
  errors: number;
  warnings: number;
}

/** Counts the errors and warnings among `diags`. */
export function summarize(diags: readonly Diagnostic[]): Summary {
  const errors = diags.filter((d) => d.severity === "error").length;
  return { errors, warnings: diags.length - errors };
}

/**
 * The message with its notes and help on following lines, for formats that
 * have a single text field (SARIF, GitHub annotations).
 */
export function fullMessage(d: Diagnostic): string {
  const lines = [d.message, ...(d.notes ?? [])];
  if (d.help) lines.push(`help: ${d.help}`);
  return lines.join("\n");
}
