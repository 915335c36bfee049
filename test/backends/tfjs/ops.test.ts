/**
 * The op table of the tfjs target against TensorFlow.js's own kernels and plain
 * JS references (cpu backend): the im2col convolution and the slice-based
 * pooling, the output shapes the checker computes, the losses and matmul.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../../src/runtime/init.js";
import { loadEngine, type Engine } from "../../../src/backends/tfjs/engine.js";
import { TF_OPS } from "../../../src/backends/tfjs/ops.js";
import { checkedShape, maxTensorDiff, modelOf, randoms, randomTensor, randomTokens, Report, type Tensor } from "./helpers.js";

const TOL = 1e-5;
const B = 3;

let engine: Engine;
const report = new Report();

beforeAll(async () => {
  engine = await loadEngine("cpu");
});

afterAll(() => report.print("ops: max |seqc - reference|"));

type Pad = "valid" | "same" | "full" | "causal" | number;

/** (before, after) padding of the language's rules (docs/language.md, window arithmetic), TensorFlow's split for same. */
function padsOf(pad: Pad, n: number, f: number, d: number, s: number): [number, number] {
  const span = d * (f - 1);
  if (pad === "valid") return [0, 0];
  if (pad === "full") return [span, span];
  if (pad === "causal") return [span, 0];
  if (pad === "same") {
    const total = Math.max((Math.ceil(n / s) - 1) * s + span + 1 - n, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  }
  return [pad, pad];
}

/** Whether the checker accepts a window over n: same needs n divisible by s, the rest a whole count of at least 1. */
function fits(pad: Pad, n: number, f: number, d: number, s: number): boolean {
  if (pad === "same") return n % s === 0;
  const [a, b] = padsOf(pad, n, f, d, s);
  const m = n + a + b - d * (f - 1) - 1;
  return m >= 0 && m % s === 0;
}

/** The smallest size from `from` on that fits. */
function sizeFor(pad: Pad, f: number, d: number, s: number, from: number): number {
  let n = from;
  while (!fits(pad, n, f, d, s)) n++;
  return n;
}

/** Every s-th position along the spatial axes (1..r) of a [B, ...spatial, C] tensor. */
function subsample(tf: Engine["tf"], y: Tensor, r: number, s: number): Tensor {
  if (s === 1) return y;
  const end = y.shape.slice();
  const strides = y.shape.map((_, i) => (i >= 1 && i <= r ? s : 1));
  return tf.stridedSlice(y, y.shape.map(() => 0), end, strides);
}

/**
 * tf.conv1d / tf.conv2d on the explicitly padded input with 'valid'. TensorFlow
 * refuses stride > 1 together with dilation > 1, so those take stride 1 and
 * keep every s-th output (the same numbers).
 */
function referenceConv(tf: Engine["tf"], x: Tensor, w: Tensor, r: 1 | 2, s: number, pad: Pad, d: number): Tensor {
  const f = w.shape[0]!;
  const pads = x.shape.map((n, i) => (i >= 1 && i <= r ? padsOf(pad, n, f, d, s) : [0, 0])) as [number, number][];
  const xp = tf.pad(x, pads);
  const direct = s === 1 || d === 1;
  const stride = direct ? s : 1;
  const y =
    r === 1
      ? tf.conv1d(xp as tfTensor3D, w as tfTensor3D, stride, "valid", "NWC", d)
      : tf.conv2d(xp as tfTensor4D, w as tfTensor4D, stride, "valid", "NHWC", d);
  return direct ? y : subsample(tf, y, r, s);
}

type tfTensor3D = import("@tensorflow/tfjs").Tensor3D;
type tfTensor4D = import("@tensorflow/tfjs").Tensor4D;

describe("im2col conv equals tf.conv1d / tf.conv2d on the padded input (cpu)", () => {
  const K = 2;
  const C = 3;
  const F = 3;
  const cases: { r: 1 | 2; s: number; pad: Pad; d: number }[] = [];
  for (const r of [1, 2] as const)
    for (const s of [1, 2, 3])
      for (const pad of ["valid", "same", "full", "causal", 1, 2] as Pad[])
        for (const d of [1, 2]) if (!(r === 2 && pad === "causal")) cases.push({ r, s, pad, d });

  it.each(cases.map((c) => [`${c.r}-D stride=${c.s} pad=${c.pad} dilation=${c.d}`, c] as const))("%s", (label, c) => {
    const tf = engine.tf;
    const n = sizeFor(c.pad, F, c.d, c.s, 7);
    const m = sizeFor(c.pad, F, c.d, c.s, n + 1);
    const spatial = c.r === 1 ? [n] : [n, m];
    // The loss needs a target of a fixed shape: the outputs summed over every position, [K].
    const reduce = c.r === 1 ? "sum(h)" : "sum(sum(h))";
    const text = `model m {\n  input x: [${[...spatial, C].join(", ")}]\n  target y: [${K}]\n  h = conv${c.r}d<K=${K}, F=${F}, stride=${c.s}, pad=${c.pad}, dilation=${c.d}>(x)\n  loss mse(${reduce}, y)\n}\n`;
    const { graph, model } = modelOf(text, engine);
    const rng = new Rng(3);
    const W = randoms(rng, model.params.get("h.W")!.size);
    const b = randoms(rng, K);
    model.setWeights({ "h.W": W, "h.b": b });
    const x = randomTensor(engine, rng, [B, ...spatial, C]);
    const ours = tf.tidy(() => model.forward({ x, y: tf.zeros([B, K]) }, {}).values.get(graph.values["h"]!)!);
    const theirs = tf.tidy(() => tf.add(referenceConv(tf, x, tf.tensor(W, model.params.get("h.W")!.shape), c.r, c.s, c.pad, c.d), tf.tensor(b)));
    // The checker's shape, evaluated, is what both compute.
    expect(ours.shape).toEqual(checkedShape(graph, "h", {}, B));
    const diff = maxTensorDiff(ours, theirs);
    report.add(`conv ${label}`, diff);
    expect(diff).toBeLessThanOrEqual(TOL);
    tf.dispose([ours, theirs, x]);
    model.dispose();
  });
});

describe("pooling equals tf.maxPool / tf.avgPool (cpu)", () => {
  const C = 2;
  const cases: { kind: "max" | "avg"; r: 1 | 2; size: number; stride: number; pad: 0 | 1 }[] = [];
  for (const kind of ["max", "avg"] as const)
    for (const r of [1, 2] as const)
      for (const [size, stride, pad] of [
        [2, 2, 0],
        [3, 3, 0],
        [2, 1, 1],
        [3, 1, 1],
      ] as const)
        cases.push({ kind, r, size, stride, pad });

  /** The spec, model and both results for one case. */
  function run(c: (typeof cases)[number]): { ours: Tensor; theirs: Tensor; shape: number[] } {
    const tf = engine.tf;
    const n = sizeFor(c.pad, c.size, 1, c.stride, 6);
    const m = sizeFor(c.pad, c.size, 1, c.stride, n + 1);
    const spatial = c.r === 1 ? [n] : [n, m];
    const reduce = c.r === 1 ? "sum(h)" : "sum(sum(h))";
    const text = `model m {\n  input x: [${[...spatial, C].join(", ")}]\n  target y: [${C}]\n  h = ${c.kind}pool(x, size: ${c.size}, stride: ${c.stride}, pad: ${c.pad === 0 ? "valid" : c.pad})\n  loss mse(${reduce}, y)\n}\n`;
    const { graph, model } = modelOf(text, engine);
    const x = randomTensor(engine, new Rng(4), [B, ...spatial, C]);
    const ours = tf.tidy(() => model.forward({ x, y: tf.zeros([B, C]) }, {}).values.get(graph.values["h"]!)!);
    const shape = checkedShape(graph, "h", {}, B);
    const theirs = tf.tidy(() => {
      // 1-D pools run as 2-D ones over [B, N, 1, C].
      const x4 = (c.r === 1 ? x.reshape([B, n, 1, C]) : x) as tfTensor4D;
      const size: [number, number] = c.r === 1 ? [c.size, 1] : [c.size, c.size];
      const strides: [number, number] = c.r === 1 ? [c.stride, 1] : [c.stride, c.stride];
      const p = c.pad;
      const padding: [[number, number], [number, number], [number, number], [number, number]] = [
        [0, 0],
        [p, p],
        c.r === 1 ? [0, 0] : [p, p],
        [0, 0],
      ];
      const y = c.kind === "max" ? tf.maxPool(x4, size, strides, padding) : tf.avgPool(x4, size, strides, padding);
      return c.r === 1 ? y.reshape([B, y.shape[1]!, C]) : y;
    });
    model.dispose();
    x.dispose();
    return { ours, theirs, shape };
  }

  const label = (c: (typeof cases)[number]) => `${c.kind}pool ${c.r}-D size=${c.size} stride=${c.stride} pad=${c.pad}`;
  const exact = cases.filter((c) => c.kind === "max" || c.pad === 0);
  it.each(exact.map((c) => [label(c), c] as const))("%s", (name, c) => {
    const { ours, theirs, shape } = run(c);
    expect(ours.shape).toEqual(shape);
    const diff = maxTensorDiff(ours, theirs);
    report.add(name, diff);
    expect(diff).toBeLessThanOrEqual(TOL);
    engine.tf.dispose([ours, theirs]);
  });

  // avgpool averages the real elements of each window: padding is not counted, as in TensorFlow.
  const padded = cases.filter((c) => c.kind === "avg" && c.pad > 0);
  it.each(padded.map((c) => [label(c), c] as const))("%s equals tf.avgPool with padding", (name, c) => {
    const { ours, theirs } = run(c);
    const diff = maxTensorDiff(ours, theirs);
    report.add(`${name} vs tf.avgPool(pad)`, diff);
    engine.tf.dispose([ours, theirs]);
    expect(diff).toBeLessThanOrEqual(TOL);
  });
});

/** The loss of a model whose loss reads its inputs directly. */
function lossOf(text: string, inputs: Record<string, Tensor>): number {
  const { model } = modelOf(text, engine);
  const tf = engine.tf;
  const loss = tf.tidy(() => model.forward(inputs, {}).loss);
  const v = loss.dataSync()[0]!;
  loss.dispose();
  model.dispose();
  return v;
}

describe("losses (cpu)", () => {
  const T = 4;
  const D = 3;
  const V = 5;

  it("mse is 1/2 the sum of squares per example, averaged over the batch", () => {
    const tf = engine.tf;
    const rng = new Rng(8);
    const p = randoms(rng, B * T * D);
    const y = randoms(rng, B * T * D);
    const got = lossOf(`model m {\n  dim T\n  input p: [T, ${D}]\n  target y: [T, ${D}]\n  loss mse(p, y)\n}\n`, {
      p: tf.tensor(p, [B, T, D]),
      y: tf.tensor(y, [B, T, D]),
    });
    let want = 0;
    for (let i = 0; i < p.length; i++) want += 0.5 * (p[i]! - y[i]!) ** 2;
    want /= B;
    report.add("mse loss (relative)", Math.abs(got - want) / Math.abs(want));
    expect(got).toBeCloseTo(want, 5);
  });

  it("cross_entropy with token targets is -sum log softmax at the target", () => {
    const tf = engine.tf;
    const rng = new Rng(9);
    const z = randoms(rng, B * T * V, 3);
    const tokens = randomTokens(engine, rng, [B, T], V);
    const ids = tokens.dataSync();
    const got = lossOf(`model m {\n  vocab v[V] = [a, b, c, d, e]\n  dim T\n  input z: [T, V]\n  target y: [T] of v\n  loss cross_entropy(z, y)\n}\n`, {
      z: tf.tensor(z, [B, T, V]),
      y: tokens,
    });
    let want = 0;
    for (let r = 0; r < B * T; r++) {
      const row = Array.from(z.slice(r * V, (r + 1) * V));
      const mx = Math.max(...row);
      const lse = mx + Math.log(row.reduce((s, v) => s + Math.exp(v - mx), 0));
      want -= row[ids[r]!]! - lse;
    }
    want /= B;
    report.add("cross_entropy tokens (relative)", Math.abs(got - want) / Math.abs(want));
    expect(Math.abs(got - want) / Math.abs(want)).toBeLessThan(1e-6);
  });

  it("cross_entropy with probability targets is -sum y log softmax", () => {
    const tf = engine.tf;
    const rng = new Rng(10);
    const z = randoms(rng, B * T * V, 3);
    const raw = Array.from(randoms(rng, B * T * V)).map((v) => Math.exp(v));
    const y = new Float32Array(B * T * V);
    for (let r = 0; r < B * T; r++) {
      const s = raw.slice(r * V, (r + 1) * V).reduce((a, b) => a + b, 0);
      for (let k = 0; k < V; k++) y[r * V + k] = raw[r * V + k]! / s;
    }
    const got = lossOf(`model m {\n  dim T\n  input z: [T, ${V}]\n  target y: [T, ${V}]\n  loss cross_entropy(z, y)\n}\n`, {
      z: tf.tensor(z, [B, T, V]),
      y: tf.tensor(y, [B, T, V]),
    });
    let want = 0;
    for (let r = 0; r < B * T; r++) {
      const row = Array.from(z.slice(r * V, (r + 1) * V));
      const mx = Math.max(...row);
      const lse = mx + Math.log(row.reduce((s, v) => s + Math.exp(v - mx), 0));
      for (let k = 0; k < V; k++) want -= y[r * V + k]! * (row[k]! - lse);
    }
    want /= B;
    report.add("cross_entropy probabilities (relative)", Math.abs(got - want) / Math.abs(want));
    expect(Math.abs(got - want) / Math.abs(want)).toBeLessThan(1e-6);
  });

  it("bce(sigmoid(z), y) agrees with bce_logits(z, y) and with the formula", () => {
    const tf = engine.tf;
    const rng = new Rng(11);
    const z = randoms(rng, B * T * D, 4);
    // Soft and hard targets.
    const y = Float32Array.from(randoms(rng, B * T * D), (v, i) => (i % 2 === 0 ? (v + 1) / 2 : v > 0 ? 1 : 0));
    const inputs = () => ({ z: tf.tensor(z, [B, T, D]), y: tf.tensor(y, [B, T, D]) });
    const spec = (loss: string) => `model m {\n  dim T\n  input z: [T, ${D}]\n  target y: [T, ${D}]\n  loss ${loss}\n}\n`;
    const viaProb = lossOf(spec("bce(sigmoid(z), y)"), inputs());
    const viaLogits = lossOf(spec("bce_logits(z, y)"), inputs());
    let want = 0;
    for (let i = 0; i < z.length; i++) {
      const zi = z[i]!;
      // log sigmoid(z) = -softplus(-z), log(1 - sigmoid(z)) = -softplus(z)
      const softplus = (v: number) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
      want += y[i]! * softplus(-zi) + (1 - y[i]!) * softplus(zi);
    }
    want /= B;
    report.add("bce vs bce_logits (relative)", Math.abs(viaProb - viaLogits) / want);
    report.add("bce_logits vs formula (relative)", Math.abs(viaLogits - want) / want);
    expect(Math.abs(viaProb - viaLogits) / want).toBeLessThan(1e-5);
    expect(Math.abs(viaLogits - want) / want).toBeLessThan(1e-6);
  });

  it("several losses are added", () => {
    const tf = engine.tf;
    const rng = new Rng(12);
    const a = randoms(rng, B * D);
    const y = randoms(rng, B * D);
    const spec = (losses: string) => `model m {\n  input a: [${D}]\n  target y: [${D}]\n  ${losses}\n}\n`;
    const inputs = () => ({ a: tf.tensor(a, [B, D]), y: tf.tensor(y, [B, D]) });
    const both = lossOf(spec("loss mse(a, y)\n  loss bce_logits(a, y)"), inputs());
    const one = lossOf(spec("loss mse(a, y)"), inputs());
    const other = lossOf(spec("loss bce_logits(a, y)"), inputs());
    expect(both).toBeCloseTo(one + other, 5);
  });
});

/** Plain-JS matmul of the language's four rank cases on one example. */
function refMatmul(a: Float32Array, sa: number[], b: Float32Array, sb: number[]): { data: number[]; shape: number[] } {
  const A = sa.length === 1 ? { m: 1, n: sa[0]! } : { m: sa[0]!, n: sa[1]! };
  const Bm = sb.length === 1 ? { n: sb[0]!, k: 1 } : { n: sb[0]!, k: sb[1]! };
  expect(A.n).toBe(Bm.n);
  const data: number[] = [];
  for (let i = 0; i < A.m; i++)
    for (let j = 0; j < Bm.k; j++) {
      let s = 0;
      for (let t = 0; t < A.n; t++) s += a[i * A.n + t]! * b[t * Bm.k + j]!;
      data.push(s);
    }
  return { data, shape: [...(sa.length === 2 ? [A.m] : []), ...(sb.length === 2 ? [Bm.k] : [])] };
}

describe("matmul in every batched / unbatched combination (cpu)", () => {
  const M = 2;
  const N = 3;
  const K = 4;
  const cases: { ra: 1 | 2; rb: 1 | 2; ba: boolean; bb: boolean }[] = [];
  for (const ra of [1, 2] as const) for (const rb of [1, 2] as const) for (const ba of [false, true]) for (const bb of [false, true]) cases.push({ ra, rb, ba, bb });

  it.each(cases.map((c) => [`[${c.ra === 2 ? "m, " : ""}n]${c.ba ? " batched" : ""} @ [n${c.rb === 2 ? ", k" : ""}]${c.bb ? " batched" : ""}`, c] as const))(
    "%s (the op rule)",
    (label, c) => {
      const tf = engine.tf;
      const rng = new Rng(20);
      const sa = c.ra === 2 ? [M, N] : [N];
      const sb = c.rb === 2 ? [N, K] : [N];
      const size = (s: number[]) => s.reduce((x, y) => x * y, 1);
      const a = randoms(rng, (c.ba ? B : 1) * size(sa));
      const b = randoms(rng, (c.bb ? B : 1) * size(sb));
      const at = tf.tensor(a, c.ba ? [B, ...sa] : sa);
      const bt = tf.tensor(b, c.bb ? [B, ...sb] : sb);
      const batched = c.ba || c.bb;
      const rank = (c.ra === 2 ? 1 : 0) + (c.rb === 2 ? 1 : 0);
      const out = TF_OPS.matmul(
        [
          { t: at, batched: c.ba },
          { t: bt, batched: c.bb },
        ],
        { tf, attrs: {}, batched, rank },
      );
      const want: number[] = [];
      let shape: number[] = [];
      for (let e = 0; e < (batched ? B : 1); e++) {
        const ea = c.ba ? a.slice(e * size(sa), (e + 1) * size(sa)) : a;
        const eb = c.bb ? b.slice(e * size(sb), (e + 1) * size(sb)) : b;
        const r = refMatmul(ea, sa, eb, sb);
        want.push(...r.data);
        shape = r.shape;
      }
      expect(out.shape).toEqual(batched ? [B, ...shape] : shape);
      const diff = maxTensorDiff(out, tf.tensor(want, out.shape));
      report.add(`matmul ${label}`, diff);
      expect(diff).toBeLessThanOrEqual(TOL);
      tf.dispose([at, bt, out]);
    },
  );

  // In a model: fns mapped over T (the executor folds T into the batch), params on either side.
  const mapped: { name: string; fn: string; x: number[]; out: number[]; w: number[]; ref: (x: Float32Array, w: Float32Array) => { data: number[]; shape: number[] } }[] = [
    { name: "W @ x, x: [T, n]", fn: `fn f(x: [${N}]) { param W: [${M}, ${N}] = glorot\n out W @ x }`, x: [N], out: [M], w: [M, N], ref: (x, w) => refMatmul(w, [M, N], x, [N]) },
    { name: "x @ W, x: [T, n]", fn: `fn f(x: [${N}]) { param W: [${N}, ${K}] = glorot\n out x @ W }`, x: [N], out: [K], w: [N, K], ref: (x, w) => refMatmul(x, [N], w, [N, K]) },
    { name: "W @ X, X: [T, n, k]", fn: `fn f(x: [${N}, ${K}]) { param W: [${M}, ${N}] = glorot\n out W @ x }`, x: [N, K], out: [M, K], w: [M, N], ref: (x, w) => refMatmul(w, [M, N], x, [N, K]) },
    { name: "X @ W, X: [T, m, n]", fn: `fn f(x: [${M}, ${N}]) { param W: [${N}, ${K}] = glorot\n out x @ W }`, x: [M, N], out: [M, K], w: [N, K], ref: (x, w) => refMatmul(x, [M, N], w, [N, K]) },
    { name: "w @ X, X: [T, n, k]", fn: `fn f(x: [${N}, ${K}]) { param w: [${N}] = glorot\n out w @ x }`, x: [N, K], out: [K], w: [N], ref: (x, w) => refMatmul(w, [N], x, [N, K]) },
    { name: "X @ w, X: [T, m, n]", fn: `fn f(x: [${M}, ${N}]) { param w: [${N}] = glorot\n out x @ w }`, x: [M, N], out: [M], w: [N], ref: (x, w) => refMatmul(x, [M, N], w, [N]) },
    { name: "x @ w, x: [T, n]", fn: `fn f(x: [${N}]) { param w: [${N}] = glorot\n out x @ w }`, x: [N], out: [], w: [N], ref: (x, w) => refMatmul(x, [N], w, [N]) },
  ];
  it.each(mapped.map((c) => [c.name, c] as const))("%s (mapped over T in a model)", (label, c) => {
    const tf = engine.tf;
    const T = 4;
    const text = `${c.fn}\nmodel m {\n  dim T\n  input x: [T, ${c.x.join(", ")}]\n  target y: [T${c.out.map((d) => `, ${d}`).join("")}]\n  h = f(x)\n  loss mse(h, y)\n}\n`;
    const { graph, model } = modelOf(text, engine);
    const rng = new Rng(21);
    const w = randoms(rng, c.w.reduce((a, b) => a * b, 1));
    const name = [...model.params.keys()][0]!;
    model.setWeights({ [name]: w });
    const size = c.x.reduce((a, b) => a * b, 1);
    const x = randoms(rng, B * T * size);
    const xt = tf.tensor(x, [B, T, ...c.x]);
    const out = tf.tidy(() => model.forward({ x: xt, y: tf.zeros([B, T, ...c.out]) }, { T }).values.get(graph.values["h"]!)!);
    expect(out.shape).toEqual(checkedShape(graph, "h", { T }, B));
    const want: number[] = [];
    for (let e = 0; e < B * T; e++) want.push(...c.ref(x.slice(e * size, (e + 1) * size), w).data);
    const diff = maxTensorDiff(out, tf.tensor(want, out.shape));
    report.add(`matmul ${label} (mapped)`, diff);
    expect(diff).toBeLessThanOrEqual(TOL);
    tf.dispose([xt, out]);
    model.dispose();
  });

  it("batched @ batched in a model: [S, H] @ [H] and [S] @ [S, H] (attention)", () => {
    const tf = engine.tf;
    const S = 4;
    const H = 3;
    const text = `model m {\n  input mem: [${S}, ${H}]\n  input q: [${H}]\n  target y: [${H}]\n  e = mem @ q\n  c = softmax(e) @ mem\n  loss mse(c, y)\n}\n`;
    const { graph, model } = modelOf(text, engine);
    const rng = new Rng(22);
    const mem = randoms(rng, B * S * H);
    const q = randoms(rng, B * H);
    const memT = tf.tensor(mem, [B, S, H]);
    const qT = tf.tensor(q, [B, H]);
    const { values } = model.forward({ mem: memT, q: qT, y: tf.zeros([B, H]) }, {});
    const e = values.get(graph.values["e"]!)!;
    const c = values.get(graph.values["c"]!)!;
    const wantE: number[] = [];
    const wantC: number[] = [];
    for (let i = 0; i < B; i++) {
      const m = mem.slice(i * S * H, (i + 1) * S * H);
      const es = refMatmul(m, [S, H], q.slice(i * H, (i + 1) * H), [H]).data;
      wantE.push(...es);
      const mx = Math.max(...es);
      const ex = es.map((v) => Math.exp(v - mx));
      const z = ex.reduce((a, b) => a + b, 0);
      wantC.push(...refMatmul(Float32Array.from(ex.map((v) => v / z)), [S], m, [S, H]).data);
    }
    const d1 = maxTensorDiff(e, tf.tensor(wantE, [B, S]));
    const d2 = maxTensorDiff(c, tf.tensor(wantC, [B, H]));
    report.add("matmul [S, H] @ [H] both batched (model)", d1);
    report.add("matmul [S] @ [S, H] both batched (model)", d2);
    expect(Math.max(d1, d2)).toBeLessThanOrEqual(TOL);
    tf.dispose([memT, qT, ...values.values()]);
    model.dispose();
  });
});

describe("mapped axes (cpu)", () => {
  // A fn applied to [2, T, D] maps over the leading 2: the executor folds it into
  // the batch, for ops and for scans. The same model on [T, D] with the batch
  // 2*B must give the same numbers.
  const fns = `fn e(x: [T, D]) { out elman<4>(x) }\nfn g(x: [T, D]) -> [D] { out mean(x) + max(x) + first(x) + last(flip(x)) + sum(shift<1>(x)) }\n`;
  const body = (x: string, y: string) =>
    `${fns}model m {\n  dim T multiple of 2\n  input x: ${x}\n  target y: ${y}\n  h = e(x)\n  z = g(x)\n  c = conv1d<K=2, F=2>(x)\n  p = maxpool1d<F=2>(x)\n  loss mse(h, y)\n  loss mse(flatten(c), flatten(c) * 0.5)\n  loss mse(flatten(p), flatten(p) * 0.5)\n  loss mse(z, z * 0.5)\n}\n`;

  it("a scan, reductions, time ops, conv and pooling inside a fn mapped over a leading axis", () => {
    const tf = engine.tf;
    const T = 6;
    const mapped = modelOf(body("[2, T, 3]", "[2, T, 4]"), engine);
    const flat = modelOf(body("[T, 3]", "[T, 4]"), engine);
    const rng = new Rng(30);
    const w: Record<string, Float32Array> = {};
    for (const [name, v] of mapped.model.params) w[name] = randoms(rng, v.size, 0.7);
    mapped.model.setWeights(w);
    flat.model.setWeights(w);
    const x = randomTensor(engine, rng, [B, 2, T, 3]);
    const y = randomTensor(engine, rng, [B, 2, T, 4]);
    const a = mapped.model.forward({ x, y }, { T });
    const b = flat.model.forward({ x: x.reshape([2 * B, T, 3]), y: y.reshape([2 * B, T, 4]) }, { T });
    for (const name of ["h", "z", "c", "p"]) {
      const va = a.values.get(mapped.graph.values[name]!)!;
      const vb = b.values.get(flat.graph.values[name]!)!;
      expect(va.shape).toEqual(checkedShape(mapped.graph, name, { T }, B));
      const diff = maxTensorDiff(va.reshape(vb.shape), vb);
      report.add(`mapped over [2, ...]: ${name}`, diff);
      // The same arithmetic on differently shaped batches: equal up to float32 rounding.
      expect(diff).toBeLessThanOrEqual(1e-6);
    }
    // Per example, the mapped model's losses are the sums of the two folded examples'.
    expect(a.loss.dataSync()[0]!).toBeCloseTo(2 * b.loss.dataSync()[0]!, 5);
    mapped.model.dispose();
    flat.model.dispose();
  });
});
