/**
 * Text -> AST: lex, parse (with recovery) and build, reporting lexer and parser
 * errors as Diagnostics (SEQ0001, SEQ0002). Never throws for bad input.
 */
import type { IParserErrorMessageProvider, IToken, TokenType } from "chevrotain";
import { EOF } from "../../grammar/chevrotain.js";
import { SeqParser } from "../../grammar/parser.js";
import { SeqLexer } from "../../grammar/tokens.js";
import type * as C from "../../grammar/generated/cst.js";
import { diagnostic, type Diagnostic } from "../diagnostics/diagnostic.js";
import type { AstExpr, AstModule, Loc } from "./ast.js";
import { buildModule } from "./build.js";
import { attachComments } from "./comments.js";

/**
 * Deeper bracket nesting than this is reported instead of parsed: the parser is
 * recursive (about ten rules per level) and overflows the stack near 150 levels.
 */
export const MAX_NESTING = 64;

/** Deeper expression trees than this (e.g. a sum of thousands of terms) are reported: later stages recurse. */
export const MAX_EXPR_DEPTH = 500;

const TOKEN_WORDS: Record<string, string> = {
  Identifier: "a name",
  NumberLit: "a number",
  StringLit: "a string",
  Arrow: "'->'",
  Prime: "'",
  EOF: "the end of the file",
};

function tokenWord(t: TokenType): string {
  if (TOKEN_WORDS[t.name]) return TOKEN_WORDS[t.name]!;
  const pattern = t.PATTERN;
  if (pattern instanceof RegExp) return `'${pattern.source.replace(/\\/g, "")}'`;
  return t.name;
}

function found(t: IToken): string {
  return t.tokenType === EOF ? "the end of the file" : `'${t.image}'`;
}

const RULE_WORDS: Record<string, string> = {
  file: "a top-level item (import, dim, vocab, cell, fn or model)",
  statement: "a statement (dim, vocab, input, target, param, state, let, NAME = ..., NAME' = ..., out, loss, train, feedback)",
  vocabItem: "a vocabulary item",
  atom: "an expression",
  unary: "an expression",
  postfix: "an expression",
  expression: "an expression",
  additive: "an expression",
  multiplicative: "an expression",
  modifier: "reverse, bidirectional or repeat<N>",
};

const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, actual }) => `expected ${tokenWord(expected)}, found ${found(actual)}`,
  buildNotAllInputParsedMessage: ({ firstRedundant }) =>
    `expected ${RULE_WORDS["file"]}, found ${found(firstRedundant)}`,
  buildNoViableAltMessage: ({ actual, ruleName }) =>
    `expected ${RULE_WORDS[ruleName] ?? ruleName}, found ${found(actual[0]!)}`,
  buildEarlyExitMessage: ({ actual, ruleName }) =>
    `expected ${RULE_WORDS[ruleName] ?? `at least one ${ruleName}`}, found ${found(actual[0]!)}`,
};

let parser: SeqParser | undefined;

export interface ParseResult {
  module: AstModule;
  diagnostics: Diagnostic[];
}

