/**
 * Graph -> kernel program: buffers for every value, the forward pass as
 * kernel statements (FORWARD table), and the backward pass derived by
 * reverse-mode differentiation (ADJOINT table). Scans become loops over time;
 * their adjoints are reverse loops (backpropagation through time) that carry
 * each state's adjoint from step to step.
 *
 * Layout: a batched value is row-major [B, ...shape] in its own buffer; a
 * value inside a scan body gets one slot per step ([T][N][...]) so the
 * backward loop can read every step's values; a state gets T + 1 slots (slot 0
 * the initial value, slot k + 1 the value after step k). Mapped axes (`lead`)
 * fold into the batch axis (N = B * lead).
 */
import { lossTerms, NodeError, type Constant, type Dim, type Graph, type InitSpec, type Node, type Param, type Source } from "../graph/graph.js";
import { ADJOINT } from "./adjoint.js";
import { constVal, isContiguous, val, type AdjointCall, type Builder, type OpCall, type Space, type Val } from "./api.js";
import { FORWARD } from "./forward.js";
import { matmulAdjoint, matmulForm } from "./matmul.js";
import { atStep, BATCH, contiguous, dimVar, eAdd, eMul, eProd, eSub, IDX, int, isSize, ONE, sameSize, SIZE, STEP, TIME, fn, NUM, ZERO, type BufferDecl, type BufId, type E, type Label, type Operand, type Scalar, type Stmt } from "./program.js";

export interface ProgramParam {
  name: string;
  /** Buffers of its view in the params and in the grads. */
  buf: BufId;
  grad: BufId;
  shape: E[];
  dims: Dim[];
  size: E;
  init: InitSpec;
}

export interface ProgramInput {
  name: string;
  role: "input" | "target";
  buf: BufId;
  int: boolean;
  shape: Dim[];
}

export interface ProgramDim {
  name: string;
  multiple: number;
  value?: number;
  /** The expression of its unit value (atom / multiple): a literal when fixed, else a variable. */
  unit: E;
}

export interface KernelProgram {
  model: string;
  dims: ProgramDim[];
  buffers: BufferDecl[];
  params: ProgramParam[];
  inputs: ProgramInput[];
  forward: Stmt[];
  backward: Stmt[];
  /** Per-example loss values ([B] when batched) whose sum, averaged over the batch, is the loss. */
  losses: Val[];
  /** The first argument (the prediction) of each builtin loss of the losses (lossTerms), as a model-level view. */
  lossArgs: Val[];
  /** The second argument (the target) of each of them. */
  lossTargets: Val[];
  /** Named model values (inputs, targets, bindings) and the views that hold them after forward. */
  values: { name: string; val: Val }[];
  /** States of model-level scans: the initial-state key "scan.state", their slot-T view, shape [B, ...]. */
  states: { key: string; last: Val; first: Val; size: E }[];
}

/** Choices of the lowering that change how fast the program runs, never what it computes (each on by default; off for comparisons). */
export interface KernelOptions {
  /** A scan's weight gradients of products over a stepped value (`W_h @ h`) as one product over all steps after the loop, not one per step. */
  hoistGrads: boolean;
  /** Consecutive maps over one space as one loop, with variables for what nothing else reads (fuse.ts). */
  fuse: boolean;
  /** A step body's values kept at every step only when the backward pass reads them (fuse.ts). */
  keepLess: boolean;
  /** A scan's input one_hot(x) multiplied by gathering W's columns for the tokens, its gradient by scattering into them. */
  gather: boolean;
  /**
   * exp, sigmoid and tanh of a value computed before its run of maps as maps of their own, ahead of the run and
   * not fused, which a target computes as vectors (the ts target in f32: vmath.wat); fuse.ts.
   */
  vectorMath: boolean;
  /** A buffer only the backward pass uses in the memory of one only the forward pass uses (BufferDecl.shares; fuse.ts). */
  share: boolean;
}

export const KERNEL_DEFAULTS: KernelOptions = { hoistGrads: true, fuse: true, keepLess: true, gather: true, vectorMath: true, share: true };

type OpNode = Extract<Node, { kind: "op" }>;

/** A body value stored at every step as [T][N][width] (a state, or a batched op's vector): the rows of a product over all steps. */
function steppedVector(n: Node | undefined): boolean {
  if (!n || n.shape.length !== 1 || !n.batched) return false;
  return (n.kind === "placeholder" && n.role === "state") || n.kind === "op";
}

/** Runs a rule of a node; an error names the node's place in the spec (NodeError). */
function located(n: OpNode, rule: () => void): void {
  try {
    rule();
  } catch (e) {
    if (e instanceof NodeError) throw e;
    throw new NodeError(`${n.op}: ${e instanceof Error ? e.message : String(e)}`, n.src, { cause: e });
  }
}

interface SplitProduct {
  w: number;
  m: E;
  K: E;
  parts: { arg: number; col: E; width: E; hoisted?: { buf: BufId; dbuf?: BufId; seqArg: number; lead: number; ids?: Val }; gradAfter?: true }[];
}
type ScanNode = Extract<Node, { kind: "scan" }>;

/** Where statements go and how temps are made, in the model body or inside a scan loop. */
interface Frame {
  stmts: Stmt[];
  /** Inside a scan: the step count and batch extent, for per-step storage. */
  scan?: { T: E; N: E };
}

