/** src/check/summary.ts: counts symbolic where dims are free and numeric where bound; the text table and its JSON form. */
import { describe, expect, it } from "vitest";
import { formatCount, renderSummary, summaryData } from "../../src/check/summary.js";
import { checkedInline } from "../helpers/spec.js";

const RNN = `model lm {
  vocab chars[V]
  dim T
  dim H = 8
  input x: [T] of chars
  target y: [T] of chars
  h = elman<H>(one_hot(x))
  logits = dense<V>(h)
  loss cross_entropy(logits, y)
}
`;

describe("formatCount", () => {
  it("symbolic with free dims, `= n` when every dim is bound (thousands separated), the number alone when it is all there is", () => {
    const lm = checkedInline(RNN).model;
    expect(formatCount(lm, lm.total)).toBe("H*H + 2*H*V + H + V");
    const bound = checkedInline(RNN.replace("vocab chars[V]", "vocab chars[V] = [a, b, c]")).model;
    // 8*8 + 2*8*3 + 8 + 3
    expect(formatCount(bound, bound.total)).toBe("H*H + 2*H*V + H + V = 123");
    const big = checkedInline("model m {\n  dim D = 1000\n  input x: [D]\n  target y: [D]\n  loss mse(dense<D>(x), y)\n}\n").model;
    expect(formatCount(big, big.total)).toBe("D*D + D = 1,001,000");
    const fixed = checkedInline("model m {\n  input x: [3]\n  target y: [2]\n  loss mse(dense<2>(x), y)\n}\n").model;
    expect(formatCount(fixed, fixed.total)).toBe("8");
  });
});

describe("renderSummary", () => {
  const text = renderSummary(checkedInline(RNN).model);

  it("names the model and its file; a row per named value with its kind, shape and parameters; the total", () => {
    const lines = text.split("\n");
    expect(lines[0]).toBe("model lm   (spec.seq)");
    expect(lines[2]).toMatch(/^value\s+kind\s+shape\s+params$/);
    expect(text).toMatch(/^x\s+input\s+\[T\] of chars\s+0$/m);
    expect(text).toMatch(/^h\s+value\s+\[T, H\]\s+H\*H \+ H\*V \+ H$/m);
    expect(text).toMatch(/^logits\s+value\s+\[T, V\]\s+H\*V \+ V$/m);
    expect(text).toContain("total params: H*H + 2*H*V + H + V\n");
  });

  it("lists every parameter with its shape and count, then the dims (bound and free)", () => {
    expect(text).toMatch(/^ {2}h\.U\s+\[H, H\]\s+H\*H = 64$/m);
    expect(text).toMatch(/^ {2}logits\.W\s+\[V, H\]\s+H\*V$/m);
    expect(text.trimEnd().split("\n").at(-1)).toBe("dims: H = 8, T free, V free");
  });
});

describe("summaryData", () => {
  it("the same facts as JSON: counts symbolic and numeric (null when free)", () => {
    const data = summaryData(checkedInline(RNN).model) as { model: string; values: { name: string; params: unknown }[]; parameters: { name: string; shape: string[]; count: unknown }[]; total: unknown };
    expect(data.model).toBe("lm");
    expect(data.total).toEqual({ symbolic: "H*H + 2*H*V + H + V", value: null });
    expect(data.parameters.find((p) => p.name === "h.U")).toEqual({ name: "h.U", shape: ["H", "H"], count: { symbolic: "H*H", value: 64 } });
    expect(data.values.map((v) => v.name)).toEqual(["x", "y", "h", "logits"]);
    expect(JSON.parse(JSON.stringify(data))).toEqual(data);
  });

  it("counts above 2^53 are exact: every digit in the table, and in `exact` beside the rounded JSON number", () => {
    const BIG = "model big {\n  dim H = 2147483647\n  input x: [1]\n  target y: [1]\n  z = dense<H>(dense<H>(x))\n  loss mse(dense<1>(z), y)\n}\n";
    const m = checkedInline(BIG).model;
    // H (x) + H (bias) + H*H + H + H + 1, with H = 2^31 - 1: 4,611,686,022,722,355,198
    const want = 2147483647n * 2147483647n + 4n * 2147483647n + 1n;
    expect(want.toString()).toBe("4611686022722355198");
    expect(renderSummary(m)).toContain("total params: H*H + 4*H + 1 = 4,611,686,022,722,355,198");
    const total = (summaryData(m) as { total: { value: number; exact?: string } }).total;
    expect(total.exact).toBe("4611686022722355198");
    expect(total.value).toBe(Number(want));
    expect((summaryData(checkedInline(RNN).model) as { total: object }).total).not.toHaveProperty("exact");
  });
});

describe("a param masked by a const", () => {
  const MASKED = `fn masked<K>(x: [C]) {
  const mask: [2, 3] = [[1, 0, 1], [0, 0, 1]]
  param W: [K, C] = glorot
  out (W * mask) @ x
}

fn unmasked<K>(x: [C]) {
  const mask: [2, 3] = [[1, 0, 1], [0, 0, 1]]
  param W: [K, C] = glorot
  out (W * mask) @ x + W @ x
}

model m {
  input x: [3]
  target y: [2]
  loss mse(masked<K=2>(x), y) + mse(unmasked<K=2>(x), y)
}
`;

  it("counts the entries the mask keeps (3 of 6) in its row, its value and the total; a param also read unmasked counts whole", () => {
    const m = checkedInline(MASKED).model;
    expect(m.params.map((p) => [p.name, m.env.value(p.count), p.trainable])).toEqual([
      ["masked.W", 6, 3],
      ["unmasked.W", 6, undefined],
    ]);
    expect(m.env.value(m.total)).toBe(9);
    const text = renderSummary(m);
    expect(text).toMatch(/^ {2}masked\.W\s+\[2, 3\]\s+6, 3 trained \(masked by a const\)$/m);
    expect(text).toContain("total params: 9\n");
    expect(summaryData(m).parameters.map((p) => p.trainable)).toEqual([3, undefined]);
  });
});
