/**
 * src/backends/tfjs/custom.ts on the cpu backend: the products without
 * transposed kernels and the one-hot products as gathers equal tf.matMul in
 * value and gradient; a max shares its gradient among ties; fastExp is e^x.
 * (That the executor takes these paths is optimize.test.ts's.)
 */
import { beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../../src/runtime/init.js";
import { fastExp, gatherRows, gathers, matMul2d, matMulT, maxTiesShared } from "../../../src/backends/tfjs/custom.js";
import { loadEngine, type Engine } from "../../../src/backends/tfjs/engine.js";
import { maxAbsDiff } from "../../helpers/numeric.js";
import { randomTensor, type Tensor } from "./helpers.js";

let engine: Engine;
beforeAll(async () => {
  engine = await loadEngine("cpu");
});

/** The value of f and its gradients in each input, with the loss sum(f(...) * w) for a fixed random w. */
function valueAndGrads(f: (...xs: Tensor[]) => Tensor, xs: Tensor[], seed = 5): { value: Float32Array; grads: Float32Array[] } {
  const tf = engine.tf;
  return tf.tidy(() => {
    const y = f(...xs);
    const w = randomTensor(engine, new Rng(seed), y.shape);
    const grads = tf.grads((...ins: Tensor[]) => tf.sum(tf.mul(f(...ins), w)))(xs);
    return { value: y.dataSync() as Float32Array, grads: grads.map((g) => g.dataSync() as Float32Array) };
  });
}

function expectSame(a: ReturnType<typeof valueAndGrads>, b: ReturnType<typeof valueAndGrads>): void {
  expect(maxAbsDiff(a.value, b.value)).toBeLessThan(1e-5);
  expect(a.grads).toHaveLength(b.grads.length);
  a.grads.forEach((g, i) => expect(maxAbsDiff(g, b.grads[i]!), `gradient ${i}`).toBeLessThan(1e-5));
}

describe("products without transposed kernels", () => {
  it("matMul2d(a, b) is a @ b, value and gradients", () => {
    const rng = new Rng(1);
    const [a, b] = [randomTensor(engine, rng, [3, 4]), randomTensor(engine, rng, [4, 2])];
    expectSame(valueAndGrads((x, y) => matMul2d(engine.tf, x!, y!), [a, b]), valueAndGrads((x, y) => engine.tf.matMul(x!, y!), [a, b]));
  });

  it("matMulT(x, W) is x @ W^T, with or without the transpose given", () => {
    const tf = engine.tf;
    const rng = new Rng(2);
    const [x, w] = [randomTensor(engine, rng, [5, 4]), randomTensor(engine, rng, [3, 4])];
    const want = valueAndGrads((a, b) => tf.matMul(a!, b!, false, true), [x, w]);
    expectSame(valueAndGrads((a, b) => matMulT(tf, a!, b!), [x, w]), want);
    expectSame(valueAndGrads((a, b) => matMulT(tf, a!, b!, tf.transpose(b!)), [x, w]), want);
  });
});

describe("gatherRows", () => {
  const indices = () => engine.tf.tensor1d([2, 0, 2, 4], "int32");

  it("onehot(i) @ W is W[i]; the gradient adds the rows of dy into dW (a repeated index twice)", () => {
    const tf = engine.tf;
    const w = randomTensor(engine, new Rng(3), [5, 3]);
    const before = gathers.count;
    const ours = valueAndGrads((x) => gatherRows(tf, x!, indices(), false), [w]);
    expect(gathers.count).toBe(before + 2);
    expectSame(ours, valueAndGrads((x) => tf.matMul(tf.oneHot(indices(), 5).toFloat(), x!), [w]));
  });

  it("W @ onehot(i) over a batch (W stored [k, V], transposed) is W^T[i]", () => {
    const tf = engine.tf;
    const w = randomTensor(engine, new Rng(4), [3, 5]);
    expectSame(valueAndGrads((x) => gatherRows(tf, x!, indices(), true), [w]), valueAndGrads((x) => tf.matMul(tf.oneHot(indices(), 5).toFloat(), x!, false, true), [w]));
  });
});

describe("maxTiesShared", () => {
  it("the max over an axis, its gradient shared evenly among tied maxima", () => {
    const tf = engine.tf;
    const x = tf.tensor2d([[1, 3, 3], [5, 2, 5], [0, 0, 0]]);
    expect(Array.from(maxTiesShared(tf, x, 1).dataSync())).toEqual([3, 5, 0]);
    const g = tf.grad((t: Tensor) => tf.sum(maxTiesShared(tf, t, 1)))(x);
    expect(Array.from(g.dataSync()).map((v) => Math.round(v * 1e6) / 1e6)).toEqual([0, 0.5, 0.5, 0.5, 0, 0.5, 0.333333, 0.333333, 0.333333]);
    // Along the other axis too.
    expect(Array.from(maxTiesShared(tf, x, 0).dataSync())).toEqual([5, 3, 5]);
  });
});

describe("fastExp (the JS kernels' e^x)", () => {
  it("is within 1e-12 of Math.exp (relative) over float32's range, and saturates like float32", () => {
    let worst = 0;
    for (let x = -87; x < 88; x += 0.00731) worst = Math.max(worst, Math.abs(fastExp(x) - Math.exp(x)) / Math.exp(x));
    expect(worst).toBeLessThan(1e-12);
    expect(Math.fround(fastExp(-200))).toBe(0);
    expect(Math.fround(fastExp(200))).toBe(Infinity);
    expect(fastExp(0)).toBe(1);
    expect(Number.isNaN(fastExp(Number.NaN))).toBe(true);
  });
});
