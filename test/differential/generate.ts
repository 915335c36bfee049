/**
 * A generator of random well-typed seqc models that covers the language, not
 * the shipped specs: cells with random elementwise equations over params and
 * states, split and concat, `@` in every orientation, 1-D and 2-D convs with
 * square and rectangular kernels in every pad mode with strides and dilations
 * that fit, pools, fold, shift, flip, reverse and bidirectional scans, ctx
 * memories with dot and additive attention, given initial states, repeat,
 * batch_norm (in eval), every loss and loss expressions, token and real
 * inputs. Lengths stay free (`dim T`) wherever the construct allows, so the
 * runner can give each example its own.
 *
 * Every draw goes through `Choose.int(lo, hi)`, and `lo` is always the
 * simplest option, so fast-check shrinks a failing model towards a small one.
 * `features` names the constructs a model uses (the coverage table).
 */

/** The source of every random decision. */
export interface Choose {
  int(lo: number, hi: number): number;
}

export interface Generated {
  text: string;
  features: Set<string>;
  /** The shortest length a free length dim may take in this model. */
  minLength: number;
}

/** An axis of a value: a number, or the free length T scaled and offset (T/2 - 1 is scale 1/2, offset -1). */
type Axis = { n: number } | { len: true; num: number; den: number; offset: number };
interface Value {
  name: string;
  shape: Axis[];
}

const isLen = (a: Axis): a is Extract<Axis, { len: true }> => "len" in a;
const exactT = (a: Axis) => isLen(a) && a.num === 1 && a.den === 1 && a.offset === 0;

/** The spec text of an axis. */
function axisText(a: Axis): string {
  if (!isLen(a)) return String(a.n);
  const base = a.den === 1 ? (a.num === 1 ? "T" : `${a.num}*T`) : `T/${a.den}`;
  return a.offset === 0 ? base : `${base} ${a.offset > 0 ? "+" : "-"} ${Math.abs(a.offset)}`;
}

const UNARY = ["tanh", "sigmoid", "softplus", "elu", "neg", "log1p2", "sqrt1p2", "softmax", "log_softmax", "relu", "abs", "leaky_relu", "square", "gauss", "dropout"] as const;

class Builder {
  readonly defs: string[] = [];
  readonly decls: string[] = [];
  readonly stmts: string[] = [];
  readonly features = new Set<string>();
  private n = 0;
  /** T must be a multiple of this (fold). */
  multiple = 1;
  /** The smallest T for which every length axis is at least 1 (and at least `minOut` where a loss or window needs it). */
  minLength = 1;
  usesT = false;
  /** Leaves an equation has used (the rest are added, so every param reaches the output). */
  used = new Set<string>();
  usesS = false;
  /** A vector [H] value of the model, for given initial states. */
  vectors: Value[] = [];
  /** Final states of model-level scans: `name.state` and its size. */
  finals: { ref: string; size: number }[] = [];

  constructor(readonly c: Choose) {}

  int(lo: number, hi: number): number {
    return this.c.int(lo, hi);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(0, xs.length - 1)]!;
  }
  /** True with probability about 1/k (false when shrunk). */
  oneIn(k: number): boolean {
    return this.int(0, k - 1) === k - 1;
  }
  fresh(prefix: string): string {
    return `${prefix}${this.n++}`;
  }
  feature(f: string): void {
    this.features.add(f);
  }
  bind(expr: string, shape: Axis[], prefix = "v"): Value {
    const name = this.fresh(prefix);
    this.stmts.push(`  ${name} = ${expr}`);
    return { name, shape };
  }
  /** Requires T large enough that an axis has at least `k` elements. */
  need(a: Axis, k = 1): void {
    if (!isLen(a)) return;
    // num/den * T + offset >= k
    this.minLength = Math.max(this.minLength, Math.ceil(((k - a.offset) * a.den) / a.num));
  }
}

// ---------------------------------------------------------------------------
// Equations: random elementwise expressions over leaves of one shape

/** `e` plus every leaf no equation has used yet. */
function withAll(b: Builder, e: string, leaves: string[]): string {
  const rest = leaves.filter((l) => !b.used.has(l));
  rest.forEach((l) => b.used.add(l));
  return [e, ...rest].join(" + ");
}

