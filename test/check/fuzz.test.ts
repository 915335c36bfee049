/**
 * Property-based robustness of the whole front end (parse -> lower -> validate
 * -> check) with fast-check: bad input must never throw, only produce
 * diagnostics with a known code and spans inside the text.
 *
 *   (a) arbitrary strings: full unicode, and strings of .seq tokens
 *   (c) deeply nested / very long expressions inside a small valid model
 *
 * and the regressions the fuzzers found. (b) mutations of the real specs are
 * fuzz-mutants.test.ts, (d) generated models fuzz-models.test.ts; the parts
 * they share are fuzz.ts (SEQC_FUZZ_SEED, SEQC_FUZZ_SCALE). Each property
 * counts the cases it ran; afterAll prints the total.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Expr, IrModule } from "../../src/ir/ir.js";
import { compileText } from "../../src/ir/program.js";
import { validateIr } from "../../src/ir/validate.js";
import { MAX_EXPR_DEPTH, MAX_NESTING } from "../../src/parse/parse.js";
import { assertFormatsIdempotently, checkText, codeUnit, fail, grammarToken, printCounts, property, ROOT, type Run } from "./fuzz.js";

printCounts("fuzz");

// ---------------------------------------------------------------------------
// (a) arbitrary strings

describe("fuzz (a): arbitrary strings never throw", () => {
  it("full unicode strings", () => {
    const text = fc.oneof(
      fc.string({ unit: "binary", maxLength: 80 }),
      fc.string({ unit: "grapheme", maxLength: 40 }),
      fc.string({ unit: codeUnit, maxLength: 80 }),
    );
    property("a.unicode", 2000, [text], (t) => {
      checkText(t);
    });
  });

  it("strings of .seq tokens", () => {
    property("a.tokens", 4000, [fc.string({ unit: grammarToken, maxLength: 120 })], (t) => {
      checkText(t);
    });
  });

  it("tokens mixed with arbitrary characters", () => {
    const unit = fc.oneof({ weight: 5, arbitrary: grammarToken }, { weight: 1, arbitrary: codeUnit }, { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 2 }) });
    property("a.mixed", 1500, [fc.string({ unit, maxLength: 120 })], (t) => {
      checkText(t);
    });
  });
});

/** A small valid model around one expression of `a: [T, H]` (the model's braces add one level of nesting). */
function inModel(expr: string): string {
  return `dim H = 4
model m {
  dim T
  input a: [T, H]
  target y: [T, H]
  p = ${expr}
  loss mse(p, y)
  train { optimizer: sgd(lr: 0.1), batch: 1, epochs: 1 }
}
`;
}

/** Sizes around the parser's limits (bracket nesting, expression depth). */
const EDGES = [MAX_NESTING, MAX_EXPR_DEPTH].flatMap((n) => [n - 2, n - 1, n, n + 1, n + 2]);

/** Sizes 1..max, biased to small ones, plus the edges of the parser's limits and max itself. */
function size(max: number): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 1, max }) },
    { weight: 2, arbitrary: fc.constantFrom(...EDGES.filter((n) => n >= 1 && n <= max)) },
    { weight: 1, arbitrary: fc.constant(max) },
  );
}

/** For expressions that are valid whatever their depth: only a "nested too deeply" diagnostic may appear. */
function onlyNesting(run: Run): void {
  for (const d of run.result.diagnostics) if (d.code !== "SEQ0002") fail("a valid deep expression got a diagnostic", d);
}

describe("fuzz (c): deep nesting never throws", () => {
  it("nested parentheses, 1..5000 deep", () => {
    property("c.parens", 120, [size(5000)], (n) => {
      onlyNesting(checkText(inModel("(".repeat(n) + "a" + ")".repeat(n))));
    });
  });

  it("unary minus chains", () => {
    const form = fc.constantFrom("-", "- ", "-(");
    property("c.minus", 120, [size(5000), form], (n, f) => {
      const expr = f === "-(" ? "-(".repeat(n) + "a" + ")".repeat(n) : f.repeat(n) + "a";
      onlyNesting(checkText(inModel(expr)));
    });
  });

  it("long binary chains, up to 10,000 terms", () => {
    const op = fc.constantFrom("+", "-", "*", "/");
    property("c.chain", 30, [size(10_000), op, fc.boolean()], (n, o, tight) => {
      const terms = Array.from({ length: n }, () => "a");
      onlyNesting(checkText(inModel(terms.join(tight ? o : ` ${o} `))));
    });
  });

  it("nested calls, tanh(tanh(...)) and dense<H>(dense<H>(...))", () => {
    const f = fc.constantFrom("tanh", "sigmoid", "relu", "dense<H>", "elman<H>", "highway");
    property("c.calls", 120, [size(5000), f], (n, fn) => {
      onlyNesting(checkText(inModel(`${fn}(`.repeat(n) + "a" + ")".repeat(n))));
    });
  });

  it("long postfix chains (primes, members)", () => {
    const suffix = fc.constantFrom("'", ".h", "'.h");
    property("c.postfix", 60, [size(10_000), suffix], (n, s) => {
      checkText(inModel("a" + s.repeat(n)));
    });
  });

  it("long dim expressions and shapes", () => {
    property("c.dims", 60, [size(10_000), fc.boolean()], (n, inShape) => {
      const text = inShape
        ? inModel("a").replace("input a: [T, H]", `input a: [T, H${" * 1".repeat(n)}]`)
        : `dim D = ${Array.from({ length: n }, () => "1").join(" + ")}\n` + inModel("a");
      onlyNesting(checkText(text));
    });
  });
});

