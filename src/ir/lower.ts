/**
 * AST -> IR. Maps operators and builtin calls to the op vocabulary and keeps the
 * rest of the spec's structure. Reports the mistakes that are visible in one
 * expression's form (a prime on something that is not a name, numbers that are
 * not finite). Name resolution and shapes are the checker's job.
 */
import { diagnostic, type Diagnostic } from "../diagnostics/diagnostic.js";
import type { Arg, AstExpr, AstModule, ConstDecl, DefDecl, Item, LiteralLoc, Loc, ModuleOf, ShapeType, Stmt, TensorLiteral } from "../parse/ast.js";
import { IR_VERSION, type Expr, type IrModule, type Modifier } from "./ir.js";
import { INFIX_OPS, isCallOp } from "./ops.js";
import { MAX_ABS_NUMBER } from "./schema.js";

export interface LowerResult {
  module: IrModule;
  diagnostics: Diagnostic[];
}

/** Lowers a file's AST. `file` names the file in diagnostics. */
export function lowerModule(file: string, ast: AstModule): LowerResult {
  const diagnostics: Diagnostic[] = [];
  const report = (d: Diagnostic) => diagnostics.push(d);
  const expr = (e: AstExpr): Expr => lowerExpr(file, e, report);
  const literal = (s: ConstDecl<AstExpr>) => lowerLiteral(file, s.value, s.valueLoc, report);
  const mod: ModuleOf<Expr> = mapModule(ast, expr, literal);
  return { module: { version: IR_VERSION, ...mod }, diagnostics };
}

/**
 * A const's literal as the IR holds it: a number out of range is reported at
 * that entry as any other number is (SEQ0006) and held as 0; the entries'
 * spans are kept, their texts dropped.
 */
function lowerLiteral(file: string, value: TensorLiteral, at: LiteralLoc, report: (d: Diagnostic) => void): { value: TensorLiteral; valueLoc: LiteralLoc } {
  const { text, items, ...span } = at;
  if (!Array.isArray(value)) {
    if (inRange(value)) return { value, valueLoc: span };
    report(outOfRange(file, text ?? String(value), span));
    return { value: 0, valueLoc: span };
  }
  const lowered = value.map((v, i) => lowerLiteral(file, v, items?.[i] ?? span, report));
  return { value: lowered.map((l) => l.value), valueLoc: { ...span, items: lowered.map((l) => l.valueLoc) } };
}

/** Maps every expression of a module (and each const's literal), keeping everything else. */
function mapModule<A, B>(m: ModuleOf<A>, f: (e: A) => B, literal: (s: ConstDecl<A>) => Pick<ConstDecl<B>, "value" | "valueLoc">): ModuleOf<B> {
  const shape = (t: ShapeType<A>): ShapeType<B> => ({ ...t, dims: t.dims.map(f) });
  const args = (list: Arg<A>[]): Arg<B>[] => list.map((a) => ({ ...a, value: f(a.value) }));
  const stmt = (s: Stmt<A>): Stmt<B> => {
    switch (s.kind) {
      case "dim":
        return s.value === undefined ? { ...s, value: undefined } : { ...s, value: f(s.value) };
      case "vocab":
      case "feedback":
        return s;
      case "input":
      case "target":
        return { ...s, type: shape(s.type) };
      case "const":
        return { ...s, type: shape(s.type), ...literal(s) };
      case "param":
      case "state":
        return s.init === undefined ? { ...s, type: shape(s.type), init: undefined } : { ...s, type: shape(s.type), init: f(s.init) };
      case "assign":
      case "out":
      case "loss":
        return { ...s, value: f(s.value) };
      case "train":
        return { ...s, entries: s.entries.map((e) => ({ ...e, value: f(e.value) })) };
    }
  };
  const item = (i: Item<A>): Item<B> => {
    switch (i.kind) {
      case "import":
      case "vocab":
        return i;
      case "dim":
        return stmt(i) as Item<B>;
      case "model":
        return { ...i, body: i.body.map(stmt) };
      case "cell":
      case "fn": {
        const d: DefDecl<B> = {
          ...i,
          generics: i.generics.map((g) => (g.default === undefined ? { ...g, default: undefined } : { ...g, default: f(g.default) })),
          inputs: i.inputs.map((p) => ({ ...p, type: shape(p.type) })),
          output: i.output ? shape(i.output) : undefined,
          body: i.body.map(stmt),
        };
        void args;
        return d;
      }
    }
  };
  return stripUndefined({ ...m, items: m.items.map(item) });
}

