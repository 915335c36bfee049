/** Reopening a saved model directory for the commands that use one (eval, predict, sample, export). */
import { compileSpec } from "../driver.js";
import type { Program } from "../ir/program.js";
import type { Graph } from "../graph/graph.js";
import type { SavedModel } from "../backends/save.js";
import { readText, UserIoError } from "./io.js";
import { compiledOrExit, type OutputOptions } from "./output.js";

export interface Reopened {
  saved: SavedModel;
  program: Program;
  graph: Graph;
}

/**
 * Reads a model directory and rebuilds its graph from the spec text saved in
 * it. Returns exit code 1 (after printing the diagnostics) if that spec no
 * longer checks; a missing or broken directory is a UserIoError (exit 2).
 */
export async function reopen(dir: string, opts: OutputOptions): Promise<Reopened | number> {
  const { loadModel, checkModelFits, ModelFileError } = await import("../backends/save.js");
  let saved: SavedModel;
  try {
    saved = loadModel(dir);
  } catch (e) {
    if (e instanceof ModelFileError) throw new UserIoError(e.message);
    throw e;
  }
  const compiled = compiledOrExit(compileSpec(saved.meta.spec.file, { text: saved.meta.spec.source, readFile: readText, model: saved.meta.model }), opts);
  if (typeof compiled === "number") return compiled;
  const { program, graph } = compiled;
  try {
    checkModelFits(saved, graph, dir);
  } catch (e) {
    if (e instanceof ModelFileError) throw new UserIoError(e.message);
    throw e;
  }
  return { saved, program, graph };
}
