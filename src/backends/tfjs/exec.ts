/**
 * Runs a Graph with TensorFlow.js: parameters as tf.Variables, a forward pass
 * that evaluates each node with the op table (folding mapped axes into the
 * batch), scans as loops over time, and the loss (per-example losses summed,
 * averaged over the batch) whose gradients tf.variableGrads computes.
 */
import type * as tfTypes from "@tensorflow/tfjs";
import { Poly } from "../../check/dims.js";
import type { Dim, Graph, Node, Param, Scan } from "../../graph/graph.js";
import { initialValues, paramSeed, Rng } from "../init.js";
import type { Engine, Tf } from "./engine.js";
import { maskedStates, reshapeOneHot, TF_OPS, unstackSteps, type Arg } from "./ops.js";
import { DEFAULT_EXEC_OPTIONS, runOptimizedScan, type ExecOptions, type ScanEnv } from "./optimize.js";

export type { ExecOptions } from "./optimize.js";
import { LOSS_OPS as LOSS_OP_LIST } from "../../ir/ops.js";

/** Ops that see padding masks: losses, and last and the reductions over time. */
const MASKED_OPS: ReadonlySet<string> = new Set([...LOSS_OP_LIST, "last", "sum", "mean", "max"]);

type Tensor = tfTypes.Tensor;

/** Values of the free dims for one batch (sequence lengths, data vocabulary sizes). */
export type DimValues = Record<string, number>;

/** A dim's value given the bound atoms of the graph and the free ones of this batch. */
export function dimValue(graph: Graph, d: Dim, free: DimValues): number {
  const units = new Map<string, Poly>();
  for (const a of graph.dims) {
    const v = a.value ?? free[a.name];
    if (v === undefined) continue;
    units.set(a.name, Poly.const(v / a.multiple));
  }
  const v = Poly.fromTerms(d).substitute(units).constValue();
  if (v === undefined) throw new Error(`the dims ${graph.dims.filter((a) => a.value === undefined && free[a.name] === undefined).map((a) => a.name).join(", ")} have no value`);
  return v;
}

export interface ForwardResult {
  /** Every model-level node's value. */
  values: Map<number, Tensor>;
  /** The mean over the batch of the summed per-example losses. */
  loss: tfTypes.Scalar;
  /** The final states of each model-level scan, by scan instance name and state name ([batch, ...lead, ...state]). */
  states: ScanStates;
}

/** States of model-level scans by scan instance name, then state name: what truncated BPTT carries between windows. */
export type ScanStates = Record<string, Record<string, Tensor>>;

export class TfModel {
  readonly params = new Map<string, tfTypes.Variable>();
  /** Which executor optimisations are on (all by default; the benchmark switches them off one by one). */
  readonly options: ExecOptions = { ...DEFAULT_EXEC_OPTIONS };
  /** Scans run by the optimised paths so far (hoisted: either path; the plain loop runs the others). */
  hoistedScans = 0;
  /** Scans run fused (one op with its own gradient, see fused.ts) so far. */
  fusedScans = 0;
  private readonly byId = new Map<number, Param>();
  /** Whether each node's value has the batch axis (known from the graph; params and constants do not). */
  private readonly batched = new Map<number, boolean>();

  constructor(
    readonly graph: Graph,
    readonly engine: Engine,
    /** Values of free dims that are fixed for the whole run (e.g. a data vocabulary's size V). */
    readonly fixedDims: DimValues,
    seed: number,
  ) {
    for (const p of graph.params) {
      const shape = p.shape.map((d) => dimValue(graph, d, fixedDims));
      const values = initialValues(p.init, shape, new Rng(paramSeed(seed, p.name)));
      // tfjs names variables process-wide, so they stay anonymous; `params` maps our names to them.
      const initial = engine.tf.tensor(Float32Array.from(values), shape);
      this.params.set(p.name, engine.tf.variable(initial, true));
      initial.dispose();
      this.byId.set(p.id, p);
      this.batched.set(p.id, false);
    }
    for (const n of collect(graph.nodes)) {
      this.batched.set(n.id, n.batched);
      this.shapes.set(n.id, n.shape);
    }
  }

