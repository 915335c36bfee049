/** What every check rule receives: the indexed program and a place to report. */
import type { Diagnostic } from "../../diagnostics/diagnostic.js";
import type { DefDecl, Expr, ModelDecl, Stmt } from "../../ir/ir.js";
import type { LoadedModule } from "../../ir/program.js";
import type { GivenDims } from "../given.js";
import type { ModelInfo } from "../infer.js";
import type { ProgramIndex } from "../scope.js";

export interface RuleContext {
  index: ProgramIndex;
  report(d: Diagnostic): void;
  /** Filled by the shapes rule, for `seqc summary`. */
  models: ModelInfo[];
  /** Dims given from outside the spec (`--dim`), which the shapes rule binds in each model. */
  given?: GivenDims;
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

/** The expressions a statement holds (values, initialisers, shape dims). */
export function statementExprs(s: Stmt<Expr>): Expr[] {
  switch (s.kind) {
    case "assign":
    case "out":
    case "loss":
      return [s.value];
    case "param":
    case "state":
      return [...s.type.dims, ...(s.init ? [s.init] : [])];
    case "input":
    case "target":
    case "const":
      return s.type.dims;
    case "dim":
      return s.value ? [s.value] : [];
    case "train":
      return s.entries.map((e) => e.value);
    case "vocab":
    case "feedback":
      return [];
  }
}
