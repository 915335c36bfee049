/** Shape inference: scans, maps, calls, seed facts. Shapes are read back from the checked models. */
import { describe, expect, it } from "vitest";
import { formatCount } from "../../src/check/summary.js";
import { formatTy } from "../../src/check/types.js";
import { check, errors, messages } from "./harness.js";

/** name -> shape text of every value of the (first) model. */
function shapes(text: string): Record<string, string> {
  const r = check(text);
  expect(r.diagnostics.map((d) => `${d.code}: ${d.message}`)).toEqual([]);
  const m = r.models[0]!;
  return Object.fromEntries(m.values.map((v) => [v.name, formatTy(v.ty, m.env)]));
}

function total(text: string): string {
  const r = check(text);
  expect(r.diagnostics.map((d) => d.message)).toEqual([]);
  return formatCount(r.models[0]!, r.models[0]!.total);
}

const seq = (body: string, decls = "") => `${decls}model m {\n  dim T\n  input x: [T, 3]\n${body}\n}\n`;

describe("scan and map", () => {
  it("scans a cell over the leading axis and maps a fn over it", () => {
    const s = shapes(seq("  target y: [T, 1]\n  h = elman<4>(x)\n  p = sigmoid(dense<1>(h))\n  loss mse(p, y)"));
    expect(s).toMatchObject({ h: "[T, 4]", p: "[T, 1]" });
  });

  it("bidirectional joins both directions: [T, 2*H]", () => {
    const s = shapes(seq("  target y: [T, 16]\n  h = bidirectional lstm<H>(x)\n  loss mse(h, y)", "dim H = 8\n"));
    expect(s.h).toBe("[T, 2*H]");
  });

  it("rejects a cell applied to a single step", () => {
    expect(messages("model m {\n  input x: [3]\n  target y: [4]\n  h = elman<4>(x)\n  loss mse(h, y)\n}\n")[0]).toMatch(/elman needs x to be a sequence/);
  });

  it("starts a decoder from an encoder's final states and reads a context each step", () => {
    const spec = `cell attend<H>(y: [E], ctx mem: [S, M]) -> [H] {
  param Wa: [M, H] = glorot
  param W: [H, E + M + H] = glorot
  state h: [H] = 0
  let alpha = softmax(mem @ (Wa @ h))
  let context = alpha @ mem
  h' = tanh(W @ concat(y, context, h))
  out h'
}
model m {
  dim S
  dim T
  input src: [S, 5]
  input tgt: [T, 6]
  target y: [T, 8]
  enc = lstm<8>(src)
  dec = attend<8>(tgt, enc) with { h: enc.h }
  loss mse(dec, y)
}
`;
    expect(shapes(spec)).toMatchObject({ enc: "[S, 8]", dec: "[T, 8]" });
    expect(errors(spec.replace("{ h: enc.h }", "{ h: enc.q }"))).toEqual(["SEQ0101 17:39"]);
    expect(errors(spec.replace("with { h: enc.h }", "with { h: first(enc) }").replace("lstm<8>(src)", "lstm<9>(src)"))).toEqual([
      "SEQ0314 17:39",
    ]);
  });

  it("repeat applies copies in turn and needs output = input", () => {
    const block = "fn block<K>(x: [N, M, C]) {\n  out relu(conv2d<K, 3, pad=1>(x))\n}\n";
    const spec = `${block}model m {\n  input img: [19, 19, 8]\n  target y: [19, 19, 8]\n  h = repeat<3> block<8>(img)\n  loss mse(h, y)\n}\n`;
    const r = check(spec);
    expect(r.diagnostics).toEqual([]);
    expect(r.models[0]!.params.map((p) => p.name)).toEqual([
      "h.0.conv2d.W", "h.0.conv2d.b", "h.1.conv2d.W", "h.1.conv2d.b", "h.2.conv2d.W", "h.2.conv2d.b",
    ]);
    expect(errors(spec.replace("block<8>", "block<9>").replace("[19, 19, 8]\n  loss", "[19, 19, 9]\n  loss"))).toEqual(["SEQ0313 7:7"]);
  });
});

