/** Reopening a saved model directory for the commands that use one (eval, predict, sample, export). */
import { compileSpec } from "../driver.js";
import type { Program } from "../ir/program.js";
import type { Graph } from "../graph/graph.js";
import type { SavedModel } from "../runtime/model-dir.js";
import { readText } from "./io.js";
import { compiledOrExit, type OutputOptions } from "./output.js";

export interface Reopened {
  saved: SavedModel;
  program: Program;
  graph: Graph;
}

/**
 * Reads a model directory and rebuilds its graph from the spec text saved in
 * it. Returns exit code 1 (after printing the diagnostics) if that spec no
 * longer checks; a missing or broken directory, or one that does not fit the
 * model, is a ModelFileError (an I/O error: exit 2).
 */
export async function reopen(dir: string, opts: OutputOptions): Promise<Reopened | number> {
  const [{ loadModel, checkModelFits }, { modelShape }] = await Promise.all([import("../runtime/model-dir.js"), import("../graph/dims.js")]);
  const saved = loadModel(dir);
  const compiled = compiledOrExit(compileSpec(saved.meta.spec.file, { text: saved.meta.spec.source, readFile: readText, model: saved.meta.model }), opts);
  if (typeof compiled === "number") return compiled;
  const { program, graph } = compiled;
  checkModelFits(saved, modelShape(graph), dir);
  return { saved, program, graph };
}
