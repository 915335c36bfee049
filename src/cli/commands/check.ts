/** `seqc check FILES...`: parse and check specs; exit 0 clean, 1 errors. */
import { hasErrors, type Diagnostic } from "../../diagnostics/diagnostic.js";
import { checkSpec } from "../../driver.js";
import { expandPaths, specFiles } from "../io.js";
import { emitDiagnostics, type OutputOptions } from "../output.js";

export async function runCheck(files: string[], opts: OutputOptions & { quiet?: boolean }): Promise<number> {
  const paths = await expandPaths(files);
  const diagnostics: Diagnostic[] = [];
  const sources = new Map<string, string>();
  for (const p of paths) {
    const checked = checkSpec(p, specFiles(p));
    for (const [k, v] of checked.program.sources) sources.set(k, v);
    diagnostics.push(...checked.diagnostics);
  }
  emitDiagnostics(diagnostics, sources, opts);
  const failed = hasErrors(diagnostics);
  if (opts.format === "human" && !opts.quiet && !failed) {
    process.stderr.write(`checked ${paths.length} file${paths.length === 1 ? "" : "s"}: no problems\n`);
  }
  return failed ? 1 : 0;
}
