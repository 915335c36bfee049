/**
 * Faster scans for the tfjs executor.
 *
 * 1. Hoisting: a scan body is split into the nodes that depend on the
 *    recurrent state (or a context) and those that depend only on the step's
 *    inputs and parameters. The latter are computed for all steps at once
 *    before the loop (the time axis folded into the batch axis). A product of a
 *    parameter with a concatenation, W @ concat(h, x), is first split into
 *    W[:, :H] @ h + W[:, H:] @ x, and sums are re-associated so that the terms
 *    without state are added outside the loop: the input projection and the
 *    bias of an LSTM or GRU leave the loop.
 * 2. A whole-scan gradient (tf.customGrad): the recurrent part runs as one
 *    taped operation whose backward pass is written here, node by node, in
 *    reverse over time. The gradients of parameters are not accumulated step by
 *    step: each parameter's contributions are stacked over time and reduced by
 *    one product (dW = dz^T @ h over all steps).
 *
 * Both fall back (return undefined) for bodies they do not handle, and the
 * executor's plain loop runs instead.
 */
import type * as tfTypes from "@tensorflow/tfjs";
import type { Attr, Dim, Node, Scan } from "../../graph/graph.js";
import type { OpKind } from "../../ir/ops.js";
import type { Tf } from "./engine.js";
import { maskedStates, TF_OPS, unstackSteps, type Arg } from "./ops.js";

type Tensor = tfTypes.Tensor;

export interface ExecOptions {
  /** Hoist the state-independent part of scan bodies out of the loop (with the W @ concat split). */
  hoist: boolean;
  /** Run the recurrent part of a scan as one tf.customGrad with a hand-written backward pass (needs hoist). */
  fusedScan: boolean;
}

/**
 * Hoisting is on by default. The fused whole-scan gradient is off: on the char-LM
 * benchmark it measured no faster than the taped loop (per-op overhead dominates),
 * so the simpler path is the default until it pays (bench/tfjs.ts --ablation measures both).
 */
export const DEFAULT_EXEC_OPTIONS: ExecOptions = { hoist: true, fusedScan: false };

/** What the executor provides. */
export interface ScanEnv {
  tf: Tf;
  /** A parameter's tensor by node id, if the id is a parameter. */
  param(id: number): Tensor | undefined;
  dim(d: Dim): number;
  /** An op node's attributes for evaluation (one_hot's depth filled in). */
  attrs(node: Extract<Node, { kind: "op" }>): Record<string, Attr>;
}

type PKind = OpKind | "wslice";

interface PNode {
  id: number;
  op: PKind;
  args: number[];
  attrs: Record<string, Attr>;
  batched: boolean;
  /** Element shape (no batch axis). */
  shape: number[];
  /** Depends on a state or a context: evaluated in the loop. */
  rec: boolean;
}

interface Leaf {
  kind: "param" | "const" | "step" | "state" | "ctx";
  batched: boolean;
  shape: number[];
  value?: number;
}

interface Plan {
  nodes: PNode[];
  leaves: Map<number, Leaf>;
  /** Live nodes (needed by out or a next state). */
  live: Set<number>;
}

