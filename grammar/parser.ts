/**
 * The .seq grammar as a chevrotain CstParser. Pure rules, no embedded actions:
 * semantics live in src/parse/build.ts (CST -> AST). Each rule quotes the
 * production it implements. Error recovery is on, so one run reports several
 * syntax errors, and every CST node carries its offsets.
 */
import type { IParserErrorMessageProvider } from "chevrotain";
import { CstParser } from "./chevrotain.js";
import * as T from "./tokens.js";

export class SeqParser extends CstParser {
  /**
   * `validate` runs chevrotain's grammar validations (ambiguities, left
   * recursion, ...) when the parser is built. They find mistakes in the
   * grammar, not in specs, and cost a third of the parser's construction at
   * every start of the CLI: the artefacts (grammar/artefacts.ts) and a test
   * build a validated parser; the CLI builds one without.
   */
  constructor(errorMessageProvider?: IParserErrorMessageProvider, opts: { validate?: boolean } = {}) {
    super(T.ALL_TOKENS, {
      recoveryEnabled: true,
      nodeLocationTracking: "onlyOffset",
      maxLookahead: 3,
      skipValidations: !opts.validate,
      ...(errorMessageProvider ? { errorMessageProvider } : {}),
    });
    this.performSelfAnalysis();
  }

  /** file := (importDecl | dimDecl | vocabDecl | defDecl | modelDecl)* */
  public file = this.RULE("file", () => {
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.importDecl) },
        { ALT: () => this.SUBRULE(this.dimDecl) },
        { ALT: () => this.SUBRULE(this.vocabDecl) },
        { ALT: () => this.SUBRULE(this.defDecl) },
        { ALT: () => this.SUBRULE(this.modelDecl) },
      ]);
      this.OPTION(() => this.CONSUME(T.Semicolon));
    });
  });

  /** importDecl := "import" String */
  public importDecl = this.RULE("importDecl", () => {
    this.CONSUME(T.Import);
    this.CONSUME(T.StringLit);
  });

  /** dimDecl := "dim" Identifier ("=" expression | "multiple" "of" Number)? */
  public dimDecl = this.RULE("dimDecl", () => {
    this.CONSUME(T.Dim);
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.OR([
        { ALT: () => { this.CONSUME(T.Equals); this.SUBRULE(this.expression); } },
        { ALT: () => { this.CONSUME(T.Multiple); this.CONSUME(T.Of); this.CONSUME(T.NumberLit); } },
      ]);
    });
  });

  /** vocabDecl := "vocab" Identifier "[" Identifier "]" ("=" "[" (vocabItem ("," vocabItem)* ","?)? "]")? */
  public vocabDecl = this.RULE("vocabDecl", () => {
    this.CONSUME(T.Vocab);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.LBracket);
    this.CONSUME2(T.Identifier, { LABEL: "sizeDim" });
    this.CONSUME(T.RBracket);
    this.OPTION(() => {
      this.CONSUME(T.Equals);
      this.CONSUME2(T.LBracket);
      this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.vocabItem) });
      this.CONSUME2(T.RBracket);
    });
  });

  /** vocabItem := Identifier | String | Number */
  public vocabItem = this.RULE("vocabItem", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Identifier) },
      { ALT: () => this.CONSUME(T.StringLit) },
      { ALT: () => this.CONSUME(T.NumberLit) },
    ]);
  });

  /** defDecl := ("cell" | "fn") Identifier genericParams? "(" (sigParam ("," sigParam)*)? ")" ("->" shapeType)? block */
  public defDecl = this.RULE("defDecl", () => {
    this.OR([{ ALT: () => this.CONSUME(T.Cell) }, { ALT: () => this.CONSUME(T.Fn) }]);
    this.CONSUME(T.Identifier);
    this.OPTION(() => this.SUBRULE(this.genericParams));
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.sigParam) });
    this.CONSUME(T.RParen);
    this.OPTION2(() => {
      this.CONSUME(T.Arrow);
      this.SUBRULE(this.shapeType);
    });
    this.SUBRULE(this.block);
  });

  /** genericParams := "<" genericParam ("," genericParam)* ">" */
  public genericParams = this.RULE("genericParams", () => {
    this.CONSUME(T.Less);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.genericParam) });
    this.CONSUME(T.Greater);
  });

  /** genericParam := Identifier ("=" expression)? */
  public genericParam = this.RULE("genericParam", () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => {
      this.CONSUME(T.Equals);
      this.SUBRULE(this.expression);
    });
  });

  /** sigParam := "ctx"? Identifier ":" shapeType */
  public sigParam = this.RULE("sigParam", () => {
    this.OPTION(() => this.CONSUME(T.Ctx));
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.shapeType);
  });

  /** shapeType := "[" (expression ("," expression)*)? "]" ("of" Identifier)? */
  public shapeType = this.RULE("shapeType", () => {
    this.CONSUME(T.LBracket);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.expression) });
    this.CONSUME(T.RBracket);
    this.OPTION(() => {
      this.CONSUME(T.Of);
      this.CONSUME(T.Identifier);
    });
  });

  /** modelDecl := "model" Identifier block */
  public modelDecl = this.RULE("modelDecl", () => {
    this.CONSUME(T.Model);
    this.CONSUME(T.Identifier);
    this.SUBRULE(this.block);
  });

  /** block := "{" (statement ";"?)* "}" */
  public block = this.RULE("block", () => {
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      this.SUBRULE(this.statement);
      this.OPTION(() => this.CONSUME(T.Semicolon));
    });
    this.CONSUME(T.RCurly);
  });

  /** statement := dimDecl | vocabDecl | ioDecl | varDecl | constDecl | letStmt | assignStmt | outStmt | lossStmt | trainBlock | feedbackStmt */
  public statement = this.RULE("statement", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.dimDecl) },
      { ALT: () => this.SUBRULE(this.vocabDecl) },
      { ALT: () => this.SUBRULE(this.ioDecl) },
      { ALT: () => this.SUBRULE(this.varDecl) },
      { ALT: () => this.SUBRULE(this.constDecl) },
      { ALT: () => this.SUBRULE(this.letStmt) },
      { ALT: () => this.SUBRULE(this.assignStmt) },
      { ALT: () => this.SUBRULE(this.outStmt) },
      { ALT: () => this.SUBRULE(this.lossStmt) },
      { ALT: () => this.SUBRULE(this.trainBlock) },
      { ALT: () => this.SUBRULE(this.feedbackStmt) },
    ]);
  });

  /** ioDecl := ("input" | "target") Identifier ":" shapeType */
  public ioDecl = this.RULE("ioDecl", () => {
    this.OR([{ ALT: () => this.CONSUME(T.Input) }, { ALT: () => this.CONSUME(T.Target) }]);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.shapeType);
  });

  /** varDecl := ("param" | "state") Identifier ":" shapeType ("=" expression)? */
  public varDecl = this.RULE("varDecl", () => {
    this.OR([{ ALT: () => this.CONSUME(T.Param) }, { ALT: () => this.CONSUME(T.State) }]);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.shapeType);
    this.OPTION(() => {
      this.CONSUME(T.Equals);
      this.SUBRULE(this.expression);
    });
  });

  /** constDecl := "const" Identifier ":" shapeType "=" tensorLiteral */
  public constDecl = this.RULE("constDecl", () => {
    this.CONSUME(T.Const);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.shapeType);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.tensorLiteral);
  });

  /** tensorLiteral := "[" (tensorItem ("," tensorItem)*)? "]" */
  public tensorLiteral = this.RULE("tensorLiteral", () => {
    this.CONSUME(T.LBracket);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.tensorItem) });
    this.CONSUME(T.RBracket);
  });

  /** tensorItem := tensorLiteral | "-"? Number */
  public tensorItem = this.RULE("tensorItem", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.tensorLiteral) },
      { ALT: () => { this.OPTION(() => this.CONSUME(T.Minus)); this.CONSUME(T.NumberLit); } },
    ]);
  });

  /** letStmt := "let" assignTarget ("," assignTarget)* "=" expression */
  public letStmt = this.RULE("letStmt", () => {
    this.CONSUME(T.Let);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.assignTarget) });
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression);
  });

  /** assignStmt := assignTarget ("," assignTarget)* "=" expression */
  public assignStmt = this.RULE("assignStmt", () => {
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.assignTarget) });
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression);
  });

  /** assignTarget := Identifier "'"? */
  public assignTarget = this.RULE("assignTarget", () => {
    this.CONSUME(T.Identifier);
    this.OPTION(() => this.CONSUME(T.Prime));
  });

  /** outStmt := "out" expression */
  public outStmt = this.RULE("outStmt", () => {
    this.CONSUME(T.Out);
    this.SUBRULE(this.expression);
  });

  /** lossStmt := "loss" expression */
  public lossStmt = this.RULE("lossStmt", () => {
    this.CONSUME(T.Loss);
    this.SUBRULE(this.expression);
  });

  /** trainBlock := "train" "{" (trainEntry ","?)* "}" */
  public trainBlock = this.RULE("trainBlock", () => {
    this.CONSUME(T.Train);
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      this.SUBRULE(this.namedValue);
      this.OPTION(() => this.CONSUME(T.Comma));
    });
    this.CONSUME(T.RCurly);
  });

  /** namedValue := Identifier ":" expression */
  public namedValue = this.RULE("namedValue", () => {
    this.CONSUME(T.Identifier);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.expression);
  });

  /** feedbackStmt := "feedback" Identifier "from" Identifier ("until" String)? */
  public feedbackStmt = this.RULE("feedbackStmt", () => {
    this.CONSUME(T.Feedback);
    this.CONSUME(T.Identifier);
    this.CONSUME(T.From);
    this.CONSUME2(T.Identifier, { LABEL: "source" });
    this.OPTION(() => {
      this.CONSUME(T.Until);
      this.CONSUME(T.StringLit);
    });
  });

  /** expression := additive */
  public expression = this.RULE("expression", () => {
    this.SUBRULE(this.additive);
  });

  /** additive := multiplicative (("+" | "-") multiplicative)* */
  public additive = this.RULE("additive", () => {
    this.SUBRULE(this.multiplicative, { LABEL: "operands" });
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(T.Plus, { LABEL: "operators" }) }, { ALT: () => this.CONSUME(T.Minus, { LABEL: "operators" }) }]);
      this.SUBRULE2(this.multiplicative, { LABEL: "operands" });
    });
  });

  /** multiplicative := unary (("*" | "/" | "@") unary)* */
  public multiplicative = this.RULE("multiplicative", () => {
    this.SUBRULE(this.unary, { LABEL: "operands" });
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(T.Star, { LABEL: "operators" }) },
        { ALT: () => this.CONSUME(T.Slash, { LABEL: "operators" }) },
        { ALT: () => this.CONSUME(T.At, { LABEL: "operators" }) },
      ]);
      this.SUBRULE2(this.unary, { LABEL: "operands" });
    });
  });

  /** unary := "-" unary | postfix */
  public unary = this.RULE("unary", () => {
    this.OR([
      { ALT: () => { this.CONSUME(T.Minus); this.SUBRULE(this.unary); } },
      { ALT: () => this.SUBRULE(this.postfix) },
    ]);
  });

  /** postfix := atom ("." Identifier | "'")* */
  public postfix = this.RULE("postfix", () => {
    this.SUBRULE(this.atom);
    this.MANY(() => {
      this.OR([
        { ALT: () => { this.CONSUME(T.Dot); this.CONSUME(T.Identifier, { LABEL: "member" }); } },
        { ALT: () => this.CONSUME(T.Prime) },
      ]);
    });
  });

  /** atom := Number | String | "(" expression ")" | application */
  public atom = this.RULE("atom", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.NumberLit) },
      { ALT: () => this.CONSUME(T.StringLit) },
      { ALT: () => { this.CONSUME(T.LParen); this.SUBRULE(this.expression); this.CONSUME(T.RParen); } },
      { ALT: () => this.SUBRULE(this.application) },
    ]);
  });

  /** application := modifier? Identifier genericArgs? callArgs? withClause? */
  public application = this.RULE("application", () => {
    this.OPTION(() => this.SUBRULE(this.modifier));
    this.CONSUME(T.Identifier);
    this.OPTION2(() => this.SUBRULE(this.genericArgs));
    this.OPTION3(() => this.SUBRULE(this.callArgs));
    this.OPTION4(() => this.SUBRULE(this.withClause));
  });

  /** modifier := "reverse" | "bidirectional" | "repeat" genericArgs */
  public modifier = this.RULE("modifier", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Reverse) },
      { ALT: () => this.CONSUME(T.Bidirectional) },
      { ALT: () => { this.CONSUME(T.Repeat); this.SUBRULE(this.genericArgs); } },
    ]);
  });

  /** genericArgs := "<" (argument ("," argument)*)? ">"  where argument := (Identifier "=")? expression */
  public genericArgs = this.RULE("genericArgs", () => {
    this.CONSUME(T.Less);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.genericArg) });
    this.CONSUME(T.Greater);
  });

  /** genericArg := (Identifier "=")? expression */
  public genericArg = this.RULE("genericArg", () => {
    this.OPTION(() => {
      this.CONSUME(T.Identifier, { LABEL: "name" });
      this.CONSUME(T.Equals);
    });
    this.SUBRULE(this.expression);
  });

  /** callArgs := "(" (callArg ("," callArg)*)? ")" */
  public callArgs = this.RULE("callArgs", () => {
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.callArg) });
    this.CONSUME(T.RParen);
  });

  /** callArg := (Identifier ":")? expression */
  public callArg = this.RULE("callArg", () => {
    this.OPTION(() => {
      this.CONSUME(T.Identifier, { LABEL: "name" });
      this.CONSUME(T.Colon);
    });
    this.SUBRULE(this.expression);
  });

  /** withClause := "with" "{" (namedValue ","?)* "}" */
  public withClause = this.RULE("withClause", () => {
    this.CONSUME(T.With);
    this.CONSUME(T.LCurly);
    this.MANY(() => {
      this.SUBRULE(this.namedValue);
      this.OPTION(() => this.CONSUME(T.Comma));
    });
    this.CONSUME(T.RCurly);
  });
}
