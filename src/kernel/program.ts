/**
 * A kernel program: a model's forward and backward passes as loops over flat
 * buffers, what the differentiator produces from a Graph and what code
 * emitters print. It has a small closed vocabulary of statements (elementwise
 * maps over strided views, matrix products, fills, loops over time) so that a
 * target implements a handful of statements, not every op twice.
 *
 * Sizes, offsets and strides are size expressions (`E`): integer arithmetic
 * over literals and variables (a free dim's unit value, the batch size, the
 * loop's step and time). An expression keeps the form it was built in, which
 * an emitter prints, and is compared as what it stands for: a polynomial of
 * the checker's algebra (src/check/dims.ts), so `2 * T * B` equals
 * `B * (T + T)`. They are built only by the helpers below, never from text.
 *
 * Identifiers and comments are an emitter's: buffers are referred to by index
 * and named in the spec's terms (labels), notes carry their place in the spec.
 */
import { Poly } from "../check/dims.js";
import type { Source } from "../graph/graph.js";

/** A variable of size expressions. */
export type SizeVar =
  /** The unit value of a free dim (its value over its known divisor). */
  | { k: "dim"; name: string }
  /** The size of the batch being run. */
  | { k: "batch" }
  /** The index of the loop's step (loops do not nest). */
  | { k: "step" }
  /** The time the step processes (the `time` statement sets it). */
  | { k: "time" };

/** A size expression (see the file comment). */
export type E = { k: "num"; v: number } | SizeVar | { k: "add" | "sub" | "mul"; a: E; b: E };

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

/** A buffer: its index in the program's buffers. */
export type BufId = number;

/**
 * A strided view of a buffer: element (i0, i1, ...) of the iteration space is
 * buf[off + i0*strides[0] + ...]; with `gather`, plus `scale` times the integer
 * that a view of the index buffer holds there (a row or column picked by a token
 * id: one_hot(x) @ W as a gather of W, its gradient as a scatter-add).
 */
export interface Operand {
  buf: BufId;
  off: E;
  strides: E[];
  gather?: { buf: BufId; off: E; strides: E[]; scale: E };
}

