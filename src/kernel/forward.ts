/**
 * The forward rule of every op of the vocabulary, as a table over OpKind: the
 * kernel statements that compute a node's value from its arguments' views.
 * Sequence ops work on the first element axis (time); reductions and softmax
 * on the node's `axis`.
 */
import type { OpKind } from "../ir/ops.js";
import { flat, insertAxis, pick, slice, type Builder, type OpCall, type Space, type Val } from "./api.js";
import { matmulForm } from "./matmul.js";
import { eAdd, eMul, eProd, eSub, fn, IDX, int, NUM, ONE, SIZE, sizeValue, ZERO, type E, type Scalar } from "./program.js";

export type Forward = (c: OpCall) => void;

/** The space of the op's result. */
export const spaceOut = (c: OpCall): Space => ({ n: c.out.n === null ? null : c.b.N, ext: c.out.ext });

const elementwise = (f: (xs: Scalar[], c: OpCall) => Scalar): Forward => (c) => c.b.map(spaceOut(c), c.out, c.args, (xs) => f(xs, c));

export const sigmoidOf = (x: Scalar): Scalar => fn("sigmoid", x);

/** Softplus, stable: max(x, 0) + log1p(exp(-|x|)). */
export const softplusOf = (x: Scalar): Scalar => fn("add", fn("max", x, NUM(0)), fn("log1p", fn("exp", fn("neg", fn("abs", x)))));

/** A reduction's result as a view over its argument's space: size 1, stride 0 on the axis. */
export const reducedView = (y: Val, axis: number): Val => insertAxis(y, axis);