/** JSON has no `undefined`: drop such keys so the IR equals its JSON round trip. */
function stripUndefined<T>(v: T): T {
  if (Array.isArray(v)) return v.map(stripUndefined) as T;
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = stripUndefined(x);
    return out as T;
  }
  return v;
}

/** Whether a number of the spec is within the IR schema's bound. */
const inRange = (v: number): boolean => Number.isFinite(v) && Math.abs(v) <= MAX_ABS_NUMBER;

/** A number out of range, at its place: SEQ0006 with its text as written. */
function outOfRange(file: string, text: string, loc: Loc): Diagnostic {
  return diagnostic("SEQ0006", `the number ${text.length > 30 ? text.slice(0, 30) + "…" : text} is out of range`, { file, ...loc });
}

function lowerExpr(file: string, e: AstExpr, report: (d: Diagnostic) => void): Expr {
  const rec = (x: AstExpr) => lowerExpr(file, x, report);
  const args = (list: Arg<AstExpr>[] | undefined): Arg<Expr>[] | undefined =>
    list?.map((a) => (a.name === undefined ? { value: rec(a.value), loc: a.loc } : { name: a.name, value: rec(a.value), loc: a.loc }));
  switch (e.kind) {
    case "num":
      if (!inRange(e.value)) {
        report(outOfRange(file, e.text, e.loc));
        return { op: "num", value: 0, loc: e.loc };
      }
      return { op: "num", value: e.value, loc: e.loc };
    case "str":
      return { op: "str", value: e.value, loc: e.loc };
    case "name":
      return { op: "ref", name: e.name, loc: e.loc };
    case "prime":
      if (e.operand.kind !== "name") {
        report(diagnostic("SEQ0108", "only a state name can be primed", { file, ...e.loc }));
        return rec(e.operand);
      }
      return { op: "next", name: e.operand.name, loc: e.loc };
    case "member":
      if (e.object.kind !== "name") {
        report(diagnostic("SEQ0111", "`.name` reads a final state of a named scan, as in enc.c", { file, ...e.loc }));
        return rec(e.object);
      }
      return { op: "member", of: e.object.name, name: e.name, loc: e.loc };
    case "neg":
      return { op: "neg", args: [rec(e.operand)], loc: e.loc };
    case "binary":
      return { op: INFIX_OPS[e.op], args: [rec(e.left), rec(e.right)], loc: e.loc };
    case "apply": {
      const positional = (e.args ?? []).filter((a) => a.name === undefined).map((a) => rec(a.value));
      const named = args((e.args ?? []).filter((a) => a.name !== undefined));
      const generic = args(e.generic);
      const withArgs = args(e.with);
      if (isCallOp(e.callee) && !e.modifier && !e.with) {
        const out: Expr = { op: e.callee, args: positional, loc: e.loc };
        if (generic) out.generic = generic;
        if (named && named.length > 0) out.named = named;
        return out;
      }
      const call: Expr = { op: "call", callee: e.callee, calleeLoc: e.calleeLoc, args: positional, loc: e.loc };
      if (generic) call.generic = generic;
      if (named && named.length > 0) call.named = named;
      if (withArgs) call.with = withArgs;
      if (e.modifier) call.modifier = lowerModifier(file, e.modifier, e.loc, rec, report);
      return call;
    }
  }
}

function lowerModifier(
  file: string,
  m: NonNullable<Extract<AstExpr, { kind: "apply" }>["modifier"]>,
  loc: { start: number; end: number },
  rec: (x: AstExpr) => Expr,
  report: (d: Diagnostic) => void,
): Modifier {
  if (m.kind !== "repeat") return { kind: m.kind };
  const [first, ...rest] = m.count;
  if (!first || first.name !== undefined || rest.length > 0) {
    report(diagnostic("SEQ0104", "repeat takes one count: repeat<N> f(x)", { file, ...loc }));
  }
  return { kind: "repeat", count: first ? rec(first.value) : { op: "num", value: 1, loc } };
}
