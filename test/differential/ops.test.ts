/**
 * Every op, and every orientation of `@`, in a model that checks: it compiles
 * and trains on both targets (one step each), and the targets agree on a
 * ragged batch (run.ts). A table over OpKind, so a new op fails to compile
 * until it is walked here.
 */
import { describe, expect, it } from "vitest";
import type { OpKind } from "../../src/ir/ops.js";
import { runSpec } from "./run.js";
import { problems } from "./property.js";

/** A model over a ragged sequence x: [T, 3] whose per-step value `expr` (of fn `f` over [D]) is compared with y: [T, K]. */
const perStep = (body: string, k = 3) => `fn f(x: [D]) {
  param p: [D] = uniform(0.5)${body.includes("W @") ? "\n  param W: [D, D] = glorot" : ""}
${body}
}

model m {
  dim T
  input x: [T, 3]
  target y: [T, ${k}]
  loss mse(f(x), y)
}
`;

const unary = (op: string) => perStep(`  out ${op}(x * p + 1.5)`);
const binary = (expr: string) => perStep(`  out ${expr}`);

/** A model over a ragged sequence x: [T, 3] and a per-example matrix m: [4, 3], with a loss on `expr` (a [K] or [T, K] value). */
const withMatrix = (expr: string, target: string, fns = "") => `${fns}
model m {
  dim T
  input x: [T, 3]
  input m: [4, 3]
  input k: [3, 2]
  target y: ${target}
  loss mse(${expr}, y)
}
`;

/** A model over a ragged sequence; `expr` reads h = tanh(dense<3>(x)): [T, 3] (so every model has parameters) or tokens s. */
const sequence = (expr: string, target: string, fns = "", dims = "dim T") => `${fns}
model m {
  ${dims}
  vocab v[NV] = [a, b, c, d]
  input x: [T, 3]
  input s: [T] of v
  target y: ${target}
  h = tanh(dense<3>(x))
  loss mse(${expr}, y)
}
`;

/** A model over an image; `expr` reads h = tanh(dense<2>(x)): [5, 5, 2]. */
const image = (expr: string, target: string, fns = "") => `${fns}
model m {
  input x: [5, 5, 2]
  target y: ${target}
  h = tanh(dense<2>(x))
  loss mse(${expr}, y)
}
`;

const params = `fn pv(x: [N, C]) -> [N] {
  param v: [C] = glorot
  out x @ v
}
fn vp(x: [N, C]) -> [C] {
  param p: [N] = glorot
  out p @ x
}
fn mw(x: [N, C]) -> [N, C] {
  param W: [C, C] = glorot
  out x @ W
}
fn wm(x: [N, C]) -> [N, C] {
  param W: [N, N] = glorot
  out W @ x
}
fn vw(x: [C]) -> [C] {
  param W: [C, C] = glorot
  out x @ W
}
fn wv(x: [C]) -> [C] {
  param W: [C, C] = glorot
  out W @ x
}
fn dot(x: [C]) -> [] {
  param p: [C] = glorot
  out x @ p
}
fn attend(x: [N, C]) -> [C] {
  param v: [C] = glorot
  out softmax(x @ v) @ x
}
`;

const CONV = `fn c1<F, D, pad=valid>(x: [N, C]) {
  param W: [F, C, 2] = glorot
  out conv(x, W, pad: pad, dilation: D)
}
fn c2<F1, F2, S, pad=valid>(x: [N, M, C]) {
  param W: [F1, F2, C, 2] = glorot
  out conv(x, W, stride: S, pad: pad)
}
`;

const ATTENTION = `cell dec<H>(y: [E], ctx mem: [S, H]) -> [H] {
  param A: [H, H] = glorot
  param W: [H, E + H] = glorot
  state h: [H] = 0
  h' = tanh(W @ concat(y, softmax(mem @ (A @ h)) @ mem) + h)
  out h'
}
`;

/** A cell with variational dropout on its state (one mask per sequence) and dropout on each step's input. */
const DROPOUT_CELL = `cell vd<H>(x: [X]) -> [H] {
  param W: [H, H + X] = glorot
  state h: [H] = 0
  h' = tanh(W @ concat(dropout(h, rate: 0.25, per: sequence), dropout(x, rate: 0.2)))
  out h'
}
`;

