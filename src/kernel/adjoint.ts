/**
 * Reverse-mode differentiation: the adjoint rule of every op of the
 * vocabulary, as a table over OpKind (an op without one does not compile).
 * A rule adds the op's contribution to its arguments' adjoints (`dargs`, null
 * where no gradient is needed) from the adjoint of its result (`dout`).
 * Broadcast arguments get the sum over the broadcast axes: the map iterates
 * over the result's space and accumulates into the smaller view.
 */
import type { OpKind } from "../ir/ops.js";
import { flat, insertAxis, pick, slice, type AdjointCall, type Space, type Val } from "./api.js";
import { EPS, interior, padding, poolCounts, sigmoidOf, statisticRows, windowOf, type Windows } from "./forward.js";
import { matmulAdjoint, matmulForm } from "./matmul.js";
import { eAdd, eMul, eProd, eSub, fn, IDX, int, NUM, ONE, SIZE, ZERO, type E, type Scalar } from "./program.js";

export type Adjoint = (c: AdjointCall) => void;

const spaceOf = (c: AdjointCall): Space => ({ n: c.out.n === null ? null : c.b.N, ext: c.out.ext });

/**
 * For each argument i that needs a gradient: darg_i += dout * partial_i, where
 * partial_i is a scalar expression of (dout, y, ...args) given as xs = [dy, y, a0, a1, ...].
 */
const pointwise = (...partials: ((xs: Scalar[], c: AdjointCall) => Scalar)[]): Adjoint => (c) => {
  partials.forEach((partial, i) => {
    const d = c.dargs[i];
    if (!d) return;
    c.b.map(spaceOf(c), d, [c.dout, c.out, ...c.args], (xs) => partial(xs, c), "add");
  });
};

const dy = (xs: Scalar[]) => xs[0]!;
const y = (xs: Scalar[]) => xs[1]!;
const a = (xs: Scalar[]) => xs[2]!;
const b = (xs: Scalar[]) => xs[3]!;
const times = (g: (xs: Scalar[]) => Scalar) => (xs: Scalar[]) => fn("mul", dy(xs), g(xs));
const where = (cond: (xs: Scalar[]) => Scalar) => (xs: Scalar[]) => fn("select", cond(xs), dy(xs), NUM(0));

/** dx += dy for a copy of x into y (views given), summing where x was broadcast. */
const addBack = (c: AdjointCall, dFrom: Val, dTo: Val | null): void => {
  if (!dTo) return;
  c.b.map({ n: dFrom.n === null ? null : c.b.N, ext: dFrom.ext }, dTo, [dFrom], ([v]) => v!, "add");
};

/** Adds the adjoint of a windows view (dview, [N, O.., F.., C]) back into dx, through a padded scratch buffer when x was padded. */
function windowsBack(c: AdjointCall, w: Windows, x: Val, dx: Val, fill: (dPaddedView: Val) => void): void {
  if (w.padded === x) {
    fill({ ...w.view, buf: dx.buf, off: dx.off, n: dx.n });
    return;
  }
  const dp = c.b.temp({ n: c.b.N, ext: w.padded.ext }, "adjoint of the padded input", false);
  c.b.fill(dp, 0);
  fill({ ...w.view, buf: dp.buf, off: dp.off, n: dp.n });
  const inner = interior({ ...w, padded: dp }, x);
  c.b.map({ n: c.b.N, ext: x.ext }, dx, [inner], ([v]) => v!, "add");
}

/** The windows the forward rule made (it saved the padded input and the view; the padding is recomputed). */
function savedWindows(c: AdjointCall, f: readonly number[], stride: number, dilation: number, r: number): Windows {
  const x = c.args[0]!;
  return { padded: c.saved["padded"]!, view: c.saved["windows"]!, pads: x.ext.slice(0, r).map((n, i) => padding(c.attrs["pad"]!, n, f[i]!, dilation, stride)) };
}

const conv: Adjoint = (c) => {
  const [x, w] = c.args as [Val, Val];
  const [dx, dw] = c.dargs;
  const r = w.ext.length - 2;
  const f = windowOf(w, r);
  const k = w.ext[w.ext.length - 1]!;
  const patches = c.saved["patches"]!;
  const rows = eMul(c.b.N!, eProd(c.out.ext.slice(0, r)));
  const inner = eProd(patches.ext.slice(r));
  const mat = (v: Val, ld: E, trans = false) => ({ buf: v.buf, off: v.off, ld, trans, bstride: ZERO });
  if (dw) c.b.gemm({ count: ONE, m: inner, n: k, k: rows, a: mat(patches, inner, true), b: mat(c.dout, k), c: mat(dw, k), acc: true });
  if (dx) {
    const dpatches = c.b.temp({ n: c.b.N, ext: patches.ext }, "adjoint of the patches", false);
    c.b.gemm({ count: ONE, m: rows, n: inner, k, a: mat(c.dout, k), b: mat(w, k, true), c: mat(dpatches, inner), acc: false });
    const win = savedWindows(c, f, Number(c.attrs["stride"]), Number(c.attrs["dilation"]), r);
    windowsBack(c, win, x, dx, (dview) => c.b.map({ n: c.b.N, ext: dview.ext }, dview, [dpatches], ([v]) => v!, "add"));
  }
};