/**
 * A random expression of depth <= `depth` over `leaves` (expressions of one
 * shape): unary functions, + - * /, maximum/minimum, scalars. Kinks (relu,
 * abs, maximum) are rarer than smooth functions.
 */
function expr(b: Builder, leaves: string[], depth: number): string {
  if (depth === 0 || b.int(0, 2) === 0) {
    const leaf = b.pick(leaves);
    b.used.add(leaf);
    return leaf;
  }
  const kind = b.int(0, 9);
  if (kind <= 3) {
    const f = b.pick(UNARY);
    const a = expr(b, leaves, depth - 1);
    b.feature(`unary:${f}`);
    if (f === "leaky_relu") return `leaky_relu(${a}, alpha: 0.2)`;
    // Run without a dropout seed (as eval): the masks are ones; the runner checks their plumbing (in cells too).
    if (f === "dropout") return `dropout(${a}, rate: 0.3${b.int(0, 1) === 1 ? ", per: sequence" : ""})`;
    if (f === "gauss") return `exp(-square(${a}))`;
    if (f === "square") return `0.5 * square(${a})`;
    if (f === "neg") return `-(${a})`;
    if (f === "log1p2") return `log(1 + square(${a}))`;
    if (f === "sqrt1p2") return `sqrt(1 + square(${a}))`;
    if (f === "log_softmax") return `0.3 * log_softmax(${a})`;
    return `${f}(${a})`;
  }
  const x = expr(b, leaves, depth - 1);
  const y = expr(b, leaves, depth - 1);
  switch (kind) {
    case 4:
      b.feature("binary:+");
      return `${x} + ${y}`;
    case 5:
      b.feature("binary:-");
      return `${x} - (${y})`;
    case 6:
      b.feature("binary:*");
      return `(${x}) * (${y})`;
    case 7:
      b.feature("binary:/");
      return `(${x}) / (1 + square(${y}))`;
    case 8:
      b.feature("scalar-mix");
      return `0.5 * (${x}) + (1 - 0.5) * (${y})`;
    default: {
      const f = b.pick(["maximum", "minimum"]);
      b.feature(`binary:${f}`);
      return `${f}(${x}, ${y})`;
    }
  }
}

/** A generated cell over step input [X] with states [H] (and an optional ctx memory [S, M]); returns its name and whether it has a ctx. */
function genCell(b: Builder, withCtx: boolean): { name: string; states: string[] } {
  const name = b.fresh("cell");
  const params: string[] = [];
  const lets: string[] = [];
  const leaves: string[] = [];
  const states = b.oneIn(2) ? ["h", "c"] : ["h"];
  let p = 0;
  const param = (shape: string, init = "glorot") => {
    const n = `P${p++}`;
    params.push(`  param ${n}: [${shape}] = ${init}`);
    return n;
  };
  // Input projections, in the orientations of `@`.
  const inForm = b.int(0, 2);
  if (inForm === 0) {
    leaves.push(`${param("H, X")} @ x`);
    b.feature("matmul:param-left mat-vec (cell)");
  } else if (inForm === 1) {
    leaves.push(`x @ ${param("X, H")}`);
    b.feature("matmul:param-right vec-mat (cell)");
  } else {
    // Gates from one product over [h; x], split.
    const W = param(`2*H, H + X`);
    lets.push(`  let g0, g1 = split<2>(${W} @ concat(h, x) + ${param("2*H", "zeros")})`);
    leaves.push("g0", "g1");
    b.feature("split+concat (cell)");
  }
  for (const s of states) {
    leaves.push(s);
    if (b.oneIn(2)) leaves.push(`${param("H, H", "orthogonal")} @ ${s}`);
  }
  if (b.oneIn(2)) leaves.push(param("H", b.pick(["zeros", "0.1", "uniform(0.3)"])));
  if (withCtx) {
    // Attention over the memory: dot (Luong) or additive (Bahdanau) scores, softmax over S.
    if (b.oneIn(2)) {
      lets.push(`  let score = tanh(mem @ ${param("M, M")} + ${param("M, H")} @ h) @ ${param("M")}`);
      b.feature("attention:additive (batched mat-vec, param right)");
    } else {
      lets.push(`  let score = mem @ (${param("M, H")} @ h)`);
      b.feature("attention:dot (batched mat-vec)");
    }
    lets.push("  let alpha = softmax(score)", "  let context = alpha @ mem");
    leaves.push(`${param("H, M")} @ context`);
    b.feature("ctx memory");
  }
  const body = [...params, ...states.map((s) => `  state ${s}: [H] = 0`), ...lets];
  b.used.clear();
  const eqs = states.map(() => expr(b, leaves, 2));
  eqs[0] = withAll(b, eqs[0]!, leaves);
  states.forEach((s, i) => body.push(`  ${s}' = ${s === "h" ? `tanh(${eqs[i]})` : eqs[i]}`));
  // With two states, c must reach the output (else its params would not).
  body.push(states.length === 2 ? "  out h' * sigmoid(c')" : "  out h'");
  const ctx = withCtx ? ", ctx mem: [S, M]" : "";
  b.defs.push(`cell ${name}<H>(x: [X]${ctx}) -> [H] {\n${body.join("\n")}\n}`);
  b.feature(`cell:generated${states.length === 2 ? " (2 states)" : ""}`);
  return { name, states };
}

