/**
 * The IR: what a .seq file means, as JSON. It keeps the structure of the spec
 * (items, statements, comments: the formatter prints .seq back from it) with
 * expressions lowered to the closed op vocabulary of ./ops.ts. Offsets (`loc`)
 * point into the file's text. The JSON Schema in ./schema.ts describes it and
 * ajv checks it at the boundary (./validate.ts).
 */
import type { Arg, Loc, ModuleOf } from "../parse/ast.js";
import type { OpKind } from "./ops.js";

export type { Arg, Loc } from "../parse/ast.js";

export const IR_VERSION = 1;

export type Modifier = { kind: "reverse" } | { kind: "bidirectional" } | { kind: "repeat"; count: Expr };

export type Expr =
  | { op: "num"; value: number; loc: Loc }
  | { op: "str"; value: string; loc: Loc }
  /** A name: input, target, param, state, local, signature input, dim, generic argument, initialiser... resolved by the checker. */
  | { op: "ref"; name: string; loc: Loc }
  /** `h'`: the next value of state h. */
  | { op: "next"; name: string; loc: Loc }
  /** `enc.c`: the final value of state c of the scan bound to enc. */
  | { op: "member"; of: string; name: string; loc: Loc }
  | OpExpr
  | CallExpr;

/** A builtin op of the vocabulary. */
export interface OpExpr {
  op: OpKind;
  args: Expr[];
  generic?: Arg<Expr>[];
  named?: Arg<Expr>[];
  loc: Loc;
}

/** Application of a cell or fn (user or standard library), an initialiser or an optimizer. */
export interface CallExpr {
  op: "call";
  callee: string;
  calleeLoc: Loc;
  args: Expr[];
  generic?: Arg<Expr>[];
  named?: Arg<Expr>[];
  with?: Arg<Expr>[];
  modifier?: Modifier;
  loc: Loc;
}

export type IrModule = ModuleOf<Expr> & { version: typeof IR_VERSION };

export type {
  AssignStmt, ConstDecl, TensorLiteral, LiteralLoc, DefDecl, DimDecl, ImportItem, IoDecl, Item, ModelDecl, ParamDecl, ShapeType, SigParam, StateDecl,
  Stmt, TrainBlock, VocabDecl, FeedbackStmt, GenericParam, Comments,
} from "../parse/ast.js";

/** True for the expression kinds that carry an op of the vocabulary. */
export function isOpExpr(e: Expr): e is OpExpr {
  return e.op !== "num" && e.op !== "str" && e.op !== "ref" && e.op !== "next" && e.op !== "member" && e.op !== "call";
}

/** Calls f on every direct sub-expression of e (arguments, generic and named args, `with`, repeat count). */
export function forEachChild(e: Expr, f: (child: Expr) => void): void {
  if (e.op === "num" || e.op === "str" || e.op === "ref" || e.op === "next" || e.op === "member") return;
  for (const a of e.args) f(a);
  for (const a of e.generic ?? []) f(a.value);
  for (const a of e.named ?? []) f(a.value);
  if (e.op === "call") {
    for (const a of e.with ?? []) f(a.value);
    if (e.modifier?.kind === "repeat") f(e.modifier.count);
  }
}

/** Visits e and all its sub-expressions, parents first. */
export function walkExpr(e: Expr, f: (e: Expr) => void): void {
  f(e);
  forEachChild(e, (c) => walkExpr(c, f));
}
