/** `seqc check FILES...`: parse and check specs; exit 0 clean, 1 errors. */
import { hasErrors, type Diagnostic } from "../../diagnostics/diagnostic.js";
import { checkProgram, type CheckResult } from "../../check/check.js";
import { loadProgram, type Program } from "../../ir/program.js";
import { expandPaths, readText } from "../io.js";
import { emitDiagnostics, type OutputOptions } from "../output.js";

/** Loads and checks one file (reading errors are UserIoError). */
export function checkFile(path: string): { program: Program; result: CheckResult } {
  const program = loadProgram(path, { readFile: readText, text: readText(path) });
  return { program, result: checkProgram(program) };
}

export async function runCheck(files: string[], opts: OutputOptions & { quiet?: boolean }): Promise<number> {
  const paths = await expandPaths(files);
  const diagnostics: Diagnostic[] = [];
  const sources = new Map<string, string>();
  for (const p of paths) {
    const { program, result } = checkFile(p);
    for (const [k, v] of program.sources) sources.set(k, v);
    diagnostics.push(...result.diagnostics);
  }
  emitDiagnostics(diagnostics, sources, opts);
  const failed = hasErrors(diagnostics);
  if (opts.format === "human" && !opts.quiet && !failed) {
    process.stderr.write(`checked ${paths.length} file${paths.length === 1 ? "" : "s"}: no problems\n`);
  }
  return failed ? 1 : 0;
}