/** A generated fn [D] -> [K], mapped over any leading axes. */
function genFn(b: Builder): string {
  const name = b.fresh("f");
  const params: string[] = [];
  let p = 0;
  const param = (shape: string, init = "glorot") => {
    const n = `P${p++}`;
    params.push(`  param ${n}: [${shape}] = ${init}`);
    return n;
  };
  const leaves = [b.oneIn(2) ? `x @ ${param("D, K")}` : `${param("K, D")} @ x`];
  if (b.oneIn(2)) leaves.push(`${param("K, D")} @ tanh(x)`);
  if (b.oneIn(2)) leaves.push(param("K", "uniform(0.5)"));
  if (b.oneIn(3)) {
    // A dot product of the input with itself scales a vector: [] * [K].
    leaves.push(`0.1 * (x @ x) * ${param("K")}`);
    b.feature("matmul:dot product of batched vectors");
  }
  b.used.clear();
  b.defs.push(`fn ${name}<K>(x: [D]) -> [K] {\n${params.join("\n")}\n  out ${withAll(b, expr(b, leaves, 2), leaves)}\n}`);
  b.feature("fn:generated");
  return name;
}

/**
 * `e`, or (about one in three) std batch_norm of it. Run without a training
 * seed, as eval: normalised with its running statistics (params, moved off
 * their initial mean 0 and variance 1 like every weight), which is what the
 * runner can compare, example by example, with a padded batch.
 */
function normalised(b: Builder, e: string, where: string): string {
  if (!b.oneIn(3)) return e;
  b.feature(`batch_norm ${where}`);
  return `batch_norm(${e})`;
}

// ---------------------------------------------------------------------------
// Layers over values

const CELLS = ["elman", "lstm", "gru", "gru_simplified", "lstm_peephole", "mut1", "mut2", "mut3"] as const;

