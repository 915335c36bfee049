import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../../src/diagnostics/diagnostic.js";
import type { AssignStmt, AstApply, AstExpr, AstModule, DefDecl, ModelDecl, Stmt, TrainBlock } from "../../src/parse/ast.js";
import { MAX_NESTING, MAX_PARSE_ERRORS, MAX_SOURCE_CHARS, MAX_TOKENS, parseText } from "../../src/parse/parse.js";

const FILE = "test.seq";

/** Drops offsets so that shapes can be compared with toEqual/toMatchObject. */
function strip<T>(v: T): T {
  return JSON.parse(JSON.stringify(v, (k, x) => (k === "loc" || k === "nameLoc" || k === "calleeLoc" ? undefined : x))) as T;
}

function parseOk(text: string): AstModule {
  const r = parseText(FILE, text);
  expect(r.diagnostics).toEqual([]);
  return r.module;
}

function model(m: AstModule, name?: string): ModelDecl<AstExpr> {
  const found = m.items.find((i): i is ModelDecl<AstExpr> => i.kind === "model" && (name === undefined || i.name === name));
  if (!found) throw new Error(`no model ${name ?? ""}`);
  return found;
}

/** The value bound to `name` in a model or def body. */
function valueOf(body: Stmt<AstExpr>[], name: string): AstExpr {
  const s = body.find((x): x is AssignStmt<AstExpr> => x.kind === "assign" && x.targets.some((t) => t.name === name));
  if (!s) throw new Error(`no assignment to ${name}`);
  return s.value;
}

/** 0-based line of an offset. */
function lineAt(text: string, offset: number): number {
  return text.slice(0, offset).split("\n").length - 1;
}

function start(d: Diagnostic): number {
  return d.labels.find((l) => l.primary)!.start;
}

const ref = (name: string) => ({ kind: "name", name });
const num = (value: number, text = String(value)) => ({ kind: "num", value, text });

const SPEC = `# a spec with most constructs
dim H = 128
dim T multiple of 4
dim D = 2*H
vocab abc[V] = [A, "<eos>", 3, b_2]
vocab chars[W]

cell lstm<H, k=2>(x: [X], ctx mem: [S, M]) -> [H] {
  param W: [4*H, H + X] = glorot
  param b: [4*H] = zeros
  state h: [H] = 0
  state c: [H] = 0
  let i, f, o, g = split<4>(W @ concat(h, x) + b)
  c' = sigmoid(f) * c + sigmoid(i) * tanh(g)
  h' = sigmoid(o) * tanh(c')
  out h'
}

fn dense2<N>(x: [D]) {
  out -relu(x)
}

model m {
  input x: [T] of abc
  target y: [T, 1]
  enc = lstm<H=4>(one_hot(x))
  a = lstm<4>(one_hot(x)) with { h: enc.h, c: enc.c }
  b = reverse lstm<4>(one_hot(x))
  c = bidirectional lstm<4>(one_hot(x))
  d = repeat<3> block<8>(a)
  e = softmax(a, axis: 1)
  s = "say \\"hi\\"\\\\ \\n\\t\\u00e9 done"
  loss mse(p, y); loss bce(p, y)
  feedback x from logits until "<eos>"
  train { optimizer: adam(lr: 0.001), batch: 10 }
}
`;