function broadcastShape(a: number[], b: number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** The plan of a scan body, or undefined if it has nodes this module does not handle. */
function makePlan(scan: Scan, env: ScanEnv, split: boolean): Plan | undefined {
  const leaves = new Map<number, Leaf>();
  const nodes: PNode[] = [];
  const byId = new Map<number, PNode>();
  const info = (id: number): { batched: boolean; shape: number[]; rec: boolean } | undefined => {
    const l = leaves.get(id);
    if (l) return { batched: l.batched, shape: l.shape, rec: l.kind === "state" || l.kind === "ctx" };
    const p = byId.get(id);
    if (p) return p;
    const w = env.param(id);
    if (w) {
      leaves.set(id, { kind: "param", batched: false, shape: w.shape });
      return { batched: false, shape: w.shape, rec: false };
    }
    return undefined;
  };
  const roles = new Map<number, "step" | "ctx" | "state">();
  for (const s of scan.seq) roles.set(s.placeholder, "step");
  for (const c of scan.ctx) roles.set(c.placeholder, "ctx");
  for (const s of scan.states) roles.set(s.placeholder, "state");
  for (const n of scan.body) {
    const shape = n.shape.map((d) => env.dim(d));
    if (n.kind === "placeholder") leaves.set(n.id, { kind: roles.get(n.id) ?? n.role, batched: true, shape });
    else if (n.kind === "const") leaves.set(n.id, { kind: "const", batched: false, shape: [], value: n.value });
    else if (n.kind === "op") {
      if (n.lead !== 0) return undefined;
      const argInfo = n.args.map(info);
      if (argInfo.some((a) => a === undefined)) return undefined;
      const p: PNode = { id: n.id, op: n.op, args: n.args, attrs: env.attrs(n), batched: n.batched, shape, rec: argInfo.some((a) => a!.rec) };
      nodes.push(p);
      byId.set(n.id, p);
    } else return undefined;
  }
  let next = Math.max(0, ...scan.body.map((n) => n.id)) + 1_000_000;
  const fresh = (op: PKind, args: number[], attrs: Record<string, Attr> = {}): PNode => {
    const ai = args.map((a) => info(a)!);
    let shape: number[];
    if (op === "wslice") shape = attrs["axis"] === 1 ? [ai[0]!.shape[0]!, Number(attrs["size"])] : [Number(attrs["size"]), ai[0]!.shape[1]!];
    else if (op === "matmul") shape = matmulShape(ai[0]!.shape, ai[1]!.shape);
    else shape = broadcastShape(ai[0]!.shape, ai[1]!.shape);
    const p: PNode = { id: next++, op, args, attrs, batched: ai.some((a) => a.batched), shape, rec: ai.some((a) => a.rec) };
    byId.set(p.id, p);
    return p;
  };
  const consumers = (id: number, list: PNode[]) => list.filter((p) => p.args.includes(id)).length + (scan.out === id ? 1 : 0) + scan.states.filter((s) => s.next === id).length;

  if (split) {
    // W @ concat(parts) -> sum of W[:, part] @ part, when the parts mix state and inputs.
    const rewritten: PNode[] = [];
    for (const p of nodes) {
      const [wId, cId] = p.args as [number, number];
      const c = byId.get(cId);
      const w = leaves.get(wId);
      if (p.op === "matmul" && w?.kind === "param" && w.shape.length === 2 && c?.op === "concat" && c.args.length > 1 && c.shape.length === 1) {
        const parts = c.args.map((a) => ({ id: a, ...info(a)! }));
        if (parts.some((q) => q.rec) && parts.some((q) => !q.rec) && parts.every((q) => q.shape.length === 1)) {
          let offset = 0;
          const terms: PNode[] = [];
          for (const q of parts) {
            const slice = fresh("wslice", [wId], { axis: 1, begin: offset, size: q.shape[0]! });
            offset += q.shape[0]!;
            rewritten.push(slice);
            const m = fresh("matmul", [slice.id, q.id]);
            rewritten.push(m);
            terms.push(m);
          }
          const sum = sumOf(terms, fresh, p);
          for (const q of sum) byId.set(q.id, q);
          rewritten.push(...sum);
          continue;
        }
      }
      rewritten.push(p);
    }
    nodes.splice(0, nodes.length, ...rewritten);
    // Re-associate sums: add(add(rec, pre), pre') -> add(rec, add(pre, pre')).
    const reassoc: PNode[] = [];
    for (const p of nodes) {
      if (p.op !== "add" || !p.rec) {
        reassoc.push(p);
        continue;
      }
      const terms: number[] = [];
      const walk = (id: number) => {
        const q = byId.get(id);
        if (q && q.op === "add" && q.rec && consumers(id, nodes) === 1) q.args.forEach(walk);
        else terms.push(id);
      };
      p.args.forEach(walk);
      const pre = terms.filter((t) => !info(t)!.rec);
      const rec = terms.filter((t) => info(t)!.rec);
      if (pre.length === 0 || terms.length === 2) {
        reassoc.push(p);
        continue;
      }
      const built: PNode[] = [];
      const chain = (ids: number[]): number =>
        ids.slice(1).reduce((acc, id) => {
          const q = fresh("add", [acc, id]);
          built.push(q);
          return q.id;
        }, ids[0]!);
      const preSum = chain(pre);
      const recSum = chain(rec);
      const root: PNode = { ...p, args: [recSum, preSum] };
      byId.set(root.id, root);
      reassoc.push(...built, root);
    }
    nodes.splice(0, nodes.length, ...reassoc);
  }
  // Liveness, from the output and the next states.
  const live = new Set<number>();
  const visit = (id: number) => {
    if (live.has(id)) return;
    live.add(id);
    byId.get(id)?.args.forEach(visit);
  };
  visit(scan.out);
  for (const s of scan.states) visit(s.next);
  return { nodes: nodes.filter((p) => live.has(p.id)), leaves, live };
}

function matmulShape(a: number[], b: number[]): number[] {
  return [...a.slice(0, -1), ...b.slice(1)];
}

/** The sum of terms as adds, the last one taking the id of `replacing`. */
function sumOf(terms: PNode[], fresh: (op: PKind, args: number[]) => PNode, replacing: PNode): PNode[] {
  const out: PNode[] = [];
  let acc = terms[0]!.id;
  for (let i = 1; i < terms.length - 1; i++) {
    const q = fresh("add", [acc, terms[i]!.id]);
    out.push(q);
    acc = q.id;
  }
  out.push({ ...replacing, op: "add", args: [acc, terms[terms.length - 1]!.id], attrs: {}, rec: terms.some((t) => t.rec) });
  return out;
}

/** Evaluates one plan node given its arguments. */
function evalPNode(tf: Tf, p: PNode, args: Arg[], batched: boolean): Tensor {
  if (p.op === "wslice") {
    const w = args[0]!.t;
    const begin = Number(p.attrs["begin"]);
    const size = Number(p.attrs["size"]);
    return p.attrs["axis"] === 1 ? tf.slice(w, [0, begin], [-1, size]) : tf.slice(w, [begin, 0], [size, -1]);
  }
  return TF_OPS[p.op](args, { tf, attrs: p.attrs, batched, rank: p.shape.length });
}

/** The values of pre nodes (without state), evaluated once: unbatched ones plain, batched ones over [T*N]. */
function hoist(env: ScanEnv, scan: Scan, plan: Plan, seqs: Tensor[]): { fixed: Map<number, Tensor>; stacked: Map<number, Tensor>; length: number; n: number } {
  const tf = env.tf;
  const fixed = new Map<number, Tensor>();
  const stacked = new Map<number, Tensor>();
  const n = seqs[0]!.shape[0]!;
  const length = seqs[0]!.shape[1]!;
  // Step inputs time-major: [T, N, ...] folded to [T*N, ...].
  scan.seq.forEach((s, i) => {
    const t = seqs[i]!;
    const perm = [1, 0, ...Array.from({ length: t.rank - 2 }, (_, k) => k + 2)];
    stacked.set(s.placeholder, tf.transpose(t, perm).reshape([length * n, ...t.shape.slice(2)]));
  });
  for (const [id, l] of plan.leaves) {
    if (l.kind === "param") fixed.set(id, env.param(id)!);
    else if (l.kind === "const") fixed.set(id, tf.scalar(l.value!));
  }
  for (const p of plan.nodes) {
    if (p.rec) continue;
    const args = p.args.map((a) => argOf(a, fixed, stacked));
    const out = evalPNode(tf, p, args, p.batched);
    (p.batched ? stacked : fixed).set(p.id, out);
  }
  return { fixed, stacked, length, n };
}

function argOf(id: number, fixed: Map<number, Tensor>, batched: Map<number, Tensor>): Arg {
  const b = batched.get(id);
  if (b) return { t: b, batched: true };
  const f = fixed.get(id);
  if (!f) throw new Error(`optimize: node ${id} has no value`);
  return { t: f, batched: false };
}

/** Pre values (batched) needed in the loop: consumed by a rec node, or the output / a next state. */
function boundary(scan: Scan, plan: Plan, stacked: Map<number, Tensor>): number[] {
  const used = new Set<number>();
  for (const p of plan.nodes) if (p.rec) for (const a of p.args) if (stacked.has(a)) used.add(a);
  if (stacked.has(scan.out)) used.add(scan.out);
  for (const s of scan.states) if (stacked.has(s.next)) used.add(s.next);
  return [...used];
}

export interface ScanResult {
  out: Tensor;
  states: Map<string, Tensor>;
}

/**
 * Runs a scan (no mapped axes: seqs are [N, T, ...], initial states [N, ...])
 * with hoisting, and with the whole-scan gradient when asked and possible;
 * undefined when the body is not handled.
 */
export function runOptimizedScan(env: ScanEnv, scan: Scan, seqs: Tensor[], init: Tensor[], mask: Tensor | undefined, opts: ExecOptions): ScanResult | undefined {
  if (!opts.hoist || seqs.length === 0) return undefined;
  const plan = makePlan(scan, env, true);
  if (!plan) return undefined;
  if (plan.nodes.every((p) => p.rec)) return undefined; // nothing to hoist
  const tf = env.tf;
  const { fixed, stacked, length, n } = hoist(env, scan, plan, seqs);
  const bound = boundary(scan, plan, stacked);
  const order = [...Array(length).keys()];
  if (scan.reverse) order.reverse();
  if (process.env["SEQC_OPT_DEBUG"]) console.error(`optimize: scan ${scan.name}: ${plan.nodes.filter((p) => !p.rec).length} hoisted, ${plan.nodes.filter((p) => p.rec).length} in the loop: ${plan.nodes.filter((p) => p.rec).map((p) => p.op).join(" ")}; fused ${opts.fusedScan && !mask && fusable(plan, scan)}`);
  if (opts.fusedScan && !mask && fusable(plan, scan)) return fusedScan(env, scan, plan, fixed, stacked, bound, init, length, n, order);
  const perStep = new Map(bound.map((id) => [id, unstackSteps(tf, stacked.get(id)!.reshape([length, n, ...stacked.get(id)!.shape.slice(1)]), 0)]));
  let current = init;
  const outs: Tensor[] = new Array<Tensor>(length);
  for (const t of order) {
    const vals = new Map<number, Tensor>();
    for (const [id, steps] of perStep) vals.set(id, steps[t]!);
    scan.states.forEach((s, i) => vals.set(s.placeholder, current[i]!));
    for (const p of plan.nodes) {
      if (!p.rec) continue;
      vals.set(p.id, evalPNode(tf, p, p.args.map((a) => argOf(a, fixed, vals)), true));
    }
    outs[t] = vals.get(scan.out) ?? fixed.get(scan.out)!;
    const next = scan.states.map((s) => vals.get(s.next)!);
    current = mask ? maskedStates(tf, mask, t, current, next) : next;
  }
  return { out: tf.stack(outs, 1), states: new Map(scan.states.map((s, i) => [s.name, current[i]!])) };
}

const FUSABLE = new Set<PKind>(["add", "sub", "mul", "div", "neg", "sigmoid", "tanh", "relu", "matmul", "concat", "split"]);

/** Whether every loop node has a backward rule here. */
function fusable(plan: Plan, scan: Scan): boolean {
  const isBatched = (id: number) => plan.leaves.get(id)?.batched ?? plan.nodes.find((p) => p.id === id)?.batched ?? false;
  const rank = (id: number) => plan.leaves.get(id)?.shape.length ?? plan.nodes.find((p) => p.id === id)?.shape.length ?? -1;
  if (plan.leaves.get(scan.out)?.kind === "param" || plan.leaves.get(scan.out)?.kind === "const") return false;
  for (const p of plan.nodes) {
    if (!p.rec) continue;
    if (!FUSABLE.has(p.op)) return false;
    if (p.op === "matmul") {
      const [a, b] = p.args as [number, number];
      const ok = (!isBatched(a) && rank(a) === 2 && isBatched(b) && rank(b) === 1) || (isBatched(a) && rank(a) === 1 && !isBatched(b) && rank(b) === 2);
      if (!ok) return false;
    }
    if (p.op === "split" && p.shape.length !== 1) return false;
  }
  return true;
}

/** Sums a gradient over the axes along which an argument was broadcast, back to its shape. */
function reduceTo(tf: Tf, g: Tensor, a: Arg, rank: number): Tensor {
  let shape = a.t.shape;
  if (a.batched && shape.length - 1 < rank) shape = [shape[0]!, ...Array<number>(rank - (shape.length - 1)).fill(1), ...shape.slice(1)];
  const off = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) if (i < off || (shape[i - off] === 1 && g.shape[i] !== 1)) axes.push(i);
  if (axes.length === 0) return g.shape.join() === a.t.shape.join() ? g : g.reshape(a.t.shape);
  return tf.sum(g, axes, true).reshape(a.t.shape);
}

