/**
 * seqc from code: the package's main export (`import { check } from "seqc"`).
 *
 *   check(text, { file })        -> { ok, diagnostics, models }   never throws for a mistake in the spec
 *   summary(text, { model })     -> { models, text }              the table `seqc summary` prints
 *   compile(text, { model })     -> { "model.ts": ..., ... }      a standalone TypeScript trainer's files
 *   loadModel(dir)               -> a saved model directory, its weights and its checked spec
 *   inspect(text, { file })      -> check's result, and what is at an offset, in scope, declared   (for editors)
 *
 * Each is built on the driver (src/driver.ts) and the code the CLI commands
 * use; none prints or exits. A spec with errors is a SpecError (its
 * diagnostics, located), a model that cannot be picked a ModelChoiceError, a
 * model the target cannot compile a CompileError, an unreadable model
 * directory a ModelFileError, `dims` the spec's declarations exclude a
 * DimError.
 */
import { ModelFileError } from "./runtime/errors.js";
import type { ModelFile } from "./runtime/model-dir.js";
import type { ModelInfo } from "./check/infer.js";
import { renderSummary, summaryData, type ModelSummary } from "./check/summary.js";
import { hasErrors, type Diagnostic, type Sources } from "./diagnostics/diagnostic.js";
import { locateDiagnostic, type JsonDiagnostic } from "./diagnostics/render/json.js";
import { position } from "./diagnostics/render/lines.js";
import { checkSpec, compileSpec, DimError, ModelChoiceError, pickModel, type CompiledSpec } from "./driver.js";
import { MAX_DIM } from "./ir/schema.js";
import type { Graph } from "./graph/graph.js";
import type { LoadOptions, Program } from "./ir/program.js";
import { ProgramSymbols, type Occurrence, type SymbolInfo } from "./check/symbols.js";

export type { Count, ModelSummary } from "./check/summary.js";
export type { JsonLabel as SpecLabel } from "./diagnostics/render/json.js";
export type { Code } from "./diagnostics/codes.js";
export type { ModelFile } from "./runtime/model-dir.js";
export type { SymbolKind, SymbolSite } from "./check/symbols.js";
export { DimError, ModelChoiceError, ModelFileError };
export type { GivenDimProblem } from "./check/given.js";

/**
 * A problem of a spec: its code (`SEQ0308`), severity, message, the file, line
 * and column of its primary label (1-based; endLine and endColumn one past its
 * end), help and notes, and every label with its offsets and lines. The same
 * objects as `seqc check --format json` prints.
 */
export type SpecDiagnostic = JsonDiagnostic;

/** Where a spec's text comes from. */
export interface SpecOptions {
  /**
   * The spec's file name: what diagnostics name, and where its imports resolve
   * from. Default `<input>` (imports then resolve from the working directory).
   */
  file?: string;
  /** Reads an imported file (absolute path); default fs.readFileSync. A file it cannot read is a diagnostic (SEQ0003), not an exception. */
  readFile?: (path: string) => string;
  /** The directory file names are shown relative to; default process.cwd(). */
  cwd?: string;
  /**
   * Values for the spec's free dims (a sequence length, the size of a
   * vocabulary built from data), as `seqc --dim NAME=VALUE`: bound in every
   * model that declares them, so shapes and counts become numbers. A value
   * the spec excludes (a dim it binds to another value or computes, a value
   * that breaks `multiple of`) or a name no model declares is a DimError;
   * one that fits the declarations but not the shapes, a diagnostic.
   */
  dims?: Record<string, number>;
}

/** What `check` found. */
export interface CheckResult {
  /** No diagnostic is an error. */
  ok: boolean;
  /** Every problem of the spec, its imports included, sorted by file and place. */
  diagnostics: SpecDiagnostic[];
  /** Each model of the spec: values with their shapes, parameters, totals (none when the spec does not check). */
  models: ModelSummary[];
}

