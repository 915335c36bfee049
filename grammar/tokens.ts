/**
 * The tokens of the .seq language, in matching order: keywords come before
 * Identifier (each keyword has `longer_alt: Identifier`, so `output` is an
 * identifier, not the keyword `out` followed by `put`), and longer operators
 * before their prefixes (`->` before `-`).
 */
import type { TokenType } from "chevrotain";
import { createToken, Lexer } from "./chevrotain.js";

export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\n\f\v]+/, group: Lexer.SKIPPED, line_breaks: true });
/** `# ...` to the end of the line. Kept in a group so the formatter can re-attach comments. */
export const Comment = createToken({ name: "Comment", pattern: /#[^\n\r]*/, group: "comments" });

export const Identifier = createToken({ name: "Identifier", pattern: /[A-Za-z_][A-Za-z0-9_]*/ });

function keyword(word: string): TokenType {
  const name = word[0]!.toUpperCase() + word.slice(1);
  return createToken({ name, pattern: new RegExp(word), longer_alt: Identifier });
}

export const Import = keyword("import");
export const Dim = keyword("dim");
export const Multiple = keyword("multiple");
export const Of = keyword("of");
export const Vocab = keyword("vocab");
export const Input = keyword("input");
export const Target = keyword("target");
export const Cell = keyword("cell");
export const Fn = keyword("fn");
export const Param = keyword("param");
export const Const = keyword("const");
export const State = keyword("state");
export const Let = keyword("let");
export const Out = keyword("out");
export const Model = keyword("model");
export const Loss = keyword("loss");
export const Train = keyword("train");
export const Feedback = keyword("feedback");
export const From = keyword("from");
export const Until = keyword("until");
export const With = keyword("with");
export const Ctx = keyword("ctx");
export const Reverse = keyword("reverse");
export const Bidirectional = keyword("bidirectional");
export const Repeat = keyword("repeat");

/** Decimal numbers: 12, 0.5, 1e-4, 3.0E+2. Whether a number is an integer is decided after lexing. */
export const NumberLit = createToken({ name: "NumberLit", pattern: /(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?/ });
/** Double-quoted strings with backslash escapes; no raw line breaks. */
export const StringLit = createToken({ name: "StringLit", pattern: /"(?:[^"\\\n\r]|\\.)*"/ });

export const Arrow = createToken({ name: "Arrow", pattern: /->/ });
export const Prime = createToken({ name: "Prime", pattern: /'/ });
export const LParen = createToken({ name: "LParen", pattern: /\(/ });
export const RParen = createToken({ name: "RParen", pattern: /\)/ });
export const LBracket = createToken({ name: "LBracket", pattern: /\[/ });
export const RBracket = createToken({ name: "RBracket", pattern: /\]/ });
export const LCurly = createToken({ name: "LCurly", pattern: /\{/ });
export const RCurly = createToken({ name: "RCurly", pattern: /\}/ });
export const Less = createToken({ name: "Less", pattern: /</ });
export const Greater = createToken({ name: "Greater", pattern: />/ });
export const Comma = createToken({ name: "Comma", pattern: /,/ });
export const Colon = createToken({ name: "Colon", pattern: /:/ });
export const Semicolon = createToken({ name: "Semicolon", pattern: /;/ });
export const Dot = createToken({ name: "Dot", pattern: /\./ });
export const Equals = createToken({ name: "Equals", pattern: /=/ });
export const Plus = createToken({ name: "Plus", pattern: /\+/ });
export const Minus = createToken({ name: "Minus", pattern: /-/ });
export const Star = createToken({ name: "Star", pattern: /\*/ });
export const Slash = createToken({ name: "Slash", pattern: /\// });
export const At = createToken({ name: "At", pattern: /@/ });

export const KEYWORDS: TokenType[] = [
  Import, Dim, Multiple, Of, Vocab, Input, Target, Cell, Fn, Param, Const, State, Let, Out, Model,
  Loss, Train, Feedback, From, Until, With, Ctx, Reverse, Bidirectional, Repeat,
];

/** All tokens in matching order. */
export const ALL_TOKENS: TokenType[] = [
  WhiteSpace, Comment,
  ...KEYWORDS,
  Identifier, NumberLit, StringLit,
  Arrow, Prime, LParen, RParen, LBracket, RBracket, LCurly, RCurly, Less, Greater,
  Comma, Colon, Semicolon, Dot, Equals, Plus, Minus, Star, Slash, At,
];

/**
 * A lexer of the tokens. `validate` runs chevrotain's checks of the token
 * definitions (unreachable or empty patterns, ...): mistakes in this file, not
 * in specs; a test builds a validated lexer, the CLI's skips them (start-up).
 */
export function createLexer(opts: { validate?: boolean } = {}): InstanceType<typeof Lexer> {
  return new Lexer(ALL_TOKENS, { positionTracking: "full", ensureOptimizations: false, skipValidations: !opts.validate });
}

export const SeqLexer = createLexer();