describe("parseText: valid specs", () => {
  const m = parseOk(SPEC);
  const mm = model(m, "m");

  it("parses every top-level item in order", () => {
    expect(m.items.map((i) => `${i.kind} ${"name" in i ? i.name : ""}`)).toEqual([
      "dim H", "dim T", "dim D", "vocab abc", "vocab chars", "cell lstm", "fn dense2", "model m",
    ]);
  });

  it("parses dims: bound, free, multiple of, expressions", () => {
    expect(strip(m.items.slice(0, 3))).toMatchObject([
      { kind: "dim", name: "H", value: num(128) },
      { kind: "dim", name: "T", multipleOf: 4 },
      { kind: "dim", name: "D", value: { kind: "binary", op: "*", left: num(2), right: ref("H") } },
    ]);
    expect(m.items[1]).not.toHaveProperty("value");
  });

  it("parses vocabulary items given as names, strings and numbers", () => {
    expect(strip(m.items[3])).toMatchObject({ kind: "vocab", name: "abc", size: "V", tokens: ["A", "<eos>", "3", "b_2"] });
    expect(m.items[4]).toMatchObject({ kind: "vocab", name: "chars", size: "W" });
    expect(m.items[4]).not.toHaveProperty("tokens");
  });

  it("parses a cell signature: generics with defaults, ctx inputs, output shape", () => {
    const cell = strip(m.items[5] as DefDecl<AstExpr>);
    expect(cell).toMatchObject({
      kind: "cell",
      name: "lstm",
      generics: [{ name: "H" }, { name: "k", default: num(2) }],
      inputs: [
        { name: "x", ctx: false, type: { dims: [ref("X")] } },
        { name: "mem", ctx: true, type: { dims: [ref("S"), ref("M")] } },
      ],
      output: { dims: [ref("H")] },
    });
    expect(cell.body.map((s) => s.kind)).toEqual(["param", "param", "state", "state", "assign", "assign", "assign", "out"]);
  });

  it("parses multiple let targets and primed targets and reads", () => {
    const cell = m.items[5] as DefDecl<AstExpr>;
    const lets = cell.body[4] as AssignStmt<AstExpr>;
    expect(lets.targets.map((t) => [t.name, t.next])).toEqual([["i", false], ["f", false], ["o", false], ["g", false]]);
    const hNext = cell.body[6] as AssignStmt<AstExpr>;
    expect(hNext.targets.map((t) => [t.name, t.next])).toEqual([["h", true]]);
    // h' = sigmoid(o) * tanh(c'): the read of c' is a prime of the name c
    expect(strip(hNext.value)).toMatchObject({
      kind: "binary",
      op: "*",
      right: { kind: "apply", callee: "tanh", args: [{ value: { kind: "prime", operand: ref("c") } }] },
    });
    expect(strip(cell.body[7])).toMatchObject({ kind: "out", value: { kind: "prime", operand: ref("h") } });
  });

  it("gives * and @ precedence over + and -, left-associative", () => {
    const cell = m.items[5] as DefDecl<AstExpr>;
    const split = strip(valueOf(cell.body, "i")) as AstApply;
    expect(split).toMatchObject({
      kind: "apply",
      callee: "split",
      generic: [{ value: num(4) }],
      args: [{ value: { kind: "binary", op: "+", left: { kind: "binary", op: "@", left: ref("W") }, right: ref("b") } }],
    });
    expect(strip(parseOk("dim A = 1 - 2 - 3\n").items[0])).toMatchObject({
      value: { kind: "binary", op: "-", left: { kind: "binary", op: "-", left: num(1), right: num(2) }, right: num(3) },
    });
  });

  it("parses unary minus", () => {
    const fn = m.items[6] as DefDecl<AstExpr>;
    expect(strip(fn.body[0])).toMatchObject({ kind: "out", value: { kind: "neg", operand: { kind: "apply", callee: "relu" } } });
  });

  it("parses named and positional generic args", () => {
    expect(strip(valueOf(mm.body, "enc"))).toEqual({
      kind: "apply",
      callee: "lstm",
      generic: [{ name: "H", value: num(4) }],
      args: [{ value: { kind: "apply", callee: "one_hot", args: [{ value: ref("x") }] } }],
    });
    expect(strip(valueOf(mm.body, "b") as AstApply).generic).toEqual([{ value: num(4) }]);
  });

  it("parses named call args", () => {
    expect(strip(valueOf(mm.body, "e") as AstApply).args).toEqual([{ value: ref("a") }, { name: "axis", value: num(1) }]);
    const train = strip(mm.body.find((s): s is TrainBlock<AstExpr> => s.kind === "train")!);
    expect(train.entries).toEqual([
      { key: "optimizer", value: { kind: "apply", callee: "adam", args: [{ name: "lr", value: num(0.001, "0.001") }] } },
      { key: "batch", value: num(10) },
    ]);
  });

  it("parses `with { ... }` initial states and member reads `enc.c`", () => {
    const a = strip(valueOf(mm.body, "a") as AstApply);
    expect(a.with).toEqual([
      { name: "h", value: { kind: "member", object: ref("enc"), name: "h" } },
      { name: "c", value: { kind: "member", object: ref("enc"), name: "c" } },
    ]);
    expect(a.modifier).toBeUndefined();
  });

  it("parses the modifiers reverse, bidirectional and repeat<3>", () => {
    expect((valueOf(mm.body, "b") as AstApply).modifier).toEqual({ kind: "reverse" });
    expect((valueOf(mm.body, "c") as AstApply).modifier).toEqual({ kind: "bidirectional" });
    const d = strip(valueOf(mm.body, "d") as AstApply);
    expect(d).toMatchObject({
      callee: "block",
      modifier: { kind: "repeat", count: [{ value: num(3) }] },
      generic: [{ value: num(8) }],
      args: [{ value: ref("a") }],
    });
  });

  it("decodes string escapes", () => {
    expect(strip(valueOf(mm.body, "s"))).toEqual({ kind: "str", value: 'say "hi"\\ \n\té done' });
    expect(mm.body.find((s) => s.kind === "feedback")).toMatchObject({ input: "x", source: "logits", until: "<eos>" });
  });

  it("accepts `;` between statements", () => {
    expect(mm.body.filter((s) => s.kind === "loss")).toHaveLength(2);
  });

  it("keeps numbers as written and as values", () => {
    const m2 = parseOk("model m {\n  a = 1e-4 + 0.5 + 12 + 3.0E+2\n}\n");
    const texts: string[] = [];
    const walk = (e: AstExpr) => {
      if (e.kind === "binary") {
        walk(e.left);
        walk(e.right);
      } else if (e.kind === "num") texts.push(`${e.text}=${e.value}`);
    };
    walk(valueOf(model(m2).body, "a"));
    expect(texts).toEqual(["1e-4=0.0001", "0.5=0.5", "12=12", "3.0E+2=300"]);
  });

  it("a plain name is a name, a call with any suffix is an application", () => {
    const b = model(parseOk("model m {\n  a = x\n  b = f()\n  c = f<2>\n  d = reverse f\n}\n")).body;
    expect(valueOf(b, "a").kind).toBe("name");
    expect(strip(valueOf(b, "b"))).toEqual({ kind: "apply", callee: "f", args: [] });
    expect(strip(valueOf(b, "c"))).toEqual({ kind: "apply", callee: "f", generic: [{ value: num(2) }] });
    expect(strip(valueOf(b, "d"))).toEqual({ kind: "apply", callee: "f", modifier: { kind: "reverse" } });
  });

  it("keywords do not swallow longer identifiers", () => {
    const b = model(parseOk("model m {\n  output = models + outer\n}\n")).body;
    expect(b[0]).toMatchObject({ kind: "assign", targets: [{ name: "output" }] });
    expect(strip(valueOf(b, "output"))).toEqual({ kind: "binary", op: "+", left: ref("models"), right: ref("outer") });
  });

  it("gives every node offsets into the text", () => {
    const d = valueOf(mm.body, "d");
    expect(SPEC.slice(d.loc.start, d.loc.end)).toBe("repeat<3> block<8>(a)");
    expect(SPEC.slice(mm.nameLoc.start, mm.nameLoc.end)).toBe("m");
    const a = valueOf(mm.body, "a") as AstApply;
    expect(SPEC.slice(a.calleeLoc.start, a.calleeLoc.end)).toBe("lstm");
    expect(SPEC.slice(a.loc.start, a.loc.end)).toBe("lstm<4>(one_hot(x)) with { h: enc.h, c: enc.c }");
  });

  it("parses an empty file and a file of comments", () => {
    expect(parseOk("").items).toEqual([]);
    expect(parseOk("# only\n# comments\n")).toEqual({ items: [], endComments: ["# only", "# comments"] });
  });
});

