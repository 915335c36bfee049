/** Printing diagnostics for the chosen format and deciding on color. */
import type { Diagnostic, Sources } from "../diagnostics/diagnostic.js";
import { render, type Format } from "../diagnostics/render/index.js";
import { readFileSync } from "node:fs";
import { sourceLine, type Source } from "../graph/graph.js";
import { loadStd } from "../ir/program.js";

export const VERSION = "0.1.0";

export interface OutputOptions {
  format: Format;
  color: boolean | undefined;
}

/** Color when asked, or by default when stderr is a terminal and NO_COLOR is unset. */
export function useColor(opt: boolean | undefined, stream: NodeJS.WriteStream): boolean {
  if (opt !== undefined) return opt;
  return Boolean(stream.isTTY) && !process.env["NO_COLOR"];
}

/**
 * Writes diagnostics: human text goes to stderr; machine formats go to stdout
 * (they are the command's output in CI).
 */
export function emitDiagnostics(diags: Diagnostic[], sources: Sources, opts: OutputOptions): void {
  if (opts.format === "human") {
    if (diags.length > 0) process.stderr.write(render("human", diags, sources, { color: useColor(opts.color, process.stderr) }));
    return;
  }
  process.stdout.write(render(opts.format, diags, sources, { toolVersion: VERSION }));
}

/** `file:line:col (the line)` of a graph node's place in the spec, read from the file (or the standard library). */
export function describeSource(src: Source | undefined): string {
  if (!src) return "an unknown place";
  const sources = new Map(loadStd().sources);
  if (!sources.has(src.file)) {
    try {
      sources.set(src.file, readFileSync(src.file, "utf8"));
    } catch {
      // The file name alone.
    }
  }
  return sourceLine(src, sources);
}