/** Padding (before, after) of a spatial axis of size n for a window of f (dilation d, stride s), as the tfjs target pads. */
export function padding(pad: string | number, n: E, f: number, d: number, s: number): [number, number] {
  const span = d * (f - 1);
  if (pad === "valid") return [0, 0];
  if (pad === "full") return [span, span];
  if (pad === "causal") return [span, 0];
  if (pad === "same") {
    // TensorFlow's rule: (ceil(n/s) - 1) s + span + 1 - n in all. The checker only accepts `same` with
    // stride s when s divides n, and then that is span + 1 - s whatever n is: a length that varies is fine.
    const v = sizeValue(n);
    const total = v !== undefined ? Math.max((Math.ceil(v / s) - 1) * s + span + 1 - v, 0) : Math.max(span + 1 - s, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  }
  return [Number(pad), Number(pad)];
}

/** The windows of a [N, S.., C] value (r spatial axes) as a view [N, O.., F.., C], after padding it into a buffer if needed. */
export interface Windows {
  /** The padded input (x itself without padding). */
  padded: Val;
  /** [N, O.., F.., C] view of `padded`. */
  view: Val;
  pads: [number, number][];
}

export function windows(b: Builder, x: Val, out: E[], f: readonly number[], stride: number, dilation: number, pad: string | number, padValue: number, keep: boolean): Windows {
  const r = out.length;
  const spatial = x.ext.slice(0, r);
  const c = x.ext[r]!;
  const pads = spatial.map((n, i) => padding(pad, n, f[i]!, dilation, stride));
  let padded = x;
  if (pads.some(([p, q]) => p > 0 || q > 0)) {
    const ext = spatial.map((n, i) => eAdd(n, int(pads[i]![0] + pads[i]![1])));
    padded = b.temp({ n: b.N, ext: [...ext, c] }, "padded input", keep);
    b.fill(padded, padValue);
    let interior = padded;
    pads.forEach(([p], i) => (interior = slice(interior, i, int(p), spatial[i]!)));
    b.map({ n: b.N, ext: x.ext }, interior, [x], ([v]) => v!);
  }
  const view: Val = {
    ...padded,
    ext: [...out, ...f.map(int), c],
    str: [...padded.str.slice(0, r).map((s) => eMul(int(stride), s)), ...padded.str.slice(0, r).map((s) => eMul(int(dilation), s)), padded.str[r]!],
  };
  return { padded, view, pads };
}

/** The interior (unpadded part) of a padded buffer's view, matching x. */
export function interior(w: Windows, x: Val): Val {
  let v = w.padded;
  w.pads.forEach(([p], i) => (v = slice(v, i, int(p), x.ext[i]!)));
  return v;
}

/** The window of a conv's kernel w (r spatial axes): numbers, as the checker requires. */
export function windowOf(w: Val, r: number): number[] {
  return w.ext.slice(0, r).map((e) => {
    const v = sizeValue(e);
    if (v === undefined) throw new Error("kernel: a conv window that is not a number");
    return v;
  });
}

const conv: Forward = (c) => {
  const [x, w] = c.args as [Val, Val];
  const r = w.ext.length - 2;
  const f = windowOf(w, r);
  const k = w.ext[w.ext.length - 1]!;
  const out = c.out.ext.slice(0, r);
  const win = windows(c.b, x, out, f, Number(c.attrs["stride"]), Number(c.attrs["dilation"]), c.attrs["pad"]!, 0, true);
  // im2col: patches [N * O.., F.. * C] times the kernel as [F.. * C, K].
  const patches = c.b.temp({ n: c.b.N, ext: win.view.ext }, "patches (im2col)", true);
  c.b.map({ n: c.b.N, ext: win.view.ext }, patches, [win.view], ([v]) => v!);
  const rows = eMul(c.b.N!, eProd(out));
  const inner = eProd(win.view.ext.slice(r));
  c.b.gemm({ count: ONE, m: rows, n: k, k: inner, a: { buf: patches.buf, off: patches.off, ld: inner, trans: false, bstride: ZERO }, b: { buf: w.buf, off: w.off, ld: k, trans: false, bstride: ZERO }, c: { buf: c.out.buf, off: c.out.off, ld: k, trans: false, bstride: ZERO }, acc: false });
  c.saved["patches"] = patches;
  c.saved["padded"] = win.padded;
  c.saved["windows"] = win.view;
};

const pool = (kind: "max" | "avg"): Forward => (c) => {
  const [x] = c.args as [Val];
  const size = Number(c.attrs["size"]);
  const stride = Number(c.attrs["stride"]) || size;
  const r = x.ext.length - 1;
  const out = c.out.ext.slice(0, r);
  const win = windows(c.b, x, out, Array<number>(r).fill(size), stride, 1, c.attrs["pad"]!, kind === "max" ? -1e30 : 0, true);
  const space = { n: c.b.N, ext: win.view.ext };
  let y = c.out;
  for (let i = 0; i < r; i++) y = insertAxis(y, r + i);
  c.b.fill(c.out, kind === "max" ? -Infinity : 0);
  c.b.map(space, y, [win.view], ([v]) => v!, kind === "max" ? "max" : "add");
  c.saved["padded"] = win.padded;
  c.saved["windows"] = win.view;
  if (kind === "avg") {
    const counts = poolCounts(c.b, x, out, size, stride, c.attrs["pad"]!);
    c.saved["counts"] = counts;
    c.b.map({ n: c.b.N, ext: c.out.ext }, c.out, [c.out, counts], ([v, n]) => fn("div", v!, n!));
  }
};

/** How many real (unpadded) elements each window of an average pool covers: [O.., 1]. */
export function poolCounts(b: Builder, x: Val, out: E[], size: number, stride: number, pad: string | number): Val {
  const r = out.length;
  const counts = b.temp({ n: null, ext: [...out, ONE] }, "elements per pooling window", false);
  const ones = { n: null, ext: [...x.ext.slice(0, r), ONE] };
  const onesVal = b.temp(ones, "ones", false);
  b.fill(onesVal, 1);
  const nb: Builder = { ...b, N: null };
  const win = windows(nb, onesVal, out, Array<number>(r).fill(size), stride, 1, pad, 0, false);
  b.fill(counts, 0);
  let y = counts;
  for (let i = 0; i < r; i++) y = insertAxis(y, r + i);
  b.map({ n: null, ext: win.view.ext }, y, [win.view], ([v]) => v!, "add");
  return counts;
}

const reduce = (kind: "sum" | "mean" | "max"): Forward => (c) => {
  const [x] = c.args as [Val];
  const axis = Number(c.attrs["axis"]);
  const y = reducedView(c.out, axis);
  c.b.fill(c.out, kind === "max" ? -Infinity : 0);
  c.b.map({ n: c.out.n === null ? null : c.b.N, ext: x.ext }, y, [x], ([v]) => v!, kind === "max" ? "max" : "add");
  if (kind === "mean") c.b.map(spaceOut(c), c.out, [c.out], ([v]) => fn("div", v!, SIZE(x.ext[axis]!)));
};

/**
 * softmax / log_softmax over an axis: shift by the max, exponentiate, normalise. exp is a map of its own (of the
 * shifted values) so that a target with vector math computes it over rows (fuse.ts's vectorMath; without it the maps
 * fuse again, the exponentials a variable of the loop). log_softmax takes the log of a row's sum once per row, not
 * once per element (in f32 it is rounded to f32 before the subtraction: half an ulp of a number below log(n)).
 */
const softmaxLike = (log: boolean): Forward => (c) => {
  const [x] = c.args as [Val];
  const axis = Number(c.attrs["axis"]);
  const space = spaceOut(c);
  const reducedSpace = { n: space.n, ext: x.ext.map((e, i) => (i === axis ? ONE : e)) };
  const mx = c.b.temp(reducedSpace, "row maxima", false);
  const sum = c.b.temp(reducedSpace, "row sums", false);
  c.b.fill(mx, -Infinity);
  c.b.map(space, mx, [x], ([v]) => v!, "max");
  c.b.fill(sum, 0);
  c.b.map(space, c.out, [x, mx], ([v, m]) => fn("sub", v!, m!));
  const exps = log ? c.b.temp(space, "exponentials", false) : c.out;
  c.b.map(space, exps, [c.out], ([v]) => fn("exp", v!));
  c.b.map(space, sum, [exps], ([v]) => v!, "add");
  if (log) {
    c.b.map(reducedSpace, sum, [sum], ([s]) => fn("log", s!));
    c.b.map(space, c.out, [c.out, sum], ([v, s]) => fn("sub", v!, s!));
  } else {
    c.b.map(space, c.out, [c.out, sum], ([v, s]) => fn("div", v!, s!));
  }
};

const copy = (c: OpCall, from: Val, to: Val): void => c.b.map({ n: to.n === null ? null : c.b.N, ext: to.ext }, to, [from], ([v]) => v!);

/** Each loss element by element; `loss` sums them per example into the result. */
export const EPS = 1e-7;

export const LOSS_ELEMENT: Record<"mse" | "bce" | "bce_logits", (p: Scalar, y: Scalar) => Scalar> = {
  mse: (p, y) => fn("mul", NUM(0.5), fn("mul", fn("sub", p, y), fn("sub", p, y))),
  bce: (p, y) => {
    const q = fn("min", fn("max", p, NUM(EPS)), NUM(1 - EPS));
    return fn("neg", fn("add", fn("mul", y, fn("log", q)), fn("mul", fn("sub", NUM(1), y), fn("log", fn("sub", NUM(1), q)))));
  },
  bce_logits: (z, y) => fn("add", fn("sub", fn("max", z, NUM(0)), fn("mul", z, y)), fn("log1p", fn("exp", fn("neg", fn("abs", z))))),
};

const loss = (kind: keyof typeof LOSS_ELEMENT): Forward => (c) => {
  const [p, y] = c.args as [Val, Val];
  c.b.fill(c.out, 0);
  c.b.map({ n: c.b.N, ext: p.ext }, c.out, [p, y], ([a, b]) => LOSS_ELEMENT[kind](a!, b!), "add");
};

const crossEntropy: Forward = (c) => {
  const [z, y] = c.args as [Val, Val];
  const space = { n: c.b.N, ext: z.ext };
  const last = z.ext.length - 1;
  const ls = c.b.temp(space, "log-softmax of the logits", true);
  softmaxLike(true)({ ...c, args: [z], out: ls, attrs: { axis: last } });
  c.saved["logp"] = ls;
  c.b.fill(c.out, 0);
  if (y.int) {
    const target = insertAxis(y, last);
    c.b.map(space, c.out, [ls, target], ([l, t]) => fn("select", fn("eq", IDX(last), t!), fn("neg", l!), NUM(0)), "add");
  } else {
    c.b.map(space, c.out, [ls, y], ([l, t]) => fn("neg", fn("mul", t!, l!)), "add");
  }
};

/** The number of rows batch statistics are over: the examples times every axis of x but the last. */
export const statisticRows = (c: OpCall, x: Val): E => eMul(c.b.N ?? ONE, eProd(x.ext.slice(0, -1)));

/**
 * batch_normalize(x, mean, var): y = (x - m) * s per unit, s = 1 / sqrt(v + epsilon). While training m and v are
 * the batch's (over every row: the examples and every axis of x but the last) and the running statistics, the
 * params mean and var, move towards them (momentum); otherwise they are the running ones. s is kept for the
 * adjoint (saved "rstd").
 */
const batchNormalize: Forward = (c) => {
  const [x, mean, variance] = c.args as [Val, Val, Val];
  const units: Space = { n: null, ext: [x.ext[x.ext.length - 1]!] };
  const space = { n: c.b.N, ext: x.ext };
  const m = c.b.temp(units, "batch_normalize: the mean per unit", true);
  const s = c.b.temp(units, "batch_normalize: 1 / standard deviation per unit", true);
  const rows = SIZE(statisticRows(c, x));
  const momentum = NUM(Number(c.attrs["momentum"]));
  const eps = NUM(Number(c.attrs["epsilon"]));
  const toward = (running: Scalar, batch: Scalar) => fn("add", fn("mul", momentum, running), fn("mul", fn("sub", NUM(1), momentum), batch));
  c.b.branch(
    () => {
      c.b.fill(m, 0);
      c.b.map(space, m, [x], ([v]) => v!, "add");
      c.b.map(units, m, [m], ([v]) => fn("div", v!, rows));
      // s holds the sum of squared deviations until the running variance has taken the batch's.
      c.b.fill(s, 0);
      c.b.map(space, s, [x, m], ([v, mu]) => fn("mul", fn("sub", v!, mu!), fn("sub", v!, mu!)), "add");
      c.b.map(units, mean, [mean, m], ([r, b]) => toward(r!, b!));
      c.b.map(units, variance, [variance, s], ([r, b]) => toward(r!, fn("div", b!, rows)));
      c.b.map(units, s, [s], ([v]) => fn("div", NUM(1), fn("sqrt", fn("add", fn("div", v!, rows), eps))));
    },
    () => {
      c.b.map(units, m, [mean], ([v]) => v!);
      c.b.map(units, s, [variance], ([v]) => fn("div", NUM(1), fn("sqrt", fn("add", v!, eps))));
    },
  );
  c.b.map(space, c.out, [x, m, s], ([v, mu, r]) => fn("mul", fn("sub", v!, mu!), r!));
  c.saved["rstd"] = s;
};

export const FORWARD: Record<OpKind, Forward> = {
  add: elementwise(([a, b]) => fn("add", a!, b!)),
  sub: elementwise(([a, b]) => fn("sub", a!, b!)),
  mul: elementwise(([a, b]) => fn("mul", a!, b!)),
  // x times its mask (the graph's second argument: ones unless training).
  dropout: elementwise(([a, m]) => fn("mul", a!, m!)),
  div: elementwise(([a, b]) => fn("div", a!, b!)),
  maximum: elementwise(([a, b]) => fn("max", a!, b!)),
  minimum: elementwise(([a, b]) => fn("min", a!, b!)),
  neg: elementwise(([a]) => fn("neg", a!)),
  sigmoid: elementwise(([a]) => sigmoidOf(a!)),
  tanh: elementwise(([a]) => fn("tanh", a!)),
  relu: elementwise(([a]) => fn("max", a!, NUM(0))),
  elu: elementwise(([a]) => fn("select", fn("gt", a!, NUM(0)), a!, fn("sub", fn("exp", a!), NUM(1)))),
  softplus: elementwise(([a]) => softplusOf(a!)),
  exp: elementwise(([a]) => fn("exp", a!)),
  log: elementwise(([a]) => fn("log", a!)),
  sqrt: elementwise(([a]) => fn("sqrt", a!)),
  square: elementwise(([a]) => fn("mul", a!, a!)),
  abs: elementwise(([a]) => fn("abs", a!)),
  leaky_relu: elementwise(([a], c) => fn("select", fn("gt", a!, NUM(0)), a!, fn("mul", NUM(Number(c.attrs["alpha"])), a!))),
  matmul: (c) => {
    const { swapped: _, ...g } = matmulForm(c.args[0]!, c.args[1]!, c.out, c.b.N);
    c.b.gemm({ ...g, acc: false });
  },
  concat: (c) => {
    const last = c.out.ext.length - 1;
    let at: E = ZERO;
    for (const a of c.args) {
      const w = a.ext[a.ext.length - 1]!;
      copy(c, a, slice(c.out, last, at, w));
      at = eAdd(at, w);
    }
  },
  split: (c) => {
    const [x] = c.args as [Val];
    const last = x.ext.length - 1;
    const w = c.out.ext[last]!;
    copy(c, slice(x, last, eMul(int(Number(c.attrs["index"])), w), w), c.out);
  },
  fold: (c) => copy(c, flat(c.args[0]!), flat(c.out)),
  flatten: (c) => copy(c, flat(c.args[0]!), flat(c.out)),
  shift: (c) => {
    const [x] = c.args as [Val];
    const k = int(Number(c.attrs["k"]));
    const T = x.ext[0]!;
    c.b.fill(c.out, 0);
    copy(c, slice(x, 0, ZERO, eSub(T, k)), slice(c.out, 0, k, eSub(T, k)));
  },
  flip: (c) => {
    const [x] = c.args as [Val];
    const T = x.ext[0]!;
    const reversed: Val = { ...x, off: eAdd(x.off, eMul(eSub(T, ONE), x.str[0]!)), str: [eMul(int(-1), x.str[0]!), ...x.str.slice(1)] };
    copy(c, reversed, c.out);
  },
  first: (c) => copy(c, pick(c.args[0]!, 0, ZERO), c.out),
  last: (c) => copy(c, pick(c.args[0]!, 0, eSub(c.args[0]!.ext[0]!, ONE)), c.out),
  sum: reduce("sum"),
  mean: reduce("mean"),
  max: reduce("max"),
  softmax: softmaxLike(false),
  log_softmax: softmaxLike(true),
  batch_normalize: batchNormalize,
  one_hot: (c) => {
    const [x] = c.args as [Val];
    const last = c.out.ext.length - 1;
    c.b.map(spaceOut(c), c.out, [insertAxis(x, last)], ([t]) => fn("select", fn("eq", IDX(last), t!), NUM(1), NUM(0)));
  },
  conv,
  maxpool: pool("max"),
  avgpool: pool("avg"),
  mse: loss("mse"),
  bce: loss("bce"),
  bce_logits: loss("bce_logits"),
  cross_entropy: crossEntropy,
};
