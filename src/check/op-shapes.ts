/**
 * The shape rule of every op of the vocabulary, as a table over OpKind: given
 * the argument types it returns the result type or reports why there is none.
 */
import type { Code } from "../diagnostics/codes.js";
import type { Expr, Loc, OpExpr } from "../ir/ir.js";
import type { OpKind } from "../ir/ops.js";
import { Poly, type DimEnv } from "./dims.js";
import { formatTy, tensor, type Tensor, type Ty } from "./types.js";

/** A compile-time argument's value. */
export type Static = { kind: "num"; value: number } | { kind: "dim"; poly: Poly } | { kind: "word"; word: string };

export interface Blame {
  loc: Loc;
  message?: string;
}

/** A param of the definition being checked, as the spec declares it (source texts). */
export interface DeclaredParam {
  name: string;
  dims: string[];
  init?: string;
}

export interface OpCtx {
  env: DimEnv;
  node: OpExpr;
  /** The argument nodes' locations, in order. */
  argLocs: Loc[];
  report(code: Code, message: string, primary: Blame, others?: Blame[], notes?: string[], help?: string): void;
  /** A compile-time argument by name (generic args by their position in OPS[op].generic). */
  attr(name: string): Static | undefined;
  /** The source text of a place in the file being checked. */
  source(loc: Loc): string;
  /** The param argument i names, when it is a plain name of a param of the definition. */
  param(i: number): DeclaredParam | undefined;
  /** The expression a name of the block is bound to (`logits = dense<K>(h)`), when one statement binds it alone. */
  definition(name: string): Expr | undefined;
}

/** "declare `dim T multiple of 4`" when redeclaring a free dim makes p divisible by k. */
export function multipleHelp(env: DimEnv, p: Poly, k: number): string | undefined {
  const m = env.multipleFor(p, k);
  return m && `declare the length as \`dim ${m.name} multiple of ${m.multiple}\``;
}

/** An expression's source text for a help, or `...` when it is long or spans lines. */
function shortSource(ctx: OpCtx, loc: Loc): string {
  const text = ctx.source(loc);
  return text.length > 40 || text.includes("\n") ? "..." : text;
}

type ShapeRule = (args: Tensor[], ctx: OpCtx) => Ty | undefined;

const ONE = Poly.const(1);

function fmt(ctx: OpCtx, t: Ty): string {
  return formatTy(t, ctx.env);
}

function whereNote(ctx: OpCtx, ...ts: Tensor[]): string[] {
  const w = ctx.env.where(ts.flatMap((t) => t.dims));
  return w ? [w] : [];
}

/** Token tensors are integers: arithmetic on them is a mistake (one_hot first). */
function floats(args: Tensor[], ctx: OpCtx): boolean {
  const i = args.findIndex((a) => a.vocab !== undefined);
  if (i < 0) return true;
  ctx.report("SEQ0311", `${ctx.node.op} needs a float tensor, but this is a token tensor ${fmt(ctx, args[i]!)}`, { loc: ctx.argLocs[i] ?? ctx.node.loc, message: fmt(ctx, args[i]!) });
  return false;
}

/** Numpy-style broadcasting of two shapes, or undefined. */
export function broadcast(a: Poly[], b: Poly[], env: DimEnv): Poly[] | undefined {
  const n = Math.max(a.length, b.length);
  const out: Poly[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i];
    const y = b[b.length - n + i];
    if (!x) out.push(y!);
    else if (!y) out.push(x);
    else if (env.equal(x, y)) out.push(x);
    else if (env.equal(x, ONE)) out.push(y);
    else if (env.equal(y, ONE)) out.push(x);
    else return undefined;
  }
  return out;
}

const VERBS: Partial<Record<OpKind, string>> = { add: "add", sub: "subtract", mul: "multiply", div: "divide", maximum: "take the maximum of", minimum: "take the minimum of" };