const pool = (kind: "max" | "avg"): Adjoint => (c) => {
  const [x] = c.args as [Val];
  const [dx] = c.dargs;
  if (!dx) return;
  const size = Number(c.attrs["size"]);
  const stride = Number(c.attrs["stride"]) || size;
  const r = x.ext.length - 1;
  const win = savedWindows(c, Array<number>(r).fill(size), stride, 1, r);
  let yv = c.out;
  let dyv = c.dout;
  for (let i = 0; i < r; i++) {
    yv = insertAxis(yv, r + i);
    dyv = insertAxis(dyv, r + i);
  }
  const space = { n: c.b.N, ext: win.view.ext };
  if (kind === "max") {
    // Tied maxima of a window share its gradient evenly, as in the max reduction.
    const ties = c.b.temp({ n: c.b.N, ext: c.out.ext }, "tied maxima per window", false);
    c.b.fill(ties, 0);
    let tv = ties;
    for (let i = 0; i < r; i++) tv = insertAxis(tv, r + i);
    c.b.map(space, tv, [win.view, yv], ([v, m]) => fn("select", fn("eq", v!, m!), NUM(1), NUM(0)), "add");
    windowsBack(c, win, x, dx, (dview) => c.b.map(space, dview, [win.view, yv, dyv, tv], ([v, m, g, n]) => fn("select", fn("eq", v!, m!), fn("div", g!, n!), NUM(0)), "add"));
  } else {
    let counts = c.saved["counts"] ?? poolCounts(c.b, x, c.out.ext.slice(0, r), size, stride, c.attrs["pad"]!);
    for (let i = 0; i < r; i++) counts = insertAxis(counts, r + i);
    windowsBack(c, win, x, dx, (dview) => c.b.map(space, dview, [dyv, counts], ([g, n]) => fn("div", g!, n!), "add"));
  }
};

const reduce = (kind: "sum" | "mean" | "max"): Adjoint => (c) => {
  const [x] = c.args as [Val];
  const [dx] = c.dargs;
  if (!dx) return;
  const axis = Number(c.attrs["axis"]);
  const space = { n: c.out.n === null ? null : c.b.N, ext: x.ext };
  const g = insertAxis(c.dout, axis);
  if (kind === "sum") c.b.map(space, dx, [g], ([v]) => v!, "add");
  else if (kind === "mean") c.b.map(space, dx, [g], ([v]) => fn("div", v!, SIZE(x.ext[axis]!)), "add");
  else {
    // Tied maxima share the gradient evenly (max(x, x) has derivative 1 in x).
    const m = insertAxis(c.out, axis);
    const ties = c.b.temp({ n: space.n, ext: x.ext.map((e, i) => (i === axis ? ONE : e)) }, "tied maxima", false);
    c.b.fill(ties, 0);
    c.b.map(space, ties, [x, m], ([xi, mi]) => fn("select", fn("eq", xi!, mi!), NUM(1), NUM(0)), "add");
    c.b.map(space, dx, [g, x, m, ties], ([v, xi, mi, n]) => fn("select", fn("eq", xi!, mi!), fn("div", v!, n!), NUM(0)), "add");
  }
};

/**
 * The softmax from a log-softmax (exp of each element), in a map of its own so that a target with vector math computes
 * it over rows (fuse.ts's vectorMath; without it the map fuses into the adjoint's loop, a variable there).
 */
const softmaxOfLog = (c: AdjointCall, ls: Val, space: Space): Val => {
  const p = c.b.temp(space, "softmax of the log-softmax", false);
  c.b.map(space, p, [ls], ([l]) => fn("exp", l!));
  return p;
};

const softmaxLike = (log: boolean): Adjoint => (c) => {
  const [dx] = c.dargs;
  if (!dx) return;
  const axis = Number(c.attrs["axis"]);
  const space = spaceOf(c);
  const reduced = c.b.temp({ n: space.n, ext: c.out.ext.map((e, i) => (i === axis ? ONE : e)) }, "row sums of the adjoint", false);
  c.b.fill(reduced, 0);
  if (log) {
    // dx = dy - softmax * sum(dy)
    c.b.map(space, reduced, [c.dout], ([g]) => g!, "add");
    c.b.map(space, dx, [c.dout, softmaxOfLog(c, c.out, space), reduced], ([g, p, s]) => fn("sub", g!, fn("mul", p!, s!)), "add");
  } else {
    // dx = y * (dy - sum(dy * y))
    c.b.map(space, reduced, [c.dout, c.out], ([g, p]) => fn("mul", g!, p!), "add");
    c.b.map(space, dx, [c.dout, c.out, reduced], ([g, p, s]) => fn("mul", p!, fn("sub", g!, s!)), "add");
  }
};

