/**
 * src/kernel/adjoint.ts: every op's adjoint rule, run by the reference
 * interpreter (interpreter.ts) on an op of a real graph, gives the gradient
 * of L = sum(w * op(args)) (w fixed and random) that central differences of
 * the op's forward rule give, with the tests' one checker
 * (test/helpers/gradcheck.ts, F64_CHECK: 4-point differences, relative error
 * 1e-6, finer steps only at a kink). Integer arguments (tokens), dropout
 * masks and running statistics get no gradient; the rules add into the argument adjoints, never overwrite them.
 */
import { describe, expect, it } from "vitest";
import { Rng } from "../../src/runtime/init.js";
import { int } from "../../src/kernel/program.js";
import type { OpKind } from "../../src/ir/ops.js";
import { OPS } from "../../src/ir/ops.js";
import type { Val } from "../../src/kernel/api.js";
import { ADJOINT } from "../../src/kernel/adjoint.js";
import { FORWARD } from "../../src/kernel/forward.js";
import { type Differentiable, gradientCheck, type GradientReport } from "../helpers/gradcheck.js";
import { graphOf } from "../helpers/spec.js";
import { argVals, Interpreter, opCase, type OpCase, valOf } from "./interpreter.js";
import { OP_CASES, type OpModel } from "./op-cases.js";

const cases = (Object.keys(OP_CASES) as OpKind[]).flatMap((op) => OP_CASES[op].map((m) => [`${op}: ${m.label}`, op, m] as const));

/** A case's op on fresh buffers: its arguments, L's weights, and the forward and adjoint passes by the interpreter. */
function setUp(op: OpKind, m: OpModel, seed: number) {
  const c: OpCase = opCase(graphOf(m.spec), op);
  const rng = new Rng(seed);
  const [lo, hi] = m.range ?? [-1, 1];
  const it = new Interpreter({}, m.training);
  const args = argVals(it, c, rng, () => lo + (hi - lo) * rng.next());
  const out = valOf(it, "out", c.out.shape, c.out.batched, c.N);
  const w = valOf(it, "w", c.out.shape, c.out.batched, c.N, () => rng.uniform(1));
  const N = c.out.batched ? int(c.N) : null;
  /** The argument adjoints start at `start`, to show that the rule adds to them. */
  const start = 0.25;
  const dargs = args.map((a, i): Val | null => (a.num !== undefined || a.int || c.args[i]!.mask || c.args[i]!.frozen ? null : valOf(it, `d${i}`, c.args[i]!.shape, c.args[i]!.batched, c.N, () => start)));
  const forward = (): number => {
    const saved = {};
    FORWARD[op]({ attrs: c.attrs, args, out, b: it.builder(N), saved });
    const y = it.buf("out");
    const wv = it.buf("w");
    let L = 0;
    for (let i = 0; i < y.length; i++) L += y[i]! * wv[i]!;
    return L;
  };
  const backward = (): void => {
    const saved = {};
    FORWARD[op]({ attrs: c.attrs, args, out, b: it.builder(N), saved });
    ADJOINT[op]({ attrs: c.attrs, args, out, b: it.builder(N), saved, dout: w, dargs });
  };
  return { c, it, args, dargs, forward, backward, start, rng };
}

/** The arguments with adjoints as one flat vector (layout by argument), moved in place for the differences. */
function differentiable(s: ReturnType<typeof setUp>): { model: Differentiable; grad: Float64Array } {
  const layout: Differentiable["layout"] = {};
  const parts: { buf: Float64Array; d: Float64Array; offset: number }[] = [];
  let offset = 0;
  s.dargs.forEach((d, i) => {
    if (!d) return;
    const buf = s.it.buf(`arg${i}`);
    layout[`arg${i}`] = { offset, size: buf.length };
    parts.push({ buf, d: s.it.buf(`d${i}`), offset });
    offset += buf.length;
  });
  const grad = new Float64Array(offset);
  for (const p of parts) p.d.forEach((v, j) => (grad[p.offset + j] = v - s.start));
  return {
    grad,
    model: {
      layout,
      lossAt(j, d) {
        const p = parts.findLast((x) => x.offset <= j)!;
        const x = p.buf[j - p.offset]!;
        p.buf[j - p.offset] = x + d;
        const L = s.forward();
        p.buf[j - p.offset] = x;
        return L;
      },
    },
  };
}

function check(op: OpKind, m: OpModel): GradientReport {
  const s = setUp(op, m, 11);
  s.backward();
  const { model, grad } = differentiable(s);
  return gradientCheck(model, grad, s.forward(), s.rng);
}

describe("ADJOINT equals finite differences of FORWARD", () => {
  it("has a rule for every op", () => {
    expect(Object.keys(ADJOINT).sort()).toEqual(Object.keys(OPS).sort());
  });

  it.each(cases)("%s", (_label, op, m) => {
    const r = check(op, m);
    if (op === "one_hot") {
      // Its argument is tokens: nothing to differentiate.
      expect(r.tensors).toBe(0);
      return;
    }
    expect(r.tensors).toBeGreaterThan(0);
    expect(r.failures).toEqual([]);
    expect(r.notTiny, "some entries are not tiny").toBeGreaterThan(0);
  });

  it("integer arguments get no adjoint and constants none either; the rest add to what is there", () => {
    const s = setUp("cross_entropy", OP_CASES.cross_entropy[0]!, 3);
    expect(s.dargs.map((d) => d !== null)).toEqual([true, false]);
    // Twice the adjoint pass: the adjoint doubles (it is added, not assigned).
    s.backward();
    const once = Float64Array.from(s.it.buf("d0"), (v) => v - s.start);
    s.backward();
    const twice = Float64Array.from(s.it.buf("d0"), (v) => v - s.start);
    expect(once.some((v) => Math.abs(v) > 1e-3)).toBe(true);
    twice.forEach((v, i) => expect(v).toBeCloseTo(2 * once[i]!, 12));
  });

  it("the check can fail: the adjoint of tanh with sigmoid's rule", () => {
    const tanh = ADJOINT.tanh;
    ADJOINT.tanh = ADJOINT.sigmoid;
    try {
      expect(check("tanh", OP_CASES.tanh[0]!).failures.length).toBeGreaterThan(0);
    } finally {
      ADJOINT.tanh = tanh;
    }
    expect(check("tanh", OP_CASES.tanh[0]!).failures).toEqual([]);
  });
});