/** Parses one file's text. `file` names it in diagnostics. */
export function parseText(file: string, text: string): ParseResult {
  const diagnostics: Diagnostic[] = [];
  const lexed = SeqLexer.tokenize(text);
  for (const e of lexed.errors) {
    const ch = text.slice(e.offset, e.offset + Math.max(1, e.length));
    diagnostics.push(
      diagnostic("SEQ0001", `unexpected character '${ch.length > 20 ? ch.slice(0, 20) + "…" : ch}'`, {
        file,
        start: e.offset,
        end: e.offset + Math.max(1, e.length),
      }),
    );
  }
  const deep = tooDeep(lexed.tokens);
  if (deep) {
    diagnostics.push(
      diagnostic("SEQ0002", `nesting deeper than ${MAX_NESTING} levels`, { file, start: deep.startOffset, end: deep.startOffset + deep.image.length }, {
        help: "split the expression with `let` bindings",
      }),
    );
    return { module: { items: [] }, diagnostics };
  }
  parser ??= new SeqParser(messages);
  parser.input = lexed.tokens;
  let module: AstModule = { items: [] };
  try {
    const cst = parser.file() as C.FileCstNode;
    for (const e of parser.errors) {
      const t = e.token;
      const at = t.tokenType === EOF || Number.isNaN(t.startOffset) ? lastOffset(lexed.tokens, text) : t.startOffset;
      const end = t.tokenType === EOF || Number.isNaN(t.startOffset) ? at : at + t.image.length;
      diagnostics.push(diagnostic("SEQ0002", e.message, { file, start: at, end: Math.max(end, at) }));
    }
    module = buildModule(cst);
    const deepest = tooDeepExpr(module);
    if (deepest) {
      diagnostics.push(
        diagnostic("SEQ0002", `this expression is nested more than ${MAX_EXPR_DEPTH} levels deep`, { file, ...deepest }, {
          help: "split it with `let` bindings",
        }),
      );
      return { module: { items: [] }, diagnostics };
    }
    attachComments(module, (lexed.groups["comments"] ?? []) as IToken[], text);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    diagnostics.push(diagnostic("SEQ0002", "the spec is nested too deeply to parse", { file, start: 0, end: 0 }));
  }
  return { module, diagnostics };
}

/** Children of an AST expression. */
function subExprs(e: AstExpr): AstExpr[] {
  switch (e.kind) {
    case "num":
    case "str":
    case "name":
      return [];
    case "prime":
    case "neg":
      return [e.operand];
    case "member":
      return [e.object];
    case "binary":
      return [e.left, e.right];
    case "apply": {
      const args = [...(e.generic ?? []), ...(e.args ?? []), ...(e.with ?? [])];
      if (e.modifier?.kind === "repeat") args.push(...e.modifier.count);
      return args.map((a) => a.value);
    }
  }
}

/** The location of an expression deeper than MAX_EXPR_DEPTH, found without recursion. */
function tooDeepExpr(module: AstModule): Loc | undefined {
  const roots: AstExpr[] = [];
  JSON.stringify(module, (_k, v: unknown) => {
    if (v && typeof v === "object" && "kind" in v && "loc" in v && isExprKind((v as { kind: string }).kind)) {
      roots.push(v as AstExpr);
      return undefined;
    }
    return v;
  });
  for (const root of roots) {
    const stack: [AstExpr, number][] = [[root, 1]];
    while (stack.length > 0) {
      const [e, depth] = stack.pop()!;
      if (depth > MAX_EXPR_DEPTH) return e.loc;
      for (const c of subExprs(e)) stack.push([c, depth + 1]);
    }
  }
  return undefined;
}

const EXPR_KINDS = new Set(["num", "str", "name", "prime", "member", "neg", "binary", "apply"]);

function isExprKind(kind: string): boolean {
  return EXPR_KINDS.has(kind);
}

function lastOffset(tokens: IToken[], text: string): number {
  const last = tokens[tokens.length - 1];
  return last ? (last.endOffset ?? last.startOffset) + 1 : text.length;
}

const OPENERS = new Set(["LParen", "LBracket", "LCurly", "Less"]);
const CLOSERS = new Set(["RParen", "RBracket", "RCurly", "Greater"]);

/** The first token at which brackets (or a run of unary minus signs) nest deeper than MAX_NESTING. */
function tooDeep(tokens: IToken[]): IToken | undefined {
  let depth = 0;
  let minusRun = 0;
  for (const t of tokens) {
    const name = t.tokenType.name;
    if (OPENERS.has(name)) depth++;
    else if (CLOSERS.has(name)) depth = Math.max(0, depth - 1);
    minusRun = name === "Minus" ? minusRun + 1 : 0;
    if (depth > MAX_NESTING || minusRun > MAX_NESTING) return t;
  }
  return undefined;
}
