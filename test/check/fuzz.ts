/**
 * The checker fuzzers' shared parts (fuzz.test.ts, fuzz-mutants.test.ts,
 * fuzz-models.test.ts): the pipeline on one text and its invariants (known
 * codes, spans inside the text, formatting idempotent), fast-check properties
 * that count their cases, and the token vocabulary of .seq.
 *
 * Set SEQC_FUZZ_SEED to replay a run (fast-check prints the seed of a
 * failure); SEQC_FUZZ_SCALE (default 1) multiplies every numRuns.
 */
import fc from "fast-check";
import { afterAll, expect } from "vitest";
import { checkProgram, type CheckResult } from "../../src/check/check.js";
import { CODES } from "../../src/diagnostics/codes.js";
import type { Diagnostic } from "../../src/diagnostics/diagnostic.js";
import type { IrModule } from "../../src/ir/ir.js";
import { withoutOffsets } from "../../src/ir/equal.js";
import { compileText, loadProgram, withoutBom, type Program } from "../../src/ir/program.js";
import { printModule } from "../../src/ir/print.js";

export const SCALE = Number(process.env["SEQC_FUZZ_SCALE"] ?? "1") || 1;
export const SEED = process.env["SEQC_FUZZ_SEED"] === undefined ? undefined : Number(process.env["SEQC_FUZZ_SEED"]);

/** fast-check parameters of a property with `runs` cases (scaled). */
export function params(runs: number): fc.Parameters<unknown> {
  const p: fc.Parameters<unknown> = { numRuns: Math.max(1, Math.round(runs * SCALE)) };
  if (SEED !== undefined) p.seed = SEED;
  return p;
}

// ---------------------------------------------------------------------------
// The pipeline and its invariants

/** Cases run per property (counted in the predicates, shrinking included). */
export const counts = new Map<string, number>();
/** Extra facts for the summary line. */
export const notes: string[] = [];
export const planned = new Map<string, number>();
export function count(key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** Runs one property and asserts that it ran at least its planned number of cases. */
export function property<Ts extends [unknown, ...unknown[]]>(
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

export const ROOT = "fuzz.seq";

export interface Run {
  program: Program;
  result: CheckResult;
}

/** The full pipeline on one text, as the CLI runs it (imports cannot be read). */
export function runText(text: string): Run {
  const program = loadProgram(ROOT, {
    text,
    readFile: () => {
      throw new Error("no imports in fuzz");
    },
  });
  return { program, result: checkProgram(program) };
}

export function fail(message: string, d?: Diagnostic): never {
  throw new Error(d ? `${message}: ${JSON.stringify(d)}` : message);
}

/** Every diagnostic has a known code with its severity, a message and labels inside known sources. */
export function assertWellFormed(run: Run, text: string): void {
  const { program, result } = run;
  // The loader drops a leading byte-order mark (a spec saved as "UTF-8 with BOM"); offsets are into the rest.
  if (program.sources.get(program.root.file) !== withoutBom(text)) fail("the root source is not the text");
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
export function checkText(text: string): Run {
  const run = runText(text);
  assertWellFormed(run, text);
  return run;
}

/** Where two strings first differ, with some context. */
export function firstDifference(a: string, b: string): string {
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
export function assertFormatsIdempotently(ir: IrModule, source: string): void {
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

export const KEYWORDS = [
  "import", "dim", "multiple", "of", "vocab", "input", "target", "cell", "fn", "param", "state", "let", "out",
  "model", "loss", "train", "feedback", "from", "until", "with", "ctx", "reverse", "bidirectional", "repeat",
];
export const NAMES = [
  "x", "y", "h", "c", "p", "a", "b", "W", "T", "H", "V", "D", "enc", "logits", "dense", "lstm", "gru", "elman",
  "embedding", "highway", "conv1d", "tanh", "sigmoid", "relu", "softmax", "concat", "split", "one_hot", "mse",
  "cross_entropy", "sum", "last", "fold", "shift", "conv", "maxpool", "glorot", "zeros", "adam", "sgd", "lr",
  "batch", "epochs", "optimizer", "axis", "pad", "valid", "same", "_", "x1",
];
/** No large integer that is still accepted (2147483648): see HUGE below. */
export const NUMBERS = ["0", "1", "2", "3", "4", "7", "128", "0.5", "1e-4", "3.0E+2", ".5", "1e400", "99999999999999999999"];
export const PUNCT = [..."[](){}<>,:;=+-*/@.'\"#", "->"];
export const STRINGS = ['"<eos>"', '"a b"', '"\\n"', '"\\u00e9"', '"unterminated', '""'];
export const SPACE = [" ", " ", " ", "\n", "\t", "\r\n"];

export const grammarToken = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...KEYWORDS) },
  { weight: 4, arbitrary: fc.constantFrom(...NAMES) },
  { weight: 2, arbitrary: fc.constantFrom(...NUMBERS) },
  { weight: 6, arbitrary: fc.constantFrom(...PUNCT) },
  { weight: 1, arbitrary: fc.constantFrom(...STRINGS) },
  { weight: 4, arbitrary: fc.constantFrom(...SPACE) },
);

/** A UTF-16 code unit, lone surrogates included. */
export const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n));

/** Prints, after a test file's tests, the cases each of its properties ran. */
export function printCounts(title: string): void {
  afterAll(() => {
    let total = 0;
    const parts: string[] = [];
    for (const [key, n] of counts) {
      total += n;
      parts.push(`${key} ${n}/${planned.get(key)}`);
    }
    console.log(`${title}: ${total} cases (${[...parts, ...notes].join(", ")})`);
  });
}