describe("parseText: syntax errors", () => {
  it("reports two syntax errors on different lines in one run", () => {
    const text = "model m {\n  a = f(x,, y)\n  b = 1\n  c = * 2\n}\n";
    const { diagnostics, module } = parseText(FILE, text);
    expect(diagnostics.map((d) => d.code)).toEqual(["SEQ0002", "SEQ0002"]);
    expect(diagnostics.map((d) => lineAt(text, start(d)))).toEqual([1, 3]);
    expect(start(diagnostics[0]!)).toBe(text.indexOf(",,") + 1);
    expect(start(diagnostics[1]!)).toBe(text.indexOf("*"));
    for (const d of diagnostics) expect(d.labels[0]!.file).toBe(FILE);
    // recovery keeps what could be built
    expect(module.items.map((i) => i.kind)).toEqual(["model"]);
  });

  it("reports errors in two different items", () => {
    const text = "dim A =\nmodel m {\n  b = 1\n}\nmodel n {\n  c = )\n}\n";
    const { diagnostics } = parseText(FILE, text);
    expect(diagnostics.map((d) => d.code)).toEqual(["SEQ0002", "SEQ0002"]);
    expect(diagnostics.map((d) => lineAt(text, start(d)))).toEqual([1, 5]);
  });

  it("reports a lexer error (SEQ0001) at the offending character", () => {
    const text = "model m {\n  a = 1 $ 2\n}\n";
    const { diagnostics } = parseText(FILE, text);
    const lex = diagnostics.filter((d) => d.code === "SEQ0001");
    expect(lex).toHaveLength(1);
    expect(lex[0]!.labels[0]).toMatchObject({ file: FILE, start: text.indexOf("$"), end: text.indexOf("$") + 1, primary: true });
    expect(lex[0]!.message).toContain("'$'");
  });

  it("reports an unterminated string as a lexer error where it starts", () => {
    const text = 'model m {\n  a = "abc\n}\n';
    const { diagnostics } = parseText(FILE, text);
    expect(diagnostics.length).toBeGreaterThan(0);
    expect(diagnostics[0]!.code).toBe("SEQ0001");
    expect(start(diagnostics[0]!)).toBe(text.indexOf('"'));
  });

  it("reports a missing closing brace at the end of the file", () => {
    const text = "model m {\n  a = 1\n";
    const { diagnostics } = parseText(FILE, text);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]!.code).toBe("SEQ0002");
    expect(diagnostics[0]!.message).toContain("the end of the file");
    expect(start(diagnostics[0]!)).toBeLessThanOrEqual(text.length);
  });

  it.each([
    ["a mismatched token", "model m {\n  input x: [T\n  b = 1\n}\n", "']'", "'b'"],
    ["no viable alternative", "model m {\n  a = f(x,, y)\n}\n", "an expression", "','"],
    ["a stray token at top level", "model m {\n}\n)\n", "a top-level item", "')'"],
    ["a token that cannot start a statement", "model m {\n  5\n}\n", "'}'", "'5'"],
    ["a name among a const's numbers", "model m {\n  const c: [2, 2] = [[1, x], [0, 1]]\n}\n", "expected a number,", "'x'"],
  ])("words the message for people (%s)", (_what, text, expected, found) => {
    const { diagnostics } = parseText(FILE, text);
    expect(diagnostics.length).toBeGreaterThan(0);
    const d = diagnostics.find((x) => x.code === "SEQ0002")!;
    expect(d.message).toMatch(/^expected /);
    expect(d.message).toContain(expected);
    expect(d.message).toContain(`found ${found}`);
    for (const x of diagnostics) {
      expect(x.message).not.toContain("-->");
      expect(x.message).not.toContain("<--");
      expect(x.message).not.toMatch(/Expecting|token of type|but found/);
    }
  });

  it("words every syntax error of specs/invalid the same way", () => {
    const dir = join(resolve(dirname(fileURLToPath(import.meta.url)), "../.."), "specs/invalid");
    const files = readdirSync(dir).filter((n) => n.endsWith(".seq"));
    let seen = 0;
    for (const name of files) {
      for (const d of parseText(name, readFileSync(join(dir, name), "utf8")).diagnostics) {
        seen++;
        if (d.code === "SEQ0002") expect(d.message, name).toMatch(/^expected .+, found (?:'.+'|the end of the file)$/);
        else expect(d.message, name).toMatch(/^unexpected character '.+'$/);
        expect(d.message, name).not.toContain("-->");
      }
    }
    if (files.length > 0) expect(seen).toBeGreaterThan(0);
  });

  it("never throws on garbage", () => {
    for (const text of ["}}}", "model", "model {", "cell c(", "<<<>>>", "'''", "dim", "vocab v[", "\u0000\uffff", "model m { a = }", "cell c<>(x) {}"]) {
      expect(() => parseText(FILE, text)).not.toThrow();
      expect(parseText(FILE, text).diagnostics.length).toBeGreaterThan(0);
    }
  });
});