/** A matrix operand of a product: element (r, c) is buf[off + r*ld + c] (trans: buf[off + c*ld + r]); batch element e adds e*bstride. */
export interface Mat {
  buf: BufId;
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
  | { s: "fill"; buf: BufId; off: E; size: E; value: number }
  /**
   * buf[0 .. size) = a dropout mask while training (each element 1/(1 - rate) with probability 1 - rate, else
   * 0: runtime/init.ts drawMask, from the forward pass's generator, masks in program order), else ones.
   */
  | { s: "mask"; buf: BufId; size: E; rate: number }
  /** for step from 0 up to count - 1 (down: from count - 1 down to 0): body (loops do not nest). */
  | { s: "loop"; count: E; down: boolean; body: Stmt[] }
  /** time = value: the time the loop's step processes. */
  | { s: "time"; value: E }
  /** buf[0 .. size) = the initial state given for `key` (truncated BPTT), or else run `otherwise`. */
  | { s: "initial"; key: string; buf: BufId; size: E; otherwise: Stmt[] }
  /** Runs body unless an initial state was given for `key` (the gradient stops at given states). */
  | { s: "unlessInitial"; key: string; body: Stmt[] }
  /** Runs body while training (the trainer has set a training seed: batch statistics), else `otherwise`. */
  | { s: "training"; body: Stmt[]; otherwise: Stmt[] }
  /**
   * Maps over one space as one loop: each element goes through the maps in
   * order (fuse.ts makes these where that is the same as running the maps one
   * after another). `locals`: buffers no statement outside reads, held in a
   * variable of the loop's body instead of memory.
   */
  | { s: "fused"; shape: E[]; body: (Extract<Stmt, { s: "map" }> | Extract<Stmt, { s: "note" }>)[]; locals: BufId[] }
  /** A line of explanation before the next statement: what it does, and where in the spec it comes from. */
  | { s: "note"; text: string; src?: Source };

/**
 * The statement with each list of statements nested in it (a loop's, a branch's, an initial state's) replaced by
 * f of it; a fused loop's maps are not statements of their own here.
 */
export function mapNested(st: Stmt, f: (stmts: Stmt[]) => Stmt[]): Stmt {
  switch (st.s) {
    case "loop":
    case "unlessInitial":
      return { ...st, body: f(st.body) };
    case "initial":
      return { ...st, otherwise: f(st.otherwise) };
    case "training":
      return { ...st, body: f(st.body), otherwise: f(st.otherwise) };
    default:
      return st;
  }
}

/** The lists of statements nested in a statement, a fused loop's maps included. */
export function nestedStmts(st: Stmt): readonly Stmt[][] {
  if (st.s === "fused") return [st.body];
  const lists: Stmt[][] = [];
  mapNested(st, (ss) => (lists.push(ss), ss));
  return lists;
}

/** Text for the emitter in which other buffers stand for the names it gives them. */
export type Label = (string | { buf: BufId })[];

export interface BufferDecl {
  /**
   * What the emitter names it after: spec names and the kernel's affixes
   * (`W`, `dh.W`, `in_x`, `dh.c_carry`); an adjoint of a value is `d` and the
   * name of the value's buffer (declared before it).
   */
  name: Label;
  /** Element count at the model's maxima. */
  size: E;
  /** `param`/`grad`: a view of the flat params/grads at `off`; `int`: Int32Array; `float`: the model's float type; `const`: a spec's const, filled with `values` once. */
  kind: "float" | "int" | "param" | "grad" | "const";
  off?: E;
  /** A const's values, row-major. */
  values?: number[];
  /** What it holds, for a comment. */
  doc: Label;
  /**
   * A value of a scan's step body: one slot of this many elements per step, the
   * forward loop writing and reading slot STEP only. fuse.ts keeps one slot
   * when the backward pass reads none.
   */
  slot?: E;
  /**
   * Stored in the memory of this other buffer (fuse.ts): one of them is used by the forward pass only, the
   * other by the backward pass only, so their lives do not overlap; the memory holds the larger.
   */
  shares?: BufId;
}

// ------------------------------------------------------------------ size expressions

export const int = (v: number): E => ({ k: "num", v });
export const ZERO = int(0);
export const ONE = int(1);
export const BATCH: E = { k: "batch" };
export const STEP: E = { k: "step" };
export const TIME: E = { k: "time" };
export const dimVar = (name: string): E => ({ k: "dim", name });

/** The integer a literal stands for (undefined for any other expression). */
const lit = (e: E): number | undefined => (e.k === "num" && Number.isInteger(e.v) ? e.v : undefined);

/** a + b, folding integers. */
export function eAdd(a: E, b: E): E {
  const [x, y] = [lit(a), lit(b)];
  if (x !== undefined && y !== undefined) return int(x + y);
  if (x === 0) return b;
  if (y === 0) return a;
  return { k: "add", a, b };
}

export function eSub(a: E, b: E): E {
  const [x, y] = [lit(a), lit(b)];
  if (x !== undefined && y !== undefined) return int(x - y);
  if (y === 0) return a;
  return { k: "sub", a, b };
}

/** a * b, folding integers and ones. */
export function eMul(a: E, b: E): E {
  const [x, y] = [lit(a), lit(b)];
  if (x !== undefined && y !== undefined) return int(x * y);
  if (x === 0 || y === 0) return ZERO;
  if (x === 1) return b;
  if (y === 1) return a;
  return { k: "mul", a, b };
}

/** The product of several sizes. */
export function eProd(xs: E[]): E {
  return xs.reduce((a, b) => eMul(a, b), ONE);
}

/** e with the loop's step replaced by `step` (an offset of a step's slot as the offset of slot `step`). */
export function atStep(e: E, step: E): E {
  switch (e.k) {
    case "step": return step;
    case "add": return eAdd(atStep(e.a, step), atStep(e.b, step));
    case "sub": return eSub(atStep(e.a, step), atStep(e.b, step));
    case "mul": return eMul(atStep(e.a, step), atStep(e.b, step));
    default: return e;
  }
}

/** Row-major strides of a shape. */
export function contiguous(shape: E[]): E[] {
  const out: E[] = new Array<E>(shape.length);
  let s = ONE;
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = s;
    s = eMul(s, shape[i]!);
  }
  return out;
}

/** Polynomial atoms of the variables: a dim by its name (as in the checker's dims), the others by names no dim has. */
const ATOM: Record<Exclude<SizeVar["k"], "dim">, string> = { batch: "#batch", step: "#step", time: "#time" };

const polys = new WeakMap<E, Poly>();

/** The polynomial an expression stands for (over the variables' unit values). */
export function sizePoly(e: E): Poly {
  let p = polys.get(e);
  if (p) return p;
  switch (e.k) {
    case "num": p = Poly.const(e.v); break;
    case "dim": p = Poly.atom({ name: e.name, multiple: 1 }); break;
    case "batch": case "step": case "time": p = Poly.atom({ name: ATOM[e.k], multiple: 1 }); break;
    case "add": p = sizePoly(e.a).add(sizePoly(e.b)); break;
    case "sub": p = sizePoly(e.a).sub(sizePoly(e.b)); break;
    case "mul": p = sizePoly(e.a).mul(sizePoly(e.b)); break;
  }
  polys.set(e, p);
  return p;
}

/** Whether two sizes are equal for every value of the variables (the same polynomial, however written). */
export function sameSize(a: E, b: E): boolean {
  return a === b || sizePoly(a).equals(sizePoly(b));
}

/** The number a size stands for when it has no variables (`2 * 3 - 6` and `T - T` are 0). */
export function sizeValue(e: E): number | undefined {
  return sizePoly(e).constValue();
}

/** Whether a size is the number n. */
export const isSize = (e: E, n: number): boolean => sizeValue(e) === n;

// ------------------------------------------------------------------ scalar expressions

export const IN = (i: number): Scalar => ({ k: "in", i });
export const NUM = (v: number): Scalar => ({ k: "num", v });
export const IDX = (axis: number): Scalar => ({ k: "idx", axis });
export const SIZE = (e: E): Scalar => ({ k: "size", e });
export const fn = (f: Fn, ...args: Scalar[]): Scalar => ({ k: "fn", f, args });
