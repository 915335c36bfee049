/**
 * CST -> AST. Walks the chevrotain CST (types generated in grammar/generated/cst.d.ts)
 * and builds the AST with offsets. The parser recovers from syntax errors, so a CST
 * node may lack children: the builder skips what is incomplete instead of throwing.
 */
import type { CstNode, IToken } from "chevrotain";
import type * as C from "../../grammar/generated/cst.js";
import type {
  Arg, AssignTarget, AstApply, AstExpr, AstModule, DefDecl, DimDecl, GenericParam, Item, Loc, ParamDecl, ShapeType,
  SigParam, StateDecl, Stmt, TrainEntry, VocabDecl,
} from "./ast.js";

/** Thrown inside the builder when a recovered CST node is too incomplete to use; caught per node. */
class Incomplete extends Error {}

function tok(tokens: IToken[] | undefined, i = 0): IToken {
  const t = tokens?.[i];
  if (!t || t.isInsertedInRecovery || Number.isNaN(t.startOffset)) throw new Incomplete();
  return t;
}

function node<N>(nodes: N[] | undefined, i = 0): N {
  const n = nodes?.[i];
  if (!n) throw new Incomplete();
  return n;
}

function tokLoc(t: IToken): Loc {
  return { start: t.startOffset, end: (t.endOffset ?? t.startOffset) + 1 };
}

function cstLoc(n: CstNode): Loc {
  const start = n.location?.startOffset;
  const end = n.location?.endOffset;
  if (start === undefined || end === undefined || Number.isNaN(start) || Number.isNaN(end)) throw new Incomplete();
  return { start, end: end + 1 };
}

function span(a: Loc, b: Loc): Loc {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

/** Decodes a string literal's escapes (\n, \t, \", \\, \uXXXX; any other escaped char stands for itself). */
export function unquote(image: string): string {
  const body = image.slice(1, -1);
  return body.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_m, e: string) => {
    if (e.length === 5) return String.fromCharCode(parseInt(e.slice(1), 16));
    return ({ n: "\n", t: "\t", r: "\r", "0": "\0" } as Record<string, string>)[e] ?? e;
  });
}

/** Children of a CST node in source order (chevrotain groups them by name). */
function ordered(children: Record<string, (CstNode | IToken)[] | undefined>, names: string[]): CstNode[] {
  const all: CstNode[] = [];
  for (const n of names) for (const c of children[n] ?? []) all.push(c as CstNode);
  return all.sort((a, b) => (a.location?.startOffset ?? 0) - (b.location?.startOffset ?? 0));
}

function safely<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (e instanceof Incomplete) return undefined;
    throw e;
  }
}

/** Builds the AST of a file's CST. Incomplete (error-recovered) items are left out. */
export function buildModule(cst: C.FileCstNode): AstModule {
  const items: Item<AstExpr>[] = [];
  for (const n of ordered(cst.children, ["importDecl", "dimDecl", "vocabDecl", "defDecl", "modelDecl"])) {
    const item = safely(() => buildItem(n));
    if (item) items.push(item);
  }
  return { items };
}

function buildItem(n: CstNode): Item<AstExpr> {
  switch (n.name) {
    case "importDecl": {
      const c = (n as C.ImportDeclCstNode).children;
      return { kind: "import", path: unquote(tok(c.StringLit).image), loc: cstLoc(n) };
    }
    case "dimDecl":
      return buildDim(n as C.DimDeclCstNode);
    case "vocabDecl":
      return buildVocab(n as C.VocabDeclCstNode);
    case "defDecl":
      return buildDef(n as C.DefDeclCstNode);
    case "modelDecl": {
      const c = (n as C.ModelDeclCstNode).children;
      const name = tok(c.Identifier);
      return { kind: "model", name: name.image, nameLoc: tokLoc(name), body: buildBlock(node(c.block)), loc: cstLoc(n) };
    }
    default:
      throw new Incomplete();
  }
}

function buildDim(n: C.DimDeclCstNode): DimDecl<AstExpr> {
  const c = n.children;
  const d: DimDecl<AstExpr> = { kind: "dim", name: tok(c.Identifier).image, loc: cstLoc(n) };
  if (c.expression) d.value = buildExpr(node(c.expression));
  if (c.Multiple) d.multipleOf = Number(tok(c.NumberLit).image);
  return d;
}

