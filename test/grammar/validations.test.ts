/**
 * The CLI builds its lexer and parser without chevrotain's grammar validations
 * (start-up time): here they run, so a mistake in grammar/ still fails a test.
 */
import { describe, expect, it } from "vitest";
import { SeqParser } from "../../grammar/parser.js";
import { createLexer } from "../../grammar/tokens.js";

describe("the grammar passes chevrotain's validations", () => {
  it("the token definitions", () => {
    const lexer = createLexer({ validate: true });
    expect(lexer.lexerDefinitionErrors).toEqual([]);
  });

  it("the parser's rules (performSelfAnalysis throws on a definition error)", () => {
    expect(() => new SeqParser(undefined, { validate: true })).not.toThrow();
  });
});
