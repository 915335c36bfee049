/** `seqc check FILES...`: parse and check specs; exit 0 clean, 1 errors. */
import { hasErrors, type Diagnostic } from "../../diagnostics/diagnostic.js";
import { checkSpec } from "../../driver.js";
import { readFileSync } from "node:fs";
import { expandPaths, readText, specFiles, UsageError, UserIoError } from "../io.js";
import { emitDiagnostics, type OutputOptions } from "../output.js";

/** The name standard input's spec goes by in messages. */
const STDIN = "<stdin>";

function readStdin(): string {
  try {
    return readFileSync(0, "utf8");
  } catch (e) {
    throw new UserIoError(`cannot read standard input: ${(e as Error).message}`);
  }
}

export async function runCheck(files: string[], opts: OutputOptions & { quiet?: boolean }): Promise<number> {
  // Checking nothing is not a pass: a CI step with an empty list or a typo must fail.
  if (files.length === 0) throw new UsageError("no spec files to check (give paths, globs, or - for standard input)");
  const paths = await expandPaths(files);
  const diagnostics: Diagnostic[] = [];
  const sources = new Map<string, string>();
  for (const p of paths) {
    const checked = p === "-" ? checkSpec(STDIN, { text: readStdin(), readFile: readText }) : checkSpec(p, specFiles(p));
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