const lossBack = (partials: [(p: Scalar, t: Scalar) => Scalar, (p: Scalar, t: Scalar) => Scalar]): Adjoint => (c) => {
  const [p, t] = c.args as [Val, Val];
  const space = { n: c.b.N, ext: p.ext };
  c.dargs.forEach((d, i) => {
    if (d) c.b.map(space, d, [c.dout, p, t], ([g, pp, tt]) => fn("mul", g!, partials[i]!(pp!, tt!)), "add");
  });
};

const crossEntropy: Adjoint = (c) => {
  const [z, t] = c.args as [Val, Val];
  const [dz, dt] = c.dargs;
  const ls = c.saved["logp"]!;
  const last = z.ext.length - 1;
  const space = { n: c.b.N, ext: z.ext };
  if (t.int) {
    // d/dz of -log softmax(z)[t] = softmax(z) - onehot(t)
    if (dz) c.b.map(space, dz, [c.dout, softmaxOfLog(c, ls, space), insertAxis(t, last)], ([g, p, k]) => fn("mul", g!, fn("sub", p!, fn("select", fn("eq", IDX(last), k!), NUM(1), NUM(0)))), "add");
    return;
  }
  if (dz) {
    // d/dz of -sum t * log softmax(z) = softmax(z) * sum(t) - t
    const total = c.b.temp({ n: c.b.N, ext: z.ext.map((e, i) => (i === last ? ONE : e)) }, "target sums", false);
    c.b.fill(total, 0);
    c.b.map(space, total, [t], ([v]) => v!, "add");
    c.b.map(space, dz, [c.dout, softmaxOfLog(c, ls, space), t, total], ([g, p, tt, s]) => fn("mul", g!, fn("sub", fn("mul", p!, s!), tt!)), "add");
  }
  if (dt) c.b.map(space, dt, [c.dout, ls], ([g, l]) => fn("neg", fn("mul", g!, l!)), "add");
};

const clipped = (p: Scalar) => fn("min", fn("max", p, NUM(EPS)), NUM(1 - EPS));

/**
 * batch_normalize, y = (x - m) * s: while training m and s depend on the batch, and
 * dx = s * (dy - mean(dy) - y * mean(dy * y)), the means over the statistics' rows; otherwise dx = s * dy.
 * The running statistics get no gradient (they are not trained).
 */
const batchNormalize: Adjoint = (c) => {
  const [x] = c.args as [Val];
  const [dx] = c.dargs;
  if (!dx) return;
  const s = c.saved["rstd"]!;
  const units: Space = { n: null, ext: [x.ext[x.ext.length - 1]!] };
  const space = { n: c.b.N, ext: x.ext };
  const rows = SIZE(statisticRows(c, x));
  c.b.branch(
    () => {
      const g = c.b.temp(units, "batch_normalize: the sum of the adjoint per unit", false);
      const gy = c.b.temp(units, "batch_normalize: the sum of the adjoint times the result per unit", false);
      c.b.fill(g, 0);
      c.b.map(space, g, [c.dout], ([d]) => d!, "add");
      c.b.fill(gy, 0);
      c.b.map(space, gy, [c.dout, c.out], ([d, y]) => fn("mul", d!, y!), "add");
      c.b.map(space, dx, [c.dout, c.out, g, gy, s], ([d, y, a, b, r]) => fn("mul", r!, fn("sub", fn("sub", d!, fn("div", a!, rows)), fn("mul", y!, fn("div", b!, rows)))), "add");
    },
    () => c.b.map(space, dx, [c.dout, s], ([d, r]) => fn("mul", d!, r!), "add"),
  );
};

