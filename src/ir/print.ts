/**
 * IR -> .seq text: the formatter's printer. Pure and deterministic; parsing its
 * output gives the same IR (offsets aside), and printing that again gives the
 * same text. Comments and single blank lines between statements are kept.
 */
import { KEYWORDS } from "../../grammar/tokens.js";
import type { Arg, Comments, ConstDecl, DefDecl, DimDecl, Expr, IoDecl, IrModule, Item, ParamDecl, ShapeType, StateDecl, Stmt, TensorLiteral, VocabDecl } from "./ir.js";
import { OPS, type OpKind } from "./ops.js";

const INDENT = "  ";
const MAX_LINE = 100;
const KEYWORD_WORDS = new Set(KEYWORDS.map((k) => String((k.PATTERN as RegExp).source)));
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NUMBER = /^(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?$/;

/** Prints a whole module. */
export function printModule(m: IrModule): string {
  const lines: string[] = [];
  m.items.forEach((item, i) => {
    if (i > 0 && item.comments?.gap) lines.push("");
    lines.push(...printItem(item));
  });
  for (const c of m.endComments ?? []) lines.push(c);
  return lines.length === 0 ? "" : lines.join("\n") + "\n";
}

function withComments(c: Comments | undefined, indent: string, body: string[]): string[] {
  const out = (c?.before ?? []).map((b) => indent + b);
  const lines = body.map((l) => indent + l);
  if (c?.after && lines.length > 0) lines[lines.length - 1] += `  ${c.after}`;
  return [...out, ...lines];
}

function printItem(item: Item<Expr>): string[] {
  switch (item.kind) {
    case "import":
      return withComments(item.comments, "", [`import ${quote(item.path)}`]);
    case "dim":
    case "vocab":
      return printStmt(item, "", "top");
    case "cell":
    case "fn":
      return printDef(item);
    case "model":
      return withComments(item.comments, "", [`model ${item.name} {`, ...printBody(item.body, item.endComments, "model"), "}"]);
  }
}

function printDef(d: DefDecl<Expr>): string[] {
  return withComments(d.comments, "", [`${signature(d)} {`, ...printBody(d.body, d.endComments, "def"), "}"]);
}

/** A cell's or fn's first line, without its brace: `cell lstm<H>(x: [X]) -> [H]`. */
export function signature(d: DefDecl<Expr>): string {
  const generics = d.generics.length === 0
    ? ""
    : `<${d.generics.map((g) => (g.default ? `${g.name}=${expr(g.default, true)}` : g.name)).join(", ")}>`;
  const inputs = d.inputs.map((p) => `${p.ctx ? "ctx " : ""}${p.name}: ${shape(p.type)}`).join(", ");
  const output = d.output ? ` -> ${shape(d.output)}` : "";
  return `${d.kind} ${d.name}${generics}(${inputs})${output}`;
}

/** A declaration as the formatter writes it, on one line and without comments: `dim H = 128`, `param W: [4*H, H + X] = glorot`. */
export function declaration(s: DimDecl<Expr> | VocabDecl | IoDecl<Expr> | ParamDecl<Expr> | StateDecl<Expr>): string {
  return stmtLines(s, "", "def")[0]!;
}

type Context = "top" | "model" | "def";

function printBody(body: Stmt<Expr>[], end: string[] | undefined, ctx: Context): string[] {
  const lines: string[] = [];
  body.forEach((s, i) => {
    if (i > 0 && s.comments?.gap) lines.push("");
    lines.push(...printStmt(s, INDENT, ctx));
  });
  for (const c of end ?? []) lines.push(INDENT + c);
  return lines;
}

function printStmt(s: Stmt<Expr>, indent: string, ctx: Context): string[] {
  return withComments(s.comments, indent, stmtLines(s, indent, ctx));
}

function stmtLines(s: Stmt<Expr>, indent: string, ctx: Context): string[] {
  switch (s.kind) {
    case "dim":
      if (s.value) return [`dim ${s.name} = ${expr(s.value, true)}`];
      return s.multipleOf !== undefined ? [`dim ${s.name} multiple of ${s.multipleOf}`] : [`dim ${s.name}`];
    case "vocab":
      return [`vocab ${s.name}[${s.size}]${s.tokens ? ` = [${s.tokens.map(token).join(", ")}]` : ""}`];
    case "input":
    case "target":
      return [`${s.kind} ${s.name}: ${shape(s.type)}`];
    case "param":
    case "state":
      return [`${s.kind} ${s.name}: ${shape(s.type)}${s.init ? ` = ${expr(s.init)}` : ""}`];
    case "const":
      return constLines(s, indent);
    case "assign": {
      const targets = s.targets.map((t) => t.name + (t.next ? "'" : "")).join(", ");
      const useLet = ctx === "def" && s.targets.every((t) => !t.next);
      return [`${useLet ? "let " : ""}${targets} = ${expr(s.value)}`];
    }
    case "out":
      return [`out ${expr(s.value)}`];
    case "loss":
      return [`loss ${expr(s.value)}`];
    case "feedback":
      return [`feedback ${s.input} from ${s.source}${s.until !== undefined ? ` until ${quote(s.until)}` : ""}`];
    case "train": {
      const entries = s.entries.map((e) => `${e.key}: ${expr(e.value)}`);
      const oneLine = `train { ${entries.join(", ")} }`;
      const commented = s.endComments?.length || s.entries.some((e) => e.comments?.before || e.comments?.after || e.comments?.gap);
      if (!commented && indent.length + oneLine.length <= MAX_LINE) return [entries.length === 0 ? "train {}" : oneLine];
      const inner: string[] = [];
      s.entries.forEach((e, i) => {
        if (i > 0 && e.comments?.gap) inner.push("");
        inner.push(...withComments(e.comments, INDENT, [`${e.key}: ${expr(e.value)}`]));
      });
      for (const c of s.endComments ?? []) inner.push(INDENT + c);
      return ["train {", ...inner, "}"];
    }
  }
}

/** `const NAME: [shape] = [...]` on one line when it fits, else one row of the outermost axis per line. */
function constLines(s: ConstDecl<Expr>, indent: string): string[] {
  const head = `const ${s.name}: ${shape(s.type)} = `;
  const v = s.value;
  const oneLine = head + literal(v);
  if (!Array.isArray(v) || v.length === 0 || indent.length + oneLine.length <= MAX_LINE) return [oneLine];
  const rows = v.map((row, i) => `${INDENT}${literal(row)}${i < v.length - 1 ? "," : ""}`);
  return [`${head}[`, ...rows, "]"];
}

function literal(v: TensorLiteral): string {
  return Array.isArray(v) ? `[${v.map(literal).join(", ")}]` : String(v);
}

function shape(t: ShapeType<Expr>): string {
  return `[${t.dims.map((d) => expr(d, true)).join(", ")}]${t.vocab ? ` of ${t.vocab}` : ""}`;
}

/** A string literal with the escapes that the lexer's unquote reads back. */
export function quote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029 || (code >= 0xd800 && code <= 0xdfff)) {
      // Control characters, line separators and lone surrogates (not valid UTF-8 on their own) are escaped.
      out += "\\u" + code.toString(16).padStart(4, "0");
    }
    else out += ch;
  }
  return out + '"';
}