describe("parseText: deep nesting", () => {
  const deep = (open: string, close: string, n: number) => `model m {\n  a = ${open.repeat(n)}x${close.repeat(n)}\n}\n`;

  it.each([
    ["parentheses", deep("(", ")", MAX_NESTING + 50)],
    ["calls", deep("f(", ")", MAX_NESTING + 50)],
    ["generic args", deep("f<", ">", MAX_NESTING + 50)],
    ["unary minus", `model m {\n  a = ${"-".repeat(MAX_NESTING + 50)}x\n}\n`],
    ["unclosed parentheses", `model m {\n  a = ${"(".repeat(100_000)}\n`],
    ["shape brackets", `model m {\n  input x: ${"[".repeat(MAX_NESTING + 1)}\n}\n`],
  ])("reports SEQ0002 for %s nested deeper than MAX_NESTING, without throwing", (_what, text) => {
    let r: ReturnType<typeof parseText> | undefined;
    expect(() => (r = parseText(FILE, text))).not.toThrow();
    expect(r!.diagnostics.map((d) => d.code)).toContain("SEQ0002");
    const d = r!.diagnostics.find((x) => x.code === "SEQ0002")!;
    expect(d.message).toContain(String(MAX_NESTING));
    // reported where the nesting gets too deep, on the line of the expression
    expect(lineAt(text, start(d))).toBe(1);
  });

  it("parses nesting within the limit", () => {
    const m = parseOk(deep("(", ")", MAX_NESTING - 1));
    expect(strip(valueOf(model(m).body, "a"))).toEqual(ref("x"));
  });

  it("keeps working after a too-deep input", () => {
    parseText(FILE, deep("(", ")", MAX_NESTING * 2));
    expect(model(parseOk("model m {\n  a = f(x)\n}\n")).body).toHaveLength(1);
  });
});