/** One layer over a sequence [L, C] (L fixed or a length). */
function seqLayer(b: Builder, v: Value, memory: Value | undefined): Value {
  const [L, C] = v.shape as [Axis, Axis];
  const lenAxis = isLen(L);
  const H = b.int(2, 4);
  const choice = b.int(0, 11);
  switch (choice) {
    case 0: {
      const cell = b.pick(CELLS);
      const mode = b.int(0, 2);
      const prefix = mode === 1 ? "reverse " : mode === 2 ? "bidirectional " : "";
      b.feature(`cell:${cell}`);
      if (mode === 1) b.feature("scan:reverse");
      if (mode === 2) b.feature("scan:bidirectional");
      const width = mode === 2 ? 2 * H : H;
      // The mut cells need the input width to equal H.
      const arg = cell.startsWith("mut") ? `dense<${H}>(${v.name})` : v.name;
      const out = b.bind(`${prefix}${cell}<${H}>(${arg})`, [L, { n: width }], "s");
      if (mode === 0) b.finals.push({ ref: `${out.name}.h`, size: H });
      return out;
    }
    case 1:
    case 2: {
      const withCtx = memory !== undefined && b.oneIn(2);
      const cell = genCell(b, withCtx);
      const reverse = b.oneIn(3);
      if (reverse) b.feature("scan:reverse");
      let init = "";
      const given = b.finals.filter((f) => f.size === H);
      if (given.length > 0 && b.oneIn(2)) {
        init = ` with { h: ${b.pick(given).ref} }`;
        b.feature("initial state: final state of a scan");
      } else if (b.vectors.length > 0 && b.oneIn(2)) {
        init = ` with { h: tanh(dense<${H}>(${b.pick(b.vectors).name})) }`;
        b.feature("initial state: an expression");
      }
      const out = b.bind(`${reverse ? "reverse " : ""}${cell.name}<${H}>(${v.name}${withCtx ? `, ${memory!.name}` : ""})${init}`, [L, { n: H }], "s");
      if (!reverse) b.finals.push({ ref: `${out.name}.h`, size: H });
      return out;
    }
    case 3:
      b.feature("fn:mapped");
      return b.bind(`${genFn(b)}<${H}>(${v.name})`, [L, { n: H }]);
    case 4: {
      if (exactT(L) && b.multiple === 1 && b.oneIn(3)) {
        // Stride 2 over a length that varies: `same` halves T (a multiple of 2).
        b.multiple = 2;
        b.feature("conv1d:pad same, stride 2 over a padded length");
        return b.bind(`downsample<K=${H}, F=${b.int(1, 3)}>(${v.name})`, [{ len: true, num: 1, den: 2, offset: 0 }, { n: H }]);
      }
      const F = b.int(1, 3);
      const D = b.int(1, 2);
      const pads = lenAxis ? (["causal", "same", "valid", "full"] as const) : (["valid", "same", "full", "causal", "1"] as const);
      const pad = b.pick(pads);
      const span = D * (F - 1);
      let out: Axis = L;
      const grow = pad === "valid" ? -span : pad === "full" ? span : pad === "1" ? 2 - span : 0;
      out = isLen(L) ? { ...L, offset: L.offset + grow } : { n: L.n + grow };
      if (!isLen(out) && out.n < 1) return v;
      b.need(out);
      b.feature(`conv1d:pad ${pad}${D > 1 ? ", dilated" : ""}`);
      return b.bind(`conv1d<K=${H}, F=${F}, pad=${pad}, dilation=${D}>(${v.name})`, [out, { n: H }]);
    }
    case 5: {
      if (lenAxis) {
        const k = b.int(1, 2);
        b.feature("shift");
        return b.bind(`shift<${k}>(${v.name})`, v.shape);
      }
      // Strided 1-D conv on a fixed length: (L + 2P - D(F-1) - 1)/S + 1 must be whole.
      const n = (L as { n: number }).n;
      for (let tries = 0; tries < 4; tries++) {
        const F = b.int(1, 3);
        const S = b.int(1, 3);
        const P = b.int(0, 1);
        const span = F - 1;
        const q = n + 2 * P - span - 1;
        if (q < 0 || q % S !== 0) continue;
        b.feature(`conv:strided 1-D${S > 1 ? ` (stride ${S})` : ""}`);
        return b.bind(`stridedconv1d<K=${H}, F=${F}, S=${S}, P=${P}>(${v.name})`, [{ n: q / S + 1 }, { n: H }]);
      }
      return v;
    }
    case 6:
      b.feature("flip");
      return b.bind(`flip(${v.name})`, v.shape);
    case 7: {
      if (!exactT(L) || b.multiple > 1) return v;
      b.multiple = 2;
      b.feature("fold");
      return b.bind(`fold<2>(${v.name})`, [{ len: true, num: 1, den: 2, offset: 0 }, { n: 2 * (C as { n: number }).n }]);
    }
    case 8: {
      const kind = b.pick(["maxpool", "avgpool"]);
      const pad = b.int(0, 1);
      const size = 2;
      if (lenAxis) {
        // Stride 1 over a length: valid shortens by 1, pad 1 lengthens by 1.
        const out: Axis = { ...(L as Extract<Axis, { len: true }>), offset: (L as Extract<Axis, { len: true }>).offset + (pad === 1 ? 1 : -1) };
        b.need(out);
        b.feature(`${kind} 1-D over a length${pad ? ", padded" : ""}`);
        return b.bind(`${kind}(${v.name}, size: ${size}, stride: 1, pad: ${pad})`, [out, C]);
      }
      const n = (L as { n: number }).n;
      const q = n + 2 * pad - size;
      if (q < 0 || q % 2 !== 0) return v;
      b.feature(`${kind} 1-D, stride 2${pad ? ", padded" : ""}`);
      return b.bind(`${kind}(${v.name}, size: ${size}, stride: 2, pad: ${pad})`, [{ n: q / 2 + 1 }, C]);
    }
    case 9: {
      b.feature("repeat");
      return b.bind(`repeat<${b.int(2, 3)}> residual(${v.name})`, v.shape);
    }
    case 10: {
      if (b.oneIn(2)) {
        // Parallel branches joined on the last axis (inception-style).
        b.feature("concat of branches");
        return b.bind(`concat(${v.name}, tanh(dense<${H}>(${v.name})))`, [L, { n: (C as { n: number }).n + H }]);
      }
      const f = b.pick(["tanh", "sigmoid", "softplus"]);
      return b.bind(`${f}(${normalised(b, `dense<${H}>(${v.name})`, "over a sequence")})`, [L, { n: H }]);
    }
    default: {
      // Matrix-matrix products with a parameter on either side.
      if (!lenAxis && b.oneIn(2)) {
        const k = b.int(1, 3);
        b.feature("matmul:param-left mat-mat (batched)");
        return b.bind(`mixrows<${k}>(${v.name})`, [{ n: k }, C]);
      }
      if (b.oneIn(3)) {
        // Both operands batched: the sequence times a matrix that comes with each example.
        const name = b.fresh("m");
        b.decls.push(`  input ${name}: [${(C as { n: number }).n}, ${H}]`);
        b.feature("matmul:batched mat-mat, both operands data");
        return b.bind(`tanh(${v.name} @ ${name})`, [L, { n: H }]);
      }
      b.feature("matmul:param-right mat-mat (batched)");
      return b.bind(`project<${H}>(${v.name})`, [L, { n: H }]);
    }
  }
}

