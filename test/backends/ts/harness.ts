/** Compiles specs with the ts target into a temporary directory and loads the emitted model. */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { buildGraph } from "../../../src/graph/build.js";
import type { Graph } from "../../../src/graph/graph.js";
import { specSettings } from "../../../src/backends/settings.js";
import { emitFiles, outputFiles, runtimeSources } from "../../../src/backends/ts/compile.js";
import type { CompiledModel, Dims, ModelInfo } from "../../../src/runtime/model-api.js";
import { loadProgram } from "../../../src/ir/program.js";
import { checkProgram } from "../../../src/check/check.js";
import type { ModelInfo as CheckedModel } from "../../../src/check/infer.js";

export interface Emitted {
  dir: string;
  files: Record<string, string>;
  graph: Graph;
  INFO: ModelInfo;
  createModel: (dims: Dims, maxBatch: number) => CompiledModel;
}

/** Every model of a spec file that checks cleanly, with the program's sources. */
export function checkedModels(path: string): { models: CheckedModel[]; sources: Map<string, string>; file: string; source: string } {
  const program = loadProgram(path);
  const result = checkProgram(program);
  const errors = [...program.diagnostics, ...result.diagnostics];
  if (errors.length > 0) throw new Error(`${path} does not check: ${errors.map((d) => d.message).join("; ")}`);
  return { models: result.models, sources: program.sources, file: program.root.file, source: program.sources.get(program.root.file)! };
}

/** Writes the output directory as `seqc compile` does, .js included. */
export function transpile(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(outputFiles(files, { js: true }))) writeFileSync(join(dir, name), text);
}

let counter = 0;

/** Emits, writes and imports the model of a checked model. */
export async function emitModelOf(model: CheckedModel, sources: Map<string, string>, spec: { file: string; source: string }, precision: "f32" | "f64" = "f64"): Promise<Emitted> {
  const graph = buildGraph(model);
  const files = emitFiles(graph, sources, specSettings(model.model), spec, { precision }, runtimeSources());
  const dir = mkdtempSync(join(tmpdir(), `seqc-ts-${counter++}-`));
  mkdirSync(dir, { recursive: true });
  transpile(dir, files);
  const mod = (await import(pathToFileURL(join(dir, "model.js")).href)) as Pick<Emitted, "INFO" | "createModel">;
  return { dir, files, graph, INFO: mod.INFO, createModel: mod.createModel };
}