function token(t: string): string {
  return (IDENT.test(t) && !KEYWORD_WORDS.has(t)) || NUMBER.test(t) ? t : quote(t);
}

function precedence(e: Expr): number {
  if (e.op === "num" && e.value < 0) return 3;
  if (e.op in OPS) {
    const syntax = OPS[e.op as OpKind].syntax;
    if (syntax.kind === "infix") return syntax.precedence;
    if (syntax.kind === "prefix") return 3;
  }
  return 4;
}

function number(v: number): string {
  return String(v);
}

/**
 * Prints an expression with the fewest parentheses that keep its tree.
 * In dim contexts (shapes, generic args) `*` and `/` are written without spaces: `[4*H, T/2]`.
 */
export function expr(e: Expr, dims = false): string {
  switch (e.op) {
    case "num":
      return number(e.value);
    case "str":
      return quote(e.value);
    case "ref":
      return e.name;
    case "next":
      return `${e.name}'`;
    case "member":
      return `${e.of}.${e.name}`;
    case "call":
    default:
      break;
  }
  if (e.op !== "call") {
    const syntax = OPS[e.op].syntax;
    if (syntax.kind === "infix") {
      const p = syntax.precedence;
      const [a, b] = e.args as [Expr, Expr];
      const left = precedence(a) < p ? `(${expr(a, dims)})` : expr(a, dims);
      const right = precedence(b) <= p ? `(${expr(b, dims)})` : expr(b, dims);
      const tight = dims && (syntax.symbol === "*" || syntax.symbol === "/");
      return tight ? `${left}${syntax.symbol}${right}` : `${left} ${syntax.symbol} ${right}`;
    }
    if (syntax.kind === "prefix") {
      const [a] = e.args as [Expr];
      return precedence(a) < 3 ? `-(${expr(a, dims)})` : `-${expr(a, dims)}`;
    }
  }
  const name = e.op === "call" ? e.callee : e.op;
  let out = "";
  if (e.op === "call" && e.modifier) {
    out += e.modifier.kind === "repeat" ? `repeat<${expr(e.modifier.count, true)}> ` : `${e.modifier.kind} `;
  }
  out += name;
  if (e.generic) out += `<${e.generic.map((a) => arg(a, "=", true)).join(", ")}>`;
  out += `(${[...e.args.map((a) => expr(a)), ...(e.named ?? []).map((a) => arg(a, ": ", false))].join(", ")})`;
  if (e.op === "call" && e.with) out += e.with.length === 0 ? " with {}" : ` with { ${e.with.map((a) => arg(a, ": ", false)).join(", ")} }`;
  return out;
}

function arg(a: Arg<Expr>, sep: string, dims: boolean): string {
  return a.name === undefined ? expr(a.value, dims) : `${a.name}${sep}${expr(a.value, dims)}`;
}