/** One layer over an image [N, M, C]: convs with square or rectangular kernels, pools. */
function imageLayer(b: Builder, v: Value): Value {
  const [N, M] = v.shape.map((a) => (a as { n: number }).n) as [number, number];
  const K = b.int(1, 3);
  if (b.int(0, 2) < 2) {
    for (let tries = 0; tries < 6; tries++) {
      const F1 = b.int(1, 3);
      const F2 = b.oneIn(2) ? b.int(1, 3) : F1;
      const S = b.int(1, 2);
      const D = b.oneIn(3) ? 2 : 1;
      const pad = b.pick(["valid", "same", "1", "full"] as const);
      if (pad === "same" && S > 1 && (N % S !== 0 || M % S !== 0)) continue;
      const size = (n: number, f: number) => {
        const span = D * (f - 1);
        if (pad === "same") return S === 1 ? n : Math.ceil(n / S);
        const P = pad === "valid" ? 0 : pad === "full" ? 2 * span : 2;
        const q = n + P - span - 1;
        return q >= 0 && q % S === 0 ? q / S + 1 : -1;
      };
      const [n2, m2] = [size(N, F1), size(M, F2)];
      if (n2 < 1 || m2 < 1) continue;
      b.feature(`conv2d:${F1 === F2 ? "square" : "rectangular"} kernel, pad ${pad}${S > 1 ? ", strided" : ""}${D > 1 ? ", dilated" : ""}`);
      return b.bind(`${b.pick(["tanh", "elu"])}(rectconv<K=${K}, F1=${F1}, F2=${F2}, S=${S}, D=${D}, pad=${pad}>(${v.name}))`, [{ n: n2 }, { n: m2 }, { n: K }]);
    }
    return v;
  }
  if (b.oneIn(3)) {
    // A cell over [N, M, C] scans M and maps over N (a mapped scan).
    const H = b.int(2, 3);
    b.feature("scan:mapped over a leading axis (a fn around a cell)");
    return b.bind(`${b.pick(["rowscan", "rowscan_reverse"])}<H=${H}>(${v.name})`, [v.shape[0]!, v.shape[1]!, { n: H }]);
  }
  const kind = b.pick(["maxpool", "avgpool"]);
  const pad = b.int(0, 1);
  const S = b.int(1, 2);
  const size = (n: number) => {
    const q = n + 2 * pad - 2;
    return q >= 0 && q % S === 0 ? q / S + 1 : -1;
  };
  if (size(N) < 1 || size(M) < 1) return v;
  b.feature(`${kind} 2-D${pad ? ", padded" : ""}${S > 1 ? ", strided" : ""}`);
  return b.bind(`${kind}(${v.name}, size: 2, stride: ${S}, pad: ${pad})`, [{ n: size(N) }, { n: size(M) }, v.shape[2]!]);
}

