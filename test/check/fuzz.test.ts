/**
 * Property-based robustness of the whole front end (parse -> lower -> validate
 * -> check) with fast-check: bad input must never throw, only produce
 * diagnostics with a known code and spans inside the text; a spec that checks
 * clean must format idempotently.
 *
 *   (a) arbitrary strings: full unicode, and strings of .seq tokens
 *   (b) mutations of the real specs in specs/*.seq
 *   (c) deeply nested / very long expressions inside a small valid model
 *   (d) random well-formed models from a small generator
 *
 * Each property counts the cases it ran; afterAll prints the total. Set
 * SEQC_FUZZ_SEED to replay a run (fast-check prints the seed of a failure);
 * SEQC_FUZZ_SCALE (default 1) multiplies every numRuns.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { checkProgram, type CheckResult } from "../../src/check/check.js";
import { CODES } from "../../src/diagnostics/codes.js";
import type { Diagnostic } from "../../src/diagnostics/diagnostic.js";
import type { Expr, IrModule } from "../../src/ir/ir.js";
import { withoutOffsets } from "../../src/ir/equal.js";
import { compileText, loadProgram, type Program } from "../../src/ir/program.js";
import { printModule } from "../../src/ir/print.js";
import { validateIr } from "../../src/ir/validate.js";
import { MAX_EXPR_DEPTH, MAX_NESTING } from "../../src/parse/parse.js";

const SCALE = Number(process.env["SEQC_FUZZ_SCALE"] ?? "1") || 1;
const SEED = process.env["SEQC_FUZZ_SEED"] === undefined ? undefined : Number(process.env["SEQC_FUZZ_SEED"]);

/** fast-check parameters of a property with `runs` cases (scaled). */
function params(runs: number): fc.Parameters<unknown> {
  const p: fc.Parameters<unknown> = { numRuns: Math.max(1, Math.round(runs * SCALE)) };
  if (SEED !== undefined) p.seed = SEED;
  return p;
}

// ---------------------------------------------------------------------------
// The pipeline and its invariants

/** Cases run per property (counted in the predicates, shrinking included). */
const counts = new Map<string, number>();
/** Extra facts for the summary line. */
const notes: string[] = [];
const planned = new Map<string, number>();
function count(key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** Runs one property and asserts that it ran at least its planned number of cases. */
function property<Ts extends [unknown, ...unknown[]]>(
  key: string,
  runs: number,
  arbs: { [K in keyof Ts]: fc.Arbitrary<Ts[K]> },
  predicate: (...args: Ts) => void,
): void {
  const p = params(runs);
  planned.set(key, p.numRuns!);
  counts.set(key, 0);
  fc.assert(
    fc.property(...arbs, (...args: Ts) => {
      count(key);
      predicate(...args);
    }),
    p as fc.Parameters<Ts>,
  );
  expect(counts.get(key)).toBeGreaterThanOrEqual(p.numRuns!);
}

const ROOT = "fuzz.seq";

interface Run {
  program: Program;
  result: CheckResult;
}

/** The full pipeline on one text, as the CLI runs it (imports cannot be read). */
function runText(text: string): Run {
  const program = loadProgram(ROOT, {
    text,
    readFile: () => {
      throw new Error("no imports in fuzz");
    },
  });
  return { program, result: checkProgram(program) };
}

function fail(message: string, d?: Diagnostic): never {
  throw new Error(d ? `${message}: ${JSON.stringify(d)}` : message);
}

/** Every diagnostic has a known code with its severity, a message and labels inside known sources. */
function assertWellFormed(run: Run, text: string): void {
  const { program, result } = run;
  if (program.sources.get(program.root.file) !== text) fail("the root source is not the text");
  for (const d of result.diagnostics) {
    if (!Object.hasOwn(CODES, d.code)) fail("unknown code", d);
    if (CODES[d.code].severity !== d.severity) fail("severity differs from the code table", d);
    if (typeof d.message !== "string" || d.message.length === 0) fail("empty message", d);
    if (d.labels.length === 0) fail("no labels", d);
    if (!d.labels.some((l) => l.primary)) fail("no primary label", d);
    for (const l of d.labels) {
      const source = program.sources.get(l.file);
      if (source === undefined) fail(`label in unknown file ${l.file}`, d);
      if (!Number.isInteger(l.start) || !Number.isInteger(l.end)) fail("non-integer offsets", d);
      if (l.start < 0 || l.start > l.end || l.end > source.length) fail(`offsets outside 0..${source.length}`, d);
    }
  }
}

/** Runs the pipeline and checks the diagnostics' form; throws (fails the property) on any exception. */
function checkText(text: string): Run {
  const run = runText(text);
  assertWellFormed(run, text);
  return run;
}

/** Where two strings first differ, with some context. */
function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const from = Math.max(0, i - 60);
  return `at ${i}:\n  ${a.slice(from, i + 80)}\n  ${b.slice(from, i + 80)}`;
}