describe("parseText: one error per statement, and what to write", () => {
  it("says how to write a vocabulary without its size dim, in one error", () => {
    const text = "model m {\n  vocab labels = [neg, pos]  # two classes\n  dim T\n}\n";
    const { diagnostics } = parseText(FILE, text);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]!.message).toBe("expected the vocabulary's size dim in brackets after its name, found '='");
    expect(start(diagnostics[0]!)).toBe(text.indexOf("="));
    expect(diagnostics[0]!.help).toBe("write `vocab labels[L] = [neg, pos]`: L is the number of tokens, a dim the shapes can use");
  });

  it("names the size dim so that it does not clash with a declared one", () => {
    const text = "dim L = 3\nvocab labels\nvocab chars[C]\n";
    const { diagnostics } = parseText(FILE, text);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]!.help).toMatch(/^write `vocab labels\[L_SIZE\]`/);
  });

  it("reports the first syntax error of a statement only", () => {
    const text = "model m {\n  a = f(x,, y) ) z\n  b = 1\n  c = f(\n    x,, y,,\n  )\n  d = * 2\n}\n";
    const { diagnostics } = parseText(FILE, text);
    expect(diagnostics.map((d) => lineAt(text, start(d)))).toEqual([1, 4, 6]);
  });

  it("reports a line's unexpected characters once, with the count of the rest", () => {
    const text = "model m {\n  a = 1 $ 2 $ 3 $\n  b = 1 ` 2\n}\n";
    const { diagnostics } = parseText(FILE, text);
    expect(diagnostics.map((d) => [d.code, lineAt(text, start(d))])).toEqual([["SEQ0001", 1], ["SEQ0001", 2]]);
    expect(diagnostics[0]!.notes).toEqual(["and 2 more unexpected characters on this line"]);
  });
});

