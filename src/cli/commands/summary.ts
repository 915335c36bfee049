/** `seqc summary FILE`: the table of values, shapes and parameters of each model in a spec. */
import { SpecError, summary } from "../../api.js";
import { readText } from "../io.js";
import { emitDiagnostics, type OutputOptions } from "../output.js";

export function runSummary(file: string, opts: OutputOptions & { model?: string; dims?: ReadonlyMap<string, number> }): number {
  let result: ReturnType<typeof summary>;
  try {
    result = summary(readText(file), {
      file,
      readFile: readText,
      ...(opts.model !== undefined ? { model: opts.model } : {}),
      ...(opts.dims && opts.dims.size > 0 ? { dims: Object.fromEntries(opts.dims) } : {}),
    });
  } catch (e) {
    if (!(e instanceof SpecError)) throw e;
    emitDiagnostics(e.diagnostics, e.sources, opts);
    return 1;
  }
  if (opts.format === "json") process.stdout.write(JSON.stringify(result.models, null, 2) + "\n");
  else process.stdout.write(result.text);
  return 0;
}
