/**
 * Faster scans for the tfjs executor.
 *
 * 1. Hoisting (ExecOptions.hoist): a scan body is split into the nodes that
 *    depend on the recurrent state (or a context) and those that depend only on
 *    the step's inputs and parameters. The latter are computed for all steps at
 *    once before the loop (the time axis folded into the batch axis). A product
 *    of a parameter with a concatenation, W @ concat(h, x), is first split into
 *    W[:, :H] @ h + W[:, H:] @ x, and sums are re-associated so that the terms
 *    without state are added outside the loop: the input projection and the
 *    bias of an LSTM or GRU leave the loop.
 * 2. Fusion (ExecOptions.fuse): the loop part then runs as one op with its own
 *    gradient (fused.ts), when its ops allow it; else the loop below runs it
 *    op by op on the tape.
 *
 * Where the time went, on the wasm backend (the benchmark's char-LM LSTM,
 * B=32, T=50, H=128): ~80% of a step was tfjs's gradient of matMul, whose
 * transposed products wasm runs ~10x slower than plain ones (see custom.ts;
 * ops.ts now avoids them); then ~45 small ops per step at ~10-40 us each of
 * bookkeeping and dispatch, forwards and backwards, which the fused scan
 * replaces with a couple of generated JS loops per step and one product per
 * step each way. Hoisting alone measured no faster (unstacking the hoisted
 * [T*N, ...] values costs what it saves).
 *
 * runOptimizedScan returns undefined for bodies it does not handle, and the
 * executor's plain loop runs instead. SEQC_OPT_DEBUG=1 says which path each
 * scan took and why a scan was not fused.
 */
import type * as tfTypes from "@tensorflow/tfjs";
import type { Attr, Dim, Node, Scan } from "../../graph/graph.js";
import type { OpKind } from "../../ir/ops.js";
import type { Tf } from "./engine.js";
import { compileFused, runFused } from "./fused.js";
import { batchOfN, maskedStates, reshapeOneHot, TF_OPS, unstackSteps, type Arg } from "./ops.js";

type Tensor = tfTypes.Tensor;

export interface ExecOptions {
  /** Hoist the state-independent part of scan bodies out of the loop (with the W @ concat split). */
  hoist: boolean;
  /**
   * Run the loop part of a hoisted scan as one op with its own gradient (fused.ts):
   * elementwise work in JS, weight gradients as one product over all steps.
   */
  fuse: boolean;
}

export const DEFAULT_EXEC_OPTIONS: ExecOptions = { hoist: true, fuse: true };

