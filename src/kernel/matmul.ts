/**
 * The matrix products of `@` as batched GEMMs, for every rank and batching of
 * its operands ([m,n]@[n], [n]@[n,k], [m,n]@[n,k], [n]@[n], each side with or
 * without the batch axis), and their adjoints.
 */
import type { Mats, Val } from "./api.js";
import { eMul, ONE, sameSize, ZERO, type E, type Mat } from "./program.js";

const mat = (v: Val, ld: E, bstride: E, trans = false): Mat => ({ buf: v.buf, off: v.off, ld, trans, bstride });

/** y = a @ b as C[e] = op(A[e]) @ op(B[e]) for e < count; N is the batch extent. */
export function matmulForm(a: Val, b: Val, y: Val, N: E | null): Mats & { swapped?: true } {
  const ra = a.ext.length;
  const rb = b.ext.length;
  const inner = ra === 2 ? a.ext[1]! : a.ext[0]!;
  const m = ra === 2 ? a.ext[0]! : ONE;
  const k = rb === 2 ? b.ext[1]! : ONE;
  const aRow = ra === 2 ? a.str[0]! : inner;
  const bRow = rb === 2 ? b.str[0]! : ONE;
  const yRow = ra === 2 && rb === 2 ? y.str[0]! : rb === 2 ? k : ONE;
  if (a.n === null && b.n !== null && rb === 1) {
    // W @ x over the batch: Y[N, m] = X[N, n] @ W^T (w @ x: Y[N] = X @ w).
    return { count: ONE, m: N!, n: m, k: inner, a: mat(b, b.n, ZERO), b: ra === 2 ? mat(a, a.str[0]!, ZERO, true) : mat(a, ONE, ZERO), c: mat(y, y.n!, ZERO), swapped: true };
  }
  if (a.n !== null && b.n === null && (ra === 1 || sameSize(a.n, eMul(m, inner))) && (ra === 1 || (y.n !== null && sameSize(y.n, eMul(m, k))))) {
    // x @ W over the batch (and the rows of each example): one product of N*m rows.
    const rows = ra === 1 ? N! : eMul(N!, m);
    return { count: ONE, m: rows, n: k, k: inner, a: mat(a, ra === 1 ? a.n : aRow, ZERO), b: mat(b, bRow, ZERO), c: mat(y, ra === 1 ? y.n! : yRow, ZERO) };
  }
  // One product per batch element (or a single one when nothing is batched).
  const count = a.n !== null || b.n !== null ? N! : ONE;
  return { count, m, n: k, k: inner, a: mat(a, aRow, a.n ?? ZERO), b: mat(b, bRow, b.n ?? ZERO), c: mat(y, yRow, y.n ?? ZERO) };
}

const at = (x: Mat, v: Val): Mat => ({ ...x, buf: v.buf, off: v.off });

/** The products that add the adjoints of A and B of C = op(A) @ op(B), given dC. */
export function matmulAdjoint(f: Mats, dA: Val | null, dB: Val | null, dC: Val): Mats[] {
  const out: Mats[] = [];
  const dc = at(f.c, dC);
  if (dA) {
    const da = at({ ...f.a, trans: false }, dA);
    out.push(f.a.trans
      ? { count: f.count, m: f.k, n: f.m, k: f.n, a: f.b, b: { ...dc, trans: true }, c: da }
      : { count: f.count, m: f.m, n: f.k, k: f.n, a: dc, b: { ...f.b, trans: !f.b.trans }, c: da });
  }
  if (dB) {
    const db = at({ ...f.b, trans: false }, dB);
    out.push(f.b.trans
      ? { count: f.count, m: f.n, n: f.k, k: f.m, a: { ...dc, trans: true }, b: f.a, c: db }
      : { count: f.count, m: f.k, n: f.n, k: f.m, a: { ...f.a, trans: !f.a.trans }, b: dc, c: db });
  }
  return out;
}
