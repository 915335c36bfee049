/**
 * A kernel program: a model's forward and backward passes as loops over flat
 * buffers, what the differentiator produces from a Graph and what code
 * emitters print. It has a small closed vocabulary of statements (elementwise
 * maps over strided views, matrix products, fills, loops over time) so that a
 * target implements a handful of statements, not every op twice.
 *
 * Sizes, offsets and strides are expressions (`E`): JavaScript arithmetic over
 * integer literals, dim variables (`$D_T`, the unit value of atom T), the
 * batch size `$B` and loop variables (`$t`). They are built only by `e*`
 * helpers below from numbers and those names, never from spec text.
 */

/** A size expression (see the file comment). */
export type E = string;

/** A scalar function of a map's expression. */
export type Fn =
  | "add" | "sub" | "mul" | "div" | "neg" | "max" | "min"
  | "exp" | "log" | "log1p" | "tanh" | "sigmoid" | "sqrt" | "abs" | "sign"
  | "gt" | "ge" | "lt" | "le" | "eq"
  /** select(c, a, b): a where c != 0, else b. */
  | "select";

/** A map's scalar expression over its operands' elements and its iteration indices. */
export type Scalar =
  | { k: "in"; i: number }
  | { k: "num"; v: number }
  | { k: "idx"; axis: number }
  /** A size expression's value (e.g. the length a mean divides by). */
  | { k: "size"; e: E }
  | { k: "fn"; f: Fn; args: Scalar[] };

/** A strided view of a buffer: element (i0, i1, ...) of the iteration space is buf[off + i0*strides[0] + ...]. */
export interface Operand {
  buf: string;
  off: E;
  strides: E[];
}

/** A matrix operand of a product: element (r, c) is buf[off + r*ld + c] (trans: buf[off + c*ld + r]); batch element e adds e*bstride. */
export interface Mat {
  buf: string;
  off: E;
  ld: E;
  trans: boolean;
  bstride: E;
}

export type Stmt =
  /** For every index of `shape`: out (=, +=, max=) expr(ins). */
  | { s: "map"; shape: E[]; out: Operand; ins: Operand[]; expr: Scalar; mode: "set" | "add" | "max" }
  /** For e < count: C[e] (+)= op(A[e]) @ op(B[e]), C[e] m x n, the inner size k. */
  | { s: "gemm"; count: E; m: E; n: E; k: E; a: Mat; b: Mat; c: Mat; acc: boolean }
  /** buf[off .. off+size) = value. */
  | { s: "fill"; buf: string; off: E; size: E; value: number }
  /** for v from 0 up to count - 1 (down: from count - 1 down to 0): body */
  | { s: "loop"; v: string; count: E; down: boolean; body: Stmt[] }
  /** const name = value (a loop's time index). */
  | { s: "let"; name: string; value: E }
  /** buf[0 .. size) = the initial state given for `key` (truncated BPTT), or else run `otherwise`. */
  | { s: "initial"; key: string; buf: string; size: E; otherwise: Stmt[] }
  /** Runs body unless an initial state was given for `key` (the gradient stops at given states). */
  | { s: "unlessInitial"; key: string; body: Stmt[] }
  /** A line of explanation before the next statement (spec location and text). */
  | { s: "note"; text: string };

export interface BufferDecl {
  name: string;
  /** Element count at the model's maxima. */
  size: E;
  /** `param`/`grad`: a view of the flat params/grads at `off`; `int`: Int32Array; `float`: the model's float type. */
  kind: "float" | "int" | "param" | "grad";
  off?: E;
  /** What it holds, for a comment. */
  doc: string;
}

// ------------------------------------------------------------------ size expressions

const isNum = (e: E) => /^-?\d+$/.test(e);

/** a + b, folding integers. */
export function eAdd(a: E, b: E): E {
  if (isNum(a) && isNum(b)) return String(Number(a) + Number(b));
  if (a === "0") return b;
  if (b === "0") return a;
  return `${a} + ${b}`;
}

export function eSub(a: E, b: E): E {
  if (isNum(a) && isNum(b)) return String(Number(a) - Number(b));
  if (b === "0") return a;
  return `${a} - ${paren(b)}`;
}

/** a * b, folding integers and ones. */
export function eMul(a: E, b: E): E {
  if (isNum(a) && isNum(b)) return String(Number(a) * Number(b));
  if (a === "0" || b === "0") return "0";
  if (a === "1") return b;
  if (b === "1") return a;
  return `${paren(a)} * ${paren(b)}`;
}

/** The product of several sizes. */
export function eProd(xs: E[]): E {
  return xs.reduce((a, b) => eMul(a, b), "1");
}

/** Integer division that the checker proved exact. */
export function eDiv(a: E, b: E): E {
  if (isNum(a) && isNum(b) && Number(a) % Number(b) === 0) return String(Number(a) / Number(b));
  if (b === "1") return a;
  return `${paren(a)} / ${paren(b)}`;
}

/** e parenthesised unless it is one term. */
export function paren(e: E): E {
  return /^[-\w$.]+$/.test(e) || /^\(.*\)$/.test(e) && balanced(e.slice(1, -1)) ? e : `(${e})`;
}

function balanced(s: string): boolean {
  let depth = 0;
  for (const ch of s) {
    if (ch === "(") depth++;
    else if (ch === ")" && --depth < 0) return false;
  }
  return depth === 0;
}

/** Row-major strides of a shape. */
export function contiguous(shape: E[]): E[] {
  const out: E[] = new Array<E>(shape.length);
  let s = "1";
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = s;
    s = eMul(s, shape[i]!);
  }
  return out;
}

// ------------------------------------------------------------------ scalar expressions

export const IN = (i: number): Scalar => ({ k: "in", i });
export const NUM = (v: number): Scalar => ({ k: "num", v });
export const IDX = (axis: number): Scalar => ({ k: "idx", axis });
export const SIZE = (e: E): Scalar => ({ k: "size", e });
export const fn = (f: Fn, ...args: Scalar[]): Scalar => ({ k: "fn", f, args });
