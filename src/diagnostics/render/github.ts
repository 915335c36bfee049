/**
 * GitHub Actions workflow commands (`::error file=...,line=...::message`),
 * which the runner turns into annotations on the changed files.
 */
import { primaryLabel, type Diagnostic, type Sources } from "../diagnostic.js";
import { fullMessage, limitPerFile, omittedMessage } from "./common.js";
import { labelRange } from "./lines.js";

/**
 * Renders one workflow command per diagnostic, each on its own line; past
 * MAX_PER_FILE diagnostics in a file, one notice says how many more there are.
 */
export function renderGithub(diags: readonly Diagnostic[], sources: Sources): string {
  const shown = limitPerFile(diags);
  const notices = shown.omitted.map((o) => {
    const props = [...(o.file === null ? [] : [`file=${escapeProperty(o.file)}`]), "title=seqc"].join(",");
    return `::notice ${props}::${escapeData(omittedMessage(o))}\n`;
  });
  return [...shown.diagnostics.map((d) => `${command(d, sources)}\n`), ...notices].join("");
}

function command(d: Diagnostic, sources: Sources): string {
  const properties: [string, string | number][] = [];
  const primary = primaryLabel(d);
  if (primary) {
    properties.push(["file", primary.file]);
    const range = labelRange(primary, sources);
    // GitHub rejects col and endColumn on an annotation that spans several lines.
    if (range && range.line === range.endLine) {
      properties.push(["line", range.line], ["col", range.column], ["endLine", range.endLine], ["endColumn", range.endColumn]);
    } else if (range) {
      properties.push(["line", range.line], ["endLine", range.endLine]);
    }
  }
  properties.push(["title", d.code]);
  const props = properties.map(([key, value]) => `${key}=${escapeProperty(String(value))}`).join(",");
  return `::${d.severity} ${props}::${escapeData(fullMessage(d))}`;
}

/** Escapes a command's message as the runner expects. */
function escapeData(s: string): string {
  return s.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
}

/** Escapes a property value: like the message, plus the `:` and `,` that delimit properties. */
function escapeProperty(s: string): string {
  return escapeData(s).replaceAll(":", "%3A").replaceAll(",", "%2C");
}
