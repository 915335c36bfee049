/**
 * Every op of the vocabulary as Python over PyTorch tensors, as a table over
 * OpKind (a new op does not compile until it has its row here).
 *
 * A rule gets its arguments as Python expressions with what the emitter knows
 * of each: whether it has the batch axis and its element rank (the axes the
 * spec writes, after the node's `lead` mapped axes). Batched values are
 * [B, lead.., ...]; unbatched ones (parameters, numbers) have neither axis and
 * broadcast from the right. A rule returns an expression, and whether it is
 * an infix one (the emitter parenthesises those inside others). Helpers of
 * more than one call are in py/seqc_torch.py (imported as S).
 */
import type { OpKind } from "../../ir/ops.js";
import type { Attr } from "../../graph/graph.js";
import { NodeError } from "../../graph/graph.js";
import { pyNum, pyStr } from "./python.js";

export interface TorchArg {
  /** The expression, with its precedence (prec). */
  code: string;
  prec: number;
  batched: boolean;
  /** Element rank: axes after the batch and the node's mapped axes. */
  rank: number;
  /** Token ids (integers of a vocabulary). */
  tokens: boolean;
}

export interface TorchCall {
  args: TorchArg[];
  attrs: Record<string, Attr>;
  /** Mapped axes of a batched result (0 for an unbatched one). */
  lead: number;
  /** Element rank of the result. */
  rank: number;
  batched: boolean;
  /** Python for the size of the result's last axis (one_hot's depth). */
  lastDim: string;
}

export interface TorchExpr {
  code: string;
  /** Python's precedence of the expression's operator (ATOM for calls, names and attributes). */
  prec: number;
}

/** Precedences of Python's operators that rules write. */
export const ADD = 1;
export const MUL = 2;
export const UNARY = 3;
export const ATOM = 4;

/** An argument inside an operator of precedence `prec`: parenthesised when it binds less tightly (or as tightly, on the right). */
export function operand(a: { code: string; prec: number }, prec: number, right = false): string {
  return a.prec < prec || (right && a.prec === prec) ? `(${a.code})` : a.code;
}

/** An argument that a method or attribute is applied to (`x.sum(1)`, `W.T`). */
const atom = (a: TorchArg): string => operand(a, ATOM);

type Rule = (c: TorchCall) => TorchExpr;

/** A problem of the spec for this target (reported with its place, exit 1). */
export class PyTorchTargetError extends NodeError {}

/** The tensor axis of element axis `axis` of an argument (negative axes count from the end either way). */
function axisOf(c: TorchCall, a: TorchArg, axis: number): number {
  return axis < 0 || !a.batched ? axis : 1 + c.lead + axis;
}

/** Arguments of an elementwise op: batched ones of a lower rank get axes of size 1 so that they broadcast as the spec means. */
function aligned(c: TorchCall): TorchArg[] {
  return c.args.map((a) => (a.batched && a.rank < c.rank ? { ...a, code: `S.lift(${a.code}, ${1 + c.lead}, ${c.rank - a.rank})`, prec: ATOM } : a));
}

const infix = (op: string, prec: number): Rule => (c) => {
  const [a, b] = aligned(c) as [TorchArg, TorchArg];
  return { code: `${operand(a, prec)} ${op} ${operand(b, prec, true)}`, prec };
};

const call = (f: string): Rule => (c) => ({ code: `${f}(${aligned(c).map((a) => a.code).join(", ")})`, prec: ATOM });

const arg0 = (c: TorchCall): TorchArg => c.args[0]!;

/** `A @ B` in each orientation: a parameter's product with a batch of vectors is x @ W.T, two batched vectors a dot product. */
const matmul: Rule = (c) => {
  const [a, b] = c.args as [TorchArg, TorchArg];
  const mm = (x: string, y: string): TorchExpr => ({ code: `${x} @ ${y}`, prec: MUL });
  if (a.batched && b.batched) {
    if (a.rank === 1 && b.rank === 1) return { code: `(${operand(a, MUL)} * ${operand(b, MUL, true)}).sum(-1)`, prec: ATOM };
    if (a.rank === 2 && b.rank === 1) return { code: `(${operand(a, MUL)} @ ${atom(b)}.unsqueeze(-1)).squeeze(-1)`, prec: ATOM };
    if (a.rank === 1 && b.rank === 2) return { code: `(${atom(a)}.unsqueeze(-2) @ ${operand(b, MUL, true)}).squeeze(-2)`, prec: ATOM };
    return mm(operand(a, MUL), operand(b, MUL, true));
  }
  // [m, n] @ a batch of [n]: each row's W x is x @ W^T.
  if (!a.batched && b.batched && b.rank === 1) return mm(operand(b, MUL), a.rank === 2 ? `${atom(a)}.T` : operand(a, MUL, true));
  return mm(operand(a, MUL), operand(b, MUL, true));
};

const reduce = (method: "sum" | "mean" | "amax"): Rule => (c) => ({ code: `${atom(arg0(c))}.${method}(${axisOf(c, arg0(c), Number(c.attrs["axis"]))})`, prec: ATOM });

const softmaxLike = (f: "softmax" | "log_softmax"): Rule => (c) => ({ code: `torch.${f}(${arg0(c).code}, ${axisOf(c, arg0(c), Number(c.attrs["axis"]))})`, prec: ATOM });

