/**
 * A whole scan as one op with its own gradient ("fused scan").
 *
 * The loop part of a scan body (what hoisting left in the loop: the nodes that
 * depend on a state) runs step by step, off the tape:
 *
 * - products of a step value with a weight run on the backend (tf.matMul, not
 *   transposed). Products of the same value with several weights (U_r @ h and
 *   U_z @ h of a GRU) are one product with the weights side by side;
 * - everything else (elementwise ops with broadcasting, concat, split) runs in
 *   plain JS over Float32Arrays: runs of elementwise ops of the same width
 *   become one generated loop over (example, component) that keeps the values
 *   in locals (an LSTM step's gates and cell are one loop of 22 ops), splits are
 *   strided views, and splits are pushed through elementwise ops so that they
 *   join those loops. In tfjs each of those ops costs ~10-40 us of bookkeeping
 *   and dispatch and a pass over memory; here a whole step's gates cost about
 *   as much as one tfjs op.
 *
 * The backward pass walks the steps in reverse with generated loops of the
 * vector-Jacobian products (tfjs's gradient formulas). What is not recurrent
 * leaves the loop: the weight gradient of each product is one matMul over all
 * steps (X^T @ dY, the steps' inputs and output cotangents side by side), the
 * gradient of the hoisted inputs is written into one array, and only
 * dx = dY @ W runs per step.
 *
 * Values needed after their step (by the backward pass, the next step or the
 * weight gradients) are kept for all steps; the others live in a block reused at
 * every step. Scratch arrays come from a pool (custom.ts) across training steps.
 *
 * Handles loop values that are vectors or scalars per example, the ops of UNARY
 * and BINARY, concat, split, and matmul with a weight matrix; for anything else
 * `compileFused` says why not, and the tape-based loop runs.
 */
import type * as tfTypes from "@tensorflow/tfjs";
import type { Attr } from "../../graph/graph.js";
import { copyOf, customOp, fastExp, give, peek, take, tensorOfScratch } from "./custom.js";
import type { Tf } from "./engine.js";

type Tensor = tfTypes.Tensor;

/** A loop node of the scan plan (optimize.ts's PNode). */
export interface LoopNode {
  id: number;
  op: string;
  args: number[];
  attrs: Record<string, Attr>;
  /** Element shape (no batch axis). */
  shape: number[];
}

/** Where an argument of a loop node comes from. */
type Src =
  | { kind: "node"; index: number }
  | { kind: "state"; index: number }
  /** A hoisted (stacked) batched value, per step. */
  | { kind: "pre"; index: number }
  /** An unbatched tensor: a parameter or a hoisted unbatched value. */
  | { kind: "fixed"; index: number }
  | { kind: "const"; value: number };

interface Ref {
  src: Src;
  batched: boolean;
  /** Elements per example (vectors; 1 for scalars). */
  d: number;
}

/**
 * Per-step values and cotangents are strided views: element (i, j) (example i,
 * component j) is data[off + i * rs + j * cs]. Unbatched values have rs = 0,
 * broadcast scalars cs = 0; a split is a view of its argument.
 */
interface View {
  data: Float32Array;
  off: number;
  rs: number;
  cs: number;
}

type Op =
  | { kind: "unary"; fn: string; x: Ref; d: number; alpha: number }
  | { kind: "binary"; fn: string; a: Ref; b: Ref; d: number }
  | { kind: "concat"; parts: Ref[]; d: number }
  | { kind: "split"; x: Ref; d: number; begin: number }
  | { kind: "mm"; unit: number; col: number; d: number };

/** One product per step: y = x @ G, G [n, M] the weights side by side (W^T for W @ x, W for x @ W). */
interface Unit {
  x: Ref;
  n: number;
  M: number;
  members: { op: number; fixed: number; form: "Wx" | "xW"; width: number; col: number }[];
  /** The op at which the product runs (its first member). */
  first: number;
}

export interface FusedProgram {
  ops: Op[];
  units: Unit[];
  /** Plan ids of the stacked (pre) and fixed inputs, in input order. */
  pres: number[];
  fixed: number[];
  out: Ref;
  next: Ref[];
  stateSizes: number[];
  outShape: number[];
}

