/**
 * Fuzz (b): mutations of the real specs in specs/*.seq (deleted, duplicated,
 * swapped and inserted tokens, extreme numbers, renamed names) never make the
 * front end throw; a mutant that checks clean formats idempotently. See fuzz.ts.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CheckResult } from "../../src/check/check.js";
import { assertFormatsIdempotently, checkText, fail, grammarToken, KEYWORDS, notes, printCounts, property } from "./fuzz.js";

printCounts("fuzz (b)");

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
