/**
 * The driver: a spec (a path, or text under a name) to its checked program, the
 * chosen model and that model's computation graph, in one call. Every command,
 * every target and the tests start here, so "check, pick a model, build its
 * graph" is written once.
 *
 *   compileSpec("specs/lstm.seq", { model: "lm" })
 *     -> { program, diagnostics, models, model, graph }   (model and graph when it checks)
 */
import { checkProgram } from "./check/check.js";
import type { ModelInfo } from "./check/infer.js";
import { hasErrors, type Diagnostic } from "./diagnostics/diagnostic.js";
import { buildGraph } from "./graph/build.js";
import type { Graph } from "./graph/graph.js";
import { loadProgram, type LoadOptions, type Program } from "./ir/program.js";

export interface SpecOptions extends LoadOptions {
  /** The model to pick, by name; without one, the spec must hold exactly one model (see `pickModel`). */
  model?: string;
}

export interface CompiledSpec {
  program: Program;
  /** Every problem of the spec (syntax, names, shapes); the spec checks when none is an error. */
  diagnostics: Diagnostic[];
  /** Every model of the spec, checked (none when the spec does not check). */
  models: ModelInfo[];
  /** The chosen model and its graph, when the spec checks. */
  model?: ModelInfo;
  graph?: Graph;
}

/** The spec names no model that can be picked (none, several without a name, or not the one named): a user's mistake. */
export class ModelChoiceError extends Error {}

/** The one model of a checked spec, or the one named; ModelChoiceError otherwise. */
export function pickModel(models: ModelInfo[], file: string, name?: string): ModelInfo {
  const found = name === undefined ? models : models.filter((m) => m.name === name);
  if (found.length === 1) return found[0]!;
  const names = models.map((m) => m.name).join(", ") || "none";
  if (found.length === 0) throw new ModelChoiceError(name === undefined ? `${file} has no model` : `${file} has no model ${name} (it has ${names})`);
  throw new ModelChoiceError(`${file} has several models (${names}): choose one with --model`);
}

/** Loads and checks a spec, without choosing a model (seqc check, summary). */
export function checkSpec(path: string, opts: LoadOptions = {}): { program: Program; diagnostics: Diagnostic[]; models: ModelInfo[] } {
  const program = loadProgram(path, opts);
  const result = checkProgram(program);
  return { program, diagnostics: result.diagnostics, models: result.models };
}

/**
 * Loads, checks, picks the model and builds its graph. A spec that does not
 * check comes back with its diagnostics and no graph; a model that cannot be
 * picked is a ModelChoiceError.
 */
export function compileSpec(path: string, opts: SpecOptions = {}): CompiledSpec {
  const { model: name, ...load } = opts;
  const checked = checkSpec(path, load);
  if (hasErrors(checked.diagnostics)) return checked;
  const model = pickModel(checked.models, path, name);
  return { ...checked, model, graph: buildGraph(model) };
}