export interface FusedScan {
  program: FusedProgram;
  /** Stacked inputs [T*N, ...] (time-major), fixed tensors, initial states [N, ...]. */
  pres: Tensor[];
  fixed: Tensor[];
  init: Tensor[];
  length: number;
  n: number;
  reverse: boolean;
  /** [N, T], 1 for real steps (states keep their value over padding). */
  mask?: Tensor;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

// ---------------------------------------------------------------------------
// Elementwise formulas, as JS source for the generated loops.

/** Forward formulas of x (and alpha); backward ones of x, y = f(x), the cotangent g (and alpha). E is fastExp. */
const UNARY: Record<string, { f: string; df: string }> = {
  neg: { f: "-x", df: "-g" },
  sigmoid: { f: "1 / (1 + E(-x))", df: "g * y * (1 - y)" },
  tanh: { f: "2 / (1 + E(-2 * x)) - 1", df: "g * (1 - y * y)" },
  relu: { f: "x > 0 ? x : 0", df: "x > 0 ? g : 0" },
  elu: { f: "x > 0 ? x : Math.expm1(x)", df: "y >= 0 ? g : g * (y + 1)" },
  // tfjs's softplus: exp(x) below log(eps) + 2, x above its negation, log(exp(x) + 1) between.
  softplus: { f: "x < -13.942385152878742 ? E(x) : x > 13.942385152878742 ? x : Math.log(E(x) + 1)", df: "g / (1 + E(-x))" },
  exp: { f: "E(x)", df: "g * y" },
  log: { f: "Math.log(x)", df: "g / x" },
  sqrt: { f: "Math.sqrt(x)", df: "g / (2 * Math.sqrt(x))" },
  square: { f: "x * x", df: "2 * g * x" },
  abs: { f: "Math.abs(x)", df: "x > 0 ? g : -g" },
  leaky_relu: { f: "x > 0 ? x : alpha * x", df: "x > 0 ? g : alpha * g" },
};

/** Forward formulas of a and b; the cotangents of a and b given g. */
const BINARY: Record<string, { f: string; da: string; db: string }> = {
  add: { f: "a + b", da: "g", db: "g" },
  sub: { f: "a - b", da: "g", db: "-g" },
  mul: { f: "a * b", da: "g * b", db: "g * a" },
  // b is the mask: no gradient.
  dropout: { f: "a * b", da: "g * b", db: "0" },
  div: { f: "a / b", da: "g / b", db: "-g * a / (b * b)" },
  maximum: { f: "a >= b ? a : b", da: "a >= b ? g : 0", db: "a < b ? g : 0" },
  minimum: { f: "a <= b ? a : b", da: "a <= b ? g : 0", db: "a > b ? g : 0" },
};

/** A strided copy (or accumulation) of N x D elements. */
type Mover = (N: number, D: number, from: View, to: View) => void;

function mover(op: "=" | "+="): Mover {
  return new Function(
    "N",
    "D",
    "from",
    "to",
    `const X = from.data, Xr = from.rs, Xc = from.cs, Y = to.data, Yr = to.rs, Yc = to.cs;
     for (let i = 0; i < N; i++) {
       let p = from.off + i * Xr, q = to.off + i * Yr;
       for (let j = 0; j < D; j++, p += Xc, q += Yc) Y[q] ${op} X[p];
     }`,
  ) as Mover;
}

const COPY = mover("=");
const ACCUMULATE = mover("+=");

/** A view as an operand of an op over D components: unbatched ones repeat over rows, scalars over components. */
function operand(v: View, r: Ref, D: number): View {
  return { data: v.data, off: v.off, rs: r.batched ? v.rs : 0, cs: r.d === 1 && D > 1 ? 0 : v.cs };
}

const fresh = (N: number, d: number): View => ({ data: new Float32Array(N * d), off: 0, rs: d, cs: 1 });

/**
 * Consecutive elementwise ops of the same width run as one generated loop over
 * (example, component), their values in locals within an iteration; a value is
 * stored when it is read outside the segment or by the backward loop.
 */
interface Segment {
  kind: "segment";
  d: number;
  ops: number[];
  /** Arguments from outside the segment (each passed as a view). */
  inputs: Ref[];
  forward: SegmentFn;
  backward: SegmentFn;
  /** The values the backward loop reads (its ops' and its inputs'). */
  reads: Ref[];
}

type Stage = Segment | { kind: "unit"; unit: number } | { kind: "concat"; op: number };

/** (N, input views, value views, then for the backward pass the cotangent views of the inputs and of the ops; E is fastExp). */
type SegmentFn = (N: number, inputs: View[], values: View[], inputCots: View[], cots: View[], E: (x: number) => number) => void;

const compiled = new Map<string, SegmentFn>();

function compileFn(src: string): SegmentFn {
  let f = compiled.get(src);
  if (!f) {
    f = new Function("N", "inputs", "values", "inputCots", "cots", "E", src) as SegmentFn;
    compiled.set(src, f);
  }
  return f;
}

const refKey = (r: Ref) => (r.src.kind === "const" ? `c${r.src.value}` : `${r.src.kind}${r.src.index}`);

/** Whether a formula reads a variable. */
const reads = (formula: string, v: string) => new RegExp(`\\b${v}\\b`).test(formula);

/**
 * The generated forward and backward loops of a segment. `escapes`: the ops
 * whose values are read, or whose cotangents are added to, outside the segment.
 * A value is stored only when it escapes or the backward loop reads it; a
 * cotangent is loaded only when it escapes (else it starts at 0).
 */
function segmentCode(ops: Op[], members: number[], d: number, escapes: Set<number>): { inputs: Ref[]; forward: SegmentFn; backward: SegmentFn; reads: Ref[] } {
  const local = new Map(members.map((oi, k) => [oi, k]));
  const inputs: Ref[] = [];
  const inputIndex = new Map<string, number>();
  type Arg = { kind: "local" | "const" | "input"; name: string; index: number };
  // An argument: an op of the segment (v3), a constant, or an input of the segment (e1).
  const arg = (r: Ref): Arg => {
    if (r.src.kind === "node" && local.has(r.src.index)) return { kind: "local", name: `v${local.get(r.src.index)}`, index: local.get(r.src.index)! };
    if (r.src.kind === "const") return { kind: "const", name: `(${r.src.value})`, index: -1 };
    const key = refKey(r);
    if (!inputIndex.has(key)) {
      inputIndex.set(key, inputs.length);
      inputs.push(r);
    }
    const k = inputIndex.get(key)!;
    return { kind: "input", name: `e${k}`, index: k };
  };
  const argsOf = (op: Op) => (op.kind === "unary" ? [op.x] : op.kind === "binary" ? [op.a, op.b] : []).map(arg);
  members.forEach((oi) => argsOf(ops[oi]!));
  // What the backward loop reads: each op's own value (y) and its arguments' values (x, a, b).
  const readLocal = new Set<number>();
  const readInput = new Set<number>();
  const read = (a: Arg | undefined, used: boolean) => {
    if (!a || !used) return;
    if (a.kind === "local") readLocal.add(a.index);
    else if (a.kind === "input") readInput.add(a.index);
  };
  members.forEach((oi, k) => {
    const op = ops[oi]!;
    const [x, y] = argsOf(op);
    if (op.kind === "unary") {
      if (reads(UNARY[op.fn]!.df, "y")) readLocal.add(k);
      read(x, reads(UNARY[op.fn]!.df, "x"));
    } else if (op.kind === "binary") {
      const f = BINARY[op.fn]!;
      read(x, reads(f.da, "a") || reads(f.db, "a"));
      read(y, reads(f.da, "b") || reads(f.db, "b"));
    }
  });
  const stored = (k: number) => escapes.has(members[k]!) || readLocal.has(k);
  const unpack = (list: string, prefix: string, count: number, keep: (k: number) => boolean = () => true) =>
    Array.from({ length: count }, (_, k) => k)
      .filter(keep)
      .map((k) => `const ${prefix}${k} = ${list}[${k}].data, ${prefix}${k}o = ${list}[${k}].off, ${prefix}${k}r = ${list}[${k}].rs, ${prefix}${k}c = ${list}[${k}].cs;`)
      .join("\n");
  const at = (prefix: string, k: number) => `${prefix}${k}[${prefix}${k}o + i * ${prefix}${k}r + j * ${prefix}${k}c]`;
  const loop = (body: string[]) => `for (let i = 0; i < N; i++) for (let j = 0; j < ${d}; j++) {\n${body.join("\n")}\n}`;

  const fwd: string[] = inputs.map((_, k) => `const e${k} = ${at("I", k)};`);
  members.forEach((oi, k) => {
    const op = ops[oi]!;
    const [x, y] = argsOf(op);
    if (op.kind === "unary") fwd.push(`let v${k}; { const x = ${x!.name}, alpha = ${op.alpha}; v${k} = ${UNARY[op.fn]!.f}; }`);
    else if (op.kind === "binary") fwd.push(`let v${k}; { const a = ${x!.name}, b = ${y!.name}; v${k} = ${BINARY[op.fn]!.f}; }`);
    if (stored(k)) fwd.push(`${at("V", k)} = v${k};`);
  });
  const forward = compileFn([unpack("inputs", "I", inputs.length), unpack("values", "V", members.length, stored), loop(fwd)].join("\n"));

  // Backward: each op's cotangent starts from its stored one when it escapes (contributions of later stages), gains
  // those of the segment's later ops (in reverse), then flows to its arguments: locals, or the inputs' cotangent views.
  const bwd: string[] = [
    ...[...readInput].map((k) => `const e${k} = ${at("I", k)};`),
    ...[...readLocal].map((k) => `const v${k} = ${at("V", k)};`),
    ...members.map((oi, k) => `let g${k} = ${escapes.has(oi) ? at("G", k) : "0"};`),
  ];
  const flow = (a: Arg, expr: string) => {
    if (a.kind === "local") bwd.push(`g${a.index} += ${expr};`);
    else if (a.kind === "input") bwd.push(`${at("C", a.index)} += ${expr};`);
  };
  for (let k = members.length - 1; k >= 0; k--) {
    const op = ops[members[k]!]!;
    const [x, y] = argsOf(op);
    if (op.kind === "unary") {
      const f = UNARY[op.fn]!.df;
      bwd.push(`{ const g = g${k}, alpha = ${op.alpha};${reads(f, "x") ? ` const x = ${x!.name};` : ""}${reads(f, "y") ? ` const y = v${k};` : ""}`);
      flow(x!, f);
      bwd.push("}");
    } else if (op.kind === "binary") {
      const f = BINARY[op.fn]!;
      bwd.push(`{ const g = g${k};${reads(`${f.da} ${f.db}`, "a") ? ` const a = ${x!.name};` : ""}${reads(`${f.da} ${f.db}`, "b") ? ` const b = ${y!.name};` : ""}`);
      flow(x!, f.da);
      flow(y!, f.db);
      bwd.push("}");
    }
  }
  const backward = compileFn(
    [
      unpack("inputs", "I", inputs.length, (k) => readInput.has(k)),
      unpack("values", "V", members.length, (k) => readLocal.has(k)),
      unpack("cots", "G", members.length, (k) => escapes.has(members[k]!)),
      unpack("inputCots", "C", inputs.length),
      loop(bwd),
    ].join("\n"),
  );
  const valueReads: Ref[] = [...[...readLocal].map((k): Ref => ({ src: { kind: "node", index: members[k]! }, batched: true, d })), ...[...readInput].map((k) => inputs[k]!)];
  return { inputs, forward, backward, reads: valueReads };
}

/** Splits the ops into stages: segments of elementwise ops, products, concats (splits are views). */
function stages(prog: FusedProgram): { plan: Stage[]; escapes: Set<number> } {
  const out: Stage[] = [];
  let open: { d: number; ops: number[] } | undefined;
  const segmentOf = new Map<number, number>();
  const groups: { d: number; ops: number[] }[] = [];
  const close = () => {
    if (open) {
      open.ops.forEach((oi) => segmentOf.set(oi, groups.length));
      groups.push(open);
      out.push({ kind: "segment", d: open.d, ops: open.ops } as Segment);
    }
    open = undefined;
  };
  /** Whether a value is (a view of) an op of the open segment read through a view: it must be stored before it is read. */
  const viewOfOpen = (r: Ref): boolean => {
    if (r.src.kind !== "node") return false;
    const op = prog.ops[r.src.index]!;
    if (op.kind !== "split") return false;
    let x = op.x;
    for (;;) {
      if (x.src.kind !== "node") return false;
      const o = prog.ops[x.src.index]!;
      if (o.kind !== "split") return open?.ops.includes(x.src.index) ?? false;
      x = o.x;
    }
  };
  prog.ops.forEach((op, oi) => {
    if (op.kind === "unary" || op.kind === "binary") {
      const args = op.kind === "unary" ? [op.x] : [op.a, op.b];
      if (open && (open.d !== op.d || args.some(viewOfOpen))) close();
      open ??= { d: op.d, ops: [] };
      open.ops.push(oi);
    } else if (op.kind === "split") {
      // A view: no work, and the segment may go on.
    } else if (op.kind === "mm") {
      close();
      if (prog.units[op.unit]!.first === oi) out.push({ kind: "unit", unit: op.unit });
    } else {
      close();
      out.push({ kind: "concat", op: oi });
    }
  });
  close();
  // Values read (and cotangents added to) outside their segment: by ops of other stages or splits, as a product's
  // input, the output or a next state.
  const escapes = new Set<number>();
  const node = (r: Ref) => (r.src.kind === "node" ? r.src.index : -1);
  prog.ops.forEach((op, oi) => {
    const args = op.kind === "unary" || op.kind === "split" ? [op.x] : op.kind === "binary" ? [op.a, op.b] : op.kind === "concat" ? op.parts : [];
    for (const a of args) {
      const from = node(a);
      if (from >= 0 && (op.kind === "split" || op.kind === "concat" || segmentOf.get(from) !== segmentOf.get(oi))) escapes.add(from);
    }
  });
  for (const u of prog.units) escapes.add(node(u.x));
  escapes.add(node(prog.out));
  prog.next.forEach((r) => escapes.add(node(r)));
  for (const st of out) if (st.kind === "segment") Object.assign(st, segmentCode(prog.ops, st.ops, st.d, escapes));
  return { plan: out, escapes };
}

// ---------------------------------------------------------------------------

export interface CompileInput {
  /** The loop nodes in evaluation order. */
  loop: LoopNode[];
  out: number;
  states: { placeholder: number; next: number; shape: number[] }[];
  /** Stacked batched values by plan id ([T*N, ...]). */
  stacked: Map<number, Tensor>;
  /** Unbatched values by plan id. */
  fixed: Map<number, Tensor>;
  /** Constant leaves by plan id. */
  consts: Map<number, number>;
}

/**
 * Splits pushed through elementwise ops: split<n>(f(a, b), p) becomes
 * f(split<n>(a, p), split<n>(b, p)) when every use of f(a, b) is a split<n>
 * (scalars are not split). An LSTM's split<4>(W @ h + pre) becomes four adds of
 * quarters, which join the gates' loop instead of a pass over whole rows of
 * their own; splits are views, so nothing is copied.
 */
function pushSplits(c: CompileInput): LoopNode[] {
  let loop = c.loop;
  const roots = new Set([c.out, ...c.states.map((s) => s.next)]);
  const outside = new Map<number, number>();
  for (const [id, t] of c.stacked) outside.set(id, t.rank === 1 ? 1 : size(t.shape.slice(1)));
  for (const [id, t] of c.fixed) outside.set(id, Math.max(1, t.size));
  for (const id of c.consts.keys()) outside.set(id, 1);
  for (const st of c.states) outside.set(st.placeholder, Math.max(1, size(st.shape)));
  let next = Math.max(0, ...loop.map((n) => n.id), ...outside.keys()) + 1;
  for (let changed = true; changed; ) {
    changed = false;
    const widths = new Map(loop.map((n) => [n.id, Math.max(1, size(n.shape))]));
    const width = (id: number) => widths.get(id) ?? outside.get(id);
    const users = new Map<number, LoopNode[]>();
    for (const n of loop) for (const a of n.args) users.set(a, [...(users.get(a) ?? []), n]);
    const x = loop.find((n) => {
      const us = users.get(n.id) ?? [];
      if (!(UNARY[n.op] || BINARY[n.op]) || roots.has(n.id) || us.length === 0) return false;
      if (!us.every((u) => u.op === "split" && Number(u.attrs["n"]) === Number(us[0]!.attrs["n"]))) return false;
      return n.args.every((a) => width(a) === 1 || width(a) === width(n.id));
    });
    if (!x) break;
    const splits = users.get(x.id)!;
    const rewritten: LoopNode[] = [];
    for (const node of loop) {
      if (node === x) continue;
      if (!splits.includes(node)) {
        rewritten.push(node);
        continue;
      }
      const args = x.args.map((a) => {
        if (width(a) === 1) return a;
        const part: LoopNode = { id: next++, op: "split", args: [a], attrs: node.attrs, shape: node.shape };
        rewritten.push(part);
        return part.id;
      });
      rewritten.push({ id: node.id, op: x.op, args, attrs: x.attrs, shape: node.shape });
    }
    loop = rewritten;
    changed = true;
  }
  return loop;
}

/** The fused program of a scan's loop part, or the reason it cannot be fused. */
export function compileFused(input: CompileInput): FusedProgram | string {
  const c: CompileInput = { ...input, loop: pushSplits(input) };
  const nodeIndex = new Map<number, number>();
  const stateIndex = new Map(c.states.map((s, i) => [s.placeholder, i]));
  const pres: number[] = [];
  const fixed: number[] = [];
  const ops: Op[] = [];
  const units: Unit[] = [];
  const unitByKey = new Map<string, number>();
  const vectorish = (shape: number[]) => shape.length <= 1;
  for (const s of c.states) if (!vectorish(s.shape)) return `state of shape [${s.shape.join(", ")}]`;
  const ref = (id: number): Ref | string => {
    const ni = nodeIndex.get(id);
    if (ni !== undefined) return { src: { kind: "node", index: ni }, batched: true, d: Math.max(1, size(c.loop[ni]!.shape)) };
    const si = stateIndex.get(id);
    if (si !== undefined) return { src: { kind: "state", index: si }, batched: true, d: Math.max(1, size(c.states[si]!.shape)) };
    const pre = c.stacked.get(id);
    if (pre) {
      if (pre.dtype !== "float32") return `a ${pre.dtype} step input`;
      if (pre.rank > 2) return `a step input of rank ${pre.rank - 1}`;
      if (!pres.includes(id)) pres.push(id);
      return { src: { kind: "pre", index: pres.indexOf(id) }, batched: true, d: pre.rank === 1 ? 1 : pre.shape[1]! };
    }
    const k = c.consts.get(id);
    if (k !== undefined) return { src: { kind: "const", value: k }, batched: false, d: 1 };
    const f = c.fixed.get(id);
    if (f) {
      if (f.dtype !== "float32") return `a ${f.dtype} parameter`;
      if (!fixed.includes(id)) fixed.push(id);
      return { src: { kind: "fixed", index: fixed.indexOf(id) }, batched: false, d: Math.max(1, f.size) };
    }
    return `argument ${id} has no value`;
  };
  for (const p of c.loop) {
    if (!vectorish(p.shape)) return `${p.op} of shape [${p.shape.join(", ")}]`;
    const d = Math.max(1, size(p.shape));
    const index = ops.length;
    if (p.op === "matmul") {
      const [aId, bId] = p.args as [number, number];
      const wa = c.fixed.get(aId);
      const wb = c.fixed.get(bId);
      const form = wa && wa.rank === 2 && !c.fixed.has(bId) ? "Wx" : wb && wb.rank === 2 && !c.fixed.has(aId) ? "xW" : undefined;
      if (!form) return "a matmul without a weight matrix";
      const w = (form === "Wx" ? wa : wb)!;
      const x = ref(form === "Wx" ? bId : aId);
      if (typeof x === "string") return x;
      const wRef = ref(form === "Wx" ? aId : bId);
      if (typeof wRef === "string") return wRef;
      if (wRef.src.kind !== "fixed" || !x.batched) return "a matmul without a weight matrix";
      const n = form === "Wx" ? w.shape[1]! : w.shape[0]!;
      const width = form === "Wx" ? w.shape[0]! : w.shape[1]!;
      if (x.d !== n || width !== d) return `a matmul of [${w.shape.join(", ")}] with a vector of ${x.d}`;
      const key = `${x.src.kind}:${"index" in x.src ? x.src.index : ""}`;
      let u = unitByKey.get(key);
      if (u === undefined) {
        u = units.length;
        unitByKey.set(key, u);
        units.push({ x, n, M: 0, members: [], first: index });
      }
      const unit = units[u]!;
      unit.members.push({ op: index, fixed: wRef.src.index, form, width, col: unit.M });
      ops.push({ kind: "mm", unit: u, col: unit.M, d });
      unit.M += width;
    } else if (UNARY[p.op]) {
      const x = ref(p.args[0]!);
      if (typeof x === "string") return x;
      if (x.d !== d) return `${p.op} that broadcasts`;
      ops.push({ kind: "unary", fn: p.op, x, d, alpha: Number(p.attrs["alpha"] ?? 0) });
    } else if (BINARY[p.op]) {
      const a = ref(p.args[0]!);
      const b = ref(p.args[1]!);
      if (typeof a === "string") return a;
      if (typeof b === "string") return b;
      if ((a.d !== d && a.d !== 1) || (b.d !== d && b.d !== 1)) return `${p.op} of ${a.d} and ${b.d} elements`;
      ops.push({ kind: "binary", fn: p.op, a, b, d });
    } else if (p.op === "concat") {
      const parts: Ref[] = [];
      for (const a of p.args) {
        const r = ref(a);
        if (typeof r === "string") return r;
        parts.push(r);
      }
      if (parts.reduce((s, r) => s + r.d, 0) !== d) return "concat of mismatched parts";
      ops.push({ kind: "concat", parts, d });
    } else if (p.op === "split") {
      const x = ref(p.args[0]!);
      if (typeof x === "string") return x;
      if (!x.batched) return "split of an unbatched value";
      ops.push({ kind: "split", x, d, begin: Number(p.attrs["index"]) * d });
    } else return `op ${p.op}`;
    nodeIndex.set(p.id, index);
  }
  const out = ref(c.out);
  if (typeof out === "string") return out;
  const next: Ref[] = [];
  for (const s of c.states) {
    const r = ref(s.next);
    if (typeof r === "string") return r;
    next.push(r);
  }
  if (!out.batched || next.some((r) => !r.batched)) return "an unbatched output or state";
  const outNode = nodeIndex.get(c.out);
  const outShape = outNode !== undefined ? c.loop[outNode]!.shape : (c.stacked.get(c.out)?.shape.slice(1) ?? c.states[stateIndex.get(c.out)!]!.shape);
  return { ops, units, pres, fixed, out, next, stateSizes: c.states.map((s) => Math.max(1, size(s.shape))), outShape };
}

/**
 * Runs a compiled scan: the output [N, T, ...out] and the final states [N, ...]
 * as one op whose gradient is the reverse loop described above.
 */
export function runFused(tf: Tf, s: FusedScan): Tensor[] {
  const prog = s.program;
  const N = s.n;
  const T = s.length;
  const order = [...Array(T).keys()];
  if (s.reverse) order.reverse();
  const { plan, escapes } = stages(prog);
  // Values needed after their step (by the backward pass, the next step, or the weight gradients) are kept for
  // all steps (the arena); the others live in a scratch block reused at every step, which stays in cache.
  const rootOf = (r: Ref): number | undefined => {
    let x = r;
    for (;;) {
      if (x.src.kind !== "node") return undefined;
      const op = prog.ops[x.src.index]!;
      if (op.kind !== "split") return x.src.index;
      x = op.x;
    }
  };
  const kept = new Set<number>();
  const keep = (r: Ref) => {
    const oi = rootOf(r);
    if (oi !== undefined) kept.add(oi);
  };
  for (const st of plan) if (st.kind === "segment") st.reads.forEach(keep);
  prog.next.forEach(keep);
  prog.units.forEach((u) => keep(u.x));
  const unitKept = prog.units.map((u) => u.members.some((m) => kept.has(m.op)));
  /** Where each value lives: [kept, offset] in one step of the arena or in the scratch block. */
  const valueAt: [boolean, number][] = [];
  const unitAt: [boolean, number][] = [];
  /**
   * Offsets of the cotangents in the backward pass's per-step buffer: only those
   * read or added to outside their segment (the others live in the loops' locals).
   */
  const cotAt: number[] = [];
  let perStep = 0;
  let scratchSize = 0;
  let cotSize = 0;
  const place = (k: boolean, size: number): [boolean, number] => {
    const at = k ? perStep : scratchSize;
    if (k) perStep += size;
    else scratchSize += size;
    return [k, at];
  };
  prog.ops.forEach((op, oi) => {
    if (op.kind === "unary" || op.kind === "binary" || op.kind === "concat") {
      valueAt[oi] = place(kept.has(oi), N * op.d);
      cotAt[oi] = cotSize;
      if (escapes.has(oi) || op.kind === "concat") cotSize += N * op.d;
    }
  });
  prog.units.forEach((u, ui) => (unitAt[ui] = place(unitKept[ui]!, N * u.M)));
  const inputs = [...s.pres, ...s.init, ...s.fixed];
  const outD = prog.out.d;
  // Filled by the forward pass, read by the backward pass.
  let preData: Float32Array[] = [];
  let fixedData: Float32Array[] = [];
  let maskData: Float32Array | undefined;
  /** Per step (in execution order): each op's value, each state's value before the step. */
  const stepVals: View[][] = [];
  const stepStates: View[][] = [];
  /** The forward pass's values of all steps (returned to the pool after the backward pass). */
  let arena: Float32Array = new Float32Array(0);

  const refView = (r: Ref, vals: View[], states: View[], tt: number): View => {
    const src = r.src;
    switch (src.kind) {
      case "node":
        return vals[src.index]!;
      case "state":
        return states[src.index]!;
      case "pre":
        return { data: preData[src.index]!, off: tt * N * r.d, rs: r.d, cs: 1 };
      case "fixed":
        return { data: fixedData[src.index]!, off: 0, rs: 0, cs: 1 };
      case "const":
        return { data: Float32Array.of(src.value), off: 0, rs: 0, cs: 0 };
    }
  };

  /**
   * The views of one step's ops: segment and concat values in `data[oi]` at
   * `off[oi]`, products' values in their unit's [N, M] block (`unitData[u]` at
   * `unitOff[u]`), splits views of their argument (`parent` gives the view of a
   * split's argument that is no op).
   */
  const layout = (data: Float32Array[], off: number[], unitData: Float32Array[], unitOff: number[], parent: (r: Ref) => View | undefined): View[] => {
    const views: View[] = new Array<View>(prog.ops.length);
    for (let oi = 0; oi < prog.ops.length; oi++) {
      const op = prog.ops[oi]!;
      if (op.kind === "mm") views[oi] = { data: unitData[op.unit]!, off: unitOff[op.unit]! + op.col, rs: prog.units[op.unit]!.M, cs: 1 };
      else if (op.kind === "split") {
        const x = op.x.src.kind === "node" ? views[op.x.src.index]! : parent(op.x)!;
        views[oi] = { data: x.data, off: x.off + op.begin * x.cs, rs: x.rs, cs: x.cs };
      } else views[oi] = { data: data[oi]!, off: off[oi]!, rs: op.d, cs: 1 };
    }
    return views;
  };

  /** A view's N x d elements as a contiguous array (itself when it is one). */
  const contiguous = (v: View, d: number): Float32Array => {
    if (v.rs === d && v.cs === 1) return v.data.subarray(v.off, v.off + N * d);
    const out = fresh(N, d);
    COPY(N, d, v, out);
    return out.data;
  };

  /** a @ b for a JS array a; `use` reads the result at once (it may be a view of the backend's memory). */
  const product = (a: Float32Array, shape: [number, number], b: Tensor, use: (y: Float32Array) => void): void => {
    const at = tf.tensor2d(a, shape);
    const yt = tf.matMul(at, b);
    use(peek(tf, yt));
    tf.dispose([at, yt]);
  };

  /** The units' weights side by side: G [n, M] for the forward pass, G^T [M, n] for dx. */
  const weights = (fixedTensors: Tensor[], transposed: boolean): Tensor[] =>
    prog.units.map((u) => {
      const parts = u.members.map((m) => {
        const w = fixedTensors[m.fixed]!;
        // Wx: rows of G^T are W's rows; xW: columns of G are W's columns.
        return (m.form === "Wx") === transposed ? w : tf.transpose(w);
      });
      return parts.length === 1 ? parts[0]! : tf.concat(parts, transposed ? 0 : 1);
    });

  const forward = (save: (tensors: Tensor[]) => void, recording: boolean): Tensor[] => {
    preData = s.pres.map((t) => copyOf(tf, t));
    fixedData = s.fixed.map((t) => t.dataSync() as Float32Array);
    maskData = s.mask?.dataSync() as Float32Array | undefined;
    const G = weights(s.fixed, false);
    save(weights(s.fixed, true));
    arena = take(T * perStep, false);
    const scratch = take(scratchSize, false);
    let states: View[] = s.init.map((t, i) => ({ data: t.dataSync() as Float32Array, off: 0, rs: prog.stateSizes[i]!, cs: 1 }));
    const outData = take(N * T * outD, false);
    const valueData: Float32Array[] = [];
    const valueOff: number[] = [];
    const unitData: Float32Array[] = [];
    const unitOff: number[] = [];
    for (let k = 0; k < T; k++) {
      const tt = order[k]!;
      const base = k * perStep;
      const current = states;
      for (let oi = 0; oi < prog.ops.length; oi++) {
        const at = valueAt[oi];
        if (!at) continue;
        valueData[oi] = at[0] ? arena : scratch;
        valueOff[oi] = at[0] ? base + at[1] : at[1];
      }
      prog.units.forEach((_, u) => {
        unitData[u] = unitAt[u]![0] ? arena : scratch;
        unitOff[u] = unitAt[u]![0] ? base + unitAt[u]![1] : unitAt[u]![1];
      });
      const vals = layout(valueData, valueOff, unitData, unitOff, (r) => refView(r, [], current, tt));
      const view = (r: Ref) => refView(r, vals, current, tt);
      for (const st of plan) {
        if (st.kind === "segment") {
          st.forward(
            N,
            st.inputs.map((r) => operand(view(r), r, st.d)),
            st.ops.map((oi) => vals[oi]!),
            [],
            [],
            fastExp,
          );
        } else if (st.kind === "unit") {
          const u = prog.units[st.unit]!;
          product(contiguous(view(u.x), u.n), [N, u.n], G[st.unit]!, (y) => unitData[st.unit]!.set(y, unitOff[st.unit]!));
        } else {
          const op = prog.ops[st.op] as Extract<Op, { kind: "concat" }>;
          let col = 0;
          for (const p of op.parts) {
            const y = vals[st.op]!;
            COPY(N, p.d, operand(view(p), p, p.d), { ...y, off: y.off + col });
            col += p.d;
          }
        }
      }
      // The output, and the next states (kept over padded steps).
      COPY(N, outD, view(prog.out), { data: outData, off: tt * outD, rs: T * outD, cs: 1 });
      if (recording) {
        stepVals.push(vals);
        stepStates.push(current);
      }
      states = prog.next.map((r, si) => {
        const v = view(r);
        if (!maskData) return v;
        const d = prog.stateSizes[si]!;
        const held = fresh(N, d);
        const prev = current[si]!;
        for (let i = 0; i < N; i++) {
          const from = maskData[i * T + tt] === 0 ? prev : v;
          COPY(1, d, { ...from, off: from.off + i * from.rs }, { ...held, off: i * d });
        }
        return held;
      });
    }
    const outTensor = tensorOfScratch(tf, outData, [N, T, ...prog.outShape]);
    const finals = states.map((v, si) => tf.tensor(contiguous(v, prog.stateSizes[si]!).slice(), s.init[si]!.shape));
    give([scratch]);
    // Without a backward pass to come, nothing of the forward pass is needed any more.
    if (!recording) give([arena, ...preData]);
    return [outTensor, ...finals];
  };

  const backward = (dys: Tensor[], saved: Tensor[]): (() => Tensor)[] => {
    const GT = saved;
    const dOut = copyOf(tf, dys[0]!);
    const dPre = prog.pres.map((_, i) => take(preData[i]!.length, true));
    const dFixed = fixedData.map((f) => new Float32Array(f.length));
    /** Each unit's output cotangents of all steps, [T*N, M] in execution order. */
    const dY = prog.units.map((u) => take(T * N * u.M, true));
    const buffer = take(cotSize, false);
    const cotData = prog.ops.map(() => buffer);
    const dYOff = (k: number) => prog.units.map((u) => k * N * u.M);
    // Cotangents of the states after the current step and before it (two blocks used in turn).
    const stateCots = [0, 1].map(() => prog.stateSizes.map((d): View => ({ data: take(N * d, false), off: 0, rs: d, cs: 1 })));
    let dState: View[] = prog.stateSizes.map((d, si) => ({ data: dys[1 + si]!.dataSync() as Float32Array, off: 0, rs: d, cs: 1 }));
    for (let k = T - 1; k >= 0; k--) {
      const tt = order[k]!;
      const vals = stepVals[k]!;
      const states = stepStates[k]!;
      const dPrev = stateCots[k % 2]!;
      for (const v of dPrev) v.data.fill(0);
      buffer.fill(0);
      const cotOf = (r: Ref): View | undefined => {
        const src = r.src;
        switch (src.kind) {
          case "node":
            return cot[src.index];
          case "state":
            return dPrev[src.index];
          case "pre":
            return { data: dPre[src.index]!, off: tt * N * r.d, rs: r.d, cs: 1 };
          case "fixed":
            return { data: dFixed[src.index]!, off: 0, rs: 0, cs: 1 };
          case "const":
            return undefined;
        }
      };
      const cot = layout(cotData, cotAt, dY, dYOff(k), (r) => cotOf(r));
      const view = (r: Ref) => refView(r, vals, states, tt);
      // Seeds: the output's cotangent at this step, the next states' (or the previous ones' over padding).
      const o = cotOf(prog.out);
      if (o) ACCUMULATE(N, outD, { data: dOut, off: tt * outD, rs: T * outD, cs: 1 }, o);
      prog.next.forEach((r, si) => {
        const d = prog.stateSizes[si]!;
        const target = cotOf(r);
        const g = dState[si]!;
        if (!maskData) {
          if (target) ACCUMULATE(N, d, g, target);
          return;
        }
        for (let i = 0; i < N; i++) {
          const to = maskData[i * T + tt] === 0 ? dPrev[si]! : target;
          if (to) ACCUMULATE(1, d, { ...g, off: g.off + i * g.rs }, { ...to, off: to.off + i * to.rs });
        }
      });
      for (let si = plan.length - 1; si >= 0; si--) {
        const st = plan[si]!;
        if (st.kind === "segment") {
          st.backward(
            N,
            st.inputs.map((r) => operand(view(r), r, st.d)),
            st.ops.map((oi) => vals[oi]!),
            st.inputs.map((r) => operand(cotOf(r)!, r, st.d)),
            st.ops.map((oi) => cot[oi]!),
            fastExp,
          );
        } else if (st.kind === "unit") {
          const u = prog.units[st.unit]!;
          const dx = cotOf(u.x)!;
          const rows = dY[st.unit]!.subarray(k * N * u.M, (k + 1) * N * u.M);
          product(rows, [N, u.M], GT[st.unit]!, (y) => ACCUMULATE(N, u.n, { data: y, off: 0, rs: u.n, cs: 1 }, dx));
        } else {
          const op = prog.ops[st.op] as Extract<Op, { kind: "concat" }>;
          const g = cot[st.op]!;
          let col = 0;
          for (const p of op.parts) {
            const dp = cotOf(p);
            if (dp) ACCUMULATE(N, p.d, { ...g, off: g.off + col }, operand(dp, p, p.d));
            col += p.d;
          }
        }
      }
      dState = dPrev;
    }
    // Weight gradients: for each unit, dG = X^T @ dY over all steps at once.
    prog.units.forEach((u, ui) => {
      const xT = take(u.n * T * N, false);
      for (let k = 0; k < T; k++) COPY(N, u.n, refView(u.x, stepVals[k]!, stepStates[k]!, order[k]!), { data: xT, off: k * N, rs: 1, cs: T * N });
      const dYt = tf.tensor2d(dY[ui]!, [T * N, u.M]);
      product(xT, [u.n, T * N], dYt, (dG) => {
        for (const m of u.members) {
          // Wx: dW [width, n] is dG's columns transposed; xW: dW [n, width] is dG's columns.
          const target: View = m.form === "Wx" ? { data: dFixed[m.fixed]!, off: 0, rs: 1, cs: u.n } : { data: dFixed[m.fixed]!, off: 0, rs: m.width, cs: 1 };
          ACCUMULATE(u.n, m.width, { data: dG, off: m.col, rs: u.M, cs: 1 }, target);
        }
      });
      dYt.dispose();
      give([xT]);
    });
    const dInit = dState.map((v) => v.data.slice());
    give([arena, buffer, dOut, ...dY, ...preData, ...stateCots.flatMap((c) => c.map((v) => v.data))]);
    arena = new Float32Array(0);
    stepVals.length = 0;
    stepStates.length = 0;
    return [
      ...s.pres.map((t, i) => () => tensorOfScratch(tf, dPre[i]!, t.shape)),
      ...s.init.map((t, i) => () => tf.tensor(dInit[i]!, t.shape)),
      ...s.fixed.map((t, i) => () => tf.tensor(dFixed[i]!, t.shape)),
    ];
  };

  return customOp(tf, inputs, forward, backward);
}
