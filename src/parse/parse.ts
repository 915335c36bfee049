/**
 * Text -> AST: lex, parse (with recovery) and build, reporting lexer and parser
 * errors as Diagnostics (SEQ0001, SEQ0002). Never throws for bad input, and
 * answers quickly with a few diagnostics for hostile input: a binary file is
 * one error, a file past MAX_SOURCE_CHARS or MAX_TOKENS one error, the parser
 * stops after MAX_PARSE_ERRORS, and a statement reports its first syntax
 * error only (the rest of it is usually the same mistake seen again).
 */
import type { ILexingError, IParserErrorMessageProvider, IRecognitionException, IToken, TokenType } from "chevrotain";
import { EOF } from "../../grammar/chevrotain.js";
import { SeqParser } from "../../grammar/parser.js";
import { SeqLexer } from "../../grammar/tokens.js";
import type * as C from "../../grammar/generated/cst.js";
import { diagnostic, type Diagnostic } from "../diagnostics/diagnostic.js";
import { startAtOrBefore } from "../diagnostics/render/lines.js";
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

/** Longer texts are not read: a spec is a few kilobytes, and lexing megabytes takes seconds. */
export const MAX_SOURCE_CHARS = 1_000_000;

/** More tokens than this are not parsed: the largest spec we know has about 1,100, and checking takes some 50 µs a token. */
export const MAX_TOKENS = 20_000;

/** The parser stops after this many syntax errors (recovery from each costs time; the first few say what is wrong). */
export const MAX_PARSE_ERRORS = 100;

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

/** A quoted piece of the text for a message: cut to 20 characters, control characters as code points. */
function quote(text: string): string {
  const cut = text.length > 20 ? `${text.slice(0, 20)}…` : text;
  return `'${cut.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)}'`;
}