/**
 * print(parse(print(ir))) == print(ir); the printed text is clean and means the
 * same IR (offsets aside: the printer's contract, src/ir/print.ts). `source` is
 * the text `ir` came from (for messages).
 */
function assertFormatsIdempotently(ir: IrModule, source: string): void {
  const once = printModule(ir);
  const again = compileText(ROOT, once);
  const context = `\n--- source\n${source}\n--- formatted\n${once}`;
  if (again.diagnostics.length > 0) {
    fail(`the formatted text has diagnostics ${again.diagnostics.map((d) => `${d.code} ${d.message}`).join("; ")}${context}`);
  }
  const twice = printModule(again.ir);
  if (twice !== once) fail(`formatting is not idempotent, ${firstDifference(once, twice)}${context}`);
  const before = withoutOffsets(ir);
  const after = withoutOffsets(again.ir);
  if (before !== after) fail(`the formatted text means another IR, ${firstDifference(before, after)}${context}`);
}

// ---------------------------------------------------------------------------
// Shared vocabulary

const KEYWORDS = [
  "import", "dim", "multiple", "of", "vocab", "input", "target", "cell", "fn", "param", "state", "let", "out",
  "model", "loss", "train", "feedback", "from", "until", "with", "ctx", "reverse", "bidirectional", "repeat",
];
const NAMES = [
  "x", "y", "h", "c", "p", "a", "b", "W", "T", "H", "V", "D", "enc", "logits", "dense", "lstm", "gru", "elman",
  "embedding", "highway", "conv1d", "tanh", "sigmoid", "relu", "softmax", "concat", "split", "one_hot", "mse",
  "cross_entropy", "sum", "last", "fold", "shift", "conv", "maxpool", "glorot", "zeros", "adam", "sgd", "lr",
  "batch", "epochs", "optimizer", "axis", "pad", "valid", "same", "_", "x1",
];
/** No large integer that is still accepted (2147483648): see HUGE below. */
const NUMBERS = ["0", "1", "2", "3", "4", "7", "128", "0.5", "1e-4", "3.0E+2", ".5", "1e400", "99999999999999999999"];
const PUNCT = [..."[](){}<>,:;=+-*/@.'\"#", "->"];
const STRINGS = ['"<eos>"', '"a b"', '"\\n"', '"\\u00e9"', '"unterminated', '""'];
const SPACE = [" ", " ", " ", "\n", "\t", "\r\n"];

const grammarToken = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...KEYWORDS) },
  { weight: 4, arbitrary: fc.constantFrom(...NAMES) },
  { weight: 2, arbitrary: fc.constantFrom(...NUMBERS) },
  { weight: 6, arbitrary: fc.constantFrom(...PUNCT) },
  { weight: 1, arbitrary: fc.constantFrom(...STRINGS) },
  { weight: 4, arbitrary: fc.constantFrom(...SPACE) },
);