class Lowering {
  readonly buffers: BufferDecl[] = [];
  readonly params: ProgramParam[] = [];
  readonly inputs: ProgramInput[] = [];
  private readonly dims: ProgramDim[];
  private readonly unit = new Map<string, E>();
  /** Forward views of every value (model level: full shape; scan bodies: the step's view). */
  private readonly vals = new Map<number, Val>();
  /** Adjoint views. */
  private readonly dvals = new Map<number, Val>();
  /** Buffers saved by forward rules for the adjoint, per node. */
  private readonly saved = new Map<number, Record<string, Val>>();
  private readonly paramById = new Map<number, Param>();
  /** The spec's consts and their buffers (no adjoint: nothing flows into them). */
  private readonly constById = new Map<number, { c: Constant; buf: BufId }>();
  private readonly needs = new Set<number>();
  private readonly states: KernelProgram["states"] = [];
  private frame: Frame = { stmts: [] };

  constructor(
    private readonly graph: Graph,
    private readonly options: KernelOptions,
  ) {
    this.dims = graph.dims.map((a) => {
      const unit = a.value !== undefined ? int(a.value / a.multiple) : dimVar(a.name);
      this.unit.set(a.name, unit);
      const d: ProgramDim = { name: a.name, multiple: a.multiple, unit };
      if (a.value !== undefined) d.value = a.value;
      return d;
    });
    for (const p of graph.params) this.paramById.set(p.id, p);
  }

  /** A symbolic dim as a size expression. */
  dim(d: Dim): E {
    let out: E = ZERO;
    for (const [mono, coef] of d) {
      const factors = mono === "" ? [] : mono.split("*").map((a) => {
        const u = this.unit.get(a);
        if (u === undefined) throw new Error(`kernel: unknown dim ${a}`);
        return u;
      });
      out = eAdd(out, eMul(int(coef), eProd(factors)));
    }
    return out;
  }

  private shape(n: { shape: Dim[] }): E[] {
    return n.shape.map((d) => this.dim(d));
  }

  private declare(name: string | Label, size: E, kind: BufferDecl["kind"], doc: string | Label): BufId {
    this.buffers.push({ name: typeof name === "string" ? [name] : name, size, kind, doc: typeof doc === "string" ? [doc] : doc });
    return this.buffers.length - 1;
  }

  private note(node: { src?: Source }, text: string): void {
    this.frame.stmts.push(node.src ? { s: "note", text, src: node.src } : { s: "note", text });
  }

  // ------------------------------------------------------------------ builder for rules

  private builder(N: E | null): Builder {
    return {
      N,
      map: (space, out, ins, f, mode = "set") => this.map(space, out, ins, f, mode),
      fill: (v, value) => this.fill(v, value),
      gemm: (g) => this.frame.stmts.push({ s: "gemm", ...g }),
      branch: (training, otherwise) => {
        const outer = this.frame;
        const lists = [training, otherwise].map((add) => {
          this.frame = { ...outer, stmts: [] };
          add();
          return this.frame.stmts;
        });
        this.frame = outer;
        outer.stmts.push({ s: "training", body: lists[0]!, otherwise: lists[1]! });
      },
      temp: (space, doc, keep) => {
        const per = eMul(space.n ?? ONE, eProd(space.ext));
        const scan = this.frame.scan;
        const stepped = keep && scan !== undefined;
        const name = this.declare("tmp", stepped ? eMul(scan.T, per) : per, "float", doc);
        if (stepped) this.buffers[name]!.slot = per;
        return val(name, stepped ? eMul(STEP, per) : ZERO, space.n === null ? null : eProd(space.ext), space.ext);
      },
    };
  }

  map(space: Space, out: Val, ins: Val[], f: (xs: Scalar[]) => Scalar, mode: "set" | "add" | "max"): void {
    const operands: Operand[] = [];
    const xs = ins.map((v): Scalar => {
      if (v.num !== undefined) return NUM(v.num);
      operands.push(this.operand(v, space));
      return { k: "in", i: operands.length - 1 };
    });
    this.frame.stmts.push({ s: "map", shape: space.n === null ? space.ext : [space.n, ...space.ext], out: this.operand(out, space), ins: operands, expr: shiftIdx(f(xs), space.n === null ? 0 : 1), mode });
  }

  /** v's strides over a space: batch axis, then element axes aligned from the right; broadcast axes get 0. */
  private operand(v: Val, space: Space): Operand {
    const strides: E[] = [];
    if (space.n !== null) strides.push(v.n ?? ZERO);
    else if (v.n !== null) throw new Error("kernel: a batched view in an unbatched space");
    const r = space.ext.length;
    const lead = r - v.ext.length;
    if (lead < 0) throw new Error(`kernel: a view of rank ${v.ext.length} in a space of rank ${r}`);
    for (let j = 0; j < r; j++) {
      const ja = j - lead;
      if (ja < 0) strides.push(ZERO);
      else if (isSize(v.ext[ja]!, 1) && !isSize(space.ext[j]!, 1)) strides.push(ZERO);
      else strides.push(v.str[ja]!);
    }
    return { buf: v.buf, off: v.off, strides };
  }

  fill(v: Val, value: number): void {
    const per = eProd(v.ext);
    const N = this.currentN;
    if (isContiguous(v) && (v.n === null || sameSize(v.n, per))) {
      this.frame.stmts.push({ s: "fill", buf: v.buf, off: v.off, size: v.n === null ? per : eMul(N!, per), value });
      return;
    }
    this.map({ n: v.n === null ? null : N, ext: v.ext }, v, [], () => NUM(value), "set");
  }

  /** The batch extent of the op being lowered. */
  private currentN: E | null = BATCH;

  // ------------------------------------------------------------------ analysis

