/**
 * The ts target's optimisation runtime: the generator and initialisers equal
 * src/runtime/init.ts's, the optimizers take TensorFlow.js's steps (compared
 * with tf.train on the cpu backend, built as the tfjs trainer builds them),
 * weight decay and clipping follow the tfjs trainer.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { loadEngine, type Engine } from "../../src/backends/tfjs/engine.js";
import { adamF32, floatBuffers } from "../../src/runtime/gemm.js";
import { fans, initialValues, initParam, paramSeed, Rng, type InitSpec } from "../../src/runtime/init.js";
import {
  applyWeightDecay,
  clipByGlobalNorm,
  createOptimizer,
  globalNorm,
  type OptimizerSettings,
} from "../../src/runtime/optim.js";

let engine: Engine;
beforeAll(async () => {
  engine = await loadEngine("cpu");
});

describe("generator and initialisers (shared with the tfjs target through src/runtime/init.ts)", () => {
  it("the generator is deterministic per seed, restorable, and uniform in [-limit, limit)", () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xs = Array.from({ length: 200 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 200 }, () => b.next()));
    expect(xs).not.toEqual(Array.from({ length: 200 }, () => c.next()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    for (let i = 0; i < 500; i++) {
      const u = a.uniform(0.3);
      expect(u >= -0.3 && u < 0.3).toBe(true);
    }
    const ns = Array.from({ length: 4000 }, () => a.normal());
    const mean = ns.reduce((x, y) => x + y, 0) / ns.length;
    const variance = ns.reduce((x, y) => x + (y - mean) ** 2, 0) / ns.length;
    expect(Math.abs(mean)).toBeLessThan(0.06);
    expect(Math.abs(variance - 1)).toBeLessThan(0.08);
    const s = a.getState();
    const x = a.next();
    a.setState(s);
    expect(a.next()).toBe(x);
  });

  it("derive distinct per-parameter seeds", () => {
    expect(paramSeed(1, "a")).not.toBe(paramSeed(1, "b"));
    expect(paramSeed(1, "h.W")).not.toBe(paramSeed(2, "h.W"));
    expect(paramSeed(7, "h.W")).toBe(paramSeed(7, "h.W"));
  });

  it("give every initialiser's values within its range", () => {
    const draw = (init: InitSpec, shape: number[]) => Array.from(initialValues(init, shape, new Rng(paramSeed(3, "p"))));
    expect(draw({ kind: "zeros" }, [3, 4])).toEqual(Array(12).fill(0));
    expect(draw({ kind: "ones" }, [5])).toEqual(Array(5).fill(1));
    expect(draw({ kind: "const", value: 0.25 }, [2, 2])).toEqual(Array(4).fill(0.25));
    expect(draw({ kind: "uniform", value: 0.1 }, [7, 3]).every((v) => Math.abs(v) <= 0.1)).toBe(true);
    for (const shape of [[8, 5], [3, 2, 4], [3, 3, 2, 4], [6]]) {
      const { fanIn, fanOut } = fans(shape);
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      const v = draw({ kind: "glorot" }, shape);
      expect(v.every((x) => Math.abs(x) <= limit), `glorot [${shape.join(", ")}]`).toBe(true);
      expect(v.some((x) => Math.abs(x) > limit / 4)).toBe(true);
    }
    expect(fans([3, 3, 2, 4])).toEqual({ fanIn: 18, fanOut: 36 });
    // Orthogonal rows (or columns, for tall matrices) are orthonormal.
    for (const [r, c] of [[3, 5], [5, 3]] as const) {
      const q = initialValues({ kind: "orthogonal" }, [r, c], new Rng(9));
      const [n, len, at] = r <= c ? [r, c, (i: number, k: number) => q[i * c + k]!] : [c, r, (i: number, k: number) => q[k * c + i]!];
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          let dot = 0;
          for (let k = 0; k < len; k++) dot += at(i, k) * at(j, k);
          expect(dot).toBeCloseTo(i === j ? 1 : 0, 10);
        }
    }
  });

  it("initParam writes a parameter at its offset with its own seed, rounded to the buffer's precision", () => {
    const buf = new Float32Array(2 + 12);
    initParam(buf, 2, [3, 4], { kind: "glorot" }, 11, "h.W");
    const want = Float32Array.from(initialValues({ kind: "glorot" }, [3, 4], new Rng(paramSeed(11, "h.W"))));
    expect(buf.subarray(0, 2)).toEqual(new Float32Array(2));
    expect(buf.subarray(2)).toEqual(want);
  });
});

/** Random numbers in [-scale, scale) as float32. */
function randoms(rng: Rng, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniform(scale));
}