/** A UTF-16 code unit, lone surrogates included. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n));

// ---------------------------------------------------------------------------
// (a) arbitrary strings

describe("fuzz (a): arbitrary strings never throw", () => {
  it("full unicode strings", () => {
    const text = fc.oneof(
      fc.string({ unit: "binary", maxLength: 80 }),
      fc.string({ unit: "grapheme", maxLength: 40 }),
      fc.string({ unit: codeUnit, maxLength: 80 }),
    );
    property("a.unicode", 4000, [text], (t) => {
      checkText(t);
    });
  });

  it("strings of .seq tokens", () => {
    property("a.tokens", 10_000, [fc.string({ unit: grammarToken, maxLength: 120 })], (t) => {
      checkText(t);
    });
  });

  it("tokens mixed with arbitrary characters", () => {
    const unit = fc.oneof({ weight: 5, arbitrary: grammarToken }, { weight: 1, arbitrary: codeUnit }, { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 2 }) });
    property("a.mixed", 3000, [fc.string({ unit, maxLength: 120 })], (t) => {
      checkText(t);
    });
  });
});

// ---------------------------------------------------------------------------
// (b) mutations of the real specs

const SPECS_DIR = fileURLToPath(new URL("../../specs", import.meta.url));
const SPECS: { name: string; text: string }[] = readdirSync(SPECS_DIR)
  .filter((n) => n.endsWith(".seq"))
  .sort()
  .map((name) => ({ name, text: readFileSync(join(SPECS_DIR, name), "utf8") }));

/** Token-sized slices of a text: whitespace, comments, strings, numbers, names, `->`, single characters. */
const PIECE = /\s+|#[^\n\r]*|"(?:[^"\\\n\r]|\\.)*"|(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?|[A-Za-z_][A-Za-z0-9_]*|->|[\s\S]/gu;
const IS_NUMBER = /^(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?$/;
const IS_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const KEYWORD_SET = new Set(KEYWORDS);
function pieces(text: string): string[] {
  return text.match(PIECE) ?? [];
}

/** Replacement numbers: out of range, zero, negative, fractional, and large but representable. */
const HUGE = ["1e400", "99999999999999999999", "0", "-3", "0.5", "1e-400", "0.0", "65536", "2147483648", "2147483647"];

type Mutation =
  | { kind: "delete"; at: number; len: number }
  | { kind: "duplicate"; at: number; len: number; to: number }
  | { kind: "swap"; at: number; len: number; to: number }
  | { kind: "insert"; at: number; token: string }
  | { kind: "number"; which: number; value: string }
  | { kind: "name"; which: number; other: number };

const nat = fc.nat({ max: 1 << 20 });
const len = fc.integer({ min: 1, max: 4 });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("delete" as const), at: nat, len }),
  fc.record({ kind: fc.constant("duplicate" as const), at: nat, len, to: nat }),
  fc.record({ kind: fc.constant("swap" as const), at: nat, len, to: nat }),
  fc.record({ kind: fc.constant("insert" as const), at: nat, token: grammarToken }),
  fc.record({ kind: fc.constant("number" as const), which: nat, value: fc.constantFrom(...HUGE) }),
  fc.record({ kind: fc.constant("name" as const), which: nat, other: nat }),
);

/** Indices of the pieces that satisfy `pred`. */
function indices(ps: string[], pred: (p: string) => boolean): number[] {
  const out: number[] = [];
  ps.forEach((p, i) => {
    if (pred(p)) out.push(i);
  });
  return out;
}

function mutate(ps: string[], m: Mutation): string[] {
  const n = ps.length;
  if (n === 0) return m.kind === "insert" ? [m.token] : ps;
  const out = ps.slice();
  switch (m.kind) {
    case "delete": {
      out.splice(m.at % n, m.len);
      return out;
    }
    case "duplicate": {
      const at = m.at % n;
      out.splice(m.to % (n + 1), 0, ...ps.slice(at, at + m.len));
      return out;
    }
    case "swap": {
      let a = m.at % n;
      let b = m.to % n;
      if (a > b) [a, b] = [b, a];
      const l = Math.max(1, Math.min(m.len, b - a, n - b));
      if (a === b) return out;
      const first = ps.slice(a, a + l);
      const second = ps.slice(b, b + l);
      out.splice(b, l, ...first);
      out.splice(a, l, ...second);
      return out;
    }
    case "insert": {
      out.splice(m.at % (n + 1), 0, m.token);
      return out;
    }
    case "number": {
      const nums = indices(ps, (p) => IS_NUMBER.test(p));
      if (nums.length > 0) out[nums[m.which % nums.length]!] = m.value;
      return out;
    }
    case "name": {
      const names = indices(ps, (p) => IS_NAME.test(p) && !KEYWORD_SET.has(p));
      if (names.length > 0) out[names[m.which % names.length]!] = ps[names[m.other % names.length]!]!;
      return out;
    }
  }
}