/** A spec with errors, where a checked spec is needed (summary, compile, loadModel). */
export class SpecError extends Error {
  constructor(
    /** Every problem of the spec (some are errors). */
    readonly diagnostics: SpecDiagnostic[],
    /** The texts the diagnostics point into, by file name: the spec, its imports, the standard library. */
    readonly sources: ReadonlyMap<string, string>,
  ) {
    const errors = diagnostics.filter((d) => d.severity === "error");
    const first = errors[0]!;
    const where = first.line === null ? (first.file ?? "") : `${first.file}:${first.line}:${first.column}`;
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? "s" : ""})` : "";
    super(`${where}: error[${first.code}]: ${first.message}${more}`);
    this.name = "SpecError";
  }
}

/** The model uses something the target cannot compile (a limit of the target, not of the spec): why, and where in the spec. */
export class CompileError extends Error {
  constructor(
    message: string,
    /** The model being compiled. */
    readonly model: string,
    /** The place in the spec it is about (1-based line and column), when known. */
    readonly at?: { file: string; line: number; column: number },
  ) {
    super(at ? `${at.file}:${at.line}:${at.column}: model ${model}: ${message}` : `model ${model}: ${message}`);
    this.name = "CompileError";
  }
}

const DEFAULT_FILE = "<input>";

function loadOptions(text: string, opts: SpecOptions): LoadOptions & { dims?: ReadonlyMap<string, number> } {
  if (typeof text !== "string") throw new TypeError(`seqc: a spec's text must be a string, not ${typeof text}`);
  const load: LoadOptions & { dims?: ReadonlyMap<string, number> } = { text };
  if (opts.readFile) load.readFile = opts.readFile;
  if (opts.cwd !== undefined) load.cwd = opts.cwd;
  if (opts.dims !== undefined) {
    const dims = new Map(Object.entries(opts.dims));
    for (const [name, v] of dims) {
      if (!Number.isInteger(v) || v < 1 || v > MAX_DIM) throw new RangeError(`seqc: dims.${name} must be a whole number from 1 to ${MAX_DIM}, not ${String(v)}`);
    }
    if (dims.size > 0) load.dims = dims;
  }
  return load;
}

function located(diagnostics: Diagnostic[], sources: Sources): SpecDiagnostic[] {
  return diagnostics.map((d) => locateDiagnostic(d, sources));
}

/** The checked spec, or a SpecError with its diagnostics. */
function checkedOrThrow<T extends { program: Program; diagnostics: Diagnostic[] }>(checked: T): T {
  if (hasErrors(checked.diagnostics)) throw new SpecError(located(checked.diagnostics, checked.program.sources), checked.program.sources);
  return checked;
}

/** The compiled spec with its model and graph, or a SpecError. */
function compiledOrThrow(compiled: CompiledSpec): CompiledSpec & { model: ModelInfo; graph: Graph } {
  const { model, graph } = checkedOrThrow(compiled);
  // A spec without errors comes with both (compileSpec throws ModelChoiceError when it cannot pick a model).
  if (!model || !graph) throw new Error("seqc: a checked spec without a model graph");
  return { ...compiled, model, graph };
}

/**
 * Checks a spec: syntax, names, every tensor shape. A mistake in the spec is a
 * diagnostic in the result, never an exception.
 *
 *   check("model m {\n  input x: [3]\n  ...", { file: "m.seq" })
 *     -> { ok: false, diagnostics: [{ code: "SEQ0308", severity: "error", message, file: "m.seq", line: 6, column: 8, ... }], models: [] }
 */
export function check(text: string, opts: SpecOptions = {}): CheckResult {
  const { program, diagnostics, models } = checkSpec(opts.file ?? DEFAULT_FILE, loadOptions(text, opts));
  return { ok: !hasErrors(diagnostics), diagnostics: located(diagnostics, program.sources), models: models.map(summaryData) };
}

/**
 * The summary of each model of a spec (or of the one named): the data, and
 * the table `seqc summary` prints. SpecError when the spec has errors,
 * ModelChoiceError when it has no model of that name.
 */
export function summary(text: string, opts: SpecOptions & { model?: string } = {}): { models: ModelSummary[]; text: string } {
  const file = opts.file ?? DEFAULT_FILE;
  const { models: all } = checkedOrThrow(checkSpec(file, loadOptions(text, opts)));
  const models = opts.model === undefined && all.length > 0 ? all : [pickModel(all, file, opts.model)];
  return { models: models.map(summaryData), text: models.map(renderSummary).join("\n") };
}

/** What to compile, and how. */
export interface CompileOptions extends SpecOptions {
  /** The model, when the spec has several. */
  model?: string;
  /** The target; "ts" (the default) is a standalone TypeScript trainer. */
  target?: "ts";
  /** The float type of the buffers: f32 (default, Float32Array) or f64. */
  precision?: "f32" | "f64";
  /** Also a .js beside each .ts, so `node train.js` runs (default true). */
  js?: boolean;
}

/**
 * Compiles a spec's model to a standalone trainer: its files by name
 * (`model.ts`, `train.ts`, the runtime, `package.json`, `tsconfig.json`, and a
 * `.js` beside each `.ts`), what `seqc compile` writes. SpecError,
 * ModelChoiceError, or CompileError when the target cannot compile the model.
 */
export async function compile(text: string, opts: CompileOptions = {}): Promise<Record<string, string>> {
  const { target = "ts", precision = "f32", js = true } = opts;
  if (target !== "ts") throw new RangeError(`seqc: unknown target ${JSON.stringify(target)} (seqc compiles to "ts")`);
  if (precision !== "f32" && precision !== "f64") throw new RangeError(`seqc: unknown precision ${JSON.stringify(precision)} (f32 or f64)`);
  const file = opts.file ?? DEFAULT_FILE;
  const { program, model, graph } = compiledOrThrow(compileSpec(file, { ...loadOptions(text, opts), ...(opts.model !== undefined ? { model: opts.model } : {}) }));
  // Loaded on use: the ts target brings the TypeScript compiler.
  const ts = await import("./backends/ts/compile.js");
  try {
    return ts.trainerFiles(program, model, graph, { precision, js });
  } catch (e) {
    if (!(e instanceof ts.TsTargetError)) throw e;
    const text = e.src && program.sources.get(e.src.file);
    throw new CompileError(e.message, model.name, e.src && text !== undefined ? { file: e.src.file, ...position(text, e.src.loc.start) } : undefined);
  }
}

