/** Reopening a saved model directory for the commands that use one (eval, predict, sample, export). */
import { hasErrors } from "../../diagnostics/diagnostic.js";
import { checkProgram } from "../../check/check.js";
import { loadProgram, type Program } from "../../ir/program.js";
import type { Graph } from "../../graph/graph.js";
import type { SavedModel } from "../../backends/save.js";
import { readText, UserIoError } from "../io.js";
import { emitDiagnostics, type OutputOptions } from "../output.js";
import { pickModel } from "./train.js";

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
  const [{ loadModel, ModelFileError }, { buildGraph }] = await Promise.all([import("../../backends/save.js"), import("../../graph/build.js")]);
  let saved: SavedModel;
  try {
    saved = loadModel(dir);
  } catch (e) {
    if (e instanceof ModelFileError) throw new UserIoError(e.message);
    throw e;
  }
  const program = loadProgram(saved.meta.spec.file, { text: saved.meta.spec.source, readFile: readText });
  const result = checkProgram(program);
  if (hasErrors(result.diagnostics)) {
    emitDiagnostics(result.diagnostics, program.sources, opts);
    return 1;
  }
  return { saved, program, graph: buildGraph(pickModel(result.models, saved.meta.spec.file, saved.meta.model)) };
}