const elementwise2: ShapeRule = (args, ctx) => {
  if (!floats(args, ctx)) return undefined;
  const [a, b] = args as [Tensor, Tensor];
  const dims = broadcast(a.dims, b.dims, ctx.env);
  if (dims) return tensor(dims);
  const verb = VERBS[ctx.node.op] ?? ctx.node.op;
  ctx.report(
    "SEQ0301",
    `cannot ${verb} ${fmt(ctx, a)} and ${fmt(ctx, b)}`,
    { loc: ctx.node.loc },
    [{ loc: ctx.argLocs[0]!, message: fmt(ctx, a) }, { loc: ctx.argLocs[1]!, message: fmt(ctx, b) }],
    whereNote(ctx, a, b),
  );
  return undefined;
};

const sameShape: ShapeRule = (args, ctx) => (floats(args, ctx) ? tensor(args[0]!.dims) : undefined);

function needRank(t: Tensor, min: number, ctx: OpCtx, what: string, i = 0): boolean {
  if (t.dims.length >= min) return true;
  ctx.report("SEQ0304", `${ctx.node.op} needs ${what}, but this is ${fmt(ctx, t)}`, { loc: ctx.argLocs[i] ?? ctx.node.loc, message: fmt(ctx, t) });
  return false;
}

/** A whole-number compile-time argument. */
function intAttr(ctx: OpCtx, name: string, fallback?: number): number | undefined {
  const v = ctx.attr(name);
  if (v === undefined) return fallback;
  const n = v.kind === "num" ? v.value : v.kind === "dim" ? ctx.env.value(v.poly) : undefined;
  if (n === undefined || !Number.isInteger(n)) {
    ctx.report("SEQ0112", `${ctx.node.op}: ${name} must be a whole number`, { loc: ctx.node.loc });
    return undefined;
  }
  return n;
}

/** A number compile-time argument (undefined when it is a word or an unbound dim). */
function numAttr(ctx: OpCtx, name: string, fallback: number): number | undefined {
  const v = ctx.attr(name);
  return v === undefined ? fallback : v.kind === "num" ? v.value : v.kind === "dim" ? ctx.env.value(v.poly) : undefined;
}

/** dropout: rate in [0, 1), per step or sequence; the shape is its argument's. */
const dropout: ShapeRule = (args, ctx) => {
  const r = numAttr(ctx, "rate", 0.5);
  if (r === undefined || !(r >= 0 && r < 1)) {
    ctx.report("SEQ0112", `dropout: rate must be a number in [0, 1) (the fraction of elements zeroed)`, { loc: ctx.node.loc });
    return undefined;
  }
  const per = ctx.attr("per");
  if (per !== undefined && !(per.kind === "word" && (per.word === "step" || per.word === "sequence"))) {
    ctx.report("SEQ0112", `dropout: per must be step (a mask for every element) or sequence (one mask per sequence, reused at every step)`, { loc: ctx.node.loc });
    return undefined;
  }
  return sameShape(args, ctx);
};

/**
 * batch_normalize(x, mean, var): x's shape; mean and var are [C], C being x's last axis (the units normalised
 * one by one); momentum in [0, 1), epsilon > 0. That mean and var are params (running statistics) is the
 * inference's to check (SEQ0318), where the definition's params are known.
 */
const batchNormalize: ShapeRule = (args, ctx) => {
  if (!floats(args, ctx)) return undefined;
  const [x, mean, variance] = args as [Tensor, Tensor, Tensor];
  if (!needRank(x, 1, ctx, "at least one axis (the units)")) return undefined;
  const c = x.dims[x.dims.length - 1]!;
  for (const [i, s] of [[1, mean], [2, variance]] as const) {
    if (s.dims.length === 1 && ctx.env.equal(s.dims[0]!, c)) continue;
    const what = i === 1 ? "running mean" : "running variance";
    ctx.report("SEQ0303", `the ${what} must be [${ctx.env.format(c)}] (one per unit of the last axis of ${fmt(ctx, x)}), not ${fmt(ctx, s)}`, { loc: ctx.argLocs[i]!, message: fmt(ctx, s) }, [{ loc: ctx.argLocs[0]!, message: fmt(ctx, x) }], whereNote(ctx, x, s));
    return undefined;
  }
  const momentum = numAttr(ctx, "momentum", 0.9);
  if (momentum === undefined || !(momentum >= 0 && momentum < 1)) {
    ctx.report("SEQ0112", "batch_normalize: momentum must be a number in [0, 1) (the weight of the running statistics against each batch's)", { loc: ctx.node.loc });
    return undefined;
  }
  const epsilon = numAttr(ctx, "epsilon", 0.001);
  if (epsilon === undefined || !(epsilon > 0)) {
    ctx.report("SEQ0112", "batch_normalize: epsilon must be a number > 0 (added to the variance)", { loc: ctx.node.loc });
    return undefined;
  }
  return tensor(x.dims);
};

