/**
 * Types of values: tensors of symbolic dims (floats, or integer tokens of a
 * vocabulary), and tuples (what split<n> returns).
 */
import type { DimEnv, Poly } from "./dims.js";

export interface Tensor {
  kind: "tensor";
  dims: Poly[];
  /** Set for integer token tensors (`[T] of abc`). */
  vocab?: string;
}

export interface Tuple {
  kind: "tuple";
  items: Tensor[];
}

export type Ty = Tensor | Tuple;

export function tensor(dims: Poly[], vocab?: string): Tensor {
  return vocab === undefined ? { kind: "tensor", dims } : { kind: "tensor", dims, vocab };
}

/** `[4*H, T]`, with ` of abc` for token tensors. */
export function formatTy(t: Ty, env: DimEnv): string {
  if (t.kind === "tuple") return `(${t.items.map((i) => formatTy(i, env)).join(", ")})`;
  return `[${t.dims.map((d) => env.format(d)).join(", ")}]${t.vocab ? ` of ${t.vocab}` : ""}`;
}

export function sameDims(a: Poly[], b: Poly[], env: DimEnv): boolean {
  return a.length === b.length && a.every((d, i) => env.equal(d, b[i]!));
}

/** Product of dims: the number of elements (or parameters). */
export function size(dims: Poly[], one: Poly): Poly {
  return dims.reduce((acc, d) => acc.mul(d), one);
}
