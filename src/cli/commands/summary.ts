/** `seqc summary FILE`: the table of values, shapes and parameters of each model in a spec. */
import { renderSummary, summaryData } from "../../check/summary.js";
import { hasErrors } from "../../diagnostics/diagnostic.js";
import { checkSpec, pickModel } from "../../driver.js";
import { specFiles } from "../io.js";
import { emitDiagnostics, type OutputOptions } from "../output.js";

export function runSummary(file: string, opts: OutputOptions & { model?: string }): number {
  const { program, diagnostics, models: all } = checkSpec(file, specFiles(file));
  if (hasErrors(diagnostics)) {
    emitDiagnostics(diagnostics, program.sources, opts);
    return 1;
  }
  // Every model, or the one named.
  const models = opts.model === undefined && all.length > 0 ? all : [pickModel(all, file, opts.model)];
  if (opts.format === "json") process.stdout.write(JSON.stringify(models.map(summaryData), null, 2) + "\n");
  else process.stdout.write(models.map(renderSummary).join("\n"));
  return 0;
}