  /** Which values depend on a parameter (and so need adjoints). */
  private analyse(nodes: Node[]): void {
    const dep = (id: number) => this.paramById.has(id) || this.needs.has(id);
    for (const n of nodes) {
      if (n.kind === "op" && n.args.some(dep)) this.needs.add(n.id);
      if (n.kind === "scan") {
        const s = n.scan;
        for (const q of s.seq) if (dep(q.arg)) this.needs.add(q.placeholder);
        for (const q of s.ctx) if (dep(q.arg)) this.needs.add(q.placeholder);
        for (const st of s.states) if (dep(st.init)) this.needs.add(st.placeholder);
        for (let changed = true; changed;) {
          const before = this.needs.size;
          this.analyse(s.body);
          for (const st of s.states) if (dep(st.next)) this.needs.add(st.placeholder);
          changed = this.needs.size !== before;
        }
        if (dep(s.out)) this.needs.add(n.id);
      }
      if (n.kind === "final") {
        const scan = nodes.find((m): m is ScanNode => m.id === n.scanNode)!;
        const st = scan.scan.states.find((x) => x.name === n.state)!;
        if (dep(st.placeholder) || dep(st.next)) this.needs.add(n.id);
      }
    }
  }

  /** Model-level nodes the loss depends on. */
  private live(): Set<number> {
    const live = new Set<number>(this.graph.losses);
    const byId = new Map(this.graph.nodes.map((n) => [n.id, n]));
    for (let i = this.graph.nodes.length - 1; i >= 0; i--) {
      const n = this.graph.nodes[i]!;
      if (!live.has(n.id)) continue;
      const deps = n.kind === "op" ? n.args : n.kind === "scan" ? [...n.scan.seq.map((q) => q.arg), ...n.scan.ctx.map((q) => q.arg), ...n.scan.states.map((s) => s.init)] : n.kind === "final" ? [n.scanNode] : [];
      for (const d of deps) if (byId.has(d)) live.add(d);
    }
    return live;
  }

  // ------------------------------------------------------------------ values

  /** A model-level value with its first `lead` axes folded into the batch axis. */
  private folded(v: Val, lead: number): Val {
    if (v.n === null || lead === 0 || v.num !== undefined) return v;
    return { ...v, n: eProd(v.ext.slice(lead)), ext: v.ext.slice(lead), str: v.str.slice(lead) };
  }

  private valOf(id: number): Val {
    const p = this.paramById.get(id);
    if (p) return val(this.params.find((q) => q.name === p.name)!.buf, ZERO, null, p.shape.map((d) => this.dim(d)));
    const k = this.constById.get(id);
    if (k) return val(k.buf, ZERO, null, k.c.shape.map((d) => this.dim(d)));
    const v = this.vals.get(id);
    if (!v) throw new Error(`kernel: node ${id} has no value yet`);
    return v;
  }

  private dvalOf(id: number): Val | null {
    const p = this.paramById.get(id);
    if (p) return val(this.params.find((q) => q.name === p.name)!.grad, ZERO, null, p.shape.map((d) => this.dim(d)));
    return this.needs.has(id) ? this.dvals.get(id) ?? null : null;
  }

  // ------------------------------------------------------------------ program

  lower(): KernelProgram {
    const g = this.graph;
    for (const p of g.params) {
      const shape = p.shape.map((d) => this.dim(d));
      const size = eProd(shape);
      const short = p.name.split(".").pop()!;
      const unique = g.params.filter((q) => q.name.split(".").pop() === short).length === 1;
      const base = unique ? short : p.name;
      const buf = this.declare(base, size, "param", `parameter ${p.name}`);
      const grad = this.declare(`d${base}`, size, "grad", `gradient of ${p.name}`);
      this.params.push({ name: p.name, buf, grad, shape, dims: p.shape, size, init: p.init });
    }
    let off: E = ZERO;
    for (const p of this.params) {
      this.buffers[p.buf]!.off = off;
      this.buffers[p.grad]!.off = off;
      off = eAdd(off, p.size);
    }
    for (const c of g.constants) {
      const buf = this.declare(c.name.split(".").pop()!, int(c.values.length), "const", `const ${c.name}`);
      this.buffers[buf]!.values = c.values;
      this.constById.set(c.id, { c, buf });
    }
    this.analyse(g.nodes);
    const live = this.live();
    const values: KernelProgram["values"] = [];
    const names = new Map(Object.entries(g.values).map(([k, v]) => [v, k]));

    // Buffers of model-level values.
    for (const n of g.nodes) {
      const shape = this.shape(n);
      const name = names.get(n.id) ?? n.name;
      if (n.kind === "input") {
        const buf = this.declare(`in_${n.name}`, eMul(BATCH, eProd(shape)), n.vocab !== undefined ? "int" : "float", `${n.role} ${n.name}`);
        this.inputs.push({ name: n.name, role: n.role, buf, int: n.vocab !== undefined, shape: n.shape });
        this.vals.set(n.id, val(buf, ZERO, eProd(shape), shape, n.vocab !== undefined));
      } else if (n.kind === "const") {
        this.vals.set(n.id, constVal(n.value));
      } else if (n.kind === "mask") {
        const buf = this.declare("mask", eMul(BATCH, eProd(shape)), "float", "dropout mask");
        this.vals.set(n.id, val(buf, ZERO, eProd(shape), shape));
      } else if (n.kind === "final") {
        continue; // set when its scan is lowered
      } else {
        const per = eProd(shape);
        const buf = this.declare(name ?? (n.kind === "scan" ? n.scan.cell : n.kind === "op" ? n.op : n.name), n.batched ? eMul(BATCH, per) : per, n.vocab !== undefined ? "int" : "float", describe(n, name));
        this.vals.set(n.id, val(buf, ZERO, n.batched ? per : null, shape, n.vocab !== undefined));
      }
    }
    // Forward pass.
    const forward: Stmt[] = [];
    this.frame = { stmts: forward };
    for (const n of g.nodes) {
      if (n.kind === "op") this.forwardOp(n, n.lead);
      else if (n.kind === "scan") this.forwardScan(n);
      else if (n.kind === "mask") {
        this.note(n, `dropout mask (rate ${n.rate})`);
        forward.push({ s: "mask", buf: this.vals.get(n.id)!.buf, size: eMul(BATCH, eProd(this.shape(n))), rate: n.rate });
      }
    }
    for (const [id, name] of names) values.push({ name, val: this.valOf(id) });

    // Adjoint buffers of model-level values the loss depends on through parameters.
    for (const n of g.nodes) {
      if (!this.needs.has(n.id) || !live.has(n.id) || n.kind === "const" || n.kind === "input") continue;
      const shape = this.shape(n);
      const per = eProd(shape);
      const buf = this.declare(["d", { buf: this.vals.get(n.id)!.buf }], n.batched ? eMul(BATCH, per) : per, "float", `adjoint of ${describe(n, names.get(n.id) ?? n.name)}`);
      this.dvals.set(n.id, val(buf, ZERO, n.batched ? per : null, shape));
    }
    const backward: Stmt[] = [];
    this.frame = { stmts: backward };
    backward.push({ s: "note", text: "Zero the adjoints, then seed the loss: d(mean over the batch of the summed losses)." });
    for (const p of this.params) backward.push({ s: "fill", buf: p.grad, off: ZERO, size: p.size, value: 0 });
    for (const [, d] of this.dvals) this.fill(d, 0);
    for (const id of g.losses) {
      const d = this.dvals.get(id);
      // "add": a value that is the root of two loss statements is seeded twice.
      if (d) this.map({ n: d.n === null ? null : BATCH, ext: d.ext }, d, [], () => (d.n === null ? NUM(1) : fn("div", NUM(1), SIZE(BATCH))), "add");
    }
    for (let i = g.nodes.length - 1; i >= 0; i--) {
      const n = g.nodes[i]!;
      if (n.kind === "op" && this.needs.has(n.id) && live.has(n.id)) this.backwardOp(n, n.lead);
      if (n.kind === "scan" && (this.needs.has(n.id) || g.nodes.some((m) => m.kind === "final" && m.scanNode === n.id && this.dvals.has(m.id)))) this.backwardScan(n);
    }
    return {
      model: g.model,
      dims: this.dims,
      buffers: this.buffers,
      params: this.params,
      inputs: this.inputs,
      forward,
      backward,
      losses: g.losses.map((id) => this.valOf(id)),
      lossArgs: lossTerms(g).map((n) => this.valOf(n.args[0]!)),
      lossTargets: lossTerms(g).map((n) => this.valOf(n.args[1]!)),
      values,
      states: this.states,
    };
  }