describe("seed facts", () => {
  it("LSTM with input X and hidden H has 4*H*(X+H) + 4*H parameters", () => {
    const spec = "dim H\ndim X\nmodel m {\n  dim T\n  input x: [T, X]\n  target y: [T, H]\n  h = lstm<H>(x)\n  loss mse(h, y)\n}\n";
    expect(total(spec)).toBe("4*H*H + 4*H*X + 4*H");
    expect(total(spec.replace("dim H\ndim X", "dim H = 128\ndim X = 64"))).toBe(`4*H*H + 4*H*X + 4*H = ${(4 * 128 * (64 + 128) + 4 * 128).toLocaleString("en-US")}`);
  });

  it("32x32x3 input, 10 filters 5x5, stride 1, pad 2 -> 32x32x10 with 760 parameters", () => {
    const spec = "model m {\n  input img: [32, 32, 3]\n  target y: [32, 32, 10]\n  c = conv2d<K=10, F=5, stride=1, pad=2>(img)\n  loss mse(c, y)\n}\n";
    expect(shapes(spec).c).toBe("[32, 32, 10]");
    expect(total(spec)).toBe("760");
  });

  it.each([
    ["stride=1", "[5, 5, 1]"],
    ["stride=2", "[3, 3, 1]"],
    ["pad=1", "[7, 7, 1]"],
  ])("7x7 input, 3x3 filter, %s -> %s", (opt, want) => {
    const spec = `model m {\n  input img: [7, 7, 1]\n  c = conv2d<K=1, F=3, ${opt}>(img)\n  loss mse(c, c)\n}\n`;
    expect(shapes(spec).c).toBe(want);
  });

  it("7x7 input, 3x3 filter, stride 3 does not fit", () => {
    const spec = "model m {\n  input img: [7, 7, 1]\n  c = conv2d<K=1, F=3, stride=3>(img)\n  loss mse(c, c)\n}\n";
    expect(errors(spec)).toEqual(["SEQ0305 3:7"]);
    expect(messages(spec)[0]).toBe("a window of 3 with stride 3 does not fit 7: (7 - 3)/3 + 1 = 2.33 is not a whole number");
  });

  it("the receptive field of L stacked KxK convs is 1 + L*(K-1): the valid output shrinks by L*(K-1)", () => {
    const spec = "model m {\n  input img: [11, 11, 1]\n  a = conv2d<K=1, F=3>(img)\n  b = conv2d<K=1, F=3>(a)\n  c = conv2d<K=1, F=3>(b)\n  loss mse(c, c)\n}\n";
    expect(shapes(spec).c).toBe(`[${11 - 3 * 2}, ${11 - 3 * 2}, 1]`);
  });
});

describe("dims", () => {
  it("halves T twice when T is a multiple of 4, and reports it otherwise", () => {
    const body = "  target y: [T/4, 16]\n  a = fold<2>(x)\n  b = fold<2>(a)\n  c = tanh(dense<16>(b))\n  loss mse(c, y)";
    const spec = `model m {\n  dim T multiple of 4\n  input x: [T, 3]\n${body}\n}\n`;
    expect(shapes(spec)).toMatchObject({ a: "[T/2, 6]", b: "[T/4, 12]" });
    expect(errors(spec.replace("dim T multiple of 4", "dim T"))[0]).toBe("SEQ0202 4:14");
  });

  it("finds a signature dim from the argument and checks later uses of it", () => {
    const fn = "fn twice(a: [D], b: [2*D]) -> [2*D] {\n  out concat(a, a) + b\n}\n";
    expect(shapes(`${fn}model m {\n  input x: [3]\n  input z: [6]\n  p = twice(x, z)\n  loss mse(p, z)\n}\n`).p).toBe("[6]");
    expect(errors(`${fn}model m {\n  input x: [3]\n  input z: [7]\n  p = twice(x, z)\n  loss mse(p, z)\n}\n`)).toEqual(["SEQ0303 1:18"]);
  });
});