  private readonly shapes = new Map<number, Dim[]>();

  private shapeOf(id: number): Dim[] {
    return this.shapes.get(id) ?? this.byId.get(id)?.shape ?? [];
  }

  private get tf(): Tf {
    return this.engine.tf;
  }

  /** Frees the parameters' memory. */
  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }

  /** Sets parameter values (e.g. from a checkpoint or another target), by name. */
  setWeights(weights: Record<string, Float32Array | Float64Array | number[]>): void {
    for (const [name, v] of Object.entries(weights)) {
      const variable = this.params.get(name);
      if (!variable) throw new Error(`no parameter ${name}`);
      const value = this.tf.tensor(Float32Array.from(v), variable.shape);
      variable.assign(value);
      value.dispose();
    }
  }

  /**
   * The forward pass and loss for one batch. `inputs` holds every input and
   * target by name, with a leading batch axis; token inputs are int32.
   * `initial` replaces the initial values of model-level scans' states (by
   * scan instance name, then state name; truncated BPTT passes the previous
   * window's final states, as plain tensors so the gradient stops there).
   */
  forward(inputs: Record<string, Tensor>, free: DimValues, lengths: Record<string, ArrayLike<number>> = {}, initial: ScanStates = {}): ForwardResult {
    const dims = { ...this.fixedDims, ...free };
    const env = new Map<number, Tensor>();
    const finals = new Map<number, Map<string, Tensor>>();
    this.masks = new Map();
    this.lengths = lengths;
    this.dims = dims;
    this.transposes = new Map();
    try {
      return this.run(inputs, dims, initial, env, finals);
    } finally {
      this.transposes = new Map();
    }
  }

  private run(inputs: Record<string, Tensor>, dims: DimValues, initial: ScanStates, env: Map<number, Tensor>, finals: Map<number, Map<string, Tensor>>): ForwardResult {
    for (const node of this.graph.nodes) {
      if (node.kind === "input") {
        const t = inputs[node.name];
        if (!t) throw new Error(`no data for ${node.role} ${node.name}`);
        env.set(node.id, t);
      } else if (node.kind === "scan" && initial[node.scan.name]) {
        const { out, states } = this.runScan(node.scan, node.lead, env, dims, initial[node.scan.name]);
        finals.set(node.id, states);
        env.set(node.id, out);
      } else env.set(node.id, this.evalNode(node, env, finals, dims));
    }
    const losses = this.graph.losses.map((id) => env.get(id)!);
    const total = losses.reduce((a, b) => this.tf.add(a, b));
    const states: ScanStates = {};
    for (const node of this.graph.nodes) if (node.kind === "scan") states[node.scan.name] = Object.fromEntries(finals.get(node.id)!);
    return { values: env, loss: this.tf.mean(total) as tfTypes.Scalar, states };
  }

  private masks = new Map<string, Tensor | undefined>();
  /** Transposed weights of the current forward pass (see OpContext.transposes). */
  private transposes = new Map<Tensor, Tensor>();
  private lengths: Record<string, ArrayLike<number>> = {};
  private dims: DimValues = {};

  /**
   * The padding mask of a time axis, [B, T] (1 for real steps), when the axis is
   * a free length dim whose per-example lengths came with the batch.
   */
  /**
   * After a forward pass: the padding mask [B, T] of a node's first axis (1 for real
   * steps), or undefined when that axis is not a padded length dim.
   */
  maskOf(nodeId: number): Tensor | undefined {
    return this.maskFor(this.shapeOf(nodeId)[0]);
  }

  private maskFor(axis: Dim | undefined): Tensor | undefined {
    if (!axis || axis.length !== 1) return undefined;
    const [[atom, coefficient]] = axis as [[string, number]];
    const info = this.graph.dims.find((a) => a.name === atom);
    const lens = this.lengths[atom];
    if (!info || !lens || coefficient !== info.multiple) return undefined;
    if (this.masks.has(atom)) return this.masks.get(atom);
    const steps = this.dims[atom]!;
    if (Array.from(lens).every((l) => l >= steps)) {
      this.masks.set(atom, undefined); // nothing is padded: no masking work in the hot loops
      return undefined;
    }
    const data = new Float32Array(lens.length * steps);
    for (let i = 0; i < lens.length; i++) for (let t = 0; t < Math.min(steps, lens[i]!); t++) data[i * steps + t] = 1;
    const mask = this.tf.tensor2d(data, [lens.length, steps]);
    this.masks.set(atom, mask);
    return mask;
  }

  private value(id: number, env: Map<number, Tensor>): Arg {
    const p = this.byId.get(id);
    if (p) return { t: this.params.get(p.name)!, batched: false };
    const t = env.get(id);
    if (!t) throw new Error(`node ${id} has no value yet`);
    return { t, batched: this.batched.get(id)! };
  }

  private evalNode(node: Node, env: Map<number, Tensor>, finals: Map<number, Map<string, Tensor>>, dims: DimValues): Tensor {
    switch (node.kind) {
      case "const":
        return this.tf.scalar(node.value);
      case "input":
      case "placeholder":
        throw new Error(`${node.kind} ${node.name} has no value`);
      case "final":
        return finals.get(node.scanNode)!.get(node.state)!;
      case "op":
        return this.evalOp(node, env, dims);
      case "scan": {
        const { out, states } = this.runScan(node.scan, node.lead, env, dims);
        finals.set(node.id, states);
        return out;
      }
    }
  }

  private evalOp(node: Extract<Node, { kind: "op" }>, env: Map<number, Tensor>, dims: DimValues): Tensor {
    const tf = this.tf;
    const args = node.args.map((id) => this.value(id, env));
    const attrs = node.op === "one_hot" ? { ...node.attrs, depth: dimValue(this.graph, node.shape[node.shape.length - 1]!, dims) } : node.attrs;
    if (node.lead === 0 || !node.batched) {
      const mask = MASKED_OPS.has(node.op) ? this.maskFor(this.shapeOf(node.args[0]!)[0]) : undefined;
      return TF_OPS[node.op](args, { tf, attrs, batched: node.batched, rank: node.shape.length, transposes: this.transposes, ...(mask ? { mask } : {}) });
    }
    // Fold the mapped axes into the batch axis, apply, unfold.
    const first = args.find((a) => a.batched)!;
    const lead = first.t.shape.slice(0, 1 + node.lead);
    const n = lead.reduce((a, b) => a * b, 1);
    const folded = args.map((a) => (a.batched ? { t: reshapeOneHot(tf, a.t, [n, ...a.t.shape.slice(1 + node.lead)]), batched: true } : a));
    const out = TF_OPS[node.op](folded, { tf, attrs, batched: true, rank: node.shape.length - node.lead, transposes: this.transposes });
    return out.reshape([...lead, ...out.shape.slice(1)]);
  }

  /** What the scan optimiser needs of the model for one forward pass. */
  private scanEnv(dims: DimValues): ScanEnv {
    return {
      tf: this.tf,
      transposes: this.transposes,
      param: (id) => {
        const p = this.byId.get(id);
        return p ? this.params.get(p.name) : undefined;
      },
      dim: (d) => dimValue(this.graph, d, dims),
      attrs: (node) => (node.op === "one_hot" ? { ...node.attrs, depth: dimValue(this.graph, node.shape[node.shape.length - 1]!, dims) } : node.attrs),
    };
  }

  private runScan(scan: Scan, lead: number, env: Map<number, Tensor>, dims: DimValues, initial?: Record<string, Tensor>): { out: Tensor; states: Map<string, Tensor> } {
    const tf = this.tf;
    const seqs = scan.seq.map((s) => env.get(s.arg)!);
    const leadShape = seqs[0]!.shape.slice(0, 1 + lead);
    const n = leadShape.reduce((a, b) => a * b, 1);
    const fold = (t: Tensor) => (lead === 0 ? t : reshapeOneHot(tf, t, [n, ...t.shape.slice(1 + lead)]));
    const length = seqs[0]!.shape[1 + lead]!;
    const body = new Map<number, Tensor>();
    for (const c of scan.ctx) body.set(c.placeholder, fold(env.get(c.arg)!));
    const stateNodes = new Map(scan.body.filter((b) => b.kind === "placeholder").map((b) => [b.id, b]));
    let current = scan.states.map((s) => {
      const init = this.value(s.init, env);
      const shape = stateNodes.get(s.placeholder)!.shape.map((d) => dimValue(this.graph, d, dims));
      const given = initial?.[s.name];
      if (given) {
        const want = [...leadShape, ...shape];
        if (given.shape.join() !== want.join()) throw new Error(`the initial ${scan.name}.${s.name} has shape [${given.shape.join(", ")}], not [${want.join(", ")}]`);
        return fold(given);
      }
      if (init.batched) return fold(init.t);
      // zeros + init rather than broadcastTo: wasm's Tile kernel is ~5x slower than Fill and a broadcasting Add.
      return tf.add(tf.zeros([n, ...shape]), init.t);
    });
    const unfold = (t: Tensor) => (lead === 0 ? t : t.reshape([...leadShape, ...t.shape.slice(1)]));
    // Over padded steps a state keeps its value: padding changes neither final states nor (reverse) what follows.
    const seqNode = scan.seq[0] ? this.shapeOf(scan.seq[0].arg) : [];
    const mask = lead === 0 ? this.maskFor(seqNode[0]) : undefined;
    if (scan.ctx.length === 0) {
      // Mapped axes folded into the batch, so that mapped and plain scans compute the same thing.
      const fast = runOptimizedScan(this.scanEnv(dims), scan, seqs.map(fold), current, mask, this.options);
      if (fast) {
        this.hoistedScans++;
        if (fast.path === "fused") this.fusedScans++;
        return { out: unfold(fast.out), states: new Map([...fast.states].map(([k, v]) => [k, unfold(v)])) };
      }
    }
    const steps = seqs.map((t) => unstackSteps(tf, fold(t), 1));
    const outs: Tensor[] = new Array<Tensor>(length);
    const order = [...Array(length).keys()];
    if (scan.reverse) order.reverse();
    const finals = new Map<number, Map<string, Tensor>>();
    // Constants are made once, not at every step.
    for (const node of scan.body) if (node.kind === "const") body.set(node.id, tf.scalar(node.value));
    for (const t of order) {
      scan.seq.forEach((s, i) => body.set(s.placeholder, steps[i]![t]!));
      scan.states.forEach((s, i) => body.set(s.placeholder, current[i]!));
      for (const node of scan.body) {
        if (node.kind === "placeholder" || node.kind === "const") continue;
        body.set(node.id, this.evalNode(node, body, finals, dims));
      }
      outs[t] = body.get(scan.out)!;
      const next = scan.states.map((s) => body.get(s.next)!);
      current = mask ? maskedStates(tf, mask, t, current, next) : next;
    }
    const out = unfold(tf.stack(outs, 1));
    return { out, states: new Map(scan.states.map((s, i) => [s.name, unfold(current[i]!)])) };
  }
}

/** Every node of a graph, scan bodies included. */
function collect(nodes: Node[]): Node[] {
  return nodes.flatMap((n) => (n.kind === "scan" ? [n, ...collect(n.scan.body)] : [n]));
}
