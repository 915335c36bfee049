/**
 * `seqc fmt FILES... [--check]`: rewrite specs in the canonical layout, keeping
 * comments. Refuses to write if the formatted text would not mean the same
 * thing (a guard: nothing the user wrote may be lost).
 */
import type { Diagnostic } from "../../diagnostics/diagnostic.js";
import { compileText } from "../../ir/program.js";
import { printModule } from "../../ir/print.js";
import { sameIr } from "../../ir/equal.js";
import { writeAtomic } from "../../runtime/files.js";
import { expandPaths, readText } from "../io.js";
import { emitDiagnostics, type OutputOptions } from "../output.js";

export async function runFmt(files: string[], opts: OutputOptions & { check: boolean }): Promise<number> {
  const paths = await expandPaths(files);
  const diagnostics: Diagnostic[] = [];
  const sources = new Map<string, string>();
  let exit = 0;
  for (const p of paths) {
    const text = readText(p);
    sources.set(p, text);
    const before = compileText(p, text);
    if (before.diagnostics.length > 0) {
      diagnostics.push(...before.diagnostics);
      exit = Math.max(exit, 1);
      continue;
    }
    const formatted = printModule(before.ir);
    if (formatted === text) continue;
    const after = compileText(p, formatted);
    if (after.diagnostics.length > 0 || !sameIr(before.ir, after.ir)) {
      process.stderr.write(`seqc: internal error: formatting ${p} would change its meaning; the file is left as it is\n`);
      exit = 2;
      continue;
    }
    if (opts.check) {
      process.stderr.write(`would reformat ${p}\n`);
      exit = Math.max(exit, 1);
    } else {
      writeAtomic(p, formatted);
      process.stderr.write(`formatted ${p}\n`);
    }
  }
  emitDiagnostics(diagnostics, sources, opts);
  return exit;
}
