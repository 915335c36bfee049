/** `seqc check FILES...`: parse and check specs; exit 0 clean, 1 errors. */
import { hasErrors, type Diagnostic } from "../../diagnostics/diagnostic.js";
import { checkSpec, DimError } from "../../driver.js";
import { unknownDims } from "../../check/given.js";
import { readSpecFile } from "../../ir/program.js";
import { readFileSync } from "node:fs";
import { expandPaths, specFiles, UsageError, UserIoError } from "../io.js";
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

export interface CheckOptions extends OutputOptions {
  quiet?: boolean;
  /** `--dim NAME=VALUE`: bound in every spec that declares NAME; a name that none declares is a DimError. */
  dims?: ReadonlyMap<string, number>;
}

export async function runCheck(files: string[], opts: CheckOptions): Promise<number> {
  // Checking nothing is not a pass: a CI step with an empty list or a typo must fail.
  if (files.length === 0) throw new UsageError("no spec files to check (give paths, globs, or - for standard input)");
  const paths = await expandPaths(files);
  const diagnostics: Diagnostic[] = [];
  const sources = new Map<string, string>();
  const given = opts.dims && opts.dims.size > 0 ? { dims: opts.dims, allowUnknownDims: true } : {};
  // The dims the specs declare: a given name is unknown only if none declares it (and every spec got as far as its models).
  const declared = new Set<string>();
  let everyDeclared = true;
  const checkOne = (p: string) => (p === "-" ? checkSpec(STDIN, { text: readStdin(), readFile: readSpecFile, ...given }) : checkSpec(p, { ...specFiles(p), ...given }));
  for (const p of paths) {
    let checked: ReturnType<typeof checkSpec>;
    try {
      checked = checkOne(p);
    } catch (e) {
      // Among several specs, say which one excludes the value.
      if (e instanceof DimError && paths.length > 1) throw new DimError(e.problems.map((q) => ({ ...q, why: `in ${p === "-" ? STDIN : p}, ${q.why}` })));
      throw e;
    }
    for (const [k, v] of checked.program.sources) sources.set(k, v);
    diagnostics.push(...checked.diagnostics);
    if (checked.declaredDims) for (const n of checked.declaredDims) declared.add(n);
    else everyDeclared = false;
  }
  if (opts.dims && opts.dims.size > 0 && everyDeclared) {
    const unknown = unknownDims(opts.dims, declared, paths.map((p) => (p === "-" ? STDIN : p)));
    if (unknown.length > 0) throw new DimError(unknown);
  }
  emitDiagnostics(diagnostics, sources, opts);
  const failed = hasErrors(diagnostics);
  if (opts.format === "human" && !opts.quiet && !failed) {
    process.stderr.write(`checked ${paths.length} file${paths.length === 1 ? "" : "s"}: no problems\n`);
  }
  return failed ? 1 : 0;
}