export const ADJOINT: Record<OpKind, Adjoint> = {
  add: pointwise(dy, dy),
  sub: pointwise(dy, (xs) => fn("neg", dy(xs))),
  mul: pointwise(times(b), times(a)),
  // dx = dy * mask; the mask gets no gradient.
  dropout: pointwise(times(b)),
  div: pointwise((xs) => fn("div", dy(xs), b(xs)), (xs) => fn("neg", fn("div", fn("mul", dy(xs), a(xs)), fn("mul", b(xs), b(xs))))),
  maximum: pointwise(where((xs) => fn("ge", a(xs), b(xs))), where((xs) => fn("lt", a(xs), b(xs)))),
  minimum: pointwise(where((xs) => fn("le", a(xs), b(xs))), where((xs) => fn("gt", a(xs), b(xs)))),
  neg: pointwise((xs) => fn("neg", dy(xs))),
  sigmoid: pointwise(times((xs) => fn("mul", y(xs), fn("sub", NUM(1), y(xs))))),
  tanh: pointwise(times((xs) => fn("sub", NUM(1), fn("mul", y(xs), y(xs))))),
  relu: pointwise(where((xs) => fn("gt", a(xs), NUM(0)))),
  elu: pointwise((xs) => fn("select", fn("gt", a(xs), NUM(0)), dy(xs), fn("mul", dy(xs), fn("add", y(xs), NUM(1))))),
  softplus: pointwise(times((xs) => sigmoidOf(a(xs)))),
  exp: pointwise(times(y)),
  log: pointwise((xs) => fn("div", dy(xs), a(xs))),
  sqrt: pointwise((xs) => fn("div", dy(xs), fn("mul", NUM(2), y(xs)))),
  square: pointwise(times((xs) => fn("mul", NUM(2), a(xs)))),
  abs: pointwise(times((xs) => fn("sign", a(xs)))),
  leaky_relu: pointwise((xs, c) => fn("select", fn("gt", a(xs), NUM(0)), dy(xs), fn("mul", NUM(Number(c.attrs["alpha"])), dy(xs)))),
  matmul: (c) => {
    const { swapped, ...form } = matmulForm(c.args[0]!, c.args[1]!, c.out, c.b.N);
    const [da, db] = swapped ? [c.dargs[1] ?? null, c.dargs[0] ?? null] : [c.dargs[0] ?? null, c.dargs[1] ?? null];
    for (const g of matmulAdjoint(form, da, db, c.dout)) c.b.gemm({ ...g, acc: true });
  },
  concat: (c) => {
    const last = c.out.ext.length - 1;
    let at: E = ZERO;
    c.args.forEach((arg, i) => {
      const w = arg.ext[arg.ext.length - 1]!;
      addBack(c, slice(c.dout, last, at, w), c.dargs[i] ?? null);
      at = eAdd(at, w);
    });
  },
  split: (c) => {
    const [x] = c.args as [Val];
    const last = x.ext.length - 1;
    const w = c.out.ext[last]!;
    const dx = c.dargs[0];
    if (dx) addBack(c, c.dout, slice(dx, last, eMul(int(Number(c.attrs["index"])), w), w));
  },
  fold: (c) => addBack(c, flat(c.dout), c.dargs[0] ? flat(c.dargs[0]) : null),
  flatten: (c) => addBack(c, flat(c.dout), c.dargs[0] ? flat(c.dargs[0]) : null),
  shift: (c) => {
    const dx = c.dargs[0];
    if (!dx) return;
    const k = int(Number(c.attrs["k"]));
    const T = c.out.ext[0]!;
    addBack(c, slice(c.dout, 0, k, eSub(T, k)), slice(dx, 0, ZERO, eSub(T, k)));
  },
  flip: (c) => {
    const dx = c.dargs[0];
    if (!dx) return;
    const T = dx.ext[0]!;
    addBack(c, c.dout, { ...dx, off: eAdd(dx.off, eMul(eSub(T, ONE), dx.str[0]!)), str: [eMul(int(-1), dx.str[0]!), ...dx.str.slice(1)] });
  },
  first: (c) => {
    const dx = c.dargs[0];
    if (dx) addBack(c, c.dout, pick(dx, 0, ZERO));
  },
  last: (c) => {
    const dx = c.dargs[0];
    if (dx) addBack(c, c.dout, pick(dx, 0, eSub(dx.ext[0]!, ONE)));
  },
  sum: reduce("sum"),
  mean: reduce("mean"),
  max: reduce("max"),
  softmax: softmaxLike(false),
  log_softmax: softmaxLike(true),
  batch_normalize: batchNormalize,
  one_hot: () => {
    // Token ids have no gradient.
  },
  conv,
  maxpool: pool("max"),
  avgpool: pool("avg"),
  mse: lossBack([(p, t) => fn("sub", p, t), (p, t) => fn("sub", t, p)]),
  bce: lossBack([
    (p, t) => {
      const q = clipped(p);
      const inside = fn("select", fn("ge", p, NUM(EPS)), fn("select", fn("le", p, NUM(1 - EPS)), NUM(1), NUM(0)), NUM(0));
      return fn("mul", inside, fn("div", fn("sub", q, t), fn("mul", q, fn("sub", NUM(1), q))));
    },
    (p) => fn("neg", fn("sub", fn("log", clipped(p)), fn("log", fn("sub", NUM(1), clipped(p))))),
  ]),
  bce_logits: lossBack([(z, t) => fn("sub", sigmoidOf(z), t), (z) => fn("neg", z)]),
  cross_entropy: crossEntropy,
};