  // ------------------------------------------------------------------ ops

  private call(n: OpNode, lead: number, N: E | null): OpCall {
    const saved = this.saved.get(n.id) ?? {};
    this.saved.set(n.id, saved);
    return {
      attrs: n.attrs,
      args: n.args.map((a) => this.folded(this.valOf(a), lead)),
      out: this.folded(this.valOf(n.id), lead),
      b: this.builder(N),
      saved,
    };
  }

  private batchOf(n: Node, lead: number): E | null {
    if (!n.batched) return null;
    if (this.frame.scan) return this.frame.scan.N;
    const shape = this.shape(n);
    return eMul(BATCH, eProd(shape.slice(0, lead)));
  }

  private forwardOp(n: OpNode, lead: number): void {
    const N = this.batchOf(n, lead);
    this.currentN = N;
    this.note(n, `${n.name ?? n.op}: ${n.op}`);
    located(n, () => FORWARD[n.op](this.call(n, lead, N)));
  }

  private backwardOp(n: OpNode, lead: number): void {
    const N = this.batchOf(n, lead);
    this.currentN = N;
    const dout = this.dvals.get(n.id);
    if (!dout) return;
    const c: AdjointCall = {
      ...this.call(n, lead, N),
      dout: this.folded(dout, lead),
      dargs: n.args.map((a) => {
        const d = this.dvalOf(a);
        return d ? this.folded(d, lead) : null;
      }),
    };
    if (c.dargs.every((d) => d === null)) return;
    this.note(n, `d ${n.name ?? n.op}: adjoint of ${n.op}`);
    located(n, () => ADJOINT[n.op](c));
  }

  // ------------------------------------------------------------------ scans

  private scanDims(n: ScanNode): { N: E; T: E; lead: number } {
    const s = n.scan;
    const seqShape = this.shape(this.graph.nodes.find((m) => m.id === s.seq[0]!.arg)!);
    const lead = n.lead;
    return { N: eMul(BATCH, eProd(seqShape.slice(0, lead))), T: seqShape[lead]!, lead };
  }

  private stateBufs = new Map<string, { buf: BufId; per: E }>();

  /** Concats that only feed a split product are never built (`W @ concat(h, x)` is `W_h @ h + W_x @ x`). */
  private readonly elided = new Set<number>();
  /** Products over a concat, by node: the parts and W's column block for each; hoisted parts' all-steps buffers. */
  private readonly splits = new Map<number, SplitProduct>();