/** The time axis: the first element axis. */
const timeAxis = (c: TorchCall): number => axisOf(c, arg0(c), 0);

const pool = (kind: "maxpool" | "avgpool"): Rule => (c) => ({
  code: `S.${kind}(${arg0(c).code}, ${Number(c.attrs["size"])}, ${Number(c.attrs["stride"])}, ${pyStr(String(c.attrs["pad"]))}, ${arg0(c).rank - 1})`,
  prec: ATOM,
});

const loss = (kind: "mse" | "bce" | "bce_logits"): Rule => (c) => ({ code: `S.${kind}(${c.args[0]!.code}, ${c.args[1]!.code})`, prec: ATOM });

/** A rule of one call or method: its text from the arguments. */
const atomic = (f: (c: TorchCall) => string): Rule => (c) => ({ code: f(c), prec: ATOM });

const batchedOnly = (what: string, rule: Rule): Rule => (c) => {
  if (!arg0(c).batched) throw new PyTorchTargetError(`the pytorch target computes ${what} of values that depend on the data only`);
  return rule(c);
};

export const TORCH_OPS: Record<OpKind, Rule> = {
  add: infix("+", ADD),
  sub: infix("-", ADD),
  mul: infix("*", MUL),
  div: infix("/", MUL),
  matmul,
  neg: (c) => ({ code: `-${operand(arg0(c), UNARY)}`, prec: UNARY }),
  sigmoid: call("torch.sigmoid"),
  tanh: call("torch.tanh"),
  relu: call("torch.relu"),
  elu: call("S.elu"),
  softplus: call("S.softplus"),
  exp: call("torch.exp"),
  log: call("torch.log"),
  sqrt: call("torch.sqrt"),
  square: call("torch.square"),
  abs: call("torch.abs"),
  leaky_relu: atomic((c) => `S.leaky_relu(${arg0(c).code}, ${pyNum(Number(c.attrs["alpha"]))})`),
  maximum: call("S.maximum"),
  minimum: call("S.minimum"),
  concat: atomic((c) => (c.args.every((a) => a.batched) || c.args.every((a) => !a.batched)
    ? `torch.cat([${c.args.map((a) => a.code).join(", ")}], -1)`
    : `S.concat([${c.args.map((a) => a.code).join(", ")}], [${c.args.map((a) => (a.batched ? "True" : "False")).join(", ")}], ${c.lead})`)),
  split: atomic((c) => `${atom(arg0(c))}.chunk(${Number(c.attrs["n"])}, -1)[${Number(c.attrs["index"])}]`),
  fold: atomic((c) => `S.fold(${arg0(c).code}, ${Number(c.attrs["k"])}, ${timeAxis(c)})`),
  shift: atomic((c) => `S.shift(${arg0(c).code}, ${Number(c.attrs["k"])}, ${timeAxis(c)})`),
  flip: atomic((c) => `${atom(arg0(c))}.flip(${timeAxis(c)})`),
  first: atomic((c) => `${atom(arg0(c))}.select(${timeAxis(c)}, 0)`),
  last: atomic((c) => `${atom(arg0(c))}.select(${timeAxis(c)}, -1)`),
  sum: reduce("sum"),
  mean: reduce("mean"),
  max: reduce("amax"),
  softmax: softmaxLike("softmax"),
  log_softmax: softmaxLike("log_softmax"),
  one_hot: atomic((c) => `S.one_hot(${arg0(c).code}, ${c.lastDim})`),
  flatten: atomic((c) => (arg0(c).batched ? `S.flatten(${arg0(c).code}, ${1 + c.lead})` : `${atom(arg0(c))}.flatten()`)),
  conv: batchedOnly("a convolution", (c) => {
    if (c.args[1]!.batched) throw new PyTorchTargetError("the pytorch target convolves with kernels that are parameters (or computed from them), not with values of the data");
    return { code: `S.conv(${c.args[0]!.code}, ${c.args[1]!.code}, ${Number(c.attrs["stride"])}, ${pyStr(String(c.attrs["pad"]))}, ${Number(c.attrs["dilation"])})`, prec: ATOM };
  }),
  maxpool: batchedOnly("max pooling", pool("maxpool")),
  avgpool: batchedOnly("average pooling", pool("avgpool")),
  // x times its mask (the mask node is 1 outside training).
  dropout: infix("*", MUL),
  // Batch statistics while the module trains (updating the running ones in place), else the running ones.
  batch_normalize: batchedOnly("batch normalisation", (c) => {
    const [x, mean, variance] = c.args as [TorchArg, TorchArg, TorchArg];
    if (mean.batched || variance.batched) throw new PyTorchTargetError("the pytorch target keeps batch_normalize's running statistics in parameters, not in values of the data");
    return { code: `S.batch_normalize(${x.code}, ${mean.code}, ${variance.code}, ${pyNum(Number(c.attrs["momentum"]))}, ${pyNum(Number(c.attrs["epsilon"]))}, self.training)`, prec: ATOM };
  }),
  mse: loss("mse"),
  bce: loss("bce"),
  bce_logits: loss("bce_logits"),
  cross_entropy: atomic((c) => `S.${c.args[1]!.tokens ? "cross_entropy_tokens" : "cross_entropy"}(${c.args[0]!.code}, ${c.args[1]!.code})`),
};