/** An argument reshaped as the forward rule saw it (batched ones padded with unit axes up to the result's rank). */
function alignedOf(a: Arg, rank: number): Tensor {
  if (!a.batched || a.t.rank - 1 === rank) return a.t;
  const [n, ...elem] = a.t.shape;
  return a.t.reshape([n!, ...Array<number>(rank - elem.length).fill(1), ...elem]);
}

/** The gradient with respect to argument k of a plan node, given the output gradient, the arguments and the output. */
function vjp(tf: Tf, p: PNode, k: number, gy: Tensor, args: Arg[], y: Tensor): Tensor {
  const rank = p.shape.length;
  const a = args[0]!;
  const b = args[1];
  switch (p.op) {
    case "add":
      return reduceTo(tf, gy, args[k]!, rank);
    case "sub":
      return reduceTo(tf, k === 0 ? gy : tf.neg(gy), args[k]!, rank);
    case "mul":
      return reduceTo(tf, tf.mul(gy, alignedOf(args[1 - k]!, rank)), args[k]!, rank);
    case "div": {
      const bb = alignedOf(b!, rank);
      if (k === 0) return reduceTo(tf, tf.div(gy, bb), a, rank);
      return reduceTo(tf, tf.neg(tf.div(tf.mul(gy, y), bb)), b!, rank);
    }
    case "neg":
      return tf.neg(gy);
    case "sigmoid":
      return tf.mul(gy, tf.mul(y, tf.sub(1, y)));
    case "tanh":
      return tf.mul(gy, tf.sub(1, tf.square(y)));
    case "relu":
      return tf.mul(gy, tf.step(y));
    case "matmul": {
      if (!a.batched) {
        // y = x W^T: dW = gy^T x, dx = gy W
        return k === 0 ? tf.matMul(gy, b!.t, true, false) : tf.matMul(gy, a.t);
      }
      // y = x W: dx = gy W^T, dW = x^T gy
      return k === 0 ? tf.matMul(gy, b!.t, false, true) : tf.matMul(a.t, gy, true, false);
    }
    case "concat": {
      let offset = 0;
      for (let i = 0; i < k; i++) offset += args[i]!.t.shape[args[i]!.t.rank - 1]!;
      const width = args[k]!.t.shape[args[k]!.t.rank - 1]!;
      const part = tf.slice(gy, [...Array<number>(gy.rank - 1).fill(0), offset], [...Array<number>(gy.rank - 1).fill(-1), width]);
      return args[k]!.batched ? part : tf.sum(part, 0);
    }
    default:
      throw new Error(`optimize: no backward rule for ${p.op}`);
  }
}

