/**
 * The checker's entry point: runs every rule over a loaded program and returns
 * all diagnostics (sorted, deduplicated) and the typed models.
 */
import { normalizeDiagnostics, type Diagnostic } from "../diagnostics/diagnostic.js";
import type { Program } from "../ir/program.js";
import { GivenDims, type GivenDimProblem } from "./given.js";
import type { ModelInfo } from "./infer.js";
import { RULES } from "./rules/index.js";
import type { RuleContext } from "./rules/rule.js";
import { indexProgram } from "./scope.js";

export interface CheckResult {
  diagnostics: Diagnostic[];
  models: ModelInfo[];
  /**
   * With `dims`: the dim names the models declare (to tell a given name no
   * model has) and the given values their declarations exclude. None when
   * syntax errors stopped the check before the models.
   */
  dims?: { declared: ReadonlySet<string>; problems: GivenDimProblem[] };
}

export interface CheckOptions {
  /** Values of free dims from outside the spec (`--dim NAME=VALUE`), bound in every model that declares them (src/check/given.ts). */
  dims?: ReadonlyMap<string, number>;
}

/** Checks a program. Syntax errors stop it before the rules (a half-parsed spec would only add noise). */
export function checkProgram(program: Program, opts: CheckOptions = {}): CheckResult {
  if (program.diagnostics.some((d) => d.severity === "error")) {
    return { diagnostics: normalizeDiagnostics(program.diagnostics), models: [] };
  }
  const diagnostics: Diagnostic[] = [];
  const given = opts.dims && opts.dims.size > 0 ? new GivenDims(opts.dims) : undefined;
  const ctx: RuleContext = { index: indexProgram(program), report: (d) => diagnostics.push(d), models: [], ...(given ? { given } : {}) };
  for (const rule of RULES) {
    try {
      rule(ctx);
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      diagnostics.push({ code: "SEQ0002", severity: "error", message: "the spec is nested too deeply to check", labels: [{ file: program.root.file, start: 0, end: 0, primary: true }] });
    }
  }
  return { diagnostics: normalizeDiagnostics(diagnostics), models: ctx.models, ...(given ? { dims: { declared: given.declared, problems: given.problems() } } : {}) };
}
