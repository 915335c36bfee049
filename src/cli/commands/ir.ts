/** `seqc ir FILE`: the IR of a spec as JSON (after parsing, lowering and schema validation). */
import { compileText } from "../../ir/program.js";
import { readText } from "../io.js";
import { emitDiagnostics, type OutputOptions } from "../output.js";

export function runIr(file: string, opts: OutputOptions): number {
  const text = readText(file);
  const { ir, diagnostics } = compileText(file, text);
  if (diagnostics.length > 0) {
    emitDiagnostics(diagnostics, new Map([[file, text]]), opts);
    return 1;
  }
  process.stdout.write(JSON.stringify(ir, null, 2) + "\n");
  return 0;
}