  /**
   * Plans a scan's products `W @ concat(a, b, ...)` (W a [m, K] parameter, the
   * concat used by nothing else): one product per column block of W, no concat;
   * a block applied to a step of a scanned input is hoisted out of the loop,
   * one product over all steps before it (and its gradient one after it).
   */
  private planSplits(n: ScanNode): void {
    const s = n.scan;
    const uses = new Map<number, number>();
    for (const b of s.body) if (b.kind === "op") for (const a of b.args) uses.set(a, (uses.get(a) ?? 0) + 1);
    uses.set(s.out, (uses.get(s.out) ?? 0) + 1);
    for (const st of s.states) uses.set(st.next, (uses.get(st.next) ?? 0) + 1);
    const body = new Map(s.body.map((b) => [b.id, b]));
    const steps = new Map(s.seq.map((q) => [q.placeholder, q.arg]));
    const { N, T, lead } = this.scanDims(n);
    for (const b of s.body) {
      if (b.kind !== "op" || b.op !== "matmul" || !b.batched) continue;
      const [wId, cId] = b.args as [number, number];
      const w = this.paramById.get(wId);
      const c = body.get(cId);
      if (!w || w.shape.length !== 2 || !c || c.shape.length !== 1) continue;
      // W @ concat(a, b, ...) by blocks; W @ v (hoistGrads) as a product of one block when v is a step of an input or stepped.
      const concat = c.kind === "op" && c.op === "concat" && uses.get(cId) === 1;
      if (!concat && (!this.options.hoistGrads || !(steps.has(cId) || steppedVector(c)))) continue;
      const m = this.dim(w.shape[0]!);
      const K = this.dim(w.shape[1]!);
      let col: E = ZERO;
      const parts: SplitProduct["parts"] = [];
      for (const a of concat ? (c as OpNode).args : [cId]) {
        const an = body.get(a);
        const width = an ? this.dim(an.shape[an.shape.length - 1]!) : this.valOf(a).ext.slice(-1)[0]!;
        const part: SplitProduct["parts"][number] = { arg: a, col, width };
        const seqArg = steps.get(a);
        if (seqArg !== undefined && body.get(a)!.shape.length === 1) {
          const buf = this.declare(`${b.name ?? "z"}_in`, eMul(T, eMul(N, m)), "float", `the product of W's columns for ${this.graph.nodes.find((x) => x.id === seqArg)?.name ?? "the input"} at every step, hoisted out of ${s.name}'s loop`);
          part.hoisted = { buf, seqArg, lead };
          const ids = this.options.gather ? this.oneHotIds(seqArg, lead) : undefined;
          if (ids) part.hoisted.ids = ids;
        } else if (this.options.hoistGrads && steppedVector(an)) part.gradAfter = true;
        parts.push(part);
        col = eAdd(col, width);
      }
      if (parts.every((p) => p.arg !== wId)) {
        if (concat) this.elided.add(cId);
        this.splits.set(b.id, { w: wId, m, K, parts });
      }
    }
  }

  /** The token ids x of a value one_hot(x), as [N, T] rows one after another, when it is that (its products are gathers). */
  private oneHotIds(id: number, lead: number): Val | undefined {
    const n = this.graph.nodes.find((m) => m.id === id);
    if (!n || n.kind !== "op" || n.op !== "one_hot") return undefined;
    const x = this.folded(this.valOf(n.args[0]!), lead);
    if (!x.int || x.n === null || x.ext.length !== 1 || !isSize(x.str[0]!, 1) || !sameSize(x.n, x.ext[0]!)) return undefined;
    return x;
  }

  /** W's column block [m, width] at col (of the params or of the grads). */
  private block(sp: SplitProduct, part: SplitProduct["parts"][number], grad: boolean): Val {
    const w = grad ? this.dvalOf(sp.w)! : this.valOf(sp.w);
    return { ...w, off: eAdd(w.off, part.col), ext: [sp.m, part.width] };
  }

  /** A hoisted part's sequence over all steps as [N*T rows, width]: its row count and view. */
  private hoistedViews(part: SplitProduct["parts"][number], N: E, T: E) {
    const h = part.hoisted!;
    return { rows: eMul(N, T), seq: this.folded(this.valOf(h.seqArg), h.lead), width: part.width };
  }

  private forwardSplit(node: OpNode, sp: SplitProduct, N: E, T: E): void {
    if (sp.parts.length > 1) this.note(node, `${node.name ?? "matmul"}: W @ concat(...) as one product per column block of W`);
    else this.note(node, `${node.name ?? "matmul"}: matmul`);
    const out = this.valOf(node.id);
    let first = true;
    for (const part of sp.parts) {
      if (part.hoisted) {
        const pv = val(part.hoisted.buf, eMul(TIME, sp.m), eMul(T, sp.m), [sp.m]);
        this.map({ n: N, ext: [sp.m] }, out, first ? [pv] : [out, pv], (xs) => (first ? xs[0]! : fn("add", xs[0]!, xs[1]!)), "set");
      } else {
        const { swapped: _, ...g } = matmulForm(this.block(sp, part, false), this.valOf(part.arg), out, N);
        this.frame.stmts.push({ s: "gemm", ...g, acc: !first });
      }
      first = false;
    }
  }

  private backwardSplit(node: OpNode, sp: SplitProduct, N: E): void {
    const dout = this.dvals.get(node.id);
    if (!dout) return;
    this.note(node, sp.parts.length > 1 ? `d ${node.name ?? "matmul"}: adjoint of W @ concat(...), block by block` : `d ${node.name ?? "matmul"}: adjoint of matmul`);
    for (const part of sp.parts) {
      if (part.hoisted) {
        // Kept for the product over all steps after the loop.
        const d = part.hoisted.dbuf;
        if (d !== undefined) this.map({ n: N, ext: [sp.m] }, val(d, eMul(TIME, sp.m), eMul(this.frame.scan!.T, sp.m), [sp.m]), [dout], ([v]) => v!, "set");
        continue;
      }
      const form = matmulForm(this.block(sp, part, false), this.valOf(part.arg), this.valOf(node.id), N);
      const { swapped: _, ...f } = form;
      // W's block: here, or after the loop over every step at once (gradAfter).
      const dw = part.gradAfter ? null : this.block(sp, part, true);
      for (const g of matmulAdjoint(f, this.dvalOf(part.arg), dw, dout)) this.frame.stmts.push({ s: "gemm", ...g, acc: true });
    }
  }