/**
 * The specs nest a few levels and mutations add a few tokens, so a "nested too
 * deeply" diagnostic (a RangeError caught by the parser or the checker) means
 * unbounded recursion, not depth.
 */
function notTooDeep(result: CheckResult): void {
  for (const d of result.diagnostics) if (/nested too deeply/.test(d.message)) fail("a shallow spec overflowed the stack", d);
}

describe("fuzz (b): mutated specs never throw", () => {
  it("has specs to mutate, and they check clean", () => {
    expect(SPECS.length).toBeGreaterThan(5);
    for (const s of SPECS) {
      const { result } = checkText(s.text);
      expect(result.diagnostics.map((d) => `${s.name}: ${d.code} ${d.message}`)).toEqual([]);
    }
  });

  let clean = 0;
  it("mutants give diagnostics, or format idempotently", () => {
    const arb = fc.record({ spec: fc.nat({ max: SPECS.length - 1 }), mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }) });
    property("b.mutants", 6000, [arb], ({ spec, mutations }) => {
      let ps = pieces(SPECS[spec]!.text);
      for (const m of mutations) ps = mutate(ps, m);
      const text = ps.join("");
      const { program, result } = checkText(text);
      notTooDeep(result);
      if (result.diagnostics.length === 0) {
        clean++;
        assertFormatsIdempotently(program.root.ir, text);
      }
    });
    // The mutations are meant to also produce specs that still check (renamed names, other numbers).
    notes.push(`${clean} clean mutants`);
    expect(clean).toBeGreaterThan(0);
  });

  it("specs with numbers replaced by extreme values never throw", () => {
    const arb = fc.record({
      spec: fc.nat({ max: SPECS.length - 1 }),
      replace: fc.array(fc.record({ which: nat, value: fc.constantFrom(...HUGE) }), { minLength: 1, maxLength: 6 }),
    });
    property("b.numbers", 800, [arb], ({ spec, replace }) => {
      let ps = pieces(SPECS[spec]!.text);
      for (const r of replace) ps = mutate(ps, { kind: "number", ...r });
      const text = ps.join("");
      const { program, result } = checkText(text);
      notTooDeep(result);
      if (result.diagnostics.length === 0) assertFormatsIdempotently(program.root.ir, text);
    });
  });
});