describe("parseText: hostile input", () => {
  it("reports a binary file (a NUL byte) once, without lexing it", () => {
    const text = "model m {\n  a = 1\u0000\u0001\u0002 $$$ \n}\n";
    const { diagnostics, module } = parseText(FILE, text);
    expect(diagnostics.map((d) => d.code)).toEqual(["SEQ0001"]);
    expect(diagnostics[0]!.message).toBe("this is a binary file, not a spec: it holds a NUL byte");
    expect(start(diagnostics[0]!)).toBe(text.indexOf("\u0000"));
    expect(module.items).toEqual([]);
  });

  it("reports a binary file without NUL bytes (control characters, invalid UTF-8) once", () => {
    const text = `model m {\n  a = 1 ${"\u0001\ufffd".repeat(20)}\n}\n`;
    const { diagnostics } = parseText(FILE, text);
    expect(diagnostics.map((d) => d.message)).toEqual(["this is a binary file, not a spec: it holds 40 control characters or invalid UTF-8 sequences in its first 61 characters"]);
    expect(start(diagnostics[0]!)).toBe(text.indexOf("\u0001"));
    // A stray one is an unexpected character, as before.
    expect(parseText(FILE, "model m {\n  a = 1 \u0001 2\n}\n").diagnostics.map((d) => d.code)).toEqual(["SEQ0001"]);
  });

  it("refuses a text longer than MAX_SOURCE_CHARS in one error", () => {
    const { diagnostics } = parseText(FILE, "x".repeat(MAX_SOURCE_CHARS + 1));
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]!.message).toContain(`up to ${MAX_SOURCE_CHARS}`);
  });

  it("refuses more than MAX_TOKENS tokens in one error", () => {
    const { diagnostics } = parseText(FILE, `model m {\n  a = ${"x + ".repeat(MAX_TOKENS)}x\n}\n`);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]!.message).toContain(`more than ${MAX_TOKENS} tokens`);
  });

  it("stops after MAX_PARSE_ERRORS syntax errors and says so", () => {
    const text = `model m {\n${"  a = = 1\n".repeat(MAX_PARSE_ERRORS * 3)}}\n`;
    const { diagnostics } = parseText(FILE, text);
    expect(diagnostics.length).toBeLessThanOrEqual(MAX_PARSE_ERRORS + 1);
    expect(diagnostics.at(-1)!.message).toBe(`stopped reading after ${MAX_PARSE_ERRORS} syntax errors`);
    // The parser is whole again for the next file.
    expect(parseText(FILE, "model m {\n  a = f(x)\n}\n").diagnostics).toEqual([]);
  });

  it("quotes a long token in a message by its first 20 characters, control characters as code points", () => {
    const { diagnostics } = parseText(FILE, `${"y".repeat(100_000)}\n`);
    expect(diagnostics[0]!.message).toBe(`expected a top-level item (import, dim, vocab, cell, fn or model), found '${"y".repeat(20)}…'`);
    expect(parseText(FILE, "model m {\n  a = 1 \u001b 2\n}\n").diagnostics[0]!.message).toBe("unexpected character '\\u001b'");
  });
});