function axisOf(ctx: OpCtx, t: Tensor, fallback: number): number | undefined {
  const a = intAttr(ctx, "axis", fallback);
  if (a === undefined) return undefined;
  const r = t.dims.length;
  const axis = a < 0 ? r + a : a;
  if (axis < 0 || axis >= r) {
    ctx.report("SEQ0304", `${ctx.node.op}: axis ${a} does not exist in ${fmt(ctx, t)}`, { loc: ctx.node.loc, message: fmt(ctx, t) });
    return undefined;
  }
  return axis;
}

const reduce: ShapeRule = (args, ctx) => {
  const [x] = args as [Tensor];
  if (!floats(args, ctx) || !needRank(x, 1, ctx, "at least one axis")) return undefined;
  const axis = axisOf(ctx, x, 0);
  return axis === undefined ? undefined : tensor(x.dims.filter((_, i) => i !== axis));
};

const softmaxLike: ShapeRule = (args, ctx) => {
  const [x] = args as [Tensor];
  if (!floats(args, ctx) || !needRank(x, 1, ctx, "at least one axis")) return undefined;
  return axisOf(ctx, x, -1) === undefined ? undefined : tensor(x.dims);
};

const dropFirst: ShapeRule = (args, ctx) => {
  const [x] = args as [Tensor];
  if (!needRank(x, 1, ctx, "a sequence (at least one axis)")) return undefined;
  return tensor(x.dims.slice(1), x.vocab);
};

const keepSequence: ShapeRule = (args, ctx) => {
  const [x] = args as [Tensor];
  if (!needRank(x, 1, ctx, "a sequence (at least one axis)")) return undefined;
  if (ctx.node.op === "shift" && intAttr(ctx, "k") === undefined) return undefined;
  return tensor(x.dims, x.vocab);
};

/**
 * When a matrix param declared the other way round makes A @ B fit (W: [D, N]
 * in W @ x with x: [D]), the declaration that does: `param W: [N, D] = glorot`.
 */
function transposedHelp(ctx: OpCtx, a: Tensor, b: Tensor): string | undefined {
  const eq = (x: Poly | undefined, y: Poly | undefined) => x !== undefined && y !== undefined && ctx.env.equal(x, y);
  const candidates: [number, boolean][] = [
    // W @ x: W's first axis is the one x brings.
    [0, a.dims.length === 2 && eq(a.dims[0], b.dims[0])],
    // x @ W: W's last axis is the one x brings.
    [1, b.dims.length === 2 && eq(b.dims[1], a.dims[a.dims.length - 1])],
  ];
  for (const [i, fits] of candidates) {
    const p = fits ? ctx.param(i) : undefined;
    if (!p || p.dims.length !== 2) continue;
    const decl = `param ${p.name}: [${p.dims[1]}, ${p.dims[0]}]${p.init === undefined ? "" : ` = ${p.init}`}`;
    return `${p.name} is declared the other way round: \`${decl}\``;
  }
  return undefined;
}

