/**
 * One or more small models per op of the vocabulary, for the tests of the
 * kernel's forward and adjoint tables: a table over OpKind, so a new op fails
 * to compile here until it has a case. Each case's op is the first node of
 * that op in the model's graph; `range` is where its float inputs are drawn
 * (positive for log, sqrt and division, probabilities for bce).
 */
import type { OpKind } from "../../src/ir/ops.js";

export interface OpModel {
  label: string;
  spec: string;
  range?: [number, number];
  /** Run in training mode (the builder's branch takes its training statements: batch statistics). */
  training?: true;
}

/** A model over x, u: [3, 4] (and v: [4, 5], tokens t: [3] of a 3-token vocabulary, s: [6, 2]) whose body is `body`. */
const model = (body: string): string => `vocab voc[V] = [a, b, c]
model m {
  input x: [3, 4]
  input u: [3, 4]
  input v: [4, 5]
  input s: [6, 2]
  input t: [3] of voc
  input p: [3, 3]
${body
  .trim()
  .split("\n")
  .map((l) => `  ${l.trim()}`)
  .join("\n")}
}
`;

/** `z = EXPR` and a loss that uses it. */
const value = (expr: string, range?: [number, number]): OpModel[] => [{ label: expr, spec: model(`z = ${expr}\nloss mse(z, z * 0)`), ...(range ? { range } : {}) }];

const POSITIVE: [number, number] = [0.5, 1.5];
const PROBABILITY: [number, number] = [0.1, 0.9];

export const OP_CASES: Record<OpKind, OpModel[]> = {
  add: value("x + u"),
  sub: value("x - u"),
  mul: value("x * u"),
  div: value("x / u", POSITIVE),
  matmul: value("x @ v"),
  neg: value("-x"),
  sigmoid: value("sigmoid(x)"),
  tanh: value("tanh(x)"),
  relu: value("relu(x)"),
  elu: value("elu(x)"),
  softplus: value("softplus(x)"),
  exp: value("exp(x)"),
  log: value("log(x)", POSITIVE),
  sqrt: value("sqrt(x)", POSITIVE),
  square: value("square(x)"),
  abs: value("abs(x)"),
  leaky_relu: value("leaky_relu(x, alpha: 0.3)"),
  maximum: value("maximum(x, u)"),
  minimum: value("minimum(x, u)"),
  concat: value("concat(x, u, x)"),
  split: [{ label: "split<2>(x)", spec: model("a, b = split<2>(x)\nloss mse(b, a)") }],
  fold: value("fold<3>(s)"),
  shift: value("shift<2>(s)"),
  flip: value("flip(s)"),
  first: value("first(s)"),
  last: value("last(s)"),
  sum: [...value("sum(x)"), ...value("sum(x, axis: 1)")],
  mean: [...value("mean(x)"), ...value("mean(x, axis: 1)")],
  max: [...value("max(x)"), ...value("max(x, axis: 1)")],
  softmax: [...value("softmax(x)"), ...value("softmax(x, axis: 0)")],
  log_softmax: value("log_softmax(x)"),
  dropout: [...value("dropout(x, rate: 0.3)"), ...value("dropout(s, rate: 0.5, per: sequence)")],
  // Running variances must be positive: every float argument is drawn from [0.5, 1.5].
  batch_normalize: [
    { label: "batch_norm(x), running statistics (eval)", spec: model("z = batch_norm(x)\nloss mse(z, z * 0)"), range: POSITIVE },
    { label: "batch_norm(x), batch statistics (training)", spec: model("z = batch_norm(x)\nloss mse(z, z * 0)"), range: POSITIVE, training: true },
  ],
  one_hot: value("one_hot(t)"),
  flatten: value("flatten(x)"),
  conv: [
    ...value("conv1d<K=3, F=3, pad=same>(s)"),
    ...value("conv1d<K=2, F=2, stride=2>(s)"),
    ...value("conv1d<K=2, F=2, dilation=2, pad=causal>(s)"),
    ...value("conv2d<K=2, F=2, pad=1>(x3)").map((c) => ({ ...c, spec: c.spec.replace("  input p:", "  input x3: [4, 4, 2]\n  input p:") })),
  ],
  maxpool: [...value("maxpool1d<F=2>(s)"), ...value("maxpool1d<F=3, stride=1, pad=same>(s)")],
  avgpool: [...value("avgpool1d<F=2>(s)"), ...value("avgpool1d<F=3, stride=1, pad=same>(s)")],
  mse: [{ label: "mse(x, u)", spec: model("loss mse(x, u)") }],
  cross_entropy: [
    { label: "cross_entropy(p, t) (tokens)", spec: model("loss cross_entropy(p, t)") },
    { label: "cross_entropy(x, softmax(u)) (probabilities)", spec: model("loss cross_entropy(x, softmax(u))") },
  ],
  bce: [{ label: "bce(x, u)", spec: model("loss bce(x, u)"), range: PROBABILITY }],
  bce_logits: [{ label: "bce_logits(x, u)", spec: model("loss bce_logits(x, u)"), range: PROBABILITY }],
};