/** A vector [C] from a sequence or image. */
function toVector(b: Builder, v: Value): Value {
  if (v.shape.length === 3) {
    if (b.oneIn(2)) {
      b.feature("flatten");
      const n = v.shape.reduce((a, x) => a * (x as { n: number }).n, 1);
      return b.bind(`flatten(${v.name})`, [{ n }]);
    }
    b.feature("mean over both spatial axes");
    return b.bind(`mean(mean(${v.name}))`, [v.shape[2]!]);
  }
  const L = v.shape[0]!;
  if (!isLen(L) && b.oneIn(3)) {
    if (b.oneIn(2)) {
      b.feature("matmul:param-left vec-mat (batched matrix)");
      return b.bind(`weighrows(${v.name})`, [v.shape[1]!]);
    }
    const r = b.pick(["sum", "mean", "max"] as const);
    b.feature(`reduce:${r} over the last axis`);
    return b.bind(`${r}(${v.name}, axis: 1)`, [L]);
  }
  const r = b.pick(["last", "first", "sum", "mean", "max", "attend", "attend", "joined"] as const);
  b.need(L);
  b.feature(r === "attend" ? "attention pooling over time (mat-vec, param right; vec-mat, batched)" : r === "joined" ? "concat along time (no padding rule: batches by length)" : `reduce:${r}`);
  if (r === "attend" || r === "joined") return b.bind(`${r}(${v.name})`, [v.shape[1]!]);
  return b.bind(`${r}(${v.name})`, [v.shape[1]!]);
}

function vectorLayer(b: Builder, v: Value): Value {
  const H = b.int(2, 4);
  switch (b.int(0, 3)) {
    case 0:
      return b.bind(`tanh(${normalised(b, `dense<${H}>(${v.name})`, "of a vector")})`, [{ n: H }]);
    case 1:
      b.feature("fn:generated on a vector");
      return b.bind(`${genFn(b)}<${H}>(${v.name})`, [{ n: H }]);
    case 2:
      b.feature("highway (repeat)");
      return b.bind(`repeat<2> highway(${v.name})`, v.shape);
    default:
      b.feature("matmul:param-left vec-mat");
      return b.bind(`mixvec<${H}>(${v.name})`, [{ n: H }]);
  }
}