function found(t: IToken): string {
  return t.tokenType === EOF ? "the end of the file" : quote(t.image);
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
  // A const's entries: where one belongs, a number (a nested list is the other choice, but a number is what was meant).
  tensorItem: "a number",
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

/** Thrown out of the parser when it has saved MAX_PARSE_ERRORS errors. */
class TooManyErrors extends Error {}

let parser: SeqParser | undefined;
/** Syntax errors the parser saved in the current run (see `parserFor`). */
let saved = 0;

/**
 * The parser, made once, with an error cap: chevrotain saves each recognition
 * error through SAVE_ERROR (a method its type definitions leave out); past the
 * cap we throw out of the parse. Its rules restore their stacks on the way out,
 * and setting `input` resets it for the next run.
 */
function parserFor(tokens: IToken[]): SeqParser {
  if (!parser) {
    const p = new SeqParser(messages);
    const engine = p as unknown as { SAVE_ERROR(e: unknown): unknown };
    const save = engine.SAVE_ERROR.bind(p);
    engine.SAVE_ERROR = (e: unknown) => {
      const r = save(e);
      if (++saved >= MAX_PARSE_ERRORS) throw new TooManyErrors();
      return r;
    };
    parser = p;
  }
  saved = 0;
  parser.input = tokens;
  return parser;
}

export interface ParseResult {
  module: AstModule;
  diagnostics: Diagnostic[];
}

/** Parses one file's text. `file` names it in diagnostics. */
export function parseText(file: string, text: string): ParseResult {
  const empty: AstModule = { items: [] };
  if (text.length > MAX_SOURCE_CHARS) {
    return {
      module: empty,
      diagnostics: [
        diagnostic("SEQ0002", `the file is ${text.length} characters long; seqc reads specs of up to ${MAX_SOURCE_CHARS}`, { file, start: 0, end: 0 }, {
          help: "a spec is a short text file: check that this is the file you meant",
        }),
      ],
    };
  }
  const binary = binaryAt(text);
  if (binary) {
    return {
      module: empty,
      diagnostics: [
        diagnostic("SEQ0001", `this is a binary file, not a spec: it holds ${binary.what}`, { file, start: binary.at, end: binary.at + 1 }, {
          help: "a spec is UTF-8 text: check that this is the file you meant",
        }),
      ],
    };
  }
  const lexed = SeqLexer.tokenize(text);
  const syntax = lexerDiagnostics(file, text, lexed.errors);
  const deep = tooDeep(lexed.tokens);
  if (deep) {
    syntax.push(
      diagnostic("SEQ0002", `nesting deeper than ${MAX_NESTING} levels`, { file, start: deep.startOffset, end: deep.startOffset + deep.image.length }, {
        help: "split the expression with `let` bindings",
      }),
    );
    return { module: empty, diagnostics: firstPerStatement(syntax, lexed.tokens, text) };
  }
  if (lexed.tokens.length > MAX_TOKENS) {
    const t = lexed.tokens[MAX_TOKENS]!;
    syntax.push(
      diagnostic("SEQ0002", `the spec has more than ${MAX_TOKENS} tokens; seqc reads specs of up to that many`, { file, start: t.startOffset, end: t.startOffset + Math.min(t.image.length, 1) }, {
        help: "a spec is a short text file: check that this is the file you meant",
      }),
    );
    return { module: empty, diagnostics: firstPerStatement(syntax, lexed.tokens, text) };
  }
  const p = parserFor(lexed.tokens);
  let module: AstModule = empty;
  const diagnostics: Diagnostic[] = [];
  try {
    let cst: C.FileCstNode | undefined;
    try {
      cst = p.file() as C.FileCstNode;
    } catch (e) {
      if (!(e instanceof TooManyErrors)) throw e;
    }
    for (const e of p.errors) syntax.push(parserDiagnostic(file, text, lexed.tokens, e));
    if (!cst) {
      const last = p.errors[p.errors.length - 1]?.token;
      const at = last && !Number.isNaN(last.startOffset) ? last.startOffset : lastOffset(lexed.tokens, text);
      const stopped = diagnostic("SEQ0002", `stopped reading after ${MAX_PARSE_ERRORS} syntax errors`, { file, start: at, end: at }, { help: "fix the first errors and check again" });
      return { module: empty, diagnostics: [...firstPerStatement(syntax, lexed.tokens, text), stopped] };
    }
    module = buildModule(cst);
    const deepest = tooDeepExpr(module);
    if (deepest) {
      diagnostics.push(
        diagnostic("SEQ0002", `this expression is nested more than ${MAX_EXPR_DEPTH} levels deep`, { file, ...deepest }, {
          help: "split it with `let` bindings",
        }),
      );
      return { module: empty, diagnostics: [...firstPerStatement(syntax, lexed.tokens, text), ...diagnostics] };
    }
    attachComments(module, (lexed.groups["comments"] ?? []) as IToken[], text);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    diagnostics.push(diagnostic("SEQ0002", "the spec is nested too deeply to parse", { file, start: 0, end: 0 }));
  }
  return { module, diagnostics: [...firstPerStatement(syntax, lexed.tokens, text), ...diagnostics] };
}

/** Characters no spec holds: control characters but tabs and line breaks, and U+FFFD (what reading invalid UTF-8 gives). */
const NOT_TEXT = /[\u0000-\u0008\u000e-\u001f\u007f\ufffd]/g;

/** Of the first BINARY_SAMPLE characters, more than BINARY_LIMIT that are not text make a binary file. */
const BINARY_SAMPLE = 8192;
const BINARY_LIMIT = 16;

/**
 * Where a text shows it is binary: a NUL byte anywhere (as git decides), or
 * many characters that are not text near its start. Undefined for text.
 */
function binaryAt(text: string): { at: number; what: string } | undefined {
  const nul = text.indexOf("\0");
  if (nul >= 0) return { at: nul, what: "a NUL byte" };
  const sample = text.slice(0, BINARY_SAMPLE);
  const odd = [...sample.matchAll(NOT_TEXT)];
  if (odd.length > BINARY_LIMIT) return { at: odd[0]!.index, what: `${odd.length} control characters or invalid UTF-8 sequences in its first ${sample.length} characters` };
  return undefined;
}

/** Lexer errors as SEQ0001: the first of each line, with how many more that line has as a note. */
function lexerDiagnostics(file: string, text: string, errors: readonly ILexingError[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  let line = -1;
  let first: Diagnostic | undefined;
  let more = 0;
  const flush = () => {
    if (first && more > 0) first.notes = [`and ${more} more unexpected character${more === 1 ? "" : "s"} on this line`];
  };
  for (const e of errors) {
    const lineStart = text.lastIndexOf("\n", e.offset - 1) + 1;
    if (lineStart === line) {
      more++;
      continue;
    }
    flush();
    line = lineStart;
    more = 0;
    const ch = text.slice(e.offset, e.offset + Math.max(1, e.length));
    first = diagnostic("SEQ0001", `unexpected character ${quote(ch)}`, { file, start: e.offset, end: e.offset + Math.max(1, e.length) });
    out.push(first);
  }
  flush();
  return out;
}

/** A parser error as SEQ0002, with a suggestion where the fix is known. */
function parserDiagnostic(file: string, text: string, tokens: readonly IToken[], e: IRecognitionException): Diagnostic {
  const t = e.token;
  const atEnd = t.tokenType === EOF || Number.isNaN(t.startOffset);
  const at = atEnd ? lastOffset(tokens, text) : t.startOffset;
  const end = atEnd ? at : at + t.image.length;
  const span = { file, start: at, end: Math.max(end, at) };
  const vocab = vocabWithoutSize(text, tokens, e);
  if (vocab) return diagnostic("SEQ0002", `expected the vocabulary's size dim in brackets after its name, found ${found(t)}`, span, { help: vocab });
  return diagnostic("SEQ0002", e.message, span);
}

/**
 * `vocab labels = [neg, pos]`: the size dim is missing. The help is the
 * statement with one added, `vocab labels[L] = [neg, pos]`, named for the
 * vocabulary's initial unless the file already declares that name.
 */
function vocabWithoutSize(text: string, tokens: readonly IToken[], e: IRecognitionException): string | undefined {
  const prev = (e as IRecognitionException & { previousToken?: IToken }).previousToken;
  const stack = e.context?.ruleStack ?? [];
  if (stack[stack.length - 1] !== "vocabDecl" || e.name !== "MismatchedTokenException" || prev?.tokenType.name !== "Identifier") return undefined;
  const i = tokens.indexOf(prev);
  if (i < 1 || tokens[i - 1]!.tokenType.name !== "Vocab" || tokens[i + 1] !== e.token) return undefined;
  const declared = new Set<string>();
  tokens.forEach((x, j) => {
    const before = tokens[j - 1]?.tokenType.name;
    if (x.tokenType.name === "Identifier" && (before === "Dim" || (before === "LBracket" && tokens[j - 3]?.tokenType.name === "Vocab"))) declared.add(x.image);
  });
  const initial = prev.image[0]!.toUpperCase();
  const size = [initial, `${initial}_SIZE`, `N_${prev.image.toUpperCase()}`].find((n) => !declared.has(n))!;
  const vocabStart = tokens[i - 1]!.startOffset;
  const lineEnd = text.indexOf("\n", vocabStart);
  const rest = text.slice(prev.endOffset! + 1, lineEnd < 0 ? text.length : lineEnd).replace(/#.*$/, "").trimEnd();
  const fixed = `vocab ${prev.image}[${size}]${rest.length <= 60 ? rest : " = [...]"}`;
  return `write \`${fixed}\`: ${size} is the number of tokens, a dim the shapes can use`;
}

/** The index of the first token that starts at or after `offset`. */
function firstTokenAt(tokens: readonly IToken[], offset: number): number {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid]!.startOffset < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const STATEMENT_KEYWORDS = new Set(["Import", "Dim", "Vocab", "Input", "Target", "Cell", "Fn", "Param", "State", "Let", "Out", "Model", "Loss", "Train", "Feedback"]);

/**
 * Where statements start, as offsets in increasing order: after `{` and `;`, at
 * `}`, and at a line that starts outside parentheses and brackets or with a
 * keyword that starts a statement.
 */
function statementStarts(tokens: readonly IToken[], text: string): number[] {
  const starts = [0];
  let depth = 0;
  let prevEnd = -1;
  for (const t of tokens) {
    const name = t.tokenType.name;
    const newLine = text.slice(prevEnd + 1, t.startOffset).includes("\n");
    prevEnd = t.endOffset ?? t.startOffset;
    if (newLine && (depth === 0 || STATEMENT_KEYWORDS.has(name))) {
      depth = 0;
      starts.push(text.lastIndexOf("\n", t.startOffset - 1) + 1);
    }
    if (name === "LParen" || name === "LBracket") depth++;
    else if (name === "RParen" || name === "RBracket") depth = Math.max(0, depth - 1);
    else if (name === "LCurly" || (name === "Semicolon" && depth === 0)) {
      depth = 0;
      starts.push(prevEnd + 1);
    } else if (name === "RCurly") {
      depth = 0;
      starts.push(t.startOffset);
    }
  }
  return starts;
}

/**
 * The first syntax error of each statement, by place: the rest of a broken
 * statement mostly repeats its mistake. An error at the first token of a
 * statement ("expected ']', found 'b'") is about the statement before, which
 * did not end: it counts for that one.
 */
function firstPerStatement(diags: Diagnostic[], tokens: readonly IToken[], text: string): Diagnostic[] {
  if (diags.length <= 1) return diags;
  const starts = statementStarts(tokens, text);
  const statementOf = (offset: number) => startAtOrBefore(starts, offset);
  /** How many tokens of a statement come before an offset in it (0 when the offset opens it). */
  const tokensBefore = (s: number, offset: number) => {
    let n = 0;
    for (let i = firstTokenAt(tokens, starts[s]!); i < tokens.length && tokens[i]!.startOffset < offset && n < 2; i++) n++;
    return n;
  };
  const sorted = [...diags].sort((a, b) => a.labels[0]!.start - b.labels[0]!.start);
  const out: Diagnostic[] = [];
  let last = -1;
  for (const d of sorted) {
    let s = statementOf(d.labels[0]!.start);
    // At a statement's first token, or at its second when the statement before
    // broke (which then swallowed the first), the error is the one before's.
    const before = s > 0 ? tokensBefore(s, d.labels[0]!.start) : 2;
    if (before === 0 || (before === 1 && last === s - 1)) s--;
    if (s === last) continue;
    last = s;
    out.push(d);
  }
  return out;
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

function lastOffset(tokens: readonly IToken[], text: string): number {
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
