/**
 * The passes of src/kernel/fuse.ts and the lowering's speed choices
 * (KernelOptions): on an LSTM over one_hot tokens, the loop of a step holds
 * one product forward and one backward, the cell's elementwise chain runs as
 * one loop each way with its intermediates as variables, only what the
 * backward pass reads is kept per step, the recurrent weight's gradient is one
 * product over all steps after the loop, and the one-hot input is a gather
 * and a scatter-add. Then, on several recurrent models, the choices all off
 * give the same loss and gradients (f64) as all on: they change speed, never
 * results (all on is what test/backends/ts/gradients.test.ts checks against
 * finite differences on every spec; bench/ts-steps.ts prints the loss of each
 * choice off).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { outputFiles } from "../../src/backends/ts/compile.js";
import type { CompiledModel, Dims, ModelInfo } from "../../src/runtime/model-api.js";
import { disjoint, fuseProgram, storedBuffers, vectorFn } from "../../src/kernel/fuse.js";
import { KERNEL_DEFAULTS, lowerGraph, type KernelOptions } from "../../src/kernel/lower.js";
import { int, isSize, nestedStmts, ONE, sameSize, type E, type Stmt } from "../../src/kernel/program.js";
import { bufferNames, sizeText } from "../../src/backends/ts/names.js";
import { perturb, randomBatch, Rng, smallDims, transpile, tsFiles } from "../helpers/emitted.js";
import { checkedInline, graphOf } from "../helpers/spec.js";

const LSTM = `model m {
  vocab chars[V]
  dim H = 3
  dim T
  input x: [T] of chars
  target y: [T] of chars
  h = lstm<H>(one_hot(x))
  loss cross_entropy(dense<V>(h), y)
}
`;

const programOf = (text: string, options: Partial<KernelOptions> = {}) => {
  const o = { ...KERNEL_DEFAULTS, ...options };
  return fuseProgram(lowerGraph(graphOf(text), o), o);
};
const loops = (stmts: Stmt[]) => stmts.filter((s): s is Extract<Stmt, { s: "loop" }> => s.s === "loop");
const count = (stmts: Stmt[], kind: Stmt["s"]) => stmts.filter((s) => s.s === kind).length;

describe("an LSTM step (fuseProgram after lowerGraph)", () => {
  const p = programOf(LSTM);
  const names = bufferNames(p.buffers);
  const name = (id: number) => names[id]!;
  const [fwd] = loops(p.forward);
  const [bwd] = loops(p.backward);

  it("runs one product per step forward and one backward (dx), the cell's chain as one loop each way", () => {
    expect(count(fwd!.body, "gemm")).toBe(1);
    expect(count(bwd!.body, "gemm")).toBe(1);
    const plain = loops(programOf(LSTM, { vectorMath: false }).forward)[0]!;
    const fused = plain.body.filter((s): s is Extract<Stmt, { s: "fused" }> => s.s === "fused");
    const cell = fused.find((f) => f.locals.map(name).includes("i"))!;
    expect(cell.locals.map(name)).toEqual(expect.arrayContaining(["i", "f", "o", "g", "mul", "mul_2", "h_next"]));
    const back = bwd!.body.find((s): s is Extract<Stmt, { s: "fused" }> => s.s === "fused" && s.body.filter((b) => b.s === "map").length >= 10);
    expect(back, "the cell's adjoint chain in one loop").toBeDefined();
  });

  it("writes the four gates' adjoints into their blocks of one row in that loop (disjoint views of one buffer), their values as variables", () => {
    const back = bwd!.body.find((s): s is Extract<Stmt, { s: "fused" }> => s.s === "fused" && s.body.filter((b) => b.s === "map").length >= 10)!;
    const maps = back.body.filter((b): b is Extract<Stmt, { s: "map" }> => b.s === "map");
    // The loop ends with the four blocks of the gates' adjoint row (i, f, o, g at 0, 3, 6, 9 for H = 3).
    const gates = maps.at(-1)!.out.buf;
    const adds = maps.filter((m) => m.mode === "add" && m.out.buf === gates);
    expect(adds.map((m) => sizeText(m.out.off)).sort()).toEqual(["0", "3", "6", "9"]);
    expect(back.locals.map(name)).toEqual(expect.arrayContaining(["di", "df", "do_", "dg"]));
  });

  it("disjoint: views a constant apart share no element only when the offset keeps every row's block clear of the others", () => {
    const B: E = { k: "batch" };
    const row = (off: number, strides: E[] = [int(12), ONE]) => ({ buf: 0, off: int(off), strides });
    const space = [B, int(3)];
    for (const d of [3, 6, 9]) expect(disjoint(space, row(d), row(0)), `blocks 0 and ${d}`).toBe(true);
    for (const d of [1, 2, 10, 11, 12, 24]) expect(disjoint(space, row(d), row(0)), `blocks 0 and ${d}`).toBe(false);
    // No stride-1 axis, one row, a symbolic offset or stride, a broadcast, a gather.
    expect(disjoint([int(4)], row(1, [int(2)]), row(0, [int(2)]))).toBe(true);
    expect(disjoint([int(4)], row(2, [int(2)]), row(0, [int(2)]))).toBe(false);
    expect(disjoint([int(3)], row(3, [ONE]), row(0, [ONE]))).toBe(true);
    expect(disjoint([int(3)], row(2, [ONE]), row(0, [ONE]))).toBe(false);
    expect(disjoint(space, { ...row(0), off: B }, row(0))).toBe(false);
    expect(disjoint(space, row(3, [B, ONE]), row(0, [B, ONE]))).toBe(false);
    expect(disjoint(space, row(3, [int(0), ONE]), row(0, [int(0), ONE]))).toBe(true);
    expect(disjoint(space, { ...row(3), gather: { buf: 1, off: int(0), strides: [ONE, int(0)], scale: ONE } }, row(0))).toBe(false);
    expect(disjoint(space, row(3, [int(12), ONE]), row(0, [int(6), ONE]))).toBe(false);
  });

  it("with vectorMath, runs the gate activations alone on the gates' sum, after its loop, and tanh(c') between two loops", () => {
    const kinds = fwd!.body.filter((s) => s.s !== "note").map((s) => (s.s === "map" && vectorFn(s) ? vectorFn(s) : s.s));
    expect(kinds).toEqual(["time", "gemm", "fused", "sigmoid", "sigmoid", "tanh", "sigmoid", "fused", "tanh", "fused"]);
    const gates = fwd!.body.filter((s): s is Extract<Stmt, { s: "map" }> => s.s === "map").slice(0, 4);
    // Each reads its block of add (the split's copies are gone) at H columns apart, rows of 4H.
    expect(gates.map((g) => name(g.ins[0]!.buf))).toEqual(["add_2", "add_2", "add_2", "add_2"]);
    expect(gates.map((g) => sizeText(g.ins[0]!.off)).sort()).toEqual(["0", "3", "6", "9"]);
    expect(names.filter((n) => ["i", "f", "o", "g"].includes(n)).every((n) => !storedBuffers(p).has(names.indexOf(n)))).toBe(true);
    // c' and its activation are kept for the step: the loop before writes c', the one after reads tanh(c').
    const cell = fwd!.body.filter((s): s is Extract<Stmt, { s: "fused" }> => s.s === "fused");
    expect(cell[1]!.locals.map(name)).toEqual(expect.arrayContaining(["mul", "mul_2"]));
  });

  it("keeps per step only what the backward pass reads: the activated gates, tanh(c'), the states", () => {
    const perStep = p.buffers.flatMap((b, id) => (b.slot !== undefined && !sameSize(b.size, b.slot) ? [name(id)] : []));
    expect(perStep.sort()).toEqual(["sigmoid", "sigmoid_2", "sigmoid_3", "tanh", "tanh_2"].sort());
    const add = p.buffers.findIndex((b, id) => name(id) === "add_2"); // W @ concat(h, x) + b (add: the dense layer's)
    expect(sameSize(p.buffers[add]!.size, p.buffers[add]!.slot!)).toBe(true);
  });

  it("takes W_h's gradient after the loop as one product of T*B rows, and gathers and scatters the one-hot input", () => {
    const after = p.backward.slice(p.backward.indexOf(bwd!) + 1);
    const gemms = after.filter((s): s is Extract<Stmt, { s: "gemm" }> => s.s === "gemm");
    expect(gemms.map((g) => sizeText(g.k))).toEqual(["$D_T * $B"]);
    expect(p.buffers[gemms[0]!.c.buf]!.kind).toBe("grad");
    const scatter = after.find((s): s is Extract<Stmt, { s: "map" }> => s.s === "map" && s.out.gather !== undefined);
    expect(scatter?.mode).toBe("add");
    expect(p.forward.some((s) => s.s === "map" && s.ins.some((o) => o.gather !== undefined))).toBe(true);
    expect(p.forward.filter((s) => s.s === "gemm").map((g) => isSize((g as Extract<Stmt, { s: "gemm" }>).k, 3))).toEqual([true]);
    // Nothing reads one_hot(x) any more: it is neither computed nor allocated.
    const oneHot = names.indexOf("one_hot");
    expect(oneHot).toBeGreaterThanOrEqual(0);
    expect(storedBuffers(p).has(oneHot)).toBe(false);
  });

  it("with share, keeps backward-only buffers (the gates' adjoints for all steps among them) in the memory of forward-only ones, and shares nothing the runtime reads", () => {
    const shared = p.buffers.flatMap((b, id) => (b.shares !== undefined ? [[name(id), name(b.shares)]] : []));
    expect(shared.map(([a]) => a)).toEqual(expect.arrayContaining(["dmatmul_2", "dh", "dmatmul"]));
    expect(new Set(shared.map(([, b]) => b)).size, "one buffer each").toBe(shared.length);
    const fwdUsed = new Set<number>();
    const bwdUsed = new Set<number>();
    const walk = (stmts: Stmt[], into: Set<number>) =>
      stmts.forEach((s) => {
        if (s.s === "map") [s.out, ...s.ins].forEach((o) => into.add(o.buf));
        if (s.s === "gemm") [s.a, s.b, s.c].forEach((m) => into.add(m.buf));
        if (s.s === "fill") into.add(s.buf);
        if (s.s === "loop" || s.s === "fused") walk(s.body as Stmt[], into);
      });
    walk(p.forward, fwdUsed);
    walk(p.backward, bwdUsed);
    const viewed = new Set([...p.values.map((v) => v.val.buf), ...p.losses.map((l) => l.buf), ...p.states.flatMap((st) => [st.first.buf, st.last.buf])]);
    p.buffers.forEach((b, id) => {
      if (b.shares === undefined) return;
      expect(bwdUsed.has(id) && !fwdUsed.has(id), `${name(id)} is the backward pass's only`).toBe(true);
      expect(fwdUsed.has(b.shares) && !bwdUsed.has(b.shares), `${name(b.shares)} is the forward pass's only`).toBe(true);
      expect(viewed.has(id) || viewed.has(b.shares)).toBe(false);
    });
    expect(programOf(LSTM, { share: false }).buffers.some((b) => b.shares !== undefined)).toBe(false);
  });

  it("with the choices off, is the plain program: a product per block in each loop, every value at every step", () => {
    const plain = programOf(LSTM, { hoistGrads: false, fuse: false, keepLess: false, gather: false, vectorMath: false, share: false });
    expect(count(loops(plain.backward)[0]!.body, "gemm")).toBe(2);
    expect(count(loops(plain.forward)[0]!.body, "fused")).toBe(0);
    expect(plain.buffers.every((b) => b.slot === undefined || !sameSize(b.size, b.slot))).toBe(true);
    // The input's product over all steps and the dense layer's, both GEMMs.
    expect(plain.forward.filter((s) => s.s === "gemm")).toHaveLength(2);
  });
});

const MODELS: Record<string, string> = {
  "LSTM over one_hot": LSTM,
  "GRU, reversed, over floats": `model m {
  dim T
  input x: [T, 2]
  target y: [T, 1]
  h = gru<3>(flip(x))
  loss mse(dense<1>(h), y)
}
`,
  "bidirectional LSTM over one_hot (the backward direction reversed)": `model m {
  vocab chars[V]
  dim T
  input x: [T] of chars
  target y: [T] of chars
  f = lstm<3>(one_hot(x))
  b = flip(lstm<3>(flip(one_hot(x))))
  loss cross_entropy(dense<V>(concat(f, b)), y)
}
`,
};

describe("share with dropout and batch_norm (masks, training branches, running statistics)", () => {
  // x's mask: the forward pass's only (x has no adjoint); h's mask: the backward pass reads it too.
  const p = programOf(`model m {
  dim T
  input x: [T, 2]
  target y: [T, 1]
  h = relu(batch_norm(dense<4>(dropout(x, rate: 0.5))))
  loss mse(dense<1>(dropout(h, rate: 0.5)), y)
}
`);
  const uses = (stmts: readonly Stmt[]) => {
    const out = new Set<number>();
    const walk = (ss: readonly Stmt[]) =>
      ss.forEach((s) => {
        if (s.s === "map") [s.out, ...s.ins].forEach((o) => [o.buf, ...(o.gather ? [o.gather.buf] : [])].forEach((b) => out.add(b)));
        if (s.s === "gemm") [s.a, s.b, s.c].forEach((m) => out.add(m.buf));
        if (s.s === "fill" || s.s === "mask" || s.s === "initial") out.add(s.buf);
        nestedStmts(s).forEach(walk);
      });
    walk(stmts);
    return out;
  };

  it("pairs a buffer only the backward pass uses (training branches included) with one only the forward pass uses; a mask the backward pass reads and the running statistics keep their own memory", () => {
    const fwd = uses(p.forward);
    const bwd = uses(p.backward);
    const masks = p.forward.flatMap((s) => (s.s === "mask" ? [s.buf] : []));
    expect(masks).toHaveLength(2);
    expect(p.forward.some((s) => s.s === "training") && p.backward.some((s) => s.s === "training")).toBe(true);
    const shared = p.buffers.flatMap((b, id) => (b.shares !== undefined ? [[id, b.shares] as const] : []));
    expect(shared.length).toBeGreaterThan(0);
    for (const [b, f] of shared) {
      expect(bwd.has(b) && !fwd.has(b)).toBe(true);
      expect(fwd.has(f) && !bwd.has(f)).toBe(true);
      expect([p.buffers[b]!.kind, p.buffers[f]!.kind], "never a param (the running statistics) or a const").toEqual(["float", "float"]);
    }
    const inShared = new Set(shared.flat());
    const [xMask, hMask] = masks;
    expect(bwd.has(hMask!) && inShared.has(hMask!)).toBe(false);
    // x's mask may hold a backward buffer between passes: its mask statement (top level, every forward pass) sets it before any read.
    expect(bwd.has(xMask!)).toBe(false);
  });
});

describe("the speed choices change no result", () => {
  // One directory: the runtime once, then each model's model.ts with the choices on and off (transpiling is the slow part).
  const dir = mkdtempSync(join(tmpdir(), "seqc-fuse-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let runtime = false;
  const allOff = Object.fromEntries(Object.keys(KERNEL_DEFAULTS).map((k) => [k, false]));

  Object.entries(MODELS).forEach(([what, text], m) => {
    it(`${what}: all choices off give all on's loss and gradients`, async () => {
      const c = checkedInline(text);
      const run = async (kernel: Partial<KernelOptions>, file: string) => {
        const files = tsFiles(c.model, c.program.sources, { file: "spec.seq", source: text }, "f64", c.graph, kernel);
        if (!runtime) {
          transpile(dir, files);
          runtime = true;
        }
        writeFileSync(join(dir, file), outputFiles({ "model.ts": files["model.ts"]! }, { js: true })["model.js"]!);
        const mod = (await import(pathToFileURL(join(dir, file)).href)) as { INFO: ModelInfo; createModel: (dims: Dims, maxBatch: number) => CompiledModel };
        const dims = smallDims(mod.INFO, 4, 5);
        const model = mod.createModel(dims, 3);
        model.init(3);
        perturb(model, new Rng(5));
        const loss = model.forward(randomBatch(mod.INFO, dims, 3, new Rng(9), "f64"));
        model.backward();
        return { loss, grads: Array.from(model.grads) };
      };
      const on = await run({}, `m${m}-on.js`);
      const off = await run(allOff, `m${m}-off.js`);
      expect(off.loss).toBeCloseTo(on.loss, 12);
      expect(Math.max(...off.grads.map((g, i) => Math.abs(g - on.grads[i]!)))).toBeLessThan(1e-12);
    });
  });
});