/** A trained model directory (`seqc train`'s, or a compiled trainer's), opened. */
export interface LoadedModel {
  /** The model's name in its spec. */
  name: string;
  /** model.json: the spec's file name and text, the dims the data fixed, the vocabularies, the training settings and state, the weights manifest. */
  meta: ModelFile;
  /** Each parameter's shape and float32 values, by its name. */
  weights: Map<string, { shape: number[]; values: Float32Array }>;
  /** The model's values, shapes and parameters, as `check` gives them. */
  summary: ModelSummary;
  /** The checked spec and the model's computation graph: seqc's internal types, which may change between versions. */
  program: Program;
  graph: Graph;
}

/**
 * Opens a model directory: reads model.json and the weights, checks the spec
 * saved in it, and checks that every weight fits the model. ModelFileError for
 * a missing, foreign or damaged directory or weights that do not fit;
 * SpecError when the saved spec no longer checks.
 */
export async function loadModel(dir: string, opts: Omit<SpecOptions, "file" | "dims"> = {}): Promise<LoadedModel> {
  const [{ loadModel: readModelDir, checkModelFits }, { modelShape }] = await Promise.all([import("./runtime/model-dir.js"), import("./graph/dims.js")]);
  const saved = readModelDir(dir);
  const { file, source } = saved.meta.spec;
  const { program, model, graph } = compiledOrThrow(compileSpec(file, { ...loadOptions(source, opts), model: saved.meta.model }));
  checkModelFits(saved, modelShape(graph), dir);
  return { name: model.name, meta: saved.meta, weights: saved.weights, summary: summaryData(model), program, graph };
}

/**
 * A declared name and what the checker found about it: where it is declared
 * (`site`, absent for builtins), a one-line `detail` in the spec's syntax
 * (`h: [T, H]`, `param W: [4*H, H + X] = glorot`, `cell lstm<H>(x: [X]) -> [H]`,
 * `dim H = 128`), its comments as `doc`, and as they apply: the shape, dtype and
 * vocabulary of a value, the bound dims it uses (`where`), a parameter count,
 * a dim's or vocabulary's binding, a definition's params as each model creates them.
 */
export type SpecSymbol = SymbolInfo;

/** A name at an offset: the symbol, the span of the name, whether it is the declaration, the type the checker gave it there. */
export type SpecOccurrence = Occurrence;

/** What `inspect` found: `check`'s result, and lookups by offset into the spec's text. */
export interface Inspection extends CheckResult {
  /** Every file of the spec: its name in diagnostics, its absolute path, and whether it is the standard library's. */
  files: { file: string; path: string; std: boolean }[];
  /** The texts the offsets point into (diagnostics' labels, symbols' sites), by file name. */
  sources: ReadonlyMap<string, string>;
  /** The spec's declarations in order (models, cells, fns, top-level dims and vocabularies), each with what it declares as children. */
  outline(): SpecSymbol[];
  /** The name at an offset of the spec's text (0-based, UTF-16 code units), declared or used there. */
  at(offset: number): SpecOccurrence | undefined;
  /** What may be written at an offset: the names in scope there, cells and fns, builtin ops; in `train {}` the settings and optimizers. */
  completions(offset: number): SpecSymbol[];
}

/**
 * Checks a spec, as `check`, and indexes it for an editor: what each name of
 * the spec resolves to (through imports into the standard library), the shapes
 * and parameter counts the checker inferred, what is in scope where. Never
 * throws for a mistake in the spec; a spec that does not parse still answers
 * from what did (without shapes).
 *
 *   const spec = inspect(text, { file: "specs/char_lstm.seq" });
 *   spec.at(text.indexOf("h = lstm"))  -> { symbol: { name: "h", kind: "value", detail: "h: [T, H]", where: "H = 128", ... }, declaration: true, ... }
 */
export function inspect(text: string, opts: SpecOptions = {}): Inspection {
  const { program, diagnostics, models } = checkSpec(opts.file ?? DEFAULT_FILE, loadOptions(text, opts));
  const symbols = new ProgramSymbols(program, models);
  return {
    ok: !hasErrors(diagnostics),
    diagnostics: located(diagnostics, program.sources),
    models: models.map(summaryData),
    files: program.modules.map((m) => ({ file: m.file, path: m.path, std: m.std })),
    sources: program.sources,
    outline: () => symbols.outline(),
    at: (offset) => symbols.at(offset),
    completions: (offset) => symbols.completions(offset),
  };
}
