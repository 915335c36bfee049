/** Pieces shared by several renderers. */
import { primaryLabel, type Diagnostic } from "../diagnostic.js";

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

/**
 * Every format shows at most this many diagnostics per file, then says how
 * many more there are: past the first few, more of them only bury the cause
 * (a binary file or a broken bracket gives hundreds).
 */
export const MAX_PER_FILE = 50;

/** Texts in a diagnostic (message, label messages, notes, help) are cut to this many characters: they can quote names as long as the file. */
export const MAX_TEXT = 300;

/** How many diagnostics of a file were left out. `file` is null for diagnostics without a label. */
export interface Omitted {
  file: string | null;
  count: number;
}

/** The diagnostics a renderer shows, and per file how many it leaves out. */
export interface Shown {
  diagnostics: Diagnostic[];
  omitted: Omitted[];
}

/** `text` cut to MAX_TEXT characters, with an ellipsis when cut. */
export function clipText(text: string, max = MAX_TEXT): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function clipDiagnostic(d: Diagnostic): Diagnostic {
  const out: Diagnostic = {
    ...d,
    message: clipText(d.message),
    labels: d.labels.map((l) => (l.message === undefined ? l : { ...l, message: clipText(l.message) })),
  };
  if (d.help !== undefined) out.help = clipText(d.help);
  if (d.notes !== undefined) out.notes = d.notes.map((n) => clipText(n));
  return out;
}

/**
 * The first `max` diagnostics of each file (by their primary label, in the
 * given order, which the checker makes root cause first), with their texts
 * clipped, and the count of the rest per file in order of first appearance.
 */
export function limitPerFile(diags: readonly Diagnostic[], max = MAX_PER_FILE): Shown {
  const seen = new Map<string | null, number>();
  const shown: Diagnostic[] = [];
  const omitted = new Map<string | null, number>();
  for (const d of diags) {
    const file = primaryLabel(d)?.file ?? null;
    const n = (seen.get(file) ?? 0) + 1;
    seen.set(file, n);
    if (n <= max) shown.push(clipDiagnostic(d));
    else omitted.set(file, (omitted.get(file) ?? 0) + 1);
  }
  return { diagnostics: shown, omitted: [...omitted].map(([file, count]) => ({ file, count })) };
}

/** "12 more diagnostics in a.seq not shown (at most 50 per file)". */
export function omittedMessage(o: Omitted, max = MAX_PER_FILE): string {
  const where = o.file === null ? "" : ` in ${o.file}`;
  return `${o.count} more diagnostic${o.count === 1 ? "" : "s"}${where} not shown (at most ${max} per file)`;
}
