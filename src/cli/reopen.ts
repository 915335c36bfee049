/** Reopening a saved model directory for the commands that use one (eval, predict, sample, export). */
import { loadModel, ModelFileError, SpecError } from "../api.js";
import type { Program } from "../ir/program.js";
import type { Graph } from "../graph/graph.js";
import type { SavedModel } from "../backends/save.js";
import { readText, UserIoError } from "./io.js";
import { emitDiagnostics, type OutputOptions } from "./output.js";

export interface Reopened {
  saved: SavedModel;
  program: Program;
  graph: Graph;
}

/**
 * Opens a model directory (the API's loadModel). Returns exit code 1 (after
 * printing the diagnostics) if its spec no longer checks; a missing or broken
 * directory is a UserIoError (exit 2).
 */
export async function reopen(dir: string, opts: OutputOptions): Promise<Reopened | number> {
  try {
    const { meta, weights, program, graph } = await loadModel(dir, { readFile: readText });
    return { saved: { meta, weights }, program, graph };
  } catch (e) {
    if (e instanceof ModelFileError) throw new UserIoError(e.message);
    if (e instanceof SpecError) {
      emitDiagnostics(e.diagnostics, e.sources, opts);
      return 1;
    }
    throw e;
  }
}
