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
import { unknownDims, type GivenDimProblem } from "./check/given.js";
import type { ModelInfo } from "./check/infer.js";
import { hasErrors, type Diagnostic } from "./diagnostics/diagnostic.js";
import { buildGraph } from "./graph/build.js";
import type { Graph } from "./graph/graph.js";
import { loadProgram, type LoadOptions, type Program } from "./ir/program.js";

export interface CheckSpecOptions extends LoadOptions {
  /**
   * Values of free dims from outside the spec (`--dim NAME=VALUE`), bound in
   * every model that declares them. A value the declarations exclude, or a
   * name no model declares, is a DimError.
   */
  dims?: ReadonlyMap<string, number>;
  /** Leave names no model declares to the caller (`seqc check` of several specs: a name any of them declares is known). */
  allowUnknownDims?: boolean;
}

export interface SpecOptions extends CheckSpecOptions {
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

/**
 * Dims given from outside the spec that its declarations exclude (a dim it
 * binds to another value or computes, a value that breaks `multiple of`) or
 * that no model declares: a mistake in what was given, not in the spec.
 */
export class DimError extends Error {
  constructor(readonly problems: GivenDimProblem[]) {
    super(problems.map((p) => `${p.name} = ${p.value}: ${p.why}`).join("; "));
    this.name = "DimError";
  }
}

/** The one model of a checked spec, or the one named; ModelChoiceError otherwise. */
export function pickModel(models: ModelInfo[], file: string, name?: string): ModelInfo {
  const found = name === undefined ? models : models.filter((m) => m.name === name);
  if (found.length === 1) return found[0]!;
  const names = models.map((m) => m.name).join(", ") || "none";
  if (found.length === 0) throw new ModelChoiceError(name === undefined ? `${file} has no model` : `${file} has no model ${name} (it has ${names})`);
  throw new ModelChoiceError(`${file} has several models (${names}): choose one with --model`);
}

/**
 * Loads and checks a spec, without choosing a model (seqc check, summary).
 * With `dims`, `declaredDims` lists the dims its models declare (none when
 * syntax errors stopped the check before the models).
 */
export function checkSpec(path: string, opts: CheckSpecOptions = {}): { program: Program; diagnostics: Diagnostic[]; models: ModelInfo[]; declaredDims?: ReadonlySet<string> } {
  const { dims, allowUnknownDims, ...load } = opts;
  const program = loadProgram(path, load);
  const result = checkProgram(program, dims ? { dims } : {});
  if (dims && result.dims) {
    const problems = [...result.dims.problems, ...(allowUnknownDims ? [] : unknownDims(dims, result.dims.declared, [path]))];
    if (problems.length > 0) throw new DimError(problems);
  }
  return { program, diagnostics: result.diagnostics, models: result.models, ...(result.dims ? { declaredDims: result.dims.declared } : {}) };
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
