/** Printing diagnostics for the chosen format and deciding on color. */
import type { Diagnostic, Sources } from "../diagnostics/diagnostic.js";
import { render, type Format } from "../diagnostics/render/index.js";

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
