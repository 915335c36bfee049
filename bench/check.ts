/**
 * Benchmark of `seqc check`: parse + lower + validate + check of generated specs
 * of 1k, 2k, 5k and 10k lines, in process (medians after a warm-up), with
 * references timed in the same run so that the figures compare across
 * machines: chevrotain's lexing of the same text, and a JSON round trip
 * (stringify + parse) of its IR. The CLI's start-up is the `startup` benchmark
 * (./startup.ts).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { SeqLexer } from "../grammar/tokens.js";
import { checkProgram } from "../src/check/check.js";
import type { Diagnostic } from "../src/diagnostics/diagnostic.js";
import { lowerModule } from "../src/ir/lower.js";
import { loadProgram, loadStd } from "../src/ir/program.js";
import { validateIr } from "../src/ir/validate.js";
import { parseText } from "../src/parse/parse.js";
import { generateSpec, lineCount } from "./gen.js";

export interface CheckBenchOptions {
  /** Target sizes in lines (default 1k, 2k, 5k, 10k). */
  sizes?: number[];
  /** Timed runs per size (the median is reported); default 7 up to 2k lines, 5 above. */
  runs?: (lines: number) => number;
  /** Where to print (default console.log). */
  log?: (line: string) => void;
}

const FILE = "bench.seq";
const noImports = (): string => {
  throw new Error("the benchmark specs import nothing");
};

/** The repository root: the nearest ancestor with package.json (works from bench/ and dist/bench/). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "seqc") return dir;
    dir = dirname(dir);
  }
  throw new Error("bench: cannot find the seqc repository root");
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Milliseconds taken by f. */
function time(f: () => unknown): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

/**
 * A full garbage collection, if it can be had without flags on the command line
 * (`--expose-gc` set at run time, `gc` taken from a new context); else nothing.
 * Each measurement starts from a collected heap so that garbage left by the
 * previous one is not charged to it.
 */
const collect: () => void = (() => {
  try {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as unknown;
    if (typeof gc === "function") return gc as () => void;
  } catch {
    // not available: measure without
  }
  return () => {};
})();

/** The median time of `runs` calls of f (after the caller's warm-up), starting from a collected heap. */
function medianTime(runs: number, f: () => unknown): number {
  collect();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(time(f));
  return median(times);
}

function describeDiagnostics(text: string, diags: readonly Diagnostic[]): string {
  return diags
    .slice(0, 10)
    .map((d) => {
      const at = d.labels[0]?.start ?? 0;
      return `  ${d.code} line ${text.slice(0, at).split("\n").length}: ${d.message}`;
    })
    .join("\n");
}

/** Fails loudly unless the spec checks clean: a benchmark of error paths would measure something else. */
function assertClean(lines: number, text: string): void {
  const result = checkProgram(loadProgram(FILE, { text, readFile: noImports }));
  if (result.diagnostics.length > 0) {
    throw new Error(
      `bench: the generated ${lines}-line spec has ${result.diagnostics.length} diagnostic(s); bench/gen.ts must generate valid specs:\n` +
        describeDiagnostics(text, result.diagnostics),
    );
  }
}

interface Row {
  target: number;
  lines: number;
  parse: number;
  lower: number;
  validate: number;
  check: number;
  total: number;
  lex: number;
  json: number;
  irBytes: number;
  runs: number;
}

function measureSize(target: number, text: string, runs: number): Row {
  const lines = lineCount(text);
  // Phases one at a time, each on the previous phase's result.
  const parsed = parseText(FILE, text);
  const lowered = lowerModule(FILE, parsed.module);
  const program = loadProgram(FILE, { text, readFile: noImports });
  return {
    target,
    lines,
    parse: medianTime(runs, () => parseText(FILE, text)),
    lower: medianTime(runs, () => lowerModule(FILE, parsed.module)),
    validate: medianTime(runs, () => validateIr(FILE, lowered.module)),
    check: medianTime(runs, () => checkProgram(program)),
    // The whole pipeline as `seqc check` runs it (the standard library is loaded once per process).
    total: medianTime(runs, () => checkProgram(loadProgram(FILE, { text, readFile: noImports }))),
    // The references are cheaper and noisier: more runs.
    lex: medianTime(runs * 4, () => SeqLexer.tokenize(text)),
    json: medianTime(runs * 4, () => JSON.parse(JSON.stringify(lowered.module))),
    irBytes: JSON.stringify(lowered.module).length,
    runs,
  };
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : " ".repeat(n - s.length) + s;
}

function fixed(x: number, digits = 1): string {
  return x.toFixed(digits);
}

/** Runs the check benchmark and prints its tables. Throws if a generated spec does not check clean. */
export function benchCheck(opts: CheckBenchOptions = {}): void {
  const log = opts.log ?? ((l: string) => console.log(l));
  const sizes = opts.sizes ?? [1000, 2000, 5000, 10_000];
  const runsFor = opts.runs ?? ((lines: number) => (lines <= 2000 ? 7 : 5));

  const specs = sizes.map((target) => ({ target, text: generateSpec(target) }));
  for (const s of specs) assertClean(s.target, s.text);

  // Warm-up: the standard library, the lazily built parser and validator, and the JIT.
  loadStd();
  for (const s of specs) {
    const reps = s.target <= 2000 ? 3 : 1;
    for (let i = 0; i < reps; i++) checkProgram(loadProgram(FILE, { text: s.text, readFile: noImports }));
  }

  const rows = specs.map((s) => measureSize(s.target, s.text, runsFor(s.target)));

  log(`check: parse + lower + validate + check of generated specs, in process (ms, median of ${[...new Set(rows.map((r) => r.runs))].join("/")} runs after a warm-up)`);
  const header = ["lines", "parse", "lower", "validate", "check", "total", "µs/line", "lex", "×lex", "json", "×json"];
  const widths = [7, 8, 8, 9, 8, 8, 8, 7, 6, 7, 6];
  log("  " + header.map((h, i) => pad(h, widths[i]!)).join(""));
  for (const r of rows) {
    const cells = [
      String(r.lines),
      fixed(r.parse),
      fixed(r.lower),
      fixed(r.validate),
      fixed(r.check),
      fixed(r.total),
      fixed((r.total * 1000) / r.lines),
      fixed(r.lex),
      fixed(r.total / r.lex),
      fixed(r.json),
      fixed(r.total / r.json),
    ];
    log("  " + cells.map((c, i) => pad(c, widths[i]!)).join(""));
  }
  const first = rows[0]!;
  const last = rows[rows.length - 1]!;
  if (rows.length > 1) {
    const ratio = last.total / first.total;
    const linear = last.lines / first.lines;
    log(
      `  scaling: total(${last.lines})/total(${first.lines}) = ${fixed(ratio, 2)} (linear: ${fixed(linear, 2)}; ` +
        `the JSON reference: ${fixed(last.json / first.json, 2)}); µs/line ${fixed((first.total * 1000) / first.lines)} -> ${fixed((last.total * 1000) / last.lines)}`,
    );
  }
  log(
    `  references on the ${last.lines}-line spec: chevrotain lexing ${fixed(last.lex)} ms, JSON round trip of the IR ` +
      `(${(last.irBytes / 1e6).toFixed(1)} MB) ${fixed(last.json)} ms; ` +
      `×lex and ×json are total / reference for the same spec`,
  );
}
