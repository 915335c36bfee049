/**
 * The TextMate grammar of editors/vscode against its test cases and against the lexer it mirrors.
 *
 * - editors/vscode/test/*.seq are vscode-tmgrammar-test cases (`# SYNTAX TEST "source.seq"`, then
 *   `#   ^^^ scope` lines under the line they test); the real tool runs them, and every scope the
 *   grammar can give is asserted somewhere in them.
 * - The grammar's keyword table equals the lexer's KEYWORDS: a new keyword fails here until the
 *   grammar scopes it.
 * - On every .seq file of the repository, each token the lexer (grammar/tokens.ts) reads is scoped
 *   as its kind, over exactly its span, and the grammar marks `invalid` exactly where the lexer
 *   rejects a character.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { globSync } from "tinyglobby";
import { describe, expect, it } from "vitest";
import { ALL_TOKENS, KEYWORDS, SeqLexer, WhiteSpace } from "../../grammar/tokens.js";
import { GRAMMAR_PATH, ROOT, tokenize, type TmToken } from "./textmate.js";

interface Rule {
  name?: string;
  match?: string;
  patterns?: Rule[];
  captures?: Record<string, Rule>;
  beginCaptures?: Record<string, Rule>;
  endCaptures?: Record<string, Rule>;
  repository?: Record<string, Rule>;
}

const GRAMMAR = JSON.parse(readFileSync(GRAMMAR_PATH, "utf8")) as Rule & { scopeName: string; repository: Record<string, Rule> };
const TEST_CASES = globSync("editors/vscode/test/*.seq", { cwd: ROOT }).sort();

/** Every scope name the grammar can give (rules, captures, nested rules). */
function scopeNames(rule: Rule, into = new Set<string>()): Set<string> {
  if (rule.name && rule !== GRAMMAR) into.add(rule.name); // the grammar's own `name` is its display name
  for (const r of rule.patterns ?? []) scopeNames(r, into);
  for (const group of [rule.captures, rule.beginCaptures, rule.endCaptures, rule.repository]) for (const r of Object.values(group ?? {})) scopeNames(r, into);
  return into;
}

/** The grammar's keyword table: word -> scope, read from `repository.keywords`. */
function grammarKeywords(): Map<string, string> {
  const table = new Map<string, string>();
  for (const p of GRAMMAR.repository.keywords?.patterns ?? []) {
    const m = /^([a-z]+)\(\?!\[A-Za-z0-9_\]\)$/.exec(p.match ?? "");
    if (!m || !p.name) throw new Error(`keywords: a pattern that is not one whole word: ${JSON.stringify(p)}`);
    table.set(m[1]!, p.name);
  }
  return table;
}

const LEXER_KEYWORDS = KEYWORDS.map((k) => (k.PATTERN as RegExp).source);
const KEYWORD_SCOPES = grammarKeywords();

function innermost(t: TmToken): string {
  return t.scopes[t.scopes.length - 1]!;
}

describe("vscode-tmgrammar-test", () => {
  it("runs the test cases of editors/vscode/test and they pass", () => {
    expect(TEST_CASES.length).toBeGreaterThanOrEqual(6);
    const req = createRequire(import.meta.url);
    const manifest = req("vscode-tmgrammar-test/package.json") as { bin: Record<string, string> };
    const bin = join(dirname(req.resolve("vscode-tmgrammar-test/package.json")), manifest.bin["vscode-tmgrammar-test"]!);
    const r = spawnSync(process.execPath, [bin, "--config", "editors/vscode/package.json", "--compact", "editors/vscode/test/*.seq"], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, FORCE_COLOR: "0" },
      timeout: 60_000,
    });
    if (r.error) throw r.error;
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const passed = r.stdout.split("\n").filter((l) => /run successfuly/.test(l));
    expect(passed, r.stdout).toHaveLength(TEST_CASES.length);
  });

  it("every test case names source.seq with # as its comment token", () => {
    for (const f of TEST_CASES) expect(readFileSync(join(ROOT, f), "utf8").split("\n")[0], f).toMatch(/^# SYNTAX TEST "source\.seq" "[^"]+"$/);
  });

  it("every scope the grammar gives is asserted by some test case", () => {
    const asserted = new Set<string>();
    for (const f of TEST_CASES) {
      for (const line of readFileSync(join(ROOT, f), "utf8").split("\n")) {
        if (/^#\s*(\^|<~*-+)/.test(line)) for (const w of line.split(/\s+/)) if (w.endsWith(".seq")) asserted.add(w);
      }
    }
    const missing = [...scopeNames(GRAMMAR)].filter((s) => !asserted.has(s)).sort();
    expect(missing, "scopes of the grammar that no test case asserts").toEqual([]);
  });
});