  private forwardScan(n: ScanNode): void {
    const s = n.scan;
    const { N, T, lead } = this.scanDims(n);
    this.currentN = N;
    this.note(n, `${s.name}: scan of ${s.cell} over ${s.reverse ? "reversed " : ""}time`);
    const body = new Map(s.body.map((b) => [b.id, b]));
    // State buffers: slot k holds the state before step k.
    for (const st of s.states) {
      const ph = body.get(st.placeholder)!;
      const ext = this.shape(ph);
      const per = eProd(ext);
      const buf = this.declare(`${s.name}.${st.name}`, eMul(eAdd(T, ONE), eMul(N, per)), "float", `state ${st.name} of ${s.name} before each step (slot 0: initial)`);
      this.stateBufs.set(`${n.id}:${st.name}`, { buf, per });
      const first = val(buf, ZERO, per, ext);
      const init = this.folded(this.valOf(st.init), lead);
      const key = `${s.name}.${st.name}`;
      const otherwise: Stmt[] = [];
      const saved = this.frame;
      this.frame = { stmts: otherwise };
      this.map({ n: N, ext }, first, [init], ([v]) => v!, "set");
      this.frame = saved;
      this.frame.stmts.push({ s: "initial", key, buf, size: eMul(N, per), otherwise });
      const last = val(buf, eMul(T, eMul(N, per)), per, ext);
      this.states.push({ key, first, last, size: eMul(N, per) });
      // Finals read slot T.
      for (const m of this.graph.nodes) if (m.kind === "final" && m.scanNode === n.id && m.state === st.name) this.vals.set(m.id, { ...last, ext: this.shape(m), str: contiguous(this.shape(m)), n: eProd(this.shape(m)) });
    }
    const outer = this.frame;
    this.planSplits(n);
    for (const b of s.body) {
      const sp = this.splits.get(b.id);
      if (!sp) continue;
      for (const part of sp.parts) {
        if (!part.hoisted) continue;
        const { rows, seq, width } = this.hoistedViews(part, N, T);
        const w = this.block(sp, part, false);
        const ids = part.hoisted.ids;
        if (ids) {
          // one_hot(x) @ W^T: row (n, t) is W's column x[n, t].
          this.note(b, `${b.name ?? "matmul"}: the input's product for every step at once, before the loop: W's column of each token`);
          outer.stmts.push({ s: "map", shape: [rows, sp.m], out: { buf: part.hoisted.buf, off: ZERO, strides: [sp.m, ONE] }, ins: [{ buf: w.buf, off: w.off, strides: [ZERO, sp.K], gather: { buf: ids.buf, off: ids.off, strides: [ONE, ZERO], scale: ONE } }], expr: { k: "in", i: 0 }, mode: "set" });
          continue;
        }
        this.note(b, `${b.name ?? "matmul"}: the input's product for every step at once, before the loop`);
        outer.stmts.push({ s: "gemm", count: ONE, m: rows, n: sp.m, k: width, a: { buf: seq.buf, off: seq.off, ld: width, trans: false, bstride: ZERO }, b: { buf: w.buf, off: w.off, ld: sp.K, trans: true, bstride: ZERO }, c: { buf: part.hoisted.buf, off: ZERO, ld: sp.m, trans: false, bstride: ZERO }, acc: false });
      }
    }
    const loop: Stmt[] = [];
    this.frame = { stmts: loop, scan: { T, N } };
    loop.push({ s: "time", value: s.reverse ? eSub(eSub(T, ONE), STEP) : STEP });
    this.bindPlaceholders(n, false);
    for (const b of s.body) {
      if (b.kind === "const") this.vals.set(b.id, constVal(b.value));
      if (b.kind !== "op" || this.elided.has(b.id)) continue;
      const ext = this.shape(b);
      const per = eProd(ext);
      const buf = this.declare(b.name ?? b.op, eMul(T, b.batched ? eMul(N, per) : per), "float", `${describe(b, b.name)} in ${s.name}, every step`);
      this.buffers[buf]!.slot = b.batched ? eMul(N, per) : per;
      this.vals.set(b.id, val(buf, eMul(STEP, b.batched ? eMul(N, per) : per), b.batched ? per : null, ext));
    }
    for (const b of s.body) {
      if (b.kind !== "op" || this.elided.has(b.id)) continue;
      const sp = this.splits.get(b.id);
      if (sp) {
        this.currentN = N;
        this.forwardSplit(b, sp, N, T);
      } else this.forwardOp(b, 0);
    }
    this.currentN = N;
    const y = this.folded(this.valOf(n.id), lead);
    this.map({ n: N, ext: y.ext.slice(1) }, stepOf(y, TIME), [this.valOf(s.out)], ([v]) => v!, "set");
    for (const st of s.states) {
      const { buf, per } = this.stateBufs.get(`${n.id}:${st.name}`)!;
      const ext = this.shape(body.get(st.placeholder)!);
      this.map({ n: N, ext }, val(buf, eMul(eAdd(STEP, ONE), eMul(N, per)), per, ext), [this.valOf(st.next)], ([v]) => v!, "set");
    }
    this.frame = outer;
    outer.stmts.push({ s: "loop", count: T, down: false, body: loop });
  }