function fusedScan(
  env: ScanEnv,
  scan: Scan,
  plan: Plan,
  fixed: Map<number, Tensor>,
  stacked: Map<number, Tensor>,
  bound: number[],
  init: Tensor[],
  length: number,
  n: number,
  order: number[],
): ScanResult {
  const tf = env.tf;
  const rec = plan.nodes.filter((p) => p.rec);
  const byId = new Map(plan.nodes.map((p) => [p.id, p]));
  // Unbatched values used in the loop (params, their slices, constants, pre nodes without inputs).
  const consts = [...new Set(rec.flatMap((p) => p.args).filter((a) => fixed.has(a)))];
  const stateIds = scan.states.map((s) => s.placeholder);
  const outShape = (byId.get(scan.out)?.shape ?? plan.leaves.get(scan.out)!.shape) as number[];
  const outSize = outShape.reduce((x, y) => x * y, 1);
  const stateShapes = init.map((t) => t.shape.slice(1));
  const stateSizes = stateShapes.map((s) => s.reduce((x, y) => x * y, 1));
  const inputs: Tensor[] = [...bound.map((id) => stacked.get(id)!.reshape([length, n, ...stacked.get(id)!.shape.slice(1)])), ...consts.map((id) => fixed.get(id)!), ...init];
  // Loop values per step, in this order (what the backward pass needs).
  const kept = [...bound, ...stateIds, ...rec.map((p) => p.id)];
  const splitParts = (id: number) => rec.filter((p) => p.op === "split" && p.args[0] === id);

  const f = tf.customGrad(((...xs: unknown[]) => {
    const save = xs[xs.length - 1] as (ts: Tensor[]) => void;
    const ins = xs.slice(0, -1) as Tensor[];
    const perStep = bound.map((_, i) => unstackSteps(tf, ins[i]!, 0));
    const constVals = new Map(consts.map((id, i) => [id, ins[bound.length + i]!]));
    let current = ins.slice(bound.length + consts.length);
    const outs: Tensor[] = new Array<Tensor>(length);
    const saved: Tensor[] = [];
    for (const t of order) {
      const vals = new Map<number, Tensor>();
      bound.forEach((id, i) => vals.set(id, perStep[i]![t]!));
      stateIds.forEach((id, i) => vals.set(id, current[i]!));
      for (const p of rec) vals.set(p.id, evalPNode(tf, p, p.args.map((a) => argOf(a, constVals, vals)), true));
      outs[t] = vals.get(scan.out)!;
      current = scan.states.map((s) => vals.get(s.next)!);
      for (const id of kept) saved.push(vals.get(id)!);
    }
    const packed = tf.concat([tf.stack(outs, 1).reshape([n, length * outSize]), ...current.map((c, i) => c.reshape([n, stateSizes[i]!]))], 1);
    save([...saved, ...ins]);
    const gradFunc = (dy: Tensor, savedTs: Tensor[]): Tensor[] => backward(dy, savedTs);
    return { value: packed, gradFunc };
  }) as unknown as Parameters<Tf["customGrad"]>[0]);

  const backward = (dy: Tensor, saved: Tensor[]): Tensor[] => {
    const ins = saved.slice(length * kept.length);
    const constVals = new Map(consts.map((id, i) => [id, ins[bound.length + i]!]));
    const stepVals = (t: number) => {
      const pos = order.indexOf(t);
      const m = new Map<number, Tensor>();
      kept.forEach((id, j) => m.set(id, saved[pos * kept.length + j]!));
      return m;
    };
    const dOut = unstackSteps(tf, tf.slice(dy, [0, 0], [n, length * outSize]).reshape([n, length, ...outShape]), 1);
    let offset = length * outSize;
    let dState: (Tensor | undefined)[] = stateSizes.map((size, i) => {
      const s = tf.slice(dy, [0, offset], [n, size]).reshape([n, ...stateShapes[i]!]);
      offset += size;
      return s;
    });
    const dBound: Tensor[][] = bound.map(() => new Array<Tensor>(length));
    const deferred = new Map<string, { p: PNode; k: number; gys: Tensor[]; args: Arg[][]; ys: Tensor[] }>();
    for (const t of [...order].reverse()) {
      const vals = stepVals(t);
      const g = new Map<number, Tensor>();
      const parts = new Map<number, Tensor[]>();
      const acc = (id: number, x: Tensor) => {
        const prev = g.get(id);
        g.set(id, prev ? tf.add(prev, x) : x);
      };
      const take = (id: number): Tensor | undefined => {
        const ps = parts.get(id);
        if (ps) {
          const pieces = splitParts(id);
          const count = Number(pieces[0]!.attrs["n"]);
          const val = vals.get(id) ?? constVals.get(id)!;
          const width = val.shape[val.rank - 1]! / count;
          const full = Array.from({ length: count }, (_, i) => ps[i] ?? tf.zeros([...val.shape.slice(0, -1), width]));
          acc(id, tf.concat(full, -1));
          parts.delete(id);
        }
        return g.get(id);
      };
      acc(scan.out, dOut[t]!);
      scan.states.forEach((s, i) => {
        if (dState[i]) acc(s.next, dState[i]!);
      });
      for (let r = rec.length - 1; r >= 0; r--) {
        const p = rec[r]!;
        const gy = take(p.id);
        if (!gy) continue;
        if (p.op === "split") {
          const list = parts.get(p.args[0]!) ?? [];
          list[Number(p.attrs["index"])] = gy;
          parts.set(p.args[0]!, list);
          continue;
        }
        const args = p.args.map((a) => argOf(a, constVals, vals));
        const y = vals.get(p.id)!;
        p.args.forEach((a, k) => {
          if (constVals.has(a)) {
            const key = `${p.id}:${k}`;
            const d = deferred.get(key) ?? { p, k, gys: [], args: [], ys: [] };
            d.gys.push(gy);
            d.args.push(args);
            d.ys.push(y);
            deferred.set(key, d);
          } else acc(a, vjp(tf, p, k, gy, args, y));
        });
      }
      dState = stateIds.map((id) => take(id));
      bound.forEach((id, i) => {
        dBound[i]![t] = take(id) ?? tf.zeros(vals.get(id)!.shape);
      });
    }
    // Parameters and constants: each node's contributions over all steps at once.
    const dConst = new Map<number, Tensor>();
    for (const d of deferred.values()) {
      const gy = tf.concat(d.gys, 0);
      const y = tf.concat(d.ys, 0);
      const args = d.args[0]!.map((a, i) => (a.batched ? { t: tf.concat(d.args.map((s) => s[i]!.t), 0), batched: true } : a));
      const grad = vjp(tf, d.p, d.k, gy, args, y);
      const id = d.p.args[d.k]!;
      const prev = dConst.get(id);
      dConst.set(id, prev ? tf.add(prev, grad) : grad);
    }
    return [
      ...dBound.map((steps) => tf.stack(steps, 0)),
      ...consts.map((id) => dConst.get(id) ?? tf.zerosLike(constVals.get(id)!)),
      ...init.map((t, i) => dState[i] ?? tf.zeros(t.shape)),
    ];
  };

  const packed = f(...inputs) as Tensor;
  const out = tf.slice(packed, [0, 0], [n, length * outSize]).reshape([n, length, ...outShape]);
  let offset = length * outSize;
  const states = new Map<string, Tensor>();
  scan.states.forEach((s, i) => {
    states.set(s.name, tf.slice(packed, [0, offset], [n, stateSizes[i]!]).reshape([n, ...stateShapes[i]!]));
    offset += stateSizes[i]!;
  });
  return { out, states };
}