/** Fixed helper fns the layers call. */
const HELPERS = `fn stridedconv1d<K, F, S, P>(x: [N, C]) {
  param W: [F, C, K] = glorot
  param b: [K] = uniform(0.1)
  out conv(x, W, stride: S, pad: P) + b
}

fn downsample<K, F>(x: [N, C]) {
  param W: [F, C, K] = glorot
  out conv(x, W, stride: 2, pad: same)
}

fn rectconv<K, F1, F2, S, D, pad=valid>(x: [N, M, C]) {
  param W: [F1, F2, C, K] = glorot
  param b: [K] = uniform(0.1)
  out conv(x, W, stride: S, dilation: D, pad: pad) + b
}

fn residual(x: [N, C]) -> [N, C] {
  param W: [C, C] = glorot
  out x + 0.5 * tanh(x @ W)
}

fn project<K>(x: [N, C]) -> [N, K] {
  param W: [C, K] = glorot
  out tanh(x @ W)
}

fn mixrows<K>(x: [N, C]) -> [K, C] {
  param W: [K, N] = glorot
  out W @ x
}

fn mixvec<K>(x: [D]) -> [K] {
  param W: [D, K] = glorot
  param v: [K] = uniform(0.5)
  out sigmoid(x @ W) * v
}

fn rowscan<H>(x: [M, C]) -> [M, H] {
  out gru<H>(x)
}

fn rowscan_reverse<H>(x: [M, C]) -> [M, H] {
  out reverse lstm<H>(x)
}

fn weighrows(x: [N, C]) -> [C] {
  param p: [N] = glorot
  out p @ x
}

fn joined(x: [N, C]) -> [C] {
  param v: [C] = glorot
  param w: [C] = glorot
  out max(concat(x @ v, tanh(x) @ w)) * mean(x)
}

fn attend(x: [N, C]) -> [C] {
  param v: [C] = glorot
  let alpha = softmax(x @ v)
  out alpha @ x
}
`;

