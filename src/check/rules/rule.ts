/** What every check rule receives: the indexed program and a place to report. */
import type { Diagnostic } from "../../diagnostics/diagnostic.js";
import type { DefDecl, Expr, ModelDecl } from "../../ir/ir.js";
import type { LoadedModule } from "../../ir/program.js";
import type { ModelInfo } from "../infer.js";
import type { ProgramIndex } from "../scope.js";

export interface RuleContext {
  index: ProgramIndex;
  report(d: Diagnostic): void;
  /** Filled by the shapes rule, for `seqc summary`. */
  models: ModelInfo[];
}

export type Rule = (ctx: RuleContext) => void;

/** The user's modules (not the standard library). */
export function userModules(ctx: RuleContext): LoadedModule[] {
  return ctx.index.program.modules.filter((m) => !m.std);
}

/** Every cell, fn and model of the user's modules, with its module. */
export function blocks(ctx: RuleContext): { node: DefDecl<Expr> | ModelDecl<Expr>; module: LoadedModule }[] {
  return userModules(ctx).flatMap((module) =>
    module.ir.items.flatMap((node) => (node.kind === "cell" || node.kind === "fn" || node.kind === "model" ? [{ node, module }] : [])),
  );
}
