/**
 * CST -> AST. Walks the chevrotain CST (types generated in grammar/generated/cst.d.ts)
 * and builds the AST with offsets. The parser recovers from syntax errors, so a CST
 * node may lack children: the builder skips what is incomplete instead of throwing.
 */
import type { CstNode, ICstVisitor, IToken } from "chevrotain";
import type * as C from "../../grammar/generated/cst.js";
import type {
  Arg, AssignTarget, AstApply, AstExpr, AstModule, DefDecl, DimDecl, GenericParam, Item, Loc, ParamDecl, ShapeType,
  SigParam, StateDecl, Stmt, TensorLiteral, LiteralLoc, TrainEntry, VocabDecl,
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

/**
 * One builder per grammar rule, keyed by the rule's name: the table's type is
 * the generated visitor's (grammar/generated/cst.d.ts), so a new rule fails to
 * compile until it has a row here. Each builder takes its rule's CST node.
 */
type RuleName = Exclude<keyof C.SeqCstVisitor<void, unknown>, keyof ICstVisitor<void, unknown>>;
type NodeOf<K extends RuleName> = CstNode & { name: K; children: Parameters<C.SeqCstVisitor<void, unknown>[K]>[0] };

const RULES = {
  file: (n: C.FileCstNode): AstModule => {
    const items: Item<AstExpr>[] = [];
    for (const item of ordered(n.children, ["importDecl", "dimDecl", "vocabDecl", "defDecl", "modelDecl"])) {
      const built = safely(() => rule(item) as Item<AstExpr>);
      if (built) items.push(built);
    }
    return { items };
  },
  importDecl: (n: C.ImportDeclCstNode): Item<AstExpr> => ({ kind: "import", path: unquote(tok(n.children.StringLit).image), loc: cstLoc(n) }),
  dimDecl: (n: C.DimDeclCstNode): DimDecl<AstExpr> => {
    const c = n.children;
    const d: DimDecl<AstExpr> = { kind: "dim", name: tok(c.Identifier).image, loc: cstLoc(n) };
    if (c.expression) d.value = RULES.expression(node(c.expression));
    if (c.Multiple) d.multipleOf = Number(tok(c.NumberLit).image);
    return d;
  },
  vocabDecl: (n: C.VocabDeclCstNode): VocabDecl => {
    const c = n.children;
    const v: VocabDecl = { kind: "vocab", name: tok(c.Identifier).image, size: tok(c.sizeDim).image, loc: cstLoc(n) };
    if (c.Equals) v.tokens = (c.vocabItem ?? []).map(RULES.vocabItem);
    return v;
  },
  vocabItem: (n: C.VocabItemCstNode): string => {
    const c = n.children;
    if (c.StringLit) return unquote(tok(c.StringLit).image);
    return tok(c.Identifier ?? c.NumberLit).image;
  },
  defDecl: (n: C.DefDeclCstNode): DefDecl<AstExpr> => {
    const c = n.children;
    const name = tok(c.Identifier);
    const d: DefDecl<AstExpr> = {
      kind: c.Cell ? "cell" : "fn",
      name: name.image,
      nameLoc: tokLoc(name),
      generics: c.genericParams ? RULES.genericParams(node(c.genericParams)) : [],
      inputs: (c.sigParam ?? []).map(RULES.sigParam),
      body: RULES.block(node(c.block)),
      loc: cstLoc(n),
    };
    if (c.shapeType) d.output = RULES.shapeType(node(c.shapeType));
    return d;
  },
  genericParams: (n: C.GenericParamsCstNode): GenericParam<AstExpr>[] => (n.children.genericParam ?? []).map(RULES.genericParam),
  genericParam: (n: C.GenericParamCstNode): GenericParam<AstExpr> => {
    const c = n.children;
    const p: GenericParam<AstExpr> = { name: tok(c.Identifier).image, loc: cstLoc(n) };
    if (c.expression) p.default = RULES.expression(node(c.expression));
    return p;
  },
  sigParam: (n: C.SigParamCstNode): SigParam<AstExpr> => ({
    name: tok(n.children.Identifier).image,
    type: RULES.shapeType(node(n.children.shapeType)),
    ctx: n.children.Ctx !== undefined,
    loc: cstLoc(n),
  }),
  shapeType: (n: C.ShapeTypeCstNode): ShapeType<AstExpr> => {
    const c = n.children;
    const t: ShapeType<AstExpr> = { dims: (c.expression ?? []).map(RULES.expression), loc: cstLoc(n) };
    if (c.Of) t.vocab = tok(c.Identifier).image;
    return t;
  },
  modelDecl: (n: C.ModelDeclCstNode): Item<AstExpr> => {
    const c = n.children;
    const name = tok(c.Identifier);
    return { kind: "model", name: name.image, nameLoc: tokLoc(name), body: RULES.block(node(c.block)), loc: cstLoc(n) };
  },
  block: (n: C.BlockCstNode): Stmt<AstExpr>[] => {
    const out: Stmt<AstExpr>[] = [];
    for (const s of n.children.statement ?? []) {
      const st = safely(() => RULES.statement(s));
      if (st) out.push(st);
    }
    return out;
  },
  /** A statement is one of its alternatives: the builder of that rule. */
  statement: (n: C.StatementCstNode): Stmt<AstExpr> => {
    const c = n.children;
    const alternative: CstNode[] | undefined = c.dimDecl ?? c.vocabDecl ?? c.ioDecl ?? c.varDecl ?? c.constDecl ?? c.letStmt ?? c.assignStmt ?? c.outStmt ?? c.lossStmt ?? c.trainBlock ?? c.feedbackStmt;
    return rule(node(alternative)) as Stmt<AstExpr>;
  },
  ioDecl: (n: C.IoDeclCstNode): Stmt<AstExpr> => {
    const c = n.children;
    return { kind: c.Input ? "input" : "target", name: tok(c.Identifier).image, type: RULES.shapeType(node(c.shapeType)), loc: cstLoc(n) };
  },
  varDecl: (n: C.VarDeclCstNode): Stmt<AstExpr> => {
    const c = n.children;
    const s: ParamDecl<AstExpr> | StateDecl<AstExpr> = { kind: c.Param ? "param" : "state", name: tok(c.Identifier).image, type: RULES.shapeType(node(c.shapeType)), loc: cstLoc(n) };
    if (c.expression) s.init = RULES.expression(node(c.expression));
    return s;
  },
  constDecl: (n: C.ConstDeclCstNode): Stmt<AstExpr> => {
    const c = n.children;
    const { value, loc } = RULES.tensorLiteral(node(c.tensorLiteral));
    return { kind: "const", name: tok(c.Identifier).image, type: RULES.shapeType(node(c.shapeType)), value, valueLoc: loc, loc: cstLoc(n) };
  },
  tensorLiteral: (n: C.TensorLiteralCstNode): { value: TensorLiteral; loc: LiteralLoc } => {
    const items = (n.children.tensorItem ?? []).map((i) => RULES.tensorItem(i));
    return { value: items.map((i) => i.value), loc: { ...cstLoc(n), items: items.map((i) => i.loc) } };
  },
  tensorItem: (n: C.TensorItemCstNode): { value: TensorLiteral; loc: LiteralLoc } => {
    const c = n.children;
    if (c.tensorLiteral) return RULES.tensorLiteral(node(c.tensorLiteral));
    const text = `${c.Minus ? "-" : ""}${tok(c.NumberLit).image}`;
    const v = Number(tok(c.NumberLit).image);
    return { value: c.Minus ? -v : v, loc: { ...cstLoc(n), text } };
  },
  letStmt: (n: C.LetStmtCstNode): Stmt<AstExpr> => assignment(n, n.children.assignTarget, n.children.expression),
  assignStmt: (n: C.AssignStmtCstNode): Stmt<AstExpr> => assignment(n, n.children.assignTarget, n.children.expression),
  assignTarget: (n: C.AssignTargetCstNode): AssignTarget => ({ name: tok(n.children.Identifier).image, next: n.children.Prime !== undefined, loc: cstLoc(n) }),
  outStmt: (n: C.OutStmtCstNode): Stmt<AstExpr> => ({ kind: "out", value: RULES.expression(node(n.children.expression)), loc: cstLoc(n) }),
  lossStmt: (n: C.LossStmtCstNode): Stmt<AstExpr> => ({ kind: "loss", value: RULES.expression(node(n.children.expression)), loc: cstLoc(n) }),
  trainBlock: (n: C.TrainBlockCstNode): Stmt<AstExpr> => {
    const entries: TrainEntry<AstExpr>[] = [];
    for (const e of n.children.namedValue ?? []) {
      const entry = safely(() => RULES.namedValue(e));
      if (entry) entries.push({ key: entry.name, value: entry.value, loc: entry.loc });
    }
    return { kind: "train", entries, loc: cstLoc(n) };
  },
  namedValue: (n: C.NamedValueCstNode): { name: string; value: AstExpr; loc: Loc } => ({ name: tok(n.children.Identifier).image, value: RULES.expression(node(n.children.expression)), loc: cstLoc(n) }),
  feedbackStmt: (n: C.FeedbackStmtCstNode): Stmt<AstExpr> => {
    const c = n.children;
    const s: Stmt<AstExpr> = { kind: "feedback", input: tok(c.Identifier).image, source: tok(c.source).image, loc: cstLoc(n) };
    if (c.Until) s.until = unquote(tok(c.StringLit).image);
    return s;
  },
  /** expression := additive */
  expression: (n: C.ExpressionCstNode): AstExpr => RULES.additive(node(n.children.additive)),
  additive: (n: C.AdditiveCstNode): AstExpr => binary(n),
  multiplicative: (n: C.MultiplicativeCstNode): AstExpr => binary(n),
  unary: (n: C.UnaryCstNode): AstExpr => {
    const c = n.children;
    if (c.Minus) return { kind: "neg", operand: RULES.unary(node(c.unary)), loc: cstLoc(n) };
    return RULES.postfix(node(c.postfix));
  },
  postfix: (n: C.PostfixCstNode): AstExpr => {
    const c = n.children;
    let acc = RULES.atom(node(c.atom));
    const suffixes = [...(c.Prime ?? []).map((t) => ({ t, member: undefined as IToken | undefined })), ...(c.member ?? []).map((t) => ({ t, member: t }))];
    suffixes.sort((a, b) => a.t.startOffset - b.t.startOffset);
    for (const sfx of suffixes) {
      const end = tokLoc(tok([sfx.t]));
      acc = sfx.member ? { kind: "member", object: acc, name: sfx.member.image, loc: span(acc.loc, end) } : { kind: "prime", operand: acc, loc: span(acc.loc, end) };
    }
    return acc;
  },
  atom: (n: C.AtomCstNode): AstExpr => {
    const c = n.children;
    if (c.NumberLit) {
      const t = tok(c.NumberLit);
      return { kind: "num", value: Number(t.image), text: t.image, loc: tokLoc(t) };
    }
    if (c.StringLit) {
      const t = tok(c.StringLit);
      return { kind: "str", value: unquote(t.image), loc: tokLoc(t) };
    }
    if (c.expression) return RULES.expression(node(c.expression));
    return RULES.application(node(c.application));
  },
  application: (n: C.ApplicationCstNode): AstExpr => {
    const c = n.children;
    const callee = tok(c.Identifier);
    const plain = !c.modifier && !c.genericArgs && !c.callArgs && !c.withClause;
    if (plain) return { kind: "name", name: callee.image, loc: tokLoc(callee) };
    const app: AstApply = { kind: "apply", callee: callee.image, calleeLoc: tokLoc(callee), loc: cstLoc(n) };
    if (c.modifier) app.modifier = RULES.modifier(node(c.modifier));
    if (c.genericArgs) app.generic = RULES.genericArgs(node(c.genericArgs));
    if (c.callArgs) app.args = RULES.callArgs(node(c.callArgs));
    if (c.withClause) app.with = RULES.withClause(node(c.withClause));
    return app;
  },
  modifier: (n: C.ModifierCstNode): NonNullable<AstApply["modifier"]> => {
    const m = n.children;
    if (m.Repeat) return { kind: "repeat", count: RULES.genericArgs(node(m.genericArgs)) };
    return { kind: m.Reverse ? "reverse" : "bidirectional" };
  },
  genericArgs: (n: C.GenericArgsCstNode): Arg<AstExpr>[] => (n.children.genericArg ?? []).map(RULES.genericArg),
  genericArg: (n: C.GenericArgCstNode): Arg<AstExpr> => argument(n),
  callArgs: (n: C.CallArgsCstNode): Arg<AstExpr>[] => (n.children.callArg ?? []).map(RULES.callArg),
  callArg: (n: C.CallArgCstNode): Arg<AstExpr> => argument(n),
  withClause: (n: C.WithClauseCstNode): NonNullable<AstApply["with"]> => (n.children.namedValue ?? []).map(RULES.namedValue),
} satisfies { [K in RuleName]: (n: NodeOf<K>) => unknown };

/** The builder of a node's rule (by its name). */
function rule(n: CstNode): unknown {
  const build = Object.hasOwn(RULES, n.name) ? (RULES as unknown as Record<string, (n: CstNode) => unknown>)[n.name] : undefined;
  if (!build) throw new Incomplete();
  return build(n);
}

/** Builds the AST of a file's CST. Incomplete (error-recovered) items are left out. */
export function buildModule(cst: C.FileCstNode): AstModule {
  return RULES.file(cst);
}

/** expression := additive */
export function buildExpr(n: C.ExpressionCstNode): AstExpr {
  return RULES.expression(n);
}

function assignment(n: CstNode, targets: C.AssignTargetCstNode[] | undefined, value: C.ExpressionCstNode[] | undefined): Stmt<AstExpr> {
  const ts = (targets ?? []).map(RULES.assignTarget);
  if (ts.length === 0) throw new Incomplete();
  return { kind: "assign", targets: ts, value: RULES.expression(node(value)), loc: cstLoc(n) };
}

/** additive := multiplicative (("+" | "-") multiplicative)*, multiplicative := unary (("*" | "/" | "@") unary)*: left-associative. */
function binary(n: C.AdditiveCstNode | C.MultiplicativeCstNode): AstExpr {
  const operands = n.children.operands as CstNode[] | undefined;
  const operators = n.children.operators ?? [];
  const sub = (o: CstNode): AstExpr => rule(o) as AstExpr;
  let acc = sub(node(operands));
  for (let i = 0; i < operators.length; i++) {
    const right = sub(node(operands, i + 1));
    const op = tok(operators, i).image as "+" | "-" | "*" | "/" | "@";
    acc = { kind: "binary", op, left: acc, right, loc: span(acc.loc, right.loc) };
  }
  return acc;
}

function argument(n: C.GenericArgCstNode | C.CallArgCstNode): Arg<AstExpr> {
  const arg: Arg<AstExpr> = { value: RULES.expression(node(n.children.expression)), loc: cstLoc(n) };
  if (n.children.name) arg.name = tok(n.children.name).image;
  return arg;
}