describe("keywords", () => {
  it("the grammar's keyword table is the lexer's KEYWORDS", () => {
    expect([...KEYWORD_SCOPES.keys()].sort()).toEqual([...LEXER_KEYWORDS].sort());
  });

  it("each keyword's scope ends with the keyword (storage.type.dim.seq)", () => {
    for (const [word, scope] of KEYWORD_SCOPES) expect(scope).toMatch(new RegExp(`^(keyword|storage)\\.[a-z]+\\.${word}\\.seq$`));
  });

  it.each(LEXER_KEYWORDS)("%s is scoped as a keyword alone, in a block and in an expression", async (word) => {
    const scope = KEYWORD_SCOPES.get(word);
    for (const text of [word, `model m {\n  ${word}\n}`, `x = f(\n  ${word})`]) {
      const line = text.split("\n").length > 1 ? 1 : 0;
      const hit = (await tokenize(text)).filter((t) => t.line === line && innermost(t) === scope);
      expect(hit.map((t) => [t.start, t.end]), text).toEqual([[line ? 2 : 0, (line ? 2 : 0) + word.length]]);
    }
  });

  it.each(LEXER_KEYWORDS)("%s inside a longer name is a name (the lexer's longer_alt)", async (word) => {
    for (const name of [`${word}x`, `${word}_1`, `${word}9`, `x${word}`, `_${word}`]) {
      const tokens = await tokenize(`y = ${name}`);
      expect(tokens.flatMap((t) => t.scopes).filter((s) => [...KEYWORD_SCOPES.values()].includes(s)), name).toEqual([]);
    }
  });
});

/** Which scope a token of each kind of the lexer must get (some scope of each TextMate token over it). */
const KIND: Record<string, RegExp> = {
  Comment: /^comment\.line\.number-sign\.seq$/,
  Identifier: /^(variable\.|entity\.name\.|support\.type\.property-name\.|constant\.other\.token\.)/,
  NumberLit: /^constant\.numeric\.decimal\.seq$/,
  StringLit: /^string\.quoted\.double\.seq$/,
  Arrow: /^keyword\.operator\.arrow\.seq$/,
  Prime: /^keyword\.operator\.prime\.seq$/,
  LParen: /^punctuation\.section\.parens\.begin\.seq$/,
  RParen: /^punctuation\.section\.parens\.end\.seq$/,
  LBracket: /^punctuation\.definition\.(shape|list)\.begin\.seq$/,
  RBracket: /^punctuation\.definition\.(shape|list)\.end\.seq$/,
  LCurly: /^punctuation\.section\.block\.begin\.seq$/,
  RCurly: /^punctuation\.section\.block\.end\.seq$/,
  Less: /^punctuation\.definition\.generic\.begin\.seq$/,
  Greater: /^punctuation\.definition\.generic\.end\.seq$/,
  Comma: /^punctuation\.separator\.comma\.seq$/,
  Colon: /^punctuation\.separator\.(type|key-value|colon)\.seq$/,
  Semicolon: /^punctuation\.terminator\.statement\.seq$/,
  Dot: /^punctuation\.accessor\.seq$/,
  Equals: /^keyword\.operator\.assignment\.seq$/,
  Plus: /^keyword\.operator\.arithmetic\.seq$/,
  Minus: /^keyword\.operator\.arithmetic\.seq$/,
  Star: /^keyword\.operator\.arithmetic\.seq$/,
  Slash: /^keyword\.operator\.arithmetic\.seq$/,
  At: /^keyword\.operator\.matmul\.seq$/,
};

const KEYWORD_KINDS = new Set(KEYWORDS.map((k) => k.name));

/** The scope a token must get: a keyword its own (storage.type.dim.seq), any other token its kind's. */
function expectedScope(kind: string, image: string): RegExp | undefined {
  if (!KEYWORD_KINDS.has(kind)) return KIND[kind];
  const scope = KEYWORD_SCOPES.get(image);
  return scope === undefined ? undefined : new RegExp(`^${scope.replace(/\./g, "\\.")}$`);
}