function buildVocab(n: C.VocabDeclCstNode): VocabDecl {
  const c = n.children;
  const v: VocabDecl = { kind: "vocab", name: tok(c.Identifier).image, size: tok(c.sizeDim).image, loc: cstLoc(n) };
  if (c.Equals) {
    v.tokens = (c.vocabItem ?? []).map((it) => {
      const ic = it.children;
      if (ic.StringLit) return unquote(tok(ic.StringLit).image);
      return tok(ic.Identifier ?? ic.NumberLit).image;
    });
  }
  return v;
}

function buildDef(n: C.DefDeclCstNode): DefDecl<AstExpr> {
  const c = n.children;
  const name = tok(c.Identifier);
  const generics: GenericParam<AstExpr>[] = (c.genericParams?.[0]?.children.genericParam ?? []).map((g) => {
    const gc = g.children;
    const p: GenericParam<AstExpr> = { name: tok(gc.Identifier).image, loc: cstLoc(g) };
    if (gc.expression) p.default = buildExpr(node(gc.expression));
    return p;
  });
  const inputs: SigParam<AstExpr>[] = (c.sigParam ?? []).map((s) => ({
    name: tok(s.children.Identifier).image,
    type: buildShape(node(s.children.shapeType)),
    ctx: s.children.Ctx !== undefined,
    loc: cstLoc(s),
  }));
  const d: DefDecl<AstExpr> = {
    kind: c.Cell ? "cell" : "fn",
    name: name.image,
    nameLoc: tokLoc(name),
    generics,
    inputs,
    body: buildBlock(node(c.block)),
    loc: cstLoc(n),
  };
  if (c.shapeType) d.output = buildShape(node(c.shapeType));
  return d;
}

function buildShape(n: C.ShapeTypeCstNode): ShapeType<AstExpr> {
  const c = n.children;
  const t: ShapeType<AstExpr> = { dims: (c.expression ?? []).map(buildExpr), loc: cstLoc(n) };
  if (c.Of) t.vocab = tok(c.Identifier).image;
  return t;
}

function buildBlock(n: C.BlockCstNode): Stmt<AstExpr>[] {
  const out: Stmt<AstExpr>[] = [];
  for (const s of n.children.statement ?? []) {
    const st = safely(() => buildStmt(s));
    if (st) out.push(st);
  }
  return out;
}

function buildStmt(n: C.StatementCstNode): Stmt<AstExpr> {
  const c = n.children;
  if (c.dimDecl) return buildDim(node(c.dimDecl));
  if (c.vocabDecl) return buildVocab(node(c.vocabDecl));
  if (c.ioDecl) {
    const d = node(c.ioDecl);
    return { kind: d.children.Input ? "input" : "target", name: tok(d.children.Identifier).image, type: buildShape(node(d.children.shapeType)), loc: cstLoc(d) };
  }
  if (c.varDecl) {
    const d = node(c.varDecl);
    const s: ParamDecl<AstExpr> | StateDecl<AstExpr> = { kind: d.children.Param ? "param" : "state", name: tok(d.children.Identifier).image, type: buildShape(node(d.children.shapeType)), loc: cstLoc(d) };
    if (d.children.expression) s.init = buildExpr(node(d.children.expression));
    return s;
  }
  if (c.letStmt || c.assignStmt) {
    const d = (c.letStmt ? node(c.letStmt) : node(c.assignStmt!)) as C.LetStmtCstNode | C.AssignStmtCstNode;
    const targets: AssignTarget[] = (d.children.assignTarget ?? []).map((t) => ({
      name: tok(t.children.Identifier).image,
      next: t.children.Prime !== undefined,
      loc: cstLoc(t),
    }));
    if (targets.length === 0) throw new Incomplete();
    return { kind: "assign", targets, value: buildExpr(node(d.children.expression)), loc: cstLoc(d) };
  }
  if (c.outStmt) {
    const d = node(c.outStmt);
    return { kind: "out", value: buildExpr(node(d.children.expression)), loc: cstLoc(d) };
  }
  if (c.lossStmt) {
    const d = node(c.lossStmt);
    return { kind: "loss", value: buildExpr(node(d.children.expression)), loc: cstLoc(d) };
  }
  if (c.trainBlock) {
    const d = node(c.trainBlock);
    const entries: TrainEntry<AstExpr>[] = [];
    for (const e of d.children.namedValue ?? []) {
      const entry = safely(() => ({ key: tok(e.children.Identifier).image, value: buildExpr(node(e.children.expression)), loc: cstLoc(e) }));
      if (entry) entries.push(entry);
    }
    return { kind: "train", entries, loc: cstLoc(d) };
  }
  if (c.feedbackStmt) {
    const d = node(c.feedbackStmt);
    const s: Stmt<AstExpr> = { kind: "feedback", input: tok(d.children.Identifier).image, source: tok(d.children.source).image, loc: cstLoc(d) };
    if (d.children.Until) s.until = unquote(tok(d.children.StringLit).image);
    return s;
  }
  throw new Incomplete();
}