describe("parseText: comments (src/parse/comments.ts)", () => {
  const TEXT = `# file header
dim H = 4  # hidden size
dim T

# before the model
model m {
  # before x
  input x: [T]  # the input
  a = f(x,  # inside a statement
        y)

  # after a gap
  b = a
  train {
    # before batch
    batch: 1  # one
    # end of train
  }
  # end of model
}  # after model
# end of file
`;
  const m = parseOk(TEXT);
  const mm = model(m);

  it("puts whole-line comments `before` the next node", () => {
    expect(m.items[0]!.comments?.before).toEqual(["# file header"]);
    expect(mm.comments?.before).toEqual(["# before the model"]);
    expect(mm.body[0]!.comments?.before).toEqual(["# before x"]);
  });

  it("puts a comment on the line where a node ends `after` it", () => {
    expect(m.items[0]!.comments?.after).toBe("# hidden size");
    expect(mm.body[0]!.comments?.after).toBe("# the input");
    expect(mm.comments?.after).toBe("# after model");
    expect(m.items[1]!.comments).toBeUndefined();
  });

  it("moves a comment in the middle of a statement before that statement", () => {
    expect(mm.body[1]!.comments?.before).toEqual(["# inside a statement"]);
    expect(mm.body[1]!.comments?.after).toBeUndefined();
  });

  it("keeps the comments after the last node of a block as `endComments`", () => {
    expect(mm.endComments).toEqual(["# end of model"]);
    expect(m.endComments).toEqual(["# end of file"]);
  });

  it("attaches comments inside a train block to its entries", () => {
    const train = mm.body.find((s): s is TrainBlock<AstExpr> => s.kind === "train")!;
    expect(train.entries[0]!.comments).toEqual({ before: ["# before batch"], after: "# one" });
    expect(train.endComments).toEqual(["# end of train"]);
  });

  it("marks a blank line between two nodes of a block as `gap`, looking past comment lines", () => {
    expect(mm.body[2]!.comments).toEqual({ before: ["# after a gap"], gap: true });
    expect(mm.body[1]!.comments?.gap).toBeUndefined();
    expect(m.items[1]!.comments?.gap).toBeUndefined();
    // top-level blocks are always set apart
    expect(mm.comments?.gap).toBe(true);
    expect(parseOk("dim A\nmodel m {\n}\n").items[1]!.comments).toEqual({ gap: true });
    expect(parseOk("dim A\n\ndim B\ndim C\n").items.map((i) => i.comments?.gap ?? false)).toEqual([false, true, false]);
  });

  it("keeps every comment exactly once", () => {
    const all: string[] = [];
    const collect = (c: { before?: string[]; after?: string } | undefined) => {
      all.push(...(c?.before ?? []));
      if (c?.after) all.push(c.after);
    };
    const walk = (nodes: { comments?: { before?: string[]; after?: string }; kind?: string }[]) => {
      for (const n of nodes) {
        collect(n.comments);
        const k = n as { body?: typeof nodes; entries?: typeof nodes; endComments?: string[] };
        if (k.body) walk(k.body);
        if (k.entries) walk(k.entries);
        all.push(...(k.endComments ?? []));
      }
    };
    walk(m.items);
    all.push(...(m.endComments ?? []));
    const expected = TEXT.split("\n").flatMap((l) => (l.includes("#") ? [l.slice(l.indexOf("#"))] : []));
    expect(all.sort()).toEqual(expected.sort());
  });

  it("joins several comments after the same node", () => {
    const m2 = parseOk("model m {\n  a = 1; b = 2  # one\n}\n");
    expect(model(m2).body[1]!.comments?.after).toBe("# one");
    expect(model(m2).body[0]!.comments).toBeUndefined();
  });

  it("puts a comment on a block's opening line before its first statement, or in its endComments if empty", () => {
    const m2 = parseOk("cell c(x: [X]) {  # step\n  out x\n}\nmodel e {  # nothing yet\n}\n");
    expect((m2.items[0] as DefDecl<AstExpr>).body[0]!.comments?.before).toEqual(["# step"]);
    expect(model(m2, "e").endComments).toEqual(["# nothing yet"]);
  });

  it("does not treat # inside a string as a comment", () => {
    const m2 = parseOk('model m {\n  a = "x # y"  # real\n}\n');
    expect(strip(valueOf(model(m2).body, "a"))).toEqual({ kind: "str", value: "x # y" });
    expect(model(m2).body[0]!.comments).toEqual({ after: "# real" });
  });
});