/** tf.train's optimizer as src/backends/tfjs/train.ts builds it. */
function tfOptimizer(s: OptimizerSettings) {
  const tf = engine.tf;
  const o = s.options;
  switch (s.name) {
    case "sgd":
      return tf.train.sgd(s.lr);
    case "momentum":
      return tf.train.momentum(s.lr, o["beta"] ?? 0.9);
    case "adam":
      return tf.train.adam(s.lr, o["beta1"] ?? 0.9, o["beta2"] ?? 0.999, o["eps"] ?? 1e-7);
    case "rmsprop":
      return tf.train.rmsprop(s.lr, o["rho"] ?? 0.9, 0, o["eps"] ?? 1e-7);
  }
}

describe("optimizers", () => {
  const settings: OptimizerSettings[] = [
    { name: "sgd", lr: 0.1, options: {} },
    { name: "momentum", lr: 0.05, options: {} },
    { name: "momentum", lr: 0.05, options: { beta: 0.5 } },
    { name: "adam", lr: 0.01, options: {} },
    { name: "adam", lr: 0.02, options: { beta1: 0.8, beta2: 0.99, eps: 1e-3 } },
    { name: "rmsprop", lr: 0.01, options: {} },
    { name: "rmsprop", lr: 0.01, options: { rho: 0.5, eps: 1e-4 } },
  ];
  for (const s of settings) {
    it(`${s.name} ${JSON.stringify(s.options)} takes TensorFlow.js's steps`, () => {
      const tf = engine.tf;
      const rng = new Rng(17);
      const n = 23;
      const params = randoms(rng, n);
      const v = tf.variable(tf.tensor1d(params.slice()));
      const tfOpt = tfOptimizer(s);
      const opt = createOptimizer(s, n);
      for (let step = 0; step < 6; step++) {
        const g = randoms(rng, n, 2);
        opt.step(params, g);
        const gt = tf.tensor1d(g);
        tfOpt.applyGradients([{ name: v.name, tensor: gt }]);
        gt.dispose();
        const want = v.dataSync();
        for (let i = 0; i < n; i++) expect(params[i]!, `step ${step}, element ${i}`).toBeCloseTo(want[i]!, 5);
      }
      expect(opt.iterations).toBe(6);
      tfOpt.dispose();
      v.dispose();
    });
  }

  it("follow the reference formulas on one element", () => {
    const g = Float32Array.of(0.5);
    // sgd: w - lr g
    const w1 = Float64Array.of(1);
    createOptimizer({ name: "sgd", lr: 0.1, options: {} }, 1, "f64").step(w1, g);
    expect(w1[0]).toBeCloseTo(1 - 0.05, 12);
    // momentum: a = g, then a = beta a + g
    const w2 = Float64Array.of(1);
    const m = createOptimizer({ name: "momentum", lr: 0.1, options: { beta: 0.5 } }, 1, "f64");
    m.step(w2, g);
    m.step(w2, g);
    expect(w2[0]).toBeCloseTo(1 - 0.1 * 0.5 - 0.1 * 0.75, 12);
    // adam's first step is lr * g / (|g| + eps) after bias correction
    const w3 = Float64Array.of(1);
    createOptimizer({ name: "adam", lr: 0.01, options: {} }, 1, "f64").step(w3, g);
    expect(w3[0]).toBeCloseTo(1 - (0.01 * 0.5) / (0.5 + 1e-7), 12);
    // rmsprop: s = (1 - rho) g^2, w -= lr g / sqrt(s + eps)
    const w4 = Float64Array.of(1);
    createOptimizer({ name: "rmsprop", lr: 0.01, options: {} }, 1, "f64").step(w4, g);
    expect(w4[0]).toBeCloseTo(1 - (0.01 * 0.5) / Math.sqrt(0.1 * 0.25 + 1e-7), 12);
  });

  it("adam on a model's memory (optim.wat, f64x2) takes the same steps as its JavaScript loop, bit for bit, and keeps the slots there", () => {
    // The SIMD update runs on a block's buffers (so the loop below compares it with the JavaScript one).
    const [p0, g0, m0, v0] = floatBuffers(Float32Array, [3, 3, 3, 3]);
    expect(adamF32(p0!, g0!, m0!, v0!, 0.1, 0.9, 0.999, 0.1, 0.001, 1e-7)).toBe(true);
    expect(adamF32(p0!, g0!, m0!, v0!.subarray(1), 0.1, 0.9, 0.999, 0.1, 0.001, 1e-7)).toBe(false);
    for (const n of [1, 2, 7, 1000]) {
      for (const s of settings.filter((x) => x.name === "adam")) {
        const rng = new Rng(n);
        const start = randoms(rng, n);
        const [params, grads, m, v] = floatBuffers(Float32Array, [n, n, n, n]);
        params!.set(start);
        m!.fill(9);
        const wasm = createOptimizer(s, n, "f32", [m!, v!]);
        expect(wasm.slots()["m"]).toBe(m);
        expect(m!.every((x) => x === 0)).toBe(true);
        const js = createOptimizer(s, n, "f32");
        const plain = Float32Array.from(start);
        for (let step = 0; step < 5; step++) {
          const g = randoms(rng, n, step === 3 ? 1e-30 : 3);
          if (step === 4) g[0] = 0;
          grads!.set(g);
          expect(adamF32(params!, grads!, new Float32Array(n), new Float32Array(n), 0.1, 0.9, 0.999, 0.1, 0.001, 1e-7)).toBe(false);
          wasm.step(params!, grads!, 0.01 * (step + 1));
          js.step(plain, g, 0.01 * (step + 1));
          expect([...params!], `n ${n}, step ${step}`).toEqual([...plain]);
          expect([...m!]).toEqual([...js.slots()["m"]!]);
          expect([...v!]).toEqual([...js.slots()["v"]!]);
        }
      }
    }
  });

  it("keep slots in the parameters' precision and reject unknown options and rates", () => {
    expect(createOptimizer({ name: "adam", lr: 0.1, options: {} }, 3, "f64").slots()["m"]).toBeInstanceOf(Float64Array);
    expect(createOptimizer({ name: "adam", lr: 0.1, options: {} }, 3).slots()["v"]).toBeInstanceOf(Float32Array);
    expect(() => createOptimizer({ name: "adam", lr: 0.1, options: { beta: 0.9 } }, 3)).toThrow(/optimizer adam has no option beta \(it has lr, beta1, beta2, eps\)/);
    expect(() => createOptimizer({ name: "sgd", lr: 0, options: {} }, 3)).toThrow(/learning rate 0/);
    expect(() => createOptimizer({ name: "lbfgs" as "sgd", lr: 0.1, options: {} }, 3)).toThrow(/unknown optimizer lbfgs/);
  });
});

describe("weight decay and clipping", () => {
  it("adds decay times the weights to the gradient", () => {
    const g = Float32Array.of(1, -2, 0);
    applyWeightDecay(g, Float32Array.of(10, 20, -30), 0.1);
    expect(Array.from(g)).toEqual([2, 0, -3].map((x) => Math.fround(x)));
  });

  it("scales a gradient above the max norm to it, and leaves one below alone", () => {
    const g = Float32Array.of(3, 4, 0, 12); // norm 13
    expect(clipByGlobalNorm(g, 6.5)).toBeCloseTo(13, 6);
    expect(globalNorm(g)).toBeCloseTo(6.5, 5);
    expect(Array.from(g)).toEqual([1.5, 2, 0, 6].map((x) => expect.closeTo(x, 5)));
    const small = Float32Array.of(0.3, 0.4);
    expect(clipByGlobalNorm(small, 1)).toBeCloseTo(0.5, 6);
    expect(Array.from(small)).toEqual([Math.fround(0.3), Math.fround(0.4)]);
    const off = Float32Array.of(30, 40);
    expect(clipByGlobalNorm(off, 0)).toBeUndefined();
    expect(Array.from(off)).toEqual([30, 40]);
  });
});

