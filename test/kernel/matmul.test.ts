/**
 * src/kernel/matmul.ts: `@` as batched GEMMs for every rank of its operands
 * ([m,n]@[n,k], [m,n]@[n], [n]@[n,k], [n]@[n]) with each side batched or
 * not, run by the reference interpreter: the products equal the naive
 * product per example, and the adjoint products give dA = dY B^T and
 * dB = A^T dY per example (summed over the batch for an unbatched operand).
 */
import { describe, expect, it } from "vitest";
import { Rng } from "../../src/runtime/init.js";
import { int, sizeValue } from "../../src/kernel/program.js";
import { matmulAdjoint, matmulForm } from "../../src/kernel/matmul.js";
import { maxAbsDiff } from "../helpers/numeric.js";
import { Interpreter, valOf } from "./interpreter.js";

const [M, K, P] = [3, 4, 2];
const N = 3;

/** Element (i, j) of example e of an operand as a matrix: a vector is a row ([n] on the left) or a column ([n] on the right). */
function matrix(data: Float64Array, shape: number[], batched: boolean, e: number, side: "left" | "right"): number[][] {
  const per = shape.reduce((a, b) => a * b, 1);
  const base = batched ? e * per : 0;
  const [r, c] = shape.length === 2 ? shape : side === "left" ? [1, shape[0]!] : [shape[0]!, 1];
  return Array.from({ length: r! }, (_, i) => Array.from({ length: c! }, (_, j) => data[base + i * c! + j]!));
}

const mul = (a: number[][], b: number[][]) => a.map((row) => b[0]!.map((_, j) => row.reduce((s, v, p) => s + v * b[p]![j]!, 0)));
const t = (a: number[][]) => a[0]!.map((_, j) => a.map((row) => row[j]!));

const CASES = [2, 1].flatMap((ra) => [2, 1].flatMap((rb) => [true, false].flatMap((ab) => [true, false].map((bb) => ({ ra, rb, ab, bb })))));

describe("matmulForm and matmulAdjoint", () => {
  it.each(CASES.map((c) => [`[${c.ra === 2 ? "m,n" : "n"}]${c.ab ? " batched" : ""} @ [${c.rb === 2 ? "n,k" : "n"}]${c.bb ? " batched" : ""}`, c] as const))("%s", (_label, { ra, rb, ab, bb }) => {
    const rng = new Rng(ra * 8 + rb * 4 + Number(ab) * 2 + Number(bb));
    const it = new Interpreter();
    const aShape = ra === 2 ? [M, K] : [K];
    const bShape = rb === 2 ? [K, P] : [K];
    const yShape = [...(ra === 2 ? [M] : []), ...(rb === 2 ? [P] : [])];
    const yb = ab || bb;
    const a = valOf(it, "a", aShape, ab, N, () => rng.uniform(1));
    const b = valOf(it, "b", bShape, bb, N, () => rng.uniform(1));
    const y = valOf(it, "y", yShape, yb, N, () => Number.NaN);
    const dy = valOf(it, "dy", yShape, yb, N, () => rng.uniform(1));
    const da = valOf(it, "da", aShape, ab, N);
    const db = valOf(it, "db", bShape, bb, N);
    const builder = it.builder(yb ? int(N) : null);

    const { swapped, ...form } = matmulForm(a, b, y, yb ? int(N) : null);
    builder.gemm({ ...form, acc: false });
    // The operands of a swapped form are (b, a): their adjoints too.
    for (const g of matmulAdjoint(form, swapped ? db : da, swapped ? da : db, dy)) builder.gemm({ ...g, acc: true });

    const examples = yb ? N : 1;
    const want = { y: [] as number[], da: new Float64Array(it.buf("da").length), db: new Float64Array(it.buf("db").length) };
    for (let e = 0; e < examples; e++) {
      const A = matrix(it.buf("a"), aShape, ab, e, "left");
      const B = matrix(it.buf("b"), bShape, bb, e, "right");
      want.y.push(...mul(A, B).flat());
      // dY as [rows of A, columns of B] (a vector's missing axis is 1), row-major like y.
      const dYm = matrix(it.buf("dy"), [ra === 2 ? M : 1, rb === 2 ? P : 1], yb, e, "left");
      const dA = mul(dYm, t(B)).flat();
      const dB = mul(t(A), dYm).flat();
      dA.forEach((v, i) => (want.da[(ab ? e * dA.length : 0) + i]! += v));
      dB.forEach((v, i) => (want.db[(bb ? e * dB.length : 0) + i]! += v));
    }
    expect(maxAbsDiff(it.buf("y"), want.y)).toBeLessThan(1e-12);
    expect(maxAbsDiff(it.buf("da"), want.da)).toBeLessThan(1e-12);
    expect(maxAbsDiff(it.buf("db"), want.db)).toBeLessThan(1e-12);
    // One GEMM forward and one per adjoint.
    expect(it.counts.gemm).toBe(3);
  });

  it("x @ W over the batch is one product of all rows; W @ x over the batch is one product with the operands swapped", () => {
    const it = new Interpreter();
    const x = valOf(it, "x", [M, K], true, N);
    const w = valOf(it, "w", [K, P], false, N);
    const y = valOf(it, "y", [M, P], true, N);
    const xw = matmulForm(x, w, y, int(N));
    expect([...[xw.count, xw.m, xw.n, xw.k].map(sizeValue), xw.swapped]).toEqual([1, N * M, P, K, undefined]);
    const W = valOf(it, "W", [P, K], false, N);
    const v = valOf(it, "v", [K], true, N);
    const yv = valOf(it, "yv", [P], true, N);
    const wx = matmulForm(W, v, yv, int(N));
    expect([...[wx.count, wx.m, wx.n, wx.k].map(sizeValue), wx.swapped]).toEqual([1, N, P, K, true]);
    expect(wx.b.trans).toBe(true);
  });
});