const matmul: ShapeRule = (args, ctx) => {
  if (!floats(args, ctx)) return undefined;
  const [a, b] = args as [Tensor, Tensor];
  const bad = (why: string, help?: string) => {
    ctx.report(
      "SEQ0302",
      `cannot multiply ${fmt(ctx, a)} @ ${fmt(ctx, b)}: ${why}`,
      { loc: ctx.node.loc },
      [{ loc: ctx.argLocs[0]!, message: fmt(ctx, a) }, { loc: ctx.argLocs[1]!, message: fmt(ctx, b) }],
      whereNote(ctx, a, b),
      help,
    );
    return undefined;
  };
  if (a.dims.length < 1 || a.dims.length > 2 || b.dims.length < 1 || b.dims.length > 2) return bad("@ takes vectors and matrices");
  const inner = a.dims[a.dims.length - 1]!;
  const other = b.dims[0]!;
  if (!ctx.env.equal(inner, other)) return bad(`${ctx.env.format(inner)} is not ${ctx.env.format(other)}`, transposedHelp(ctx, a, b));
  return tensor([...a.dims.slice(0, -1), ...b.dims.slice(1)]);
};

const concat: ShapeRule = (args, ctx) => {
  if (!floats(args, ctx)) return undefined;
  const first = args[0]!;
  if (!needRank(first, 1, ctx, "at least one axis")) return undefined;
  let last = Poly.const(0);
  for (let i = 0; i < args.length; i++) {
    const t = args[i]!;
    const ok =
      t.dims.length === first.dims.length && t.dims.slice(0, -1).every((d, j) => ctx.env.equal(d, first.dims[j]!));
    if (!ok) {
      ctx.report(
        "SEQ0309",
        `cannot concat ${fmt(ctx, first)} and ${fmt(ctx, t)}`,
        { loc: ctx.argLocs[i]!, message: fmt(ctx, t) },
        [{ loc: ctx.argLocs[0]!, message: fmt(ctx, first) }],
        whereNote(ctx, first, t),
      );
      return undefined;
    }
    last = last.add(t.dims[t.dims.length - 1]!);
  }
  return tensor([...first.dims.slice(0, -1), last]);
};

const split: ShapeRule = (args, ctx) => {
  const [x] = args as [Tensor];
  const n = intAttr(ctx, "n");
  if (n === undefined || !floats(args, ctx) || !needRank(x, 1, ctx, "at least one axis")) return undefined;
  if (n < 1) {
    ctx.report("SEQ0307", `split<${n}> needs at least one part`, { loc: ctx.node.loc });
    return undefined;
  }
  const last = x.dims[x.dims.length - 1]!;
  const part = ctx.env.divide(last, Poly.const(n));
  if (!part) {
    ctx.report("SEQ0307", `cannot split ${ctx.env.format(last)} into ${n} equal parts`, { loc: ctx.node.loc, message: fmt(ctx, x) }, [], whereNote(ctx, x));
    return undefined;
  }
  const item = tensor([...x.dims.slice(0, -1), part]);
  return { kind: "tuple", items: Array.from({ length: n }, () => item) };
};

const fold: ShapeRule = (args, ctx) => {
  const [x] = args as [Tensor];
  const k = intAttr(ctx, "k");
  if (k === undefined || !floats(args, ctx) || !needRank(x, 2, ctx, "a sequence of vectors [T, D]")) return undefined;
  const t = x.dims[0]!;
  const steps = k >= 1 ? ctx.env.divide(t, Poly.const(k)) : undefined;
  if (!steps) {
    ctx.report("SEQ0202", `fold<${k}> needs ${ctx.env.format(t)} to be divisible by ${k}`, { loc: ctx.node.loc, message: fmt(ctx, x) }, [], whereNote(ctx, x), multipleHelp(ctx.env, t, k) ?? `fold<${k}> joins ${k} steps into one: the length must be a multiple of ${k}`);
    return undefined;
  }
  return tensor([steps, x.dims[1]!.mul(Poly.const(k)), ...x.dims.slice(2)]);
};

const flatten: ShapeRule = (args, ctx) => {
  const [x] = args as [Tensor];
  if (!needRank(x, 1, ctx, "at least one axis")) return undefined;
  return tensor([x.dims.reduce((acc, d) => acc.mul(d), ONE)], x.vocab);
};