const OPS: Record<OpKind, [label: string, spec: string][]> = {
  add: [["a + p", binary("x + p")]],
  sub: [["a - p, p - a", binary("x - p - (p - x)")]],
  mul: [["a * p, scalar * a", binary("2 * x * p")]],
  div: [["a / (1 + p^2)", binary("x / (1 + square(p))")]],
  matmul: [
    ["W @ x (param left, mat-vec)", withMatrix("wv(x)", "[T, 3]", params)],
    ["x @ W (param right, vec-mat)", withMatrix("vw(x)", "[T, 3]", params)],
    ["m @ v (batched matrix, param right)", withMatrix("pv(m)", "[4]", params)],
    ["p @ m (param left, batched matrix)", withMatrix("vp(m)", "[3]", params)],
    ["m @ W (batched mat-mat, param right)", withMatrix("mw(m)", "[4, 3]", params)],
    ["W @ m (param left, batched mat-mat)", withMatrix("wm(m)", "[4, 3]", params)],
    ["m @ k (both batched, mat-mat)", withMatrix("tanh(vw(x) @ k)", "[T, 2]", params)],
    ["m @ x (both batched, mat-vec)", withMatrix("m @ wv(last(x))", "[4]", params)],
    ["x @ m (both batched, vec-mat)", withMatrix("tanh(pv(m)) @ mw(m)", "[3]", params)],
    ["x @ x (both batched, dot)", withMatrix("0.1 * (wv(last(x)) @ last(x)) * first(x)", "[3]", params)],
    ["x @ p (dot with a param) per step", withMatrix("sum(dot(x)) * last(x)", "[3]", params)],
    ["softmax(x @ v) @ x over a padded length", withMatrix("attend(x)", "[3]", params)],
  ],
  neg: [["-a", binary("-(x * p)")]],
  sigmoid: [["sigmoid", unary("sigmoid")]],
  tanh: [["tanh", unary("tanh")]],
  relu: [["relu", unary("relu")]],
  elu: [["elu", perStep("  out elu(x * p)")]],
  softplus: [["softplus", unary("softplus")]],
  exp: [["exp", perStep("  out exp(-square(x * p))")]],
  log: [["log", perStep("  out log(1 + square(x * p))")]],
  sqrt: [["sqrt", perStep("  out sqrt(1 + square(x * p))")]],
  square: [["square", unary("square")]],
  abs: [["abs", unary("abs")]],
  leaky_relu: [["leaky_relu", perStep("  out leaky_relu(x * p, alpha: 0.2)")]],
  maximum: [["maximum", binary("maximum(x, p)")]],
  minimum: [["minimum", binary("minimum(x * p, W @ x)")]],
  concat: [["concat on the last axis", perStep("  out concat(x, p)", 6)]],
  split: [["split<3>", perStep("  let a, b, c = split<3>(concat(x, p, W @ x))\n  out a * b + c")]],
  fold: [["fold<2> of a padded length", sequence("dense<2>(fold<2>(h))", "[T/2, 2]", "", "dim T multiple of 2")]],
  shift: [["shift<1> of a padded length", sequence("shift<1>(h)", "[T, 3]")]],
  flip: [["flip of a padded length", sequence("elman<3>(flip(h))", "[T, 3]")]],
  first: [["first", sequence("first(elman<3>(h))", "[3]")]],
  last: [["last", sequence("last(elman<3>(h))", "[3]")]],
  sum: [
    ["sum over time", sequence("sum(h)", "[3]")],
    ["sum over the last axis", sequence("sum(h, axis: 1)", "[T]")],
  ],
  mean: [["mean over time", sequence("mean(elman<2>(h))", "[2]")]],
  max: [
    ["max over time", sequence("max(h)", "[3]")],
    ["max over the last axis", sequence("max(h, axis: -1)", "[T]")],
  ],
  softmax: [
    ["softmax over the last axis", sequence("softmax(h)", "[T, 3]")],
    ["softmax over a padded length", sequence("softmax(dense<1>(h), axis: 0)", "[T, 1]")],
  ],
  log_softmax: [["log_softmax", sequence("log_softmax(h)", "[T, 3]")]],
  // Without a dropout seed (eval) the masks are ones on every target; test/backends/ts/gradients.test.ts runs drawn masks.
  dropout: [
    ["dropout per step and per sequence of a padded length", sequence("dense<3>(dropout(h, rate: 0.3) + dropout(h, rate: 0.5, per: sequence))", "[T, 3]")],
    ["dropout in a cell: on its input per step, on its state per sequence", sequence("vd<3>(h)", "[T, 3]", DROPOUT_CELL)],
  ],
  // Without a training seed (eval) batch_normalize uses its running statistics on every target;
  // test/backends/ts/gradients.test.ts runs batch statistics, test/backends/tfjs/padding.test.ts them on a padded batch.
  batch_normalize: [
    ["batch_norm over a padded length", sequence("dense<3>(batch_norm(h))", "[T, 3]")],
    ["batch_norm of an image", image("mean(mean(batch_norm(h)))", "[2]")],
  ],
  one_hot: [["one_hot of tokens", sequence("dense<3>(one_hot(s))", "[T, 3]")]],
  flatten: [["flatten of an image", image("dense<2>(flatten(h))", "[2]")]],
  conv: [
    ...["valid", "same", "full", "causal", "1"].map((pad): [string, string] => [`1-D, pad ${pad}, over a padded length`, sequence(`max(c1<F=2, pad=${pad}, D=2>(x))`, "[2]", CONV)]),
    ["2-D, rectangular kernel 1x3, stride 2", image("mean(mean(c2<F1=1, F2=3, S=2, pad=valid>(h)))", "[2]", CONV)],
    ["2-D, rectangular kernel 3x1, pad same", image("mean(mean(c2<F1=3, F2=1, S=1, pad=same>(h)))", "[2]", CONV)],
    ["2-D, square kernel, pad full", image("mean(mean(c2<F1=2, F2=2, S=1, pad=full>(h)))", "[2]", CONV)],
  ],
  maxpool: [
    ["1-D, padded, over a padded length", sequence("mean(maxpool(h, size: 2, stride: 1, pad: 1))", "[3]")],
    ["2-D", image("mean(mean(maxpool(h, size: 2, stride: 1)))", "[2]")],
  ],
  avgpool: [
    ["1-D, padded, over a padded length", sequence("mean(avgpool(h, size: 3, stride: 1, pad: 1))", "[3]")],
    ["2-D, padded", image("mean(mean(avgpool(h, size: 2, stride: 1, pad: 1)))", "[2]")],
  ],
  mse: [["mse", sequence("h", "[T, 3]")]],
  cross_entropy: [
    ["cross_entropy against tokens", sequence("h", "[T, 3]").replace("target y: [T, 3]", "target y: [T] of v").replace("loss mse(h, y)", "loss cross_entropy(dense<4>(h), y)")],
    ["cross_entropy against probabilities, attention over a ctx memory", `${ATTENTION}
model m {
  dim S
  dim U
  vocab v[NV] = [a, b, c, d]
  input x: [S] of v
  input y_in: [U, 2]
  target y: [U, 4]
  enc = lstm<3>(one_hot(x))
  loss cross_entropy(dense<4>(dec<3>(y_in, enc) with { h: enc.h }), y)
}
`],
  ],
  bce: [["bce", sequence("h", "[T, 3]").replace("loss mse(h, y)", "loss bce(sigmoid(h), y)")]],
  bce_logits: [["bce_logits", sequence("h", "[T, 3]").replace("loss mse(h, y)", "loss bce_logits(h, y)")]],
};

const CASES = (Object.entries(OPS) as [OpKind, [string, string][]][]).flatMap(([op, cases]) => cases.map(([label, spec]) => [`${op}: ${label}`, spec] as const));

describe("every op and every orientation of @ trains on both targets, and they agree on a ragged batch", () => {
  it.each(CASES)("%s", async (_label, spec) => {
    const v = await runSpec(spec, { seed: 7, minLength: 3, maxLength: 6, backends: ["cpu"] });
    expect(v.kind === "rejected" ? v.messages : []).toEqual([]);
    expect(v.kind).toBe("ran");
    expect(problems(v)).toEqual([]);
  });
});