// ---------------------------------------------------------------------------
// (c) deep nesting and long chains

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
    property("c.chain", 60, [size(10_000), op, fc.boolean()], (n, o, tight) => {
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

interface Value {
  name: string;
  width: number;
}

/** Draws from a fast-check-controlled list of integers so that models shrink. */
class Draw {
  private i = 0;
  constructor(private readonly xs: readonly number[]) {}
  /** 0..n-1 from the next number; past the end, the list is reused with an offset per pass. */
  int(n: number): number {
    const len = Math.max(1, this.xs.length);
    const pass = Math.floor(this.i / len);
    const x = (this.xs[this.i++ % len] ?? 0) + pass * 7919;
    return x % n;
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!;
  }
  chance(percent: number): boolean {
    return this.int(100) < percent;
  }
}

const USER_DEFS = `fn mlp<N>(x: [D]) -> [N] {
  param W: [N, D] = glorot
  param b: [N] = zeros
  let z = W @ x + b
  out tanh(z)
}

cell rnn<H>(x: [X]) -> [H] {
  param W: [H, X + H] = glorot
  param b: [H] = 0.1
  state h: [H] = 0
  h' = tanh(W @ concat(x, h) + b)
  out h'
}

cell gated<H>(x: [X]) {
  param W: [2*H, X] = glorot
  param U: [2*H, H] = orthogonal
  state h: [H] = 0
  let r, z = split<2>(sigmoid(W @ x + U @ h))
  h' = z * h + (1 - z) * tanh(r * h)
  out h'
}
`;

/** A valid spec: top-level dims, maybe user defs, one model of random layers over [T, width]. */
function genModel(xs: readonly number[]): string {
  const d = new Draw(xs);
  const lines: string[] = [];
  const dims = new Map<number, string>();
  /** A generic argument for a width: the number or a top-level dim bound to it. */
  const widthArg = (w: number): string => {
    if (!d.chance(40)) return String(w);
    let name = dims.get(w);
    if (!name) {
      name = `D${dims.size}`;
      dims.set(w, name);
    }
    return name;
  };
  const userDefs = d.chance(50);
  const body: string[] = [];
  const values: Value[] = [];
  let counter = 0;
  const fresh = (): string => `h${counter++}`;
  const add = (expr: string, width: number, comment = false): Value => {
    const v = { name: fresh(), width };
    body.push(`  ${v.name} = ${expr}${comment ? `  # width ${width}` : ""}`);
    values.push(v);
    return v;
  };
  const randomWidth = () => d.pick([1, 2, 3, 4, 6, 8, 12, 16, 32]);

  body.push("  dim T");
  const tokenInput = d.chance(30);
  if (tokenInput) {
    const tokens = 2 + d.int(5);
    body.push(`  vocab v[V] = [${Array.from({ length: tokens }, (_, i) => `t${i}`).join(", ")}]`);
    body.push("  input x: [T] of v");
    if (d.chance(50)) add("one_hot(x)", tokens);
    else {
      const e = randomWidth();
      add(`embedding<${widthArg(e)}>(one_hot(x))`, e);
    }
  } else {
    const w = randomWidth();
    body.push(`  input x: [T, ${widthArg(w)}]`);
    add(d.chance(50) ? "x" : "tanh(x)", w);
  }

  const layers = 1 + d.int(8);
  for (let i = 0; i < layers; i++) {
    const src = d.chance(60) ? values[values.length - 1]! : d.pick(values);
    const comment = d.chance(15);
    const w = randomWidth();
    switch (d.int(12)) {
      case 0:
        add(`dense<${widthArg(w)}>(${src.name})`, w, comment);
        break;
      case 1: {
        const cell = d.pick(userDefs ? ["elman", "lstm", "gru", "rnn", "gated"] : ["elman", "lstm", "gru"]);
        const mod = d.pick(["", "", "reverse ", "bidirectional "]);
        add(`${mod}${cell}<${widthArg(w)}>(${src.name})`, mod === "bidirectional " ? 2 * w : w, comment);
        break;
      }
      case 2:
        add(`${d.pick(["tanh", "relu", "sigmoid", "elu", "softplus", "abs", "square", "exp"])}(${src.name})`, src.width, comment);
        break;
      case 3:
        add(`${d.pick(["tanh", "relu"])}(dense<${widthArg(src.width)}>(${src.name})) + ${src.name}`, src.width, comment);
        break;
      case 4: {
        const same = values.filter((v) => v.width === src.width);
        const other = d.pick(same);
        add(`${src.name} ${d.pick(["+", "-", "*"])} ${other.name}`, src.width, comment);
        break;
      }
      case 5:
        add(d.pick([`${src.name} * 0.5`, `1 - ${src.name}`, `-${src.name}`, `(${src.name} + 1) / 2`]), src.width, comment);
        break;
      case 6: {
        const other = d.pick(values);
        add(`concat(${src.name}, ${other.name})`, src.width + other.width, comment);
        break;
      }
      case 7: {
        if (src.width % 2 !== 0) {
          add(`leaky_relu(${src.name}, alpha: 0.1)`, src.width, comment);
          break;
        }
        const a = fresh();
        const b = fresh();
        body.push(`  ${a}, ${b} = split<2>(${src.name})`);
        values.push({ name: a, width: src.width / 2 }, { name: b, width: src.width / 2 });
        break;
      }
      case 8:
        if (userDefs) add(`mlp<${widthArg(w)}>(${src.name})`, w, comment);
        else add(`softmax(${src.name})`, src.width, comment);
        break;
      case 9:
        add(`repeat<${1 + d.int(3)}> highway(${src.name})`, src.width, comment);
        break;
      case 10:
        add(`maximum(${src.name}, ${d.pick(values.filter((v) => v.width === src.width)).name})`, src.width, comment);
        break;
      default:
        add(`shift<${1 + d.int(3)}>(${src.name})`, src.width, comment);
    }
  }

  // The head: next-token prediction over the input vocabulary, per step, or one output per sequence.
  const last = values[values.length - 1]!;
  const k = randomWidth();
  const perStep = d.chance(60);
  if (tokenInput && perStep && d.chance(60)) {
    body.push("  target y: [T] of v");
    body.push(`  logits = dense<V>(${last.name})`);
    body.push("  loss cross_entropy(logits, y)");
    if (d.chance(50)) body.push("  feedback x from logits");
  } else {
    const pooled = perStep ? last.name : `${d.pick(["last", "first", "mean", "sum", "max"])}(${last.name})`;
    body.push(`  target y: ${perStep ? "[T, " : "["}${widthArg(k)}]`);
    const loss = d.pick(["mse", "bce", "bce_logits"]);
    const head = loss === "bce_logits" ? "" : loss === "bce" ? "sigmoid" : d.pick(["sigmoid", "tanh", ""]);
    body.push(`  p = ${head}${head ? "(" : ""}dense<${widthArg(k)}>(${pooled})${head ? ")" : ""}`);
    body.push(`  loss ${loss}(p, y)`);
  }
  if (d.chance(70)) {
    const entries = [`optimizer: ${d.pick(["sgd(lr: 0.1)", "adam(lr: 0.001)", "momentum(lr: 0.01, beta: 0.9)", "rmsprop(lr: 0.001, rho: 0.9, eps: 1e-8)"])}`];
    if (d.chance(50)) entries.push(`batch: ${1 + d.int(64)}`);
    if (d.chance(50)) entries.push(`epochs: ${1 + d.int(100)}`);
    if (d.chance(30)) entries.push(`clip: ${1 + d.int(5)}`);
    if (d.chance(30)) entries.push(`seed: ${d.int(1000)}`);
    if (d.chance(20)) entries.push("validation: 0.1");
    body.push(`  train { ${entries.join(", ")} }`);
  }

  if (d.chance(30)) lines.push("# a generated spec");
  for (const [w, name] of dims) lines.push(`dim ${name} = ${w}`);
  if (userDefs) lines.push("", USER_DEFS);
  lines.push("model generated {", ...body, "}");
  return lines.join("\n") + "\n";
}

describe("fuzz (d): generated models check clean and format idempotently", () => {
  it("random dense / recurrent / elementwise models", () => {
    const arb = fc.array(fc.nat({ max: 1_000_000 }), { minLength: 1, maxLength: 120 }).map(genModel);
    property("d.models", 1500, [arb], (text) => {
      const { program, result } = checkText(text);
      if (result.diagnostics.length > 0) {
        fail(`a generated model has diagnostics ${result.diagnostics.map((d) => `${d.code} ${d.message}`).join("; ")}:\n${text}`);
      }
      assertFormatsIdempotently(program.root.ir, text);
    });
  });
});

// ---------------------------------------------------------------------------
// Regressions: inputs found by this fuzzer that threw. Keep them.

describe("fuzz regressions", () => {
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

afterAll(() => {
  let total = 0;
  const parts: string[] = [];
  for (const [key, n] of counts) {
    total += n;
    parts.push(`${key} ${n}/${planned.get(key)}`);
  }
  console.log(`fuzz: ${total} cases (${[...parts, ...notes].join(", ")})`);
});
