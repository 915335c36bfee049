/**
 * What a program defines, across its modules: cells and fns (user definitions
 * shadow the standard library's), top-level dims and vocabularies, models.
 */
import type { DefDecl, DimDecl, Expr, ModelDecl, VocabDecl } from "../ir/ir.js";
import { OPS } from "../ir/ops.js";
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

/** The names a block binds to values: a definition's inputs, params, states and locals; a model's inputs, targets and values. */
export function valueNames(node: DefDecl<Expr> | ModelDecl<Expr>): Set<string> {
  const names = new Set<string>();
  if (node.kind !== "model") for (const i of node.inputs) names.add(i.name);
  for (const s of node.body) {
    if (s.kind === "param" || s.kind === "state" || s.kind === "const" || s.kind === "input" || s.kind === "target") names.add(s.name);
    else if (s.kind === "assign") for (const t of s.targets) if (!t.next) names.add(t.name);
  }
  return names;
}

/**
 * Whether `e` reads, as a value, a name that nothing defines: not a value of
 * its block, nor a dim, vocabulary, generic, definition or op (those are other
 * errors). The checker reports each such name once (SEQ0101); rules that follow
 * values take it to stand for any value of the block (a typo of one of them),
 * so that they add nothing about values only the typo cut off.
 */
export function readsUnknownName(e: Expr, node: DefDecl<Expr> | ModelDecl<Expr>, values: ReadonlySet<string>, index: ProgramIndex): boolean {
  const known = (name: string) =>
    values.has(name) ||
    index.defs.has(name) ||
    Object.hasOwn(OPS, name) ||
    index.globals.some((g) => g.node.name === name || (g.node.kind === "vocab" && g.node.size === name)) ||
    (node.kind !== "model" && node.generics.some((g) => g.name === name)) ||
    node.body.some((s) => (s.kind === "dim" && s.name === name) || (s.kind === "vocab" && (s.name === name || s.size === name)));
  // Only value positions: arguments and `with` values, not compile-time arguments or options.
  const stack: Expr[] = [e];
  while (stack.length > 0) {
    const x = stack.pop()!;
    if (x.op === "ref") {
      if (!known(x.name)) return true;
    } else if (x.op === "member") {
      if (!known(x.of)) return true;
    } else if (x.op !== "num" && x.op !== "str" && x.op !== "next") {
      stack.push(...x.args);
      if (x.op === "call") for (const w of x.with ?? []) stack.push(w.value);
    }
  }
  return false;
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

/**
 * The closest candidate within a small edit distance (about a third of the
 * name's length); failing that, the one candidate the name begins, when it
 * has three letters or more (`embed` for `embedding`).
 */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(1, Math.floor(name.length / 3)) + 1;
  const lower = name.toLowerCase();
  const all = [...candidates];
  for (const c of all) {
    // The distance is at least the difference of the lengths: skip the far ones unmeasured.
    if (Math.abs(c.length - name.length) >= bestD) continue;
    const d = distance(lower, c.toLowerCase());
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  if (best === undefined && lower.length >= 3) {
    const longer = all.filter((c) => c.length > lower.length && c.toLowerCase().startsWith(lower));
    if (longer.length === 1) best = longer[0];
  }
  return best;
}

/** The closest candidate within a small edit distance, as a help text. */
export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  const best = closest(name, candidates);
  return best === undefined ? undefined : `did you mean \`${best}\`?`;
}