/** expression := additive */
export function buildExpr(n: C.ExpressionCstNode): AstExpr {
  return buildBinary(node(n.children.additive));
}

function buildBinary(n: C.AdditiveCstNode | C.MultiplicativeCstNode): AstExpr {
  const operands = n.children.operands as CstNode[] | undefined;
  const operators = n.children.operators ?? [];
  const sub = (o: CstNode): AstExpr => (o.name === "unary" ? buildUnary(o as C.UnaryCstNode) : buildBinary(o as C.MultiplicativeCstNode));
  let acc = sub(node(operands));
  for (let i = 0; i < operators.length; i++) {
    const right = sub(node(operands, i + 1));
    const op = tok(operators, i).image as "+" | "-" | "*" | "/" | "@";
    acc = { kind: "binary", op, left: acc, right, loc: span(acc.loc, right.loc) };
  }
  return acc;
}

function buildUnary(n: C.UnaryCstNode): AstExpr {
  const c = n.children;
  if (c.Minus) return { kind: "neg", operand: buildUnary(node(c.unary)), loc: cstLoc(n) };
  return buildPostfix(node(c.postfix));
}

function buildPostfix(n: C.PostfixCstNode): AstExpr {
  const c = n.children;
  let acc = buildAtom(node(c.atom));
  const suffixes = [...(c.Prime ?? []).map((t) => ({ t, member: undefined as IToken | undefined })), ...(c.member ?? []).map((t) => ({ t, member: t }))];
  suffixes.sort((a, b) => a.t.startOffset - b.t.startOffset);
  for (const s of suffixes) {
    const end = tokLoc(tok([s.t]));
    acc = s.member
      ? { kind: "member", object: acc, name: s.member.image, loc: span(acc.loc, end) }
      : { kind: "prime", operand: acc, loc: span(acc.loc, end) };
  }
  return acc;
}

function buildAtom(n: C.AtomCstNode): AstExpr {
  const c = n.children;
  if (c.NumberLit) {
    const t = tok(c.NumberLit);
    return { kind: "num", value: Number(t.image), text: t.image, loc: tokLoc(t) };
  }
  if (c.StringLit) {
    const t = tok(c.StringLit);
    return { kind: "str", value: unquote(t.image), loc: tokLoc(t) };
  }
  if (c.expression) return buildExpr(node(c.expression));
  return buildApplication(node(c.application));
}

function buildArgs(nodes: (C.GenericArgCstNode | C.CallArgCstNode)[] | undefined): Arg<AstExpr>[] {
  return (nodes ?? []).map((a) => {
    const arg: Arg<AstExpr> = { value: buildExpr(node(a.children.expression)), loc: cstLoc(a) };
    if (a.children.name) arg.name = tok(a.children.name).image;
    return arg;
  });
}

function buildApplication(n: C.ApplicationCstNode): AstExpr {
  const c = n.children;
  const callee = tok(c.Identifier);
  const plain = !c.modifier && !c.genericArgs && !c.callArgs && !c.withClause;
  if (plain) return { kind: "name", name: callee.image, loc: tokLoc(callee) };
  const app: AstApply = { kind: "apply", callee: callee.image, calleeLoc: tokLoc(callee), loc: cstLoc(n) };
  if (c.modifier) {
    const m = node(c.modifier).children;
    if (m.Repeat) app.modifier = { kind: "repeat", count: buildArgs(node(m.genericArgs).children.genericArg) };
    else app.modifier = { kind: m.Reverse ? "reverse" : "bidirectional" };
  }
  if (c.genericArgs) app.generic = buildArgs(node(c.genericArgs).children.genericArg);
  if (c.callArgs) app.args = buildArgs(node(c.callArgs).children.callArg);
  if (c.withClause) {
    app.with = (node(c.withClause).children.namedValue ?? []).map((e) => ({
      name: tok(e.children.Identifier).image,
      value: buildExpr(node(e.children.expression)),
      loc: cstLoc(e),
    }));
  }
  return app;
}