describe("ops", () => {
  it("reports a broadcast mismatch with both shapes and the bound dims", () => {
    const spec = "dim H = 128\nmodel m {\n  input a: [4*H]\n  input b: [3*H]\n  c = a + b\n  loss mse(c, c)\n}\n";
    const d = check(spec).diagnostics[0]!;
    expect(d.code).toBe("SEQ0301");
    expect(d.message).toBe("cannot add [4*H] and [3*H]");
    expect(d.notes).toEqual(["where H = 128"]);
    expect(d.labels.map((l) => l.message)).toEqual([undefined, "[4*H]", "[3*H]"]);
  });

  it("types matmul, concat, split, reductions, sequence ops and one_hot", () => {
    const spec = `model m {
  dim T
  vocab v[V] = [a, b, c]
  input x: [T] of v
  input M: [5, 3]
  target y: [T] of v
  e = one_hot(x)
  p = e @ (M @ concat(first(e), last(e)) + 1)
  i, j = split<2>(concat(e, e))
  s = sum(e)
  q = mean(e, axis: 1)
  r = shift<1>(flip(e))
  z = dense<V>(e)
  loss cross_entropy(z, y)
}
`;
    const s = check(spec);
    expect(s.diagnostics.map((d) => d.message)).toEqual(["cannot multiply [5, 3] @ [2*V]: 3 is not 2*V"]);
    const ok = shapes(spec.replace("M @ concat(first(e), last(e))", "M @ first(e)").replace("input M: [5, 3]", "input M: [3, 3]"));
    expect(ok).toMatchObject({ e: "[T, V]", p: "[T]", i: "[T, V]", j: "[T, V]", s: "[V]", q: "[T]", r: "[T, V]", z: "[T, V]" });
  });

  it("checks losses against their targets", () => {
    const spec = (t: string) => `model m {\n  dim T\n  vocab v[V] = [a, b]\n  input x: [T, 4]\n  target y: ${t}\n  z = dense<2>(x)\n  loss cross_entropy(z, y)\n}\n`;
    expect(errors(spec("[T] of v"))).toEqual([]);
    expect(errors(spec("[T, 2]"))).toEqual([]);
    expect(errors(spec("[T, 3]"))).toEqual(["SEQ0308 7:8"]);
  });
});

describe("feedback of real values", () => {
  const narx = (source: string, extra = "") => `model m {\n  dim T\n  input x: [T, 1]\n  input y_prev: [T, 1]\n  target y: [T, 1]\n  p = dense<1>(concat(x, shift<1>(y_prev)))\n  q = dense<2>(x)\n  loss mse(p, y) + sum(sum(q))\n  feedback y_prev from ${source}${extra}\n}\n`;

  it("takes a source of the input's shape; refuses another shape, a stop token, a target", () => {
    expect(errors(narx("p"))).toEqual([]);
    expect(errors(narx("q"))).toEqual(["SEQ0315 9:3"]);
    expect(errors(narx("p", ' until "x"'))).toEqual(["SEQ0315 9:3"]);
    expect(errors(narx("p").replace("feedback y_prev", "feedback y"))).toEqual(["SEQ0315 9:3"]);
  });

  it("says what a fed-back value is when it is no input", () => {
    const fedBack = (name: string) => messages(narx("p").replace("feedback y_prev", `feedback ${name}`));
    expect(fedBack("y")).toEqual(["feedback needs y to be an input of the model, but it is a target, [T, 1]"]);
    expect(fedBack("q")).toEqual(["feedback needs q to be an input of the model, but it is a computed value, [T, 2]"]);
  });
});

describe("compile-time options", () => {
  it("accepts a negative axis", () => {
    const spec = "model m {\n  dim T\n  input x: [T, 3]\n  target y: [T]\n  q = mean(x, axis: -1)\n  loss mse(q, y)\n}\n";
    expect(errors(spec)).toEqual([]);
    expect(shapes(spec).q).toBe("[T]");
  });
});

