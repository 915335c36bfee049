/**
 * What a program defines, across its modules: cells and fns (user definitions
 * shadow the standard library's), top-level dims and vocabularies, models.
 */
import type { DefDecl, DimDecl, Expr, ModelDecl, VocabDecl } from "../ir/ir.js";
import type { LoadedModule, Program } from "../ir/program.js";

export interface Located<T> {
  node: T;
  module: LoadedModule;
}

export interface ProgramIndex {
  program: Program;
  defs: Map<string, Located<DefDecl<Expr>>>;
  /** Top-level dims and vocabularies of the user's modules, in declaration order. */
  globals: Located<DimDecl<Expr> | VocabDecl>[];
  models: Located<ModelDecl<Expr>>[];
}

export function indexProgram(program: Program): ProgramIndex {
  const defs = new Map<string, Located<DefDecl<Expr>>>();
  const globals: Located<DimDecl<Expr> | VocabDecl>[] = [];
  const models: Located<ModelDecl<Expr>>[] = [];
  // Standard library first, so user definitions of the same name replace it.
  const ordered = [...program.modules.filter((m) => m.std), ...program.modules.filter((m) => !m.std)];
  for (const module of ordered) {
    for (const item of module.ir.items) {
      if (item.kind === "cell" || item.kind === "fn") {
        if (!defs.has(item.name) || defs.get(item.name)!.module.std) defs.set(item.name, { node: item, module });
      } else if (!module.std && (item.kind === "dim" || item.kind === "vocab")) globals.push({ node: item, module });
      else if (item.kind === "model" && module === program.root) models.push({ node: item, module });
    }
  }
  return { program, defs, globals, models };
}

/** Levenshtein distance, for "did you mean" suggestions. */
function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** The closest candidate within a small edit distance, as a help text. */
export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(1, Math.floor(name.length / 3)) + 1;
  for (const c of candidates) {
    const d = distance(name.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best === undefined ? undefined : `did you mean \`${best}\`?`;
}