  /** Forward views of a scan's placeholders at the loop's step (and its time). */
  private bindPlaceholders(n: ScanNode, adjoint: boolean): void {
    const s = n.scan;
    const { N, lead } = this.scanDims(n);
    const body = new Map(s.body.map((b) => [b.id, b]));
    for (const q of s.seq) {
      const x = this.folded(adjoint ? this.dvalOf(q.arg) ?? this.valOf(q.arg) : this.valOf(q.arg), lead);
      const view = stepOf(x, TIME);
      if (adjoint) {
        if (this.dvalOf(q.arg)) this.dvals.set(q.placeholder, view);
      } else this.vals.set(q.placeholder, view);
    }
    for (const q of s.ctx) {
      if (adjoint) {
        const d = this.dvalOf(q.arg);
        if (d) this.dvals.set(q.placeholder, this.folded(d, lead));
      } else this.vals.set(q.placeholder, this.folded(this.valOf(q.arg), lead));
    }
    if (!adjoint) {
      for (const st of s.states) {
        const { buf, per } = this.stateBufs.get(`${n.id}:${st.name}`)!;
        const ext = this.shape(body.get(st.placeholder)!);
        this.vals.set(st.placeholder, val(buf, eMul(STEP, eMul(N, per)), per, ext));
      }
    }
  }