describe("dropout", () => {
  const spec = (opts: string) => `model m {\n  dim T\n  input x: [T, 3]\n  target y: [T, 3]\n  h = dropout(x${opts})\n  loss mse(h, y)\n}\n`;

  it("keeps its argument's shape; rate is a fraction in [0, 1), per is step or sequence", () => {
    expect(shapes(spec(", rate: 0.3, per: sequence")).h).toBe("[T, 3]");
    expect(errors(spec(""))).toEqual([]);
    expect(errors(spec(", rate: 0"))).toEqual([]);
    expect(errors(spec(", rate: 1"))).toEqual(["SEQ0112 5:7"]);
    expect(messages(spec(", rate: -0.1"))).toEqual([expect.stringContaining("dropout: rate must be a number in [0, 1)")]);
    expect(messages(spec(", per: time"))).toEqual([expect.stringContaining("dropout: per must be step (a mask for every element) or sequence")]);
  });
});

describe("pooling", () => {
  it("rejects padding that is not smaller than the window", () => {
    const spec = (pad: number) => `model m {\n  input x: [3, 2]\n  target y: [2]\n  h = maxpool(x, size: 2, stride: 1, pad: ${pad})\n  loss mse(sum(h), y)\n}\n`;
    expect(errors(spec(1))).toEqual([]);
    expect(errors(spec(2))).toEqual(["SEQ0112 4:7"]);
  });
});

describe("help where the fix is mechanical", () => {
  const helps = (text: string) => check(text).diagnostics.map((d) => `${d.code} ${d.help ?? ""}`);

  it("a length that must be a multiple: the `dim T multiple of k` that makes it one", () => {
    const spec = (decl: string, body: string) => `model m {\n  ${decl}\n  input x: [T, 3]\n${body}\n}\n`;
    const quarter = "  target y: [T/4, 3]\n  loss mse(y, y)";
    expect(helps(spec("dim T", quarter))).toEqual(["SEQ0202 declare the length as `dim T multiple of 4`"]);
    expect(helps(spec("dim T multiple of 6", quarter))).toEqual(["SEQ0202 declare the length as `dim T multiple of 12`"]);
    const strided = "  target y: [T/2, 4]\n  h = conv1d<K=4, F=3, stride=2, pad=same>(x)\n  loss mse(h, y)";
    expect(helps(spec("dim T", strided))).toContain("SEQ0305 declare the length as `dim T multiple of 2`");
    // A bound dim or a vocabulary's size is not redeclared.
    expect(helps(spec("dim T = 7", quarter))[0]).toBe("SEQ0202 declare a free dim as `dim T multiple of N`, or choose sizes that divide");
  });

  it("a weight declared the other way round: its declaration, for W @ x and x @ W", () => {
    const fn = (decl: string, use: string) => `fn f<N>(x: [D]) -> [N] {\n  param W: ${decl} = glorot\n  out ${use}\n}\nmodel m {\n  input x: [3]\n  target y: [5]\n  loss mse(f<5>(x), y)\n}\n`;
    expect(helps(fn("[D, N]", "W @ x"))).toEqual(["SEQ0302 W is declared the other way round: `param W: [N, D] = glorot`"]);
    expect(helps(fn("[N, D]", "x @ W"))).toEqual(["SEQ0302 W is declared the other way round: `param W: [D, N] = glorot`"]);
    // Not a param: the code's own help.
    expect(helps(fn("[N, D]", "(W * 2) @ (W * 2)"))[0]).toMatch(/^SEQ0302 A @ B needs/);
  });

  it("scores of the wrong width for tokens: the output layer `dense<V>`", () => {
    const lm = (body: string) => `model m {\n  vocab chars[V]\n  dim T\n  input x: [T] of chars\n  target y: [T] of chars\n  h = lstm<8>(one_hot(x))\n${body}\n}\n`;
    expect(helps(lm("  loss cross_entropy(h, y)"))).toEqual(["SEQ0308 score the vocabulary with an output layer: `cross_entropy(dense<V>(h), y)`"]);
    expect(helps(lm("  loss cross_entropy(dense<4>(h), y)"))).toEqual(["SEQ0308 score the vocabulary with an output layer: `cross_entropy(dense<V>(h), y)`"]);
    expect(helps(lm("  z = dense<4>(h)\n  loss cross_entropy(z, y)"))).toEqual(["SEQ0308 make the output layer score the vocabulary: `z = dense<V>(h)`"]);
  });
});