/** What the executor provides. */
export interface ScanEnv {
  tf: Tf;
  /** The forward pass's memo of transposed weights (OpContext.transposes). */
  transposes?: Map<Tensor, Tensor>;
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
function makePlan(scan: Scan, env: ScanEnv): Plan | undefined {
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

  {
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
  return { nodes: nodes.filter((p) => live.has(p.id)), leaves };
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
function evalPNode(env: ScanEnv, p: PNode, args: Arg[], batched: boolean): Tensor {
  const tf = env.tf;
  if (p.op === "wslice") {
    const w = args[0]!.t;
    const begin = Number(p.attrs["begin"]);
    const size = Number(p.attrs["size"]);
    return p.attrs["axis"] === 1 ? tf.slice(w, [0, begin], [-1, size]) : tf.slice(w, [begin, 0], [size, -1]);
  }
  return TF_OPS[p.op](args, { tf, attrs: p.attrs, batched, rank: p.shape.length, ...(env.transposes ? { transposes: env.transposes } : {}) });
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
    stacked.set(s.placeholder, reshapeOneHot(tf, t, [length * n, ...t.shape.slice(2)], perm));
  });
  for (const [id, l] of plan.leaves) {
    if (l.kind === "param") fixed.set(id, env.param(id)!);
    else if (l.kind === "const") fixed.set(id, tf.scalar(l.value!));
  }
  for (const p of plan.nodes) {
    if (p.rec) continue;
    const args = p.args.map((a) => argOf(a, fixed, stacked));
    const out = evalPNode(env, p, args, p.batched);
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
  /** Which path ran: the hoisted loop on the tape, or the fused scan. */
  path: "hoisted" | "fused";
}

const debug = (line: string) => {
  if (process.env["SEQC_OPT_DEBUG"]) console.error(`[seqc opt] ${line}`);
};

/**
 * Runs a scan (no mapped axes: seqs are [N, T, ...], initial states [N, ...])
 * with hoisting, then fused when `opts.fuse` and the loop part allows it;
 * undefined when the body is not handled (the executor's plain loop runs).
 */
export function runOptimizedScan(env: ScanEnv, scan: Scan, seqs: Tensor[], init: Tensor[], mask: Tensor | undefined, opts: ExecOptions): ScanResult | undefined {
  if (!opts.hoist || seqs.length === 0) return undefined;
  const plan = makePlan(scan, env);
  if (!plan) {
    debug(`${scan.name}: plain loop (the body has nodes the optimiser does not handle)`);
    return undefined;
  }
  const nothingToHoist = plan.nodes.every((p) => p.rec);
  if (nothingToHoist && !opts.fuse) return undefined;
  const tf = env.tf;
  const { fixed, stacked, length, n } = hoist(env, scan, plan, seqs);
  if (opts.fuse) {
    const consts = new Map([...plan.leaves].flatMap(([id, l]) => (l.kind === "const" ? [[id, l.value!] as [number, number]] : [])));
    const stateShapes = new Map([...plan.leaves].map(([id, l]) => [id, l.shape]));
    const program = compileFused({
      loop: plan.nodes.filter((p) => p.rec),
      out: scan.out,
      states: scan.states.map((s) => ({ placeholder: s.placeholder, next: s.next, shape: stateShapes.get(s.placeholder)! })),
      stacked,
      fixed,
      consts,
    });
    if (typeof program !== "string") {
      debug(`${scan.name}: fused (${program.ops.length} loop ops, ${program.units.length} products per step, ${program.pres.length} hoisted inputs)`);
      const [out, ...finals] = runFused(tf, {
        program,
        pres: program.pres.map((id) => stacked.get(id)!),
        fixed: program.fixed.map((id) => fixed.get(id)!),
        init,
        length,
        n,
        reverse: scan.reverse,
        ...(mask ? { mask } : {}),
      });
      return { out: out!, states: new Map(scan.states.map((s, i) => [s.name, finals[i]!])), path: "fused" };
    }
    debug(`${scan.name}: not fused (${program})`);
    if (nothingToHoist) return undefined;
  }
  debug(`${scan.name}: hoisted loop`);
  const bound = boundary(scan, plan, stacked);
  const order = [...Array(length).keys()];
  if (scan.reverse) order.reverse();
  const perStep = new Map(bound.map((id) => [id, unstackSteps(tf, stacked.get(id)!.reshape([length, n, ...stacked.get(id)!.shape.slice(1)]), 0)]));
  let current = init;
  const outs: Tensor[] = new Array<Tensor>(length);
  // The output or a next state may be unbatched (a parameter, `c' = p`): broadcast over the batch, once.
  const broadcast = new Map<number, Tensor>();
  const step = (vals: Map<number, Tensor>, id: number): Tensor => {
    const v = vals.get(id);
    if (v) return v;
    let b = broadcast.get(id);
    if (!b) broadcast.set(id, (b = batchOfN(tf, fixed.get(id) ?? env.param(id)!, n)));
    return b;
  };
  for (const t of order) {
    const vals = new Map<number, Tensor>();
    for (const [id, steps] of perStep) vals.set(id, steps[t]!);
    scan.states.forEach((s, i) => vals.set(s.placeholder, current[i]!));
    for (const p of plan.nodes) {
      if (!p.rec) continue;
      vals.set(p.id, evalPNode(env, p, p.args.map((a) => argOf(a, fixed, vals)), true));
    }
    outs[t] = step(vals, scan.out);
    const next = scan.states.map((s) => step(vals, s.next));
    current = mask ? maskedStates(tf, mask, t, current, next) : next;
  }
  return { out: tf.stack(outs, 1), states: new Map(scan.states.map((s, i) => [s.name, current[i]!])), path: "hoisted" };
}