  private backwardScan(n: ScanNode): void {
    const s = n.scan;
    const { N, T, lead } = this.scanDims(n);
    this.currentN = N;
    this.note(n, `d ${s.name}: backpropagation through time, last step first`);
    const body = new Map(s.body.map((b) => [b.id, b]));
    const outer = this.frame;
    // Each state's adjoint carried from step to step, starting from the adjoint of its final value.
    const carry = new Map<string, Val>();
    for (const st of s.states) {
      const ext = this.shape(body.get(st.placeholder)!);
      const buf = this.declare(`d${s.name}.${st.name}_carry`, eMul(N, eProd(ext)), "float", `adjoint of state ${st.name} of ${s.name}, carried back one step at a time`);
      const c = val(buf, ZERO, eProd(ext), ext);
      carry.set(st.name, c);
      const fin = this.graph.nodes.find((m) => m.kind === "final" && m.scanNode === n.id && m.state === st.name);
      const dfin = fin ? this.dvals.get(fin.id) : undefined;
      if (dfin) this.map({ n: N, ext }, c, [this.folded(dfin, lead)], ([v]) => v!, "set");
      else this.fill(c, 0);
    }
    for (const b of s.body) {
      const sp = this.splits.get(b.id);
      if (!sp || !this.needs.has(b.id)) continue;
      // A gathered input's gradient is scattered from the adjoint kept at every step when there is one (gradAfter).
      const kept = sp.parts.some((p) => p.gradAfter);
      for (const part of sp.parts) if (part.hoisted && !(part.hoisted.ids && kept)) part.hoisted.dbuf = this.declare(["d", { buf: part.hoisted.buf }], eMul(T, eMul(N, sp.m)), "float", ["adjoint of ", { buf: part.hoisted.buf }, " at every step"]);
    }
    const loop: Stmt[] = [];
    this.frame = { stmts: loop, scan: { T, N } };
    loop.push({ s: "time", value: s.reverse ? eSub(eSub(T, ONE), STEP) : STEP });
    this.bindPlaceholders(n, false);
    this.bindPlaceholders(n, true);
    const temps: Val[] = [];
    for (const b of s.body) {
      if (!this.needs.has(b.id)) continue;
      if ((b.kind === "op" && !this.elided.has(b.id)) || (b.kind === "placeholder" && b.role === "state")) {
        const ext = this.shape(b);
        const per = eProd(ext);
        // A product whose weight gradient is taken after the loop keeps its adjoint at every step.
        const kept = this.splits.get(b.id)?.parts.some((p) => p.gradAfter) === true;
        const slot = b.batched ? eMul(N, per) : per;
        const buf = kept
          ? this.declare(`d${b.name ?? (b as OpNode).op}`, eMul(T, slot), "float", `adjoint of ${describe(b, b.name)} in ${s.name} at every step`)
          : this.declare(`d${b.name ?? (b as OpNode).op}`, slot, "float", `adjoint of ${describe(b, b.name)} in ${s.name} at the current step`);
        const d = val(buf, kept ? eMul(STEP, slot) : ZERO, b.batched ? per : null, ext);
        this.dvals.set(b.id, d);
        temps.push(d);
      }
    }
    for (const d of temps) this.fill(d, 0);
    const dy = this.dvals.get(n.id);
    const dOut = this.dvalOf(s.out);
    if (dy && dOut) {
      const y = this.folded(dy, lead);
      this.map({ n: N, ext: y.ext.slice(1) }, dOut, [stepOf(y, TIME)], ([v]) => v!, "add");
    }
    for (const st of s.states) {
      const dNext = this.dvalOf(st.next);
      if (dNext) this.map({ n: N, ext: carry.get(st.name)!.ext }, dNext, [carry.get(st.name)!], ([v]) => v!, "add");
    }
    for (let i = s.body.length - 1; i >= 0; i--) {
      const b = s.body[i]!;
      if (b.kind !== "op" || !this.needs.has(b.id) || this.elided.has(b.id)) continue;
      const sp = this.splits.get(b.id);
      if (sp) {
        this.currentN = N;
        this.backwardSplit(b, sp, N);
      } else this.backwardOp(b, 0);
    }
    this.currentN = N;
    for (const st of s.states) {
      const c = carry.get(st.name)!;
      const d = this.dvals.get(st.placeholder);
      if (d && this.needs.has(st.placeholder)) this.map({ n: N, ext: c.ext }, c, [d], ([v]) => v!, "set");
      else this.fill(c, 0);
    }
    this.frame = outer;
    outer.stmts.push({ s: "loop", count: T, down: true, body: loop });
    // The hoisted products' gradients, over all steps at once.
    for (const b of s.body) {
      const sp = this.splits.get(b.id);
      if (!sp || !this.needs.has(b.id)) continue;
      for (const part of sp.parts) {
        if (!part.hoisted) continue;
        const { rows, seq, width } = this.hoistedViews(part, N, T);
        const dw = this.block(sp, part, true);
        const dp = part.hoisted.dbuf;
        const ids = part.hoisted.ids;
        if (ids) {
          // dW's column x[n, t] += the adjoint of row (n, t): a scatter-add, from dbuf ([N][T] rows) or else from the adjoint kept at every step ([step][N] rows).
          outer.stmts.push({ s: "note", text: `d ${b.name ?? "matmul"}: the gradient of the hoisted product, each token's column at once` });
          const gather = (strides: E[], off: E) => ({ buf: dw.buf, off: dw.off, strides: [...strides.map(() => ZERO), sp.K], gather: { buf: ids.buf, off, strides: [...strides, ZERO], scale: ONE } });
          if (dp !== undefined) outer.stmts.push({ s: "map", shape: [rows, sp.m], out: gather([ONE], ids.off), ins: [{ buf: dp, off: ZERO, strides: [sp.m, ONE] }], expr: { k: "in", i: 0 }, mode: "add" });
          else {
            const dz = this.dvals.get(b.id)!;
            const first = s.reverse ? eAdd(ids.off, eSub(T, ONE)) : ids.off;
            outer.stmts.push({ s: "map", shape: [T, N, sp.m], out: gather([s.reverse ? int(-1) : ONE, ids.n!], first), ins: [{ buf: dz.buf, off: atStep(dz.off, ZERO), strides: [eMul(N, sp.m), sp.m, ONE] }], expr: { k: "in", i: 0 }, mode: "add" });
          }
          continue;
        }
        if (dp === undefined) continue;
        outer.stmts.push({ s: "note", text: `d ${b.name ?? "matmul"}: the gradient of the hoisted product, over every step at once` });
        outer.stmts.push({ s: "gemm", count: ONE, m: sp.m, n: width, k: rows, a: { buf: dp, off: ZERO, ld: sp.m, trans: true, bstride: ZERO }, b: { buf: seq.buf, off: seq.off, ld: width, trans: false, bstride: ZERO }, c: { buf: dw.buf, off: dw.off, ld: sp.K, trans: false, bstride: ZERO }, acc: true });
        const dseq = this.dvalOf(part.hoisted.seqArg);
        if (dseq) {
          const d = this.folded(dseq, part.hoisted.lead);
          const w = this.block(sp, part, false);
          outer.stmts.push({ s: "gemm", count: ONE, m: rows, n: width, k: sp.m, a: { buf: dp, off: ZERO, ld: sp.m, trans: false, bstride: ZERO }, b: { buf: w.buf, off: w.off, ld: sp.K, trans: false, bstride: ZERO }, c: { buf: d.buf, off: d.off, ld: width, trans: false, bstride: ZERO }, acc: true });
        }
      }
    }
    // Weight gradients of products over stepped values: dW += dZ^T @ X, the rows of every step at once.
    for (const b of s.body) {
      const sp = this.splits.get(b.id);
      const dz = this.dvals.get(b.id);
      if (!sp || !dz || !this.needs.has(b.id)) continue;
      for (const part of sp.parts) {
        if (!part.gradAfter) continue;
        const x = this.valOf(part.arg);
        const dw = this.block(sp, part, true);
        outer.stmts.push({ s: "note", text: `d ${b.name ?? "matmul"}: the gradient of W's block for ${body.get(part.arg)?.name ?? "a stepped value"}, over every step at once`, ...(b.src ? { src: b.src } : {}) });
        outer.stmts.push({ s: "gemm", count: ONE, m: sp.m, n: part.width, k: eMul(T, N), a: { buf: dz.buf, off: atStep(dz.off, ZERO), ld: sp.m, trans: true, bstride: ZERO }, b: { buf: x.buf, off: atStep(x.off, ZERO), ld: part.width, trans: false, bstride: ZERO }, c: { buf: dw.buf, off: dw.off, ld: sp.K, trans: false, bstride: ZERO }, acc: true });
      }
    }
    // The initial states' adjoints (unless BPTT gave the initial values: then the gradient stops there).
    for (const st of s.states) {
      const dInit = this.dvalOf(st.init);
      if (!dInit) continue;
      const c = carry.get(st.name)!;
      const add: Stmt[] = [];
      const saved = this.frame;
      this.frame = { stmts: add };
      this.map({ n: N, ext: c.ext }, this.folded(dInit, lead), [c], ([v]) => v!, "add");
      this.frame = saved;
      outer.stmts.push({ s: "unlessInitial", key: `${s.name}.${st.name}`, body: add });
    }
  }
}

/** Step t of a sequence view [N, T, ...] as [N, ...]. */
function stepOf(v: Val, t: E): Val {
  return { ...v, off: eAdd(v.off, eMul(t, v.str[0]!)), ext: v.ext.slice(1), str: v.str.slice(1), n: v.n };
}

/** Index references of a map's expression count the batch axis when the space has one. */
function shiftIdx(s: Scalar, by: number): Scalar {
  if (by === 0) return s;
  if (s.k === "idx") return IDX(s.axis + by);
  if (s.k === "fn") return { ...s, args: s.args.map((a) => shiftIdx(a, by)) };
  return s;
}

function describe(n: Node, name: string | undefined): string {
  const what = n.kind === "op" ? n.op : n.kind === "scan" ? `scan of ${n.scan.cell}` : n.kind;
  return name ? `${name} (${what})` : what;
}

/** The kernel program of a model's graph. */
export function lowerGraph(graph: Graph, options: Partial<KernelOptions> = {}): KernelProgram {
  return new Lowering(graph, { ...KERNEL_DEFAULTS, ...options }).lower();
}
