/** `seqc summary FILE`: the table of values, shapes and parameters of each model in a spec. */
import { renderSummary, summaryData } from "../../check/summary.js";
import { hasErrors } from "../../diagnostics/diagnostic.js";
import { UserIoError } from "../io.js";
import { emitDiagnostics, type OutputOptions } from "../output.js";
import { checkFile } from "./check.js";

export function runSummary(file: string, opts: OutputOptions & { model?: string }): number {
  const { program, result } = checkFile(file);
  if (hasErrors(result.diagnostics)) {
    emitDiagnostics(result.diagnostics, program.sources, opts);
    return 1;
  }
  const models = opts.model === undefined ? result.models : result.models.filter((m) => m.name === opts.model);
  if (models.length === 0) {
    const names = result.models.map((m) => m.name).join(", ") || "none";
    throw new UserIoError(opts.model === undefined ? `${file} has no model` : `${file} has no model ${opts.model} (it has ${names})`);
  }
  if (opts.format === "json") process.stdout.write(JSON.stringify(models.map(summaryData), null, 2) + "\n");
  else process.stdout.write(models.map(renderSummary).join("\n"));
  return 0;
}