const oneHot: ShapeRule = (args, ctx) => {
  const [x] = args as [Tensor];
  if (x.vocab === undefined) {
    ctx.report("SEQ0311", `one_hot needs a token tensor (\`[T] of vocab\`), but this is ${fmt(ctx, x)}`, { loc: ctx.argLocs[0]!, message: fmt(ctx, x) });
    return undefined;
  }
  const size = ctx.attr(`vocab:${x.vocab}`);
  if (size?.kind !== "dim") return undefined;
  return tensor([...x.dims, size.poly]);
};

type Pad = { kind: "valid" | "same" | "full" | "causal" } | { kind: "num"; value: number };

function padOf(ctx: OpCtx): Pad | undefined {
  const v = ctx.attr("pad");
  if (v === undefined) return { kind: "valid" };
  if (v.kind === "word" && ["valid", "same", "full", "causal"].includes(v.word)) return { kind: v.word as "valid" };
  const n = v.kind === "num" ? v.value : v.kind === "dim" ? ctx.env.value(v.poly) : undefined;
  if (n !== undefined && Number.isInteger(n) && n >= 0) return { kind: "num", value: n };
  ctx.report("SEQ0112", `pad must be valid, same, full, causal or a whole number`, { loc: ctx.node.loc });
  return undefined;
}

/** Output size of a window (conv or pool) sliding over n: (n + P - D*(F-1) - 1)/S + 1. */
function windowOut(n: Poly, f: number, s: number, d: number, pad: Pad, ctx: OpCtx, x: Tensor): Poly | undefined {
  const env = ctx.env;
  const span = d * (f - 1);
  if (pad.kind === "same") {
    const out = env.divide(n, Poly.const(s));
    if (!out) {
      ctx.report("SEQ0305", `padding "same" with stride ${s} needs ${env.format(n)} to be divisible by ${s}`, { loc: ctx.node.loc, message: fmt(ctx, x) }, [], whereNote(ctx, x), multipleHelp(env, n, s));
    }
    return out;
  }
  const p = pad.kind === "num" ? 2 * pad.value : pad.kind === "valid" ? 0 : pad.kind === "full" ? 2 * span : span;
  const numer = n.add(Poly.const(p - span - 1));
  const padText = pad.kind === "num" ? ` + 2*${pad.value}` : p > 0 ? ` + ${p}` : "";
  const formula = `(${env.format(n)}${padText} - ${span + 1})/${s} + 1`;
  const out = env.divide(numer, Poly.const(s));
  const value = env.value(numer);
  if (!out) {
    const shown = value !== undefined ? ` = ${(value / s + 1).toFixed(2)}` : "";
    ctx.report(
      "SEQ0305",
      `a window of ${f}${d > 1 ? ` (dilation ${d})` : ""} with stride ${s} does not fit ${env.format(n)}: ${formula}${shown} is not a whole number`,
      { loc: ctx.node.loc, message: fmt(ctx, x) },
      [],
      whereNote(ctx, x),
      multipleHelp(env, numer, s),
    );
    return undefined;
  }
  const result = out.add(ONE);
  const size = env.value(result);
  if (size !== undefined && size < 1) {
    ctx.report("SEQ0305", `a window of ${f} is larger than the input ${env.format(n)}: ${formula} = ${size}`, { loc: ctx.node.loc, message: fmt(ctx, x) }, [], whereNote(ctx, x));
    return undefined;
  }
  return result;
}

function spatialRank(x: Tensor, ctx: OpCtx): number | undefined {
  const r = x.dims.length - 1;
  if (r === 1 || r === 2) return r;
  ctx.report("SEQ0304", `${ctx.node.op} works on [N, C] (1-D) or [N, M, C] (2-D), not ${fmt(ctx, x)}`, { loc: ctx.argLocs[0]!, message: fmt(ctx, x) });
  return undefined;
}

