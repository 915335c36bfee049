/**
 * The closed op vocabulary of seqc. Every backend, the shape checker and the
 * differentiator implement it as a table (`Record<OpKind, ...>`), so adding an
 * op here fails to compile until each of them handles it.
 *
 * `syntax` says how the op is written: infix/prefix operators or a call of its
 * name; `arity` is [min, max] tensor arguments; `generic` names the
 * compile-time arguments written in `<...>`; `named` the options written as
 * `name: value` in the call, with their defaults.
 */
export type OpSyntax =
  | { kind: "infix"; symbol: "+" | "-" | "*" | "/" | "@"; precedence: 1 | 2 }
  | { kind: "prefix"; symbol: "-" }
  | { kind: "call" };

export interface OpInfo {
  syntax: OpSyntax;
  arity: readonly [number, number];
  generic?: readonly string[];
  named?: Readonly<Record<string, number | string>>;
  doc: string;
}

const infix = (symbol: "+" | "-" | "*" | "/" | "@", precedence: 1 | 2): OpSyntax => ({ kind: "infix", symbol, precedence });
const call: OpSyntax = { kind: "call" };
const unary = (doc: string): OpInfo => ({ syntax: call, arity: [1, 1], doc });
const INF = Number.POSITIVE_INFINITY;

export const OPS = {
  add: { syntax: infix("+", 1), arity: [2, 2], doc: "elementwise a + b, with broadcasting" },
  sub: { syntax: infix("-", 1), arity: [2, 2], doc: "elementwise a - b, with broadcasting" },
  mul: { syntax: infix("*", 2), arity: [2, 2], doc: "elementwise a * b, with broadcasting" },
  div: { syntax: infix("/", 2), arity: [2, 2], doc: "elementwise a / b, with broadcasting" },
  matmul: { syntax: infix("@", 2), arity: [2, 2], doc: "matrix product: [m,n]@[n] -> [m], [n]@[n,k] -> [k], [m,n]@[n,k] -> [m,k], [n]@[n] -> []" },
  neg: { syntax: { kind: "prefix", symbol: "-" }, arity: [1, 1], doc: "elementwise -a" },

  sigmoid: unary("logistic sigmoid 1/(1+exp(-x))"),
  tanh: unary("hyperbolic tangent"),
  relu: unary("max(x, 0)"),
  elu: unary("x if x > 0 else exp(x) - 1"),
  softplus: unary("log(1 + exp(x))"),
  exp: unary("e^x"),
  log: unary("natural logarithm"),
  sqrt: unary("square root"),
  square: unary("x * x"),
  abs: unary("|x|"),
  leaky_relu: { syntax: call, arity: [1, 1], named: { alpha: 0.01 }, doc: "max(alpha*x, x)" },
  maximum: { syntax: call, arity: [2, 2], doc: "elementwise max(a, b), with broadcasting" },
  minimum: { syntax: call, arity: [2, 2], doc: "elementwise min(a, b), with broadcasting" },

  concat: { syntax: call, arity: [1, INF], doc: "joins tensors on the last axis: concat(h, x) of [H] and [X] is [H + X]" },
  split: { syntax: call, arity: [1, 1], generic: ["n"], doc: "split<n>(z) cuts the last axis into n equal parts: `let i, f = split<2>(z)`" },
  fold: { syntax: call, arity: [1, 1], generic: ["k"], doc: "fold<k>(x) joins k consecutive steps: [T, D] -> [T/k, k*D] (pyramid RNN); T must be divisible by k" },
  shift: { syntax: call, arity: [1, 1], generic: ["k"], doc: "shift<k>(x) delays a sequence by k steps along its first axis, filling with zeros: y[t] = x[t-k]" },
  flip: unary("reverses the first (time) axis"),
  first: unary("the first step of a sequence: [T, ...] -> [...]"),
  last: unary("the last step of a sequence: [T, ...] -> [...]"),
  sum: { syntax: call, arity: [1, 1], named: { axis: 0 }, doc: "sum over an axis (default the first, time)" },
  mean: { syntax: call, arity: [1, 1], named: { axis: 0 }, doc: "mean over an axis (default the first, time)" },
  max: { syntax: call, arity: [1, 1], named: { axis: 0 }, doc: "max over an axis (default the first: max-over-time pooling)" },
  softmax: { syntax: call, arity: [1, 1], named: { axis: -1 }, doc: "softmax over an axis (default the last)" },
  log_softmax: { syntax: call, arity: [1, 1], named: { axis: -1 }, doc: "log of softmax over an axis (default the last)" },
  dropout: {
    syntax: call,
    arity: [1, 1],
    named: { rate: 0.5, per: "step" },
    doc: "inverted dropout while training: each element zeroed with probability rate, the others scaled by 1/(1 - rate); the identity in eval, predict, sample and export. per: step draws a mask for every element; per: sequence one per sequence, reused at every step (variational dropout: on a [T, D] value one [D] mask per example; in a cell, one per scan)",
  },
  batch_normalize: {
    syntax: call,
    arity: [3, 3],
    named: { momentum: 0.9, epsilon: 0.001 },
    doc: "batch_normalize(x, mean, var): (x - m) / sqrt(v + epsilon) per unit of x's last axis; while training m, v are the batch's statistics (over the examples and every other axis of x) and the params mean, var (running statistics, not trained) move towards them: mean = momentum * mean + (1 - momentum) * m after each update; in eval, predict, sample and export m, v are mean and var. The std fn batch_norm adds a learned gain and bias",
  },
  one_hot: unary("one_hot(x) of token input x: [T] of v -> [T, |v|]"),
  flatten: unary("all axes into one: [N, M, C] -> [N*M*C] (e.g. a feature map into a dense layer)"),

  conv: {
    syntax: call,
    arity: [2, 2],
    named: { stride: 1, pad: "valid", dilation: 1 },
    doc: "conv(x, W): 1-D with x: [N, C], W: [F, C, K] -> [N', K]; 2-D with x: [N, M, C], W: [F, F, C, K] -> [N', M', K]; pad is valid, same, full, causal (1-D) or a number",
  },
  maxpool: { syntax: call, arity: [1, 1], named: { size: 2, stride: 0, pad: "valid" }, doc: "max pooling over the spatial axes of [N, C] or [N, M, C]; stride 0 means stride = size" },
  avgpool: { syntax: call, arity: [1, 1], named: { size: 2, stride: 0, pad: "valid" }, doc: "average pooling, as maxpool" },

  mse: { syntax: call, arity: [2, 2], doc: "1/2 sum of squared differences (summed over time and units)" },
  cross_entropy: { syntax: call, arity: [2, 2], doc: "softmax cross-entropy of logits [..., V] against class tokens [...] of a vocabulary, or probabilities [..., V]" },
  bce: { syntax: call, arity: [2, 2], doc: "binary cross-entropy of probabilities against 0/1 targets" },
  bce_logits: { syntax: call, arity: [2, 2], doc: "binary cross-entropy of logits (sigmoid inside) against 0/1 targets" },
} as const satisfies Record<string, OpInfo>;

export type OpKind = keyof typeof OPS;

export const OP_KINDS = Object.keys(OPS) as OpKind[];

/** Ops written as calls, by the name used in specs. */
export function isCallOp(name: string): name is OpKind {
  return Object.hasOwn(OPS, name) && OPS[name as OpKind].syntax.kind === "call";
}

export const INFIX_OPS: Record<"+" | "-" | "*" | "/" | "@", OpKind> = { "+": "add", "-": "sub", "*": "mul", "/": "div", "@": "matmul" };

export const LOSS_OPS = ["mse", "cross_entropy", "bce", "bce_logits"] as const satisfies readonly OpKind[];