const CORPUS = globSync(["specs/**/*.seq", "src/std/*.seq", "test/differential/regressions/*.seq", "editors/vscode/test/*.seq"], { cwd: ROOT }).sort();

interface Span {
  kind: string;
  image: string;
  line: number;
  start: number;
  end: number;
}

/** The lexer's tokens and comments (0-based line, columns [start, end)) and the characters it rejects. */
function lex(text: string): { tokens: Span[]; errors: { line: number; column: number }[] } {
  const r = SeqLexer.tokenize(text);
  const tokens = [...r.tokens, ...(r.groups.comments ?? [])].map((t) => ({
    kind: t.tokenType.name,
    image: t.image,
    line: t.startLine! - 1,
    start: t.startColumn! - 1,
    end: t.endColumn!,
  }));
  return { tokens, errors: r.errors.map((e) => ({ line: e.line! - 1, column: e.column! - 1 })) };
}

describe("the grammar agrees with the lexer", () => {
  it("every kind of token of the lexer has a scope here, and the corpus has each", () => {
    const kinds = ALL_TOKENS.filter((t) => t !== WhiteSpace && !KEYWORDS.includes(t)).map((t) => t.name);
    expect(kinds.filter((k) => !KIND[k]), "token kinds with no expected scope in KIND").toEqual([]);
    const seen = new Set(CORPUS.flatMap((f) => lex(readFileSync(join(ROOT, f), "utf8")).tokens.map((t) => t.kind)));
    expect(ALL_TOKENS.map((t) => t.name).filter((k) => k !== WhiteSpace.name && !seen.has(k)), "token kinds no .seq file of the repository uses").toEqual([]);
  });

  it("the corpus holds the specs, the standard library and the test cases", () => {
    expect(CORPUS.filter((f) => f.startsWith("specs/")).length).toBeGreaterThanOrEqual(26);
    expect(CORPUS.filter((f) => f.startsWith("src/std/")).length).toBeGreaterThanOrEqual(3);
    expect(CORPUS.filter((f) => f.startsWith("editors/")).length).toBe(TEST_CASES.length);
  });

  it.each(CORPUS)("%s", async (file) => {
    const text = readFileSync(join(ROOT, file), "utf8");
    const { tokens, errors } = lex(text);
    const tm = (await tokenize(text)).filter((t) => t.end > t.start);
    const where = (line: number, col: number): string => `${file}:${line + 1}:${col + 1}`;
    const invalid = tm.filter((t) => t.scopes.some((s) => s.startsWith("invalid.")));

    // `invalid` exactly where the lexer rejects a character: each invalid token starts at a
    // rejected character, and each rejected character is inside an invalid token.
    for (const t of invalid) expect(errors.some((e) => e.line === t.line && e.column === t.start), `${where(t.line, t.start)}: invalid (${innermost(t)}) where the lexer reads a token`).toBe(true);
    for (const e of errors) expect(invalid.some((t) => t.line === e.line && t.start <= e.column && e.column < t.end), `${where(e.line, e.column)}: the lexer rejects a character the grammar does not mark invalid`).toBe(true);

    for (const tok of tokens) {
      // An unterminated string is invalid to the end of its line; the lexer goes on reading tokens there.
      if (invalid.some((t) => t.line === tok.line && t.start <= tok.start && tok.end <= t.end)) continue;
      const expected = expectedScope(tok.kind, tok.image);
      expect(expected, `no expected scope for ${tok.kind}`).toBeDefined();
      const over = tm.filter((t) => t.line === tok.line && t.start < tok.end && tok.start < t.end);
      const at = `${where(tok.line, tok.start)}: ${tok.kind} ${JSON.stringify(tok.image)}`;
      expect(over.length, at).toBeGreaterThan(0);
      for (const t of over) {
        expect([t.start, t.end], `${at}: a grammar token [${t.start}, ${t.end}) crosses the lexer token [${tok.start}, ${tok.end})`).toSatisfy(
          ([s, e]: number[]) => s! >= tok.start && e! <= tok.end,
        );
        expect(t.scopes, `${at}: scopes ${t.scopes.join(" ")}`).toSatisfy((scopes: string[]) => scopes.some((s) => expected!.test(s)));
        if (tok.kind === "Identifier") expect(t.scopes.filter((s) => [...KEYWORD_SCOPES.values()].includes(s)), at).toEqual([]);
      }
    }
  });
});