const conv: ShapeRule = (args, ctx) => {
  if (!floats(args, ctx)) return undefined;
  const [x, w] = args as [Tensor, Tensor];
  const r = spatialRank(x, ctx);
  if (r === undefined) return undefined;
  if (w.dims.length !== r + 2) {
    ctx.report("SEQ0304", `a ${r}-D conv needs a kernel of rank ${r + 2} ([F${r === 2 ? ", F" : ""}, C, K]), not ${fmt(ctx, w)}`, { loc: ctx.argLocs[1]!, message: fmt(ctx, w) });
    return undefined;
  }
  const c = x.dims[r]!;
  const wc = w.dims[r]!;
  if (!ctx.env.equal(c, wc)) {
    ctx.report(
      "SEQ0303",
      `the kernel expects ${ctx.env.format(wc)} channels but the input has ${ctx.env.format(c)}`,
      { loc: ctx.node.loc },
      [{ loc: ctx.argLocs[0]!, message: fmt(ctx, x) }, { loc: ctx.argLocs[1]!, message: fmt(ctx, w) }],
      whereNote(ctx, x, w),
    );
    return undefined;
  }
  const stride = intAttr(ctx, "stride", 1);
  const dilation = intAttr(ctx, "dilation", 1);
  const pad = padOf(ctx);
  if (stride === undefined || dilation === undefined || !pad || !positive(ctx, { stride, dilation })) return undefined;
  const out: Poly[] = [];
  for (let i = 0; i < r; i++) {
    const f = ctx.env.value(w.dims[i]!);
    if (f === undefined) {
      ctx.report("SEQ0112", `the kernel size ${ctx.env.format(w.dims[i]!)} must be a known number`, { loc: ctx.argLocs[1]!, message: fmt(ctx, w) });
      return undefined;
    }
    const o = windowOut(x.dims[i]!, f, stride, dilation, pad, ctx, x);
    if (!o) return undefined;
    out.push(o);
  }
  return tensor([...out, w.dims[r + 1]!]);
};

function positive(ctx: OpCtx, values: Record<string, number>): boolean {
  for (const [k, v] of Object.entries(values)) {
    if (v < 1) {
      ctx.report("SEQ0112", `${ctx.node.op}: ${k} must be at least 1, not ${v}`, { loc: ctx.node.loc });
      return false;
    }
  }
  return true;
}

const pool: ShapeRule = (args, ctx) => {
  if (!floats(args, ctx)) return undefined;
  const [x] = args as [Tensor];
  const r = spatialRank(x, ctx);
  const size = intAttr(ctx, "size", 2);
  const given = intAttr(ctx, "stride", 0);
  const pad = padOf(ctx);
  if (r === undefined || size === undefined || given === undefined || !pad) return undefined;
  const stride = given === 0 ? size : given;
  if (!positive(ctx, { size, stride })) return undefined;
  if (pad.kind === "num" && pad.value >= size) {
    ctx.report("SEQ0112", `pooling padding ${pad.value} is not smaller than the window ${size}: some windows would see only padding`, { loc: ctx.node.loc });
    return undefined;
  }
  const out: Poly[] = [];
  for (let i = 0; i < r; i++) {
    const o = windowOut(x.dims[i]!, size, stride, 1, pad, ctx, x);
    if (!o) return undefined;
    out.push(o);
  }
  return tensor([...out, x.dims[r]!]);
};

const SCALAR = tensor([]);

function lossMismatch(ctx: OpCtx, p: Tensor, y: Tensor, why: string, help?: string): undefined {
  ctx.report(
    "SEQ0308",
    `${ctx.node.op} cannot compare ${fmt(ctx, p)} with ${fmt(ctx, y)}: ${why}`,
    { loc: ctx.node.loc },
    [{ loc: ctx.argLocs[0]!, message: fmt(ctx, p) }, { loc: ctx.argLocs[1]!, message: fmt(ctx, y) }],
    whereNote(ctx, p, y),
    help,
  );
  return undefined;
}