/** A random model (see the file comment). */
export function generateModel(c: Choose): Generated {
  const b = new Builder(c);
  b.decls.push("  vocab v[NV] = [a, b, c, d]");
  // The main input.
  const kind = b.int(0, 6);
  let v: Value;
  const D = b.int(1, 3);
  const T: Axis = { len: true, num: 1, den: 1, offset: 0 };
  switch (kind) {
    case 0:
      b.usesT = true;
      b.decls.push("  input x: [T, " + D + "]");
      v = { name: "x", shape: [T, { n: D }] };
      b.feature("input:real sequence");
      break;
    case 1: {
      b.usesT = true;
      const data = b.oneIn(3);
      if (data) b.decls.push("  vocab w[V]", "  input x: [T] of w");
      else b.decls.push("  input x: [T] of v");
      const emb = data || b.oneIn(2);
      v = b.bind(emb ? `embedding<${D + 1}>(one_hot(x))` : "one_hot(x)", [T, { n: emb ? D + 1 : 4 }]);
      b.feature(data ? "input:tokens of a data vocabulary" : emb ? "input:tokens, embedding" : "input:tokens, one_hot");
      break;
    }
    case 2: {
      const L = b.int(3, 8);
      b.decls.push(`  input x: [${L}, ${D}]`);
      v = { name: "x", shape: [{ n: L }, { n: D }] };
      b.feature("input:fixed-length sequence");
      break;
    }
    case 3: {
      const [N, M] = [b.int(3, 6), b.int(3, 6)];
      b.decls.push(`  input x: [${N}, ${M}, ${D}]`);
      v = { name: "x", shape: [{ n: N }, { n: M }, { n: D }] };
      b.feature("input:image");
      break;
    }
    case 4: {
      b.decls.push(`  input x: [${D + 1}]`);
      v = { name: "x", shape: [{ n: D + 1 }] };
      b.feature("input:vector");
      break;
    }
    case 5: {
      // Two parallel sequences per example: a fn around a cell scans each (a mapped scan over a padded length).
      b.usesT = true;
      b.decls.push(`  input x: [2, T, ${D}]`);
      const H = b.int(2, 3);
      v = b.bind(`mean(${b.pick(["rowscan", "rowscan_reverse"])}<H=${H}>(x))`, [T, { n: H }]);
      b.feature("scan:mapped, scanning a padded length");
      break;
    }
    default: {
      // An encoder over a source sequence of its own length S; the decoder attends over it.
      b.usesT = true;
      b.usesS = true;
      b.decls.push("  input src: [S] of v", "  input x: [T, " + D + "]");
      const M = b.int(2, 3);
      const enc = b.bind(`${b.pick(["elman", "gru", "lstm"])}<${M}>(one_hot(src))`, [{ n: -1 }, { n: M }], "enc");
      b.finals.push({ ref: `${enc.name}.h`, size: M });
      v = { name: "x", shape: [T, { n: D }] };
      const H = b.int(2, 3);
      const cell = genCell(b, true);
      const init = M === H && b.oneIn(2) ? ` with { h: ${enc.name}.h }` : "";
      if (init) b.feature("initial state: final state of a scan");
      v = b.bind(`${cell.name}<${H}>(x, ${enc.name})${init}`, [T, { n: H }], "dec");
      b.feature("input:source and target sequences (ctx memory of a ragged length S)");
      break;
    }
  }
  // A side vector for given initial states.
  if (b.oneIn(3) && v.shape.length === 2) {
    b.decls.push("  input z: [2]");
    b.vectors.push({ name: "z", shape: [{ n: 2 }] });
    b.feature("input:side vector");
  }
  const layers = b.int(1, 3);
  for (let i = 0; i < layers; i++) {
    if (v.shape.length === 2) v = seqLayer(b, v, undefined);
    else if (v.shape.length === 3) v = imageLayer(b, v);
    else v = vectorLayer(b, v);
  }
  // The head: per step when the value is still [T, C] (or [T/2, C]), else a vector.
  const perStep = v.shape.length === 2 && isLen(v.shape[0]!) && v.shape[0].offset === 0 && v.shape[0].num === 1 && b.int(0, 2) > 0;
  if (!perStep && v.shape.length > 1) v = toVector(b, v);
  const lead = perStep ? [axisText(v.shape[0]!)] : [];
  if (perStep) b.need(v.shape[0]!);
  const K = b.int(1, 3);
  const loss = b.int(0, 4);
  let target: string;
  if (loss === 0) {
    target = `[${[...lead, K].join(", ")}]`;
    b.stmts.push(`  loss mse(dense<${K}>(${v.name}), y)`);
  } else if (loss === 1) {
    target = `[${lead.join(", ")}] of v`;
    b.stmts.push(`  loss cross_entropy(dense<4>(${v.name}), y)`);
  } else if (loss === 2) {
    target = `[${[...lead, K].join(", ")}]`;
    b.stmts.push(`  loss bce(sigmoid(dense<${K}>(${v.name})), y)`);
  } else if (loss === 3) {
    target = `[${[...lead, K].join(", ")}]`;
    b.stmts.push(`  loss bce_logits(dense<${K}>(${v.name}), y)`);
  } else {
    // Soft targets: cross-entropy against a distribution of floats.
    target = `[${[...lead, K + 1].join(", ")}]`;
    b.stmts.push(`  loss cross_entropy(dense<${K + 1}>(${v.name}), y)`);
  }
  b.feature(`loss:${["mse", "cross_entropy", "bce", "bce_logits", "cross_entropy (probabilities)"][loss]}${perStep ? " per step" : ""}`);
  b.decls.push(`  target y: ${target}`);
  if (b.oneIn(4)) {
    // A second loss on a side value, written as an expression: a mean over the (ragged) time axis when per step.
    const r = `tanh(dense<1>(${v.name})) - y2`;
    b.stmts.push(perStep ? `  loss 0.5 * mean(sum(square(${r}), axis: 1))` : `  loss 0.5 * sum(square(${r}))`);
    b.decls.push(`  target y2: [${[...lead, 1].join(", ")}]`);
    b.feature("two losses");
    b.feature(perStep ? "loss expression (mean over time)" : "loss expression");
  }
  const dims = [b.usesT ? `  dim T${b.multiple > 1 ? ` multiple of ${b.multiple}` : ""}` : "", b.usesS ? "  dim S" : ""].filter(Boolean);
  const text = `${HELPERS}\n${b.defs.join("\n\n")}\n\nmodel gen {\n${[...dims, ...b.decls].join("\n")}\n\n${b.stmts.join("\n")}\n}\n`;
  const minLength = Math.max(b.minLength, b.multiple);
  return { text, features: b.features, minLength };
}

/** A Choose from a seeded generator (for the long run): uniform integers. */
export function seededChoose(next: () => number): Choose {
  return { int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)) };
}
