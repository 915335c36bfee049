/**
 * What the forward and adjoint rules of each op see: their arguments as
 * strided views (`Val`) and a builder that appends kernel statements.
 */
import type { Attr } from "../graph/graph.js";
import { contiguous, eAdd, eMul, eProd, ONE, sameSize, ZERO, type BufId, type E, type Mat, type Scalar, type Stmt } from "./program.js";

/**
 * A tensor value in the buffers: element (n, i0, i1, ...) is
 * buf[off + n*n_stride + i0*str[0] + ...]. `n` is the stride of the batch
 * axis (null when the value has none: params, constants); `num` marks a scalar
 * constant (no buffer: `buf` is -1).
 */
export interface Val {
  buf: BufId;
  off: E;
  n: E | null;
  ext: E[];
  str: E[];
  num?: number;
  int?: boolean;
}

/** The iteration space of a map: the batch extent (null: none) and element extents. */
export interface Space {
  n: E | null;
  ext: E[];
}

export function val(buf: BufId, off: E, n: E | null, ext: E[], int = false): Val {
  const v: Val = { buf, off, n, ext, str: contiguous(ext) };
  if (int) v.int = true;
  return v;
}

export function constVal(value: number): Val {
  return { buf: -1, off: ZERO, n: null, ext: [], str: [], num: value };
}

export const size = (v: Val): E => eProd(v.ext);

/** Whether the element axes are row-major contiguous. */
export function isContiguous(v: Val): boolean {
  return contiguous(v.ext).every((s, i) => sameSize(s, v.str[i]!));
}

/** A view of axis `axis` of v restricted to [start, start + extent). */
export function slice(v: Val, axis: number, start: E, extent: E): Val {
  return { ...v, off: eAdd(v.off, eMul(start, v.str[axis]!)), ext: v.ext.map((x, i) => (i === axis ? extent : x)) };
}

/** v without axis `axis`, at index `index` of it. */
export function pick(v: Val, axis: number, index: E): Val {
  return { ...v, off: eAdd(v.off, eMul(index, v.str[axis]!)), ext: v.ext.filter((_, i) => i !== axis), str: v.str.filter((_, i) => i !== axis) };
}

/** v with a broadcast (size-1, stride-0) axis inserted at `axis`. */
export function insertAxis(v: Val, axis: number): Val {
  return { ...v, ext: [...v.ext.slice(0, axis), ONE, ...v.ext.slice(axis)], str: [...v.str.slice(0, axis), ZERO, ...v.str.slice(axis)] };
}

/** v's elements as one flat axis (it must be contiguous). */
export function flat(v: Val): Val {
  if (!isContiguous(v)) throw new Error("kernel: flattening a strided view");
  return { ...v, ext: [size(v)], str: [ONE] };
}

/** The statements a rule appends, and the buffers it may ask for. */
export interface Builder {
  /** For every index of `space`: out (=, +=, max=) f(ins) (numpy broadcasting from the right; the batch axis lines up). */
  map(space: Space, out: Val, ins: Val[], f: (xs: Scalar[]) => Scalar, mode?: "set" | "add" | "max"): void;
  /** Sets every element of v (a contiguous region or a view) to value. */
  fill(v: Val, value: number): void;
  gemm(g: Omit<Extract<Stmt, { s: "gemm" }>, "s">): void;
  /**
   * A buffer of the given space. `keep`: the adjoint reads it later, so inside a
   * scan each step gets its own (forward rules); otherwise a scratch buffer.
   */
  temp(space: Space, doc: string, keep: boolean): Val;
  /** The statements `training` appends run while training (batch statistics), those `otherwise` appends else. */
  branch(training: () => void, otherwise: () => void): void;
  /** The batch extent of the current op (null when unbatched). */
  N: E | null;
}

export interface OpCall {
  attrs: Record<string, Attr>;
  args: Val[];
  out: Val;
  b: Builder;
  /** Buffers the forward rule kept for the adjoint. */
  saved: Record<string, Val>;
}

export interface AdjointCall extends OpCall {
  dout: Val;
  /** Adjoint views of the arguments, null where no gradient is needed. */
  dargs: (Val | null)[];
}

export interface Mats {
  count: E;
  m: E;
  n: E;
  k: E;
  a: Mat;
  b: Mat;
  c: Mat;
}