/**
 * Scores of the wrong width for token targets of a vocabulary of V: an output
 * layer `dense<V>(h)` in place of the scores (or in place of the `dense<K>`
 * that gives them).
 */
function outputLayerHelp(ctx: OpCtx, size: string): string {
  const [z, y] = ctx.node.args as [Expr, Expr];
  const denseInput = (e: Expr | undefined) => (e?.op === "call" && e.callee === "dense" && e.args.length === 1 && !e.modifier && !e.with ? e.args[0] : undefined);
  // `logits = dense<K>(h)` ... cross_entropy(logits, y): the layer is there, with the wrong width.
  const bound = z.op === "ref" ? denseInput(ctx.definition(z.name)) : undefined;
  if (z.op === "ref" && bound) return `make the output layer score the vocabulary: \`${z.name} = dense<${size}>(${shortSource(ctx, bound.loc)})\``;
  const scores = `dense<${size}>(${shortSource(ctx, (denseInput(z) ?? z).loc)})`;
  return `score the vocabulary with an output layer: \`${ctx.node.op}(${scores}, ${shortSource(ctx, y.loc)})\``;
}

const sameShapeLoss: ShapeRule = (args, ctx) => {
  const [p, y] = args as [Tensor, Tensor];
  if (p.vocab !== undefined || y.vocab !== undefined) return lossMismatch(ctx, p, y, "it takes float tensors (targets of 0s and 1s, or values)");
  if (p.dims.length !== y.dims.length || !p.dims.every((d, i) => ctx.env.equal(d, y.dims[i]!))) return lossMismatch(ctx, p, y, "the shapes differ");
  return SCALAR;
};

const crossEntropy: ShapeRule = (args, ctx) => {
  const [z, y] = args as [Tensor, Tensor];
  if (z.vocab !== undefined) return lossMismatch(ctx, z, y, "the first argument must be float scores (logits)");
  if (z.dims.length < 1) return lossMismatch(ctx, z, y, "the scores need a class axis");
  if (y.vocab === undefined) return sameShapeLoss(args, ctx);
  const lead = z.dims.slice(0, -1);
  if (lead.length !== y.dims.length || !lead.every((d, i) => ctx.env.equal(d, y.dims[i]!))) {
    return lossMismatch(ctx, z, y, "the scores need one more axis (the classes) than the tokens");
  }
  const v = ctx.attr(`vocab:${y.vocab}`);
  const classes = z.dims[z.dims.length - 1]!;
  if (v?.kind === "dim" && !ctx.env.equal(v.poly, classes)) {
    return lossMismatch(ctx, z, y, `${ctx.env.format(classes)} scores for a vocabulary of ${ctx.env.format(v.poly)} tokens`, outputLayerHelp(ctx, ctx.env.format(v.poly)));
  }
  return SCALAR;
};

export const OP_SHAPES: Record<OpKind, ShapeRule> = {
  add: elementwise2,
  sub: elementwise2,
  mul: elementwise2,
  div: elementwise2,
  maximum: elementwise2,
  minimum: elementwise2,
  matmul,
  neg: sameShape,
  sigmoid: sameShape,
  tanh: sameShape,
  relu: sameShape,
  elu: sameShape,
  softplus: sameShape,
  exp: sameShape,
  log: sameShape,
  sqrt: sameShape,
  square: sameShape,
  abs: sameShape,
  leaky_relu: sameShape,
  concat,
  split,
  fold,
  shift: keepSequence,
  flip: keepSequence,
  first: dropFirst,
  last: dropFirst,
  sum: reduce,
  mean: reduce,
  max: reduce,
  softmax: softmaxLike,
  log_softmax: softmaxLike,
  dropout,
  batch_normalize: batchNormalize,
  one_hot: oneHot,
  flatten,
  conv,
  maxpool: pool,
  avgpool: pool,
  mse: sameShapeLoss,
  bce: sameShapeLoss,
  bce_logits: sameShapeLoss,
  cross_entropy: crossEntropy,
};
