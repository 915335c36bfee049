/** Reopening a saved model directory for the commands that use one (eval, predict, sample, export). */
import { loadModel, SpecError } from "../api.js";
import type { Program } from "../ir/program.js";
import type { Graph } from "../graph/graph.js";
import type { SavedModel } from "../runtime/model-dir.js";
import { readSpecFile } from "../ir/program.js";
import { emitDiagnostics, type OutputOptions } from "./output.js";

export interface Reopened {
  saved: SavedModel;
  program: Program;
  graph: Graph;
}

/**
 * Opens a model directory (the API's loadModel). Returns exit code 1 (after
 * printing the diagnostics) if its spec no longer checks; a missing or broken
 * directory, or one that does not fit the model, is a ModelFileError (an I/O
 * error: exit 2).
 */
export async function reopen(dir: string, opts: OutputOptions): Promise<Reopened | number> {
  try {
    const { meta, weights, program, graph } = await loadModel(dir, { readFile: readSpecFile });
    return { saved: { meta, weights }, program, graph };
  } catch (e) {
    if (e instanceof SpecError) {
      emitDiagnostics(e.diagnostics, e.sources, opts);
      return 1;
    }
    throw e;
  }
}