// ---------------------------------------------------------------------------
// (d) random well-formed models

// ---------------------------------------------------------------------------
// Regressions: inputs found by this fuzzer that threw. Keep them.

describe("fuzz regressions", () => {
  // Found by (a) as the one-character text U+FEFF: the loader drops a leading byte-order mark, and the check
  // compared the source it kept with the text as given. Offsets are into the text without the mark.
  it("a text that starts with a byte-order mark is read without it", () => {
    expect(checkText("\uFEFF").result.diagnostics.map((d) => d.code)).toEqual(checkText("").result.diagnostics.map((d) => d.code));
    const run = checkText("\uFEFFmodel m {\n  input x: [2]\n  y = x * q\n}\n");
    const texts = run.result.diagnostics.flatMap((d) => d.labels).filter((l) => l.primary).map((l) => run.program.sources.get(l.file)!.slice(l.start, l.end));
    expect(texts).toContain("q");
  });

  // Found by (c) as `a + a + ...` with 2,665 terms (~800 from a cold start; the
  // limit depends on the stack): validateIr ran ajv's recursive validator over
  // the left-nested IR and its RangeError escaped compileText / loadProgram.
  // The IR is built directly here (deeper than the parser lets through), so the
  // case does not depend on the parser's depth limit.
  it("validateIr does not throw on a deeply nested IR", () => {
    const { ir } = compileText(ROOT, "dim D = 1 + 1\n");
    const item = ir.items[0] as Extract<IrModule["items"][number], { kind: "dim" }>;
    const one = { op: "num", value: 1, loc: { start: 8, end: 9 } } as const;
    let value: Expr = one;
    for (let i = 0; i < 20_000; i++) value = { op: "add", args: [value, one], loc: { start: 8, end: 13 } } as Expr;
    const deep = { ...ir, items: [{ ...item, value }] } as IrModule;
    expect(validateIr(ROOT, deep).map((d) => d.code)).toEqual(["SEQ0005"]);
  });

  // Found by (c): a 10,000-term `a + a + ...` chain (a left-nested tree as deep)
  // overflowed the stack in lowerExpr (src/ir/lower.ts); so did the same sum in
  // a dim (`dim D = 1 + 1 + ...`).
  it("a 10,000-term sum in a model or a dim does not throw", () => {
    onlyNesting(checkText(inModel(Array.from({ length: 10_000 }, () => "a").join(" + "))));
    onlyNesting(checkText(`dim D = ${Array.from({ length: 10_000 }, () => "1").join(" + ")}\n`));
  });

  // Found by (c): ~3,500 primes `a''''...` or members `a.h.h...` nested the AST
  // as deep; lowerExpr recursed through them (reporting SEQ0108 / SEQ0111) and
  // overflowed the stack.
  it("10,000 primes or members are reported, not a crash", () => {
    for (const text of [inModel("a" + "'".repeat(10_000)), inModel("a" + ".h".repeat(10_000))]) {
      const codes = checkText(text).result.diagnostics.map((d) => d.code);
      expect(codes.length).toBeGreaterThan(0);
      expect(codes.every((c) => ["SEQ0002", "SEQ0108", "SEQ0111"].includes(c)), codes.join(" ")).toBe(true);
    }
  });

  // Found by (b) (resnet_bottleneck.seq with its `epochs: 10` deleted): a blank
  // line between train entries (comments.gap) was dropped when the block fit on
  // one line, so the formatted text meant another IR.
  it("a blank line between train entries survives formatting", () => {
    const text = "model m {\n  input x: [1]\n  target y: [1]\n  loss mse(x, y)\n  train {\n    batch: 32\n\n    epochs: 1\n  }\n}\n";
    const { program, result } = checkText(text);
    expect(result.diagnostics).toEqual([]);
    assertFormatsIdempotently(program.root.ir, text);
  });

  // Found by (b) (highway.seq with its `repeat<10>` count replaced by
  // 2147483648): the checker made one parameter set per repeated copy, so
  // repeat<2147483647> ran out of heap and aborted the process. Counts are now
  // bounded (SEQ0112 above MAX_REPEAT).
  it("repeat<2147483647> is reported, not materialised", () => {
    const text = "model m {\n  input x: [4]\n  target y: [4]\n  h = repeat<2147483647> highway(x)\n  loss mse(h, y)\n}\n";
    expect(checkText(text).result.diagnostics.map((d) => d.code)).toEqual(["SEQ0112"]);
  });
});
