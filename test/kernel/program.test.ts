/**
 * Size expressions of the kernel program (src/kernel/program.ts): built in a
 * form the ts emitter writes as it was built (src/backends/ts/names.ts), and
 * compared as polynomials of the checker's algebra, so equal sizes written
 * differently are equal and unequal ones are never taken for equal.
 */
import { describe, expect, it } from "vitest";
import { Poly } from "../../src/check/dims.js";
import { lowerGraph } from "../../src/kernel/lower.js";
import { BATCH, contiguous, dimVar, eAdd, eMul, eProd, eSub, int, isSize, ONE, sameSize, sizePoly, sizeValue, STEP, TIME, ZERO, type E } from "../../src/kernel/program.js";
import { paren, sizeText } from "../../src/backends/ts/names.js";
import { graphOf } from "../helpers/spec.js";

const T = dimVar("T");
const S = dimVar("S");
const B = BATCH;

/** The number a size stands for given its variables' values (by their emitted names), as model.ts computes it. */
function evaluate(e: E, vars: Record<string, number>): number {
  switch (e.k) {
    case "num": return e.v;
    case "add": return evaluate(e.a, vars) + evaluate(e.b, vars);
    case "sub": return evaluate(e.a, vars) - evaluate(e.b, vars);
    case "mul": return evaluate(e.a, vars) * evaluate(e.b, vars);
    default: return vars[sizeText(e)]!;
  }
}

describe("building sizes", () => {
  it("folds numbers, zeros and ones as it goes", () => {
    expect(eAdd(int(2), int(3))).toEqual(int(5));
    expect(eSub(int(2), int(3))).toEqual(int(-1));
    expect(eMul(int(2), int(3))).toEqual(int(6));
    expect(eAdd(ZERO, T)).toBe(T);
    expect(eSub(T, ZERO)).toBe(T);
    expect(eMul(ONE, T)).toBe(T);
    expect(eMul(T, ZERO)).toEqual(ZERO);
    expect(eProd([])).toEqual(ONE);
    expect(eProd([int(2), T, int(3)])).toEqual({ k: "mul", a: { k: "mul", a: int(2), b: T }, b: int(3) });
  });

  it("gives row-major strides", () => {
    expect(contiguous([T, int(3), int(4)]).map(sizeText)).toEqual(["12", "4", "1"]);
    expect(contiguous([int(3), T, int(4)]).map(sizeText)).toEqual(["4 * $D_T", "4", "1"]);
  });
});

describe("the emitter writes a size in the form it was built", () => {
  it.each<[string, E, string]>([
    ["a product of products", eMul(B, eMul(T, int(4))), "$B * ($D_T * 4)"],
    ["a product of a sum", eMul(eAdd(T, ONE), eMul(B, int(4))), "($D_T + 1) * ($B * 4)"],
    ["differences left to right", eSub(eSub(T, ONE), STEP), "$D_T - 1 - $k"],
    ["a difference of a sum", eSub(T, eAdd(ONE, STEP)), "$D_T - (1 + $k)"],
    ["a sum of products", eAdd(eMul(TIME, int(3)), eMul(int(2), S)), "$t * 3 + 2 * $D_S"],
    ["a negative factor", eMul(int(-1), eMul(B, T)), "-1 * ($B * $D_T)"],
  ])("%s: %s", (_, e, text) => {
    expect(sizeText(e)).toBe(text);
  });

  it("parenthesises a size unless it is a number or a variable", () => {
    expect([int(-3), T, B, STEP, TIME, eAdd(T, ONE), eMul(B, T)].map(paren)).toEqual(["-3", "$D_T", "$B", "$k", "$t", "($D_T + 1)", "($B * $D_T)"]);
  });
});

describe("sizes are compared as polynomials", () => {
  it.each<[string, E, E]>([
    ["factors in another order", eMul(B, eMul(T, int(4))), eMul(eMul(int(4), T), B)],
    ["a product expanded", eMul(eAdd(T, ONE), eMul(B, int(4))), eAdd(eMul(int(4), eMul(T, B)), eMul(B, int(4)))],
    ["a sum regrouped", eSub(eSub(T, ONE), STEP), eSub(T, eAdd(ONE, STEP))],
    ["a multiple as a sum", eMul(int(2), eMul(T, B)), eMul(B, eAdd(T, T))],
    ["a difference that cancels", eSub(eMul(T, S), eMul(S, T)), ZERO],
  ])("equal: %s", (_, a, b) => {
    expect(sizeText(a)).not.toBe(sizeText(b));
    expect(sameSize(a, b)).toBe(true);
    expect(sameSize(b, a)).toBe(true);
  });

  it.each<[string, E, E]>([
    ["a product and a sum", eMul(T, B), eAdd(T, B)],
    ["two dims", T, S],
    ["the step and the time", STEP, TIME],
    ["off by one", eMul(eAdd(T, ONE), B), eMul(T, B)],
  ])("different: %s", (_, a, b) => {
    expect(sameSize(a, b)).toBe(false);
  });

  it("tells apart sizes that agree at any two sample points (T^2 and 20180 T - 92645371 agree at T = 7063 and T = 13117)", () => {
    const square = eMul(T, T);
    const line = eSub(eMul(int(7063 + 13117), T), int(7063 * 13117));
    for (const t of [7063, 13117]) expect(evaluate(square, { $D_T: t })).toBe(evaluate(line, { $D_T: t }));
    expect(sameSize(square, line)).toBe(false);
  });

  it("tells apart sizes whose values a double cannot (a product of five sizes and one more)", () => {
    const big = eProd([B, T, S, STEP, TIME]);
    const more = eAdd(big, ONE);
    const vars = { $B: 7063, $D_T: 7100, $D_S: 7137, $k: 7174, $t: 7211 };
    expect(evaluate(more, vars)).toBe(evaluate(big, vars));
    expect(sameSize(big, more)).toBe(false);
  });

  it("knows a size's number when it has no variables, however it is written", () => {
    expect(sizeValue(eSub(eMul(T, int(2)), eAdd(T, T)))).toBe(0);
    expect(isSize(eAdd(eSub(B, B), ONE), 1)).toBe(true);
    expect(sizeValue(eAdd(T, ONE))).toBeUndefined();
  });
});

describe("the lowering's sizes are the graph's dims", () => {
  const graph = graphOf(`model m {
  vocab words[V]
  dim T multiple of 2
  dim H = 3
  input x: [T] of words
  target y: [T/2, V]
  h = elman<2*H>(fold<2>(embedding<H>(one_hot(x))))
  loss mse(dense<V>(h), y)
}
`);
  const program = lowerGraph(graph);

  it("with bound dims as numbers and free ones as variables of their unit values", () => {
    for (const p of program.params) {
      const bound = new Map(graph.dims.filter((a) => a.value !== undefined).map((a) => [a.name, Poly.const(a.value! / a.multiple)]));
      p.shape.forEach((e, i) => expect(sizePoly(e).equals(Poly.fromTerms(p.dims[i]!).substitute(bound)), `${p.name} axis ${i}`).toBe(true));
    }
    expect(program.params.find((p) => p.name === "h.W")!.shape.map(sizeText)).toEqual(["6", "6"]);
    expect(program.params.find((p) => p.name === "dense.W")!.shape.map(sizeText)).toEqual(["$D_V", "6"]);
    expect(program.dims.map((d) => sizeText(d.unit))).toEqual(["$D_V", "$D_T", "3"]);
  });
});
