/**
 * Runs a Graph with TensorFlow.js: parameters as tf.Variables, a forward pass
 * that evaluates each node with the op table (folding mapped axes into the
 * batch), scans as loops over time, and the loss (per-example losses summed,
 * averaged over the batch) whose gradients tf.variableGrads computes.
 */
import type * as tfTypes from "@tensorflow/tfjs";
import { dimValue, type DimValues } from "../../graph/dims.js";
import { NodeError, type Attr, type Dim, type Graph, type Node, type Param, type Scan } from "../../graph/graph.js";
import { drawMask, initialValues, paramSeed, Rng } from "../../runtime/init.js";
import type { Engine, Tf } from "./engine.js";
import { batchOfN, maskedStates, reshapeOneHot, TF_OPS, unstackSteps, type Arg, type OpContext } from "./ops.js";
import { PADDING, PaddingError, type PadCall } from "./padding.js";
import { DEFAULT_EXEC_OPTIONS, runOptimizedScan, type ExecOptions, type ScanEnv } from "./optimize.js";

export type { ExecOptions } from "./optimize.js";


type Tensor = tfTypes.Tensor;

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

/**
 * A limit of this target (exit 1, at the batch_normalize in the spec): training batch statistics on a ragged
 * batch that must run by length (another op has no padding rule), where each group would get its own.
 */
export class GroupedStatisticsError extends NodeError {}

export class TfModel {
  readonly params = new Map<string, tfTypes.Variable>();
  /** Which executor optimisations are on (all by default; the benchmark switches them off one by one). */
  readonly options: ExecOptions = { ...DEFAULT_EXEC_OPTIONS };
  /** Scans run by the optimised paths so far (hoisted: either path; the plain loop runs the others). */
  hoistedScans = 0;
  /** Scans run fused (one op with its own gradient, see fused.ts) so far. */
  fusedScans = 0;
  private readonly byId = new Map<number, Param>();
  /** The spec's consts: fixed tensors, not variables (no gradient reaches them). */
  private readonly constants = new Map<number, Tensor>();
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
      this.params.set(p.name, engine.tf.variable(initial, p.trainable !== false));
      initial.dispose();
      this.byId.set(p.id, p);
      this.batched.set(p.id, false);
    }
    for (const c of graph.constants) {
      this.constants.set(c.id, engine.tf.tensor(Float32Array.from(c.values), c.shape.map((d) => dimValue(graph, d, fixedDims))));
      this.shapes.set(c.id, c.shape);
      this.batched.set(c.id, false);
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
    this.dropStatistics();
    for (const c of this.constants.values()) c.dispose();
    this.constants.clear();
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
    // Padded: some example is shorter than the batch's length of some length dim.
    const padded = Object.entries(lengths).some(([atom, l]) => Array.from(l).some((x) => x !== free[atom]));
    // Lengths that are all the batch's own: nothing is padded, and no op needs to hear of padding.
    if (!padded) return this.forwardPadded(inputs, free, {}, initial);
    if (this.paddingFails !== undefined) return this.forwardByLength(inputs, free, lengths, initial);
    try {
      return this.forwardPadded(inputs, free, lengths, initial);
    } catch (e) {
      if (!(e instanceof PaddingError)) throw e;
      // An op that cannot respect padding (padding.ts): from now on, run such batches by length.
      this.paddingFails = e.message;
      return this.forwardByLength(inputs, free, lengths, initial);
    }
  }

  /** Set once a padded batch met an op that cannot respect its padding: what that op said. */
  private paddingFails: string | undefined;

  /**
   * A padded batch run as groups of examples of equal lengths (each unpadded,
   * so each computes exactly what its examples compute alone), put back
   * together: the loss is the mean over all examples, every value and final
   * state is padded back (with zeros) to the batch's shape in the batch's order.
   */
  private forwardByLength(inputs: Record<string, Tensor>, free: DimValues, lengths: Record<string, ArrayLike<number>>, initial: ScanStates): ForwardResult {
    const tf = this.tf;
    const normalise = this.training === undefined ? undefined : collect(this.graph.nodes).find((nd) => nd.kind === "op" && nd.op === "batch_normalize");
    if (normalise) {
      // Each group would normalise with its own statistics, not the batch's (as a padded batch and the other targets do).
      throw new GroupedStatisticsError(
        `batch_normalize cannot train on a batch of examples of different lengths here: another op of the model cannot run a padded batch (${this.paddingFails}), so the batch runs as groups of one length, and each group would get its own batch statistics; give examples of one length, train with --batch 1, or train with the ts target (seqc compile --target ts), whose batches hold examples of one length`,
        normalise.src,
      );
    }
    const atoms = Object.keys(lengths);
    const n = lengths[atoms[0]!]!.length;
    const groups = new Map<string, number[]>();
    for (let i = 0; i < n; i++) {
      const key = atoms.map((a) => lengths[a]![i]).join(",");
      groups.set(key, [...(groups.get(key) ?? []), i]);
    }
    const full = { ...this.fixedDims, ...free };
    const inputNodes = new Map(this.graph.nodes.flatMap((nd) => (nd.kind === "input" ? [[nd.name, nd] as const] : [])));
    const parts: { rows: number[]; r: ForwardResult }[] = [];
    for (const rows of groups.values()) {
      const own: DimValues = { ...free, ...Object.fromEntries(atoms.map((a) => [a, lengths[a]![rows[0]!]!])) };
      const dims = { ...this.fixedDims, ...own };
      const idx = tf.tensor1d(rows, "int32");
      const cut = (t: Tensor, shape: number[]) => tf.slice(tf.gather(t, idx), Array<number>(t.rank).fill(0), [rows.length, ...shape]);
      const groupInputs = Object.fromEntries(Object.entries(inputs).map(([name, t]) => [name, cut(t, inputNodes.get(name)!.shape.map((d) => dimValue(this.graph, d, dims)))]));
      const groupInitial: ScanStates = Object.fromEntries(Object.entries(initial).map(([scan, st]) => [scan, Object.fromEntries(Object.entries(st).map(([k, t]) => [k, tf.gather(t, idx)]))]));
      parts.push({ rows, r: this.forwardPadded(groupInputs, own, {}, groupInitial) });
    }
    // Back to the whole batch: this pass's masks are the batch's again (eval and predict read them).
    this.masks = new Map();
    this.lengths = lengths;
    this.anyLengths = true;
    this.dims = full;
    const order = tf.tensor1d(
      (() => {
        const inverse = new Array<number>(n);
        parts.flatMap((p) => p.rows).forEach((row, k) => (inverse[row] = k));
        return inverse;
      })(),
      "int32",
    );
    const join = (ts: Tensor[]): Tensor => {
      const shape = ts.reduce((m, t) => m.map((d, i) => Math.max(d, t.shape[i]!)), [...ts[0]!.shape]);
      const padded = ts.map((t) => tf.pad(t, t.shape.map((d, i) => [0, i === 0 ? 0 : shape[i]! - d] as [number, number])));
      return tf.gather(tf.concat(padded, 0), order);
    };
    const values = new Map<number, Tensor>();
    for (const id of parts[0]!.r.values.keys()) {
      const ts = parts.map((p) => p.r.values.get(id)!);
      values.set(id, this.batched.get(id) === false ? ts[0]! : join(ts));
    }
    const states: ScanStates = {};
    for (const [scan, st] of Object.entries(parts[0]!.r.states)) states[scan] = Object.fromEntries(Object.keys(st).map((k) => [k, join(parts.map((p) => p.r.states[scan]![k]!))]));
    const loss = tf.div(tf.addN(parts.map((p) => tf.mul(p.r.loss, p.rows.length))), n) as tfTypes.Scalar;
    return { values, loss, states };
  }

  private forwardPadded(inputs: Record<string, Tensor>, free: DimValues, lengths: Record<string, ArrayLike<number>>, initial: ScanStates): ForwardResult {
    const dims = { ...this.fixedDims, ...free };
    const env = new Map<number, Tensor>();
    const finals = new Map<number, Map<string, Tensor>>();
    this.masks = new Map();
    this.lengths = lengths;
    this.anyLengths = Object.keys(lengths).length > 0;
    this.dims = dims;
    this.transposes = new Map();
    try {
      return this.run(inputs, dims, initial, env, finals);
    } finally {
      this.transposes = new Map();
    }
  }

  /**
   * Training mode: undefined (the default) runs the network for inference, as eval, predict and sample do (no
   * dropout, batch_normalize with its running statistics); a seed runs every later forward pass as training
   * does: dropout masks drawn from it (the same masks each time: runtime/init.ts drawMask) and batch statistics,
   * kept for updateStatistics. The trainer sets one per update (dropoutSeed).
   */
  training: number | undefined = undefined;

  /** The batch statistics of each batch_normalize node in the last forward pass while training (kept tensors). */
  private readonly statistics = new Map<number, { node: Extract<Node, { kind: "op" }>; mean: Tensor; variance: Tensor }>();

  /** The statistics callback of an op node while training (OpContext.statistics). */
  private statisticsOf(node: Extract<Node, { kind: "op" }>): OpContext["statistics"] {
    if (this.training === undefined || node.op !== "batch_normalize") return undefined;
    return (mean, variance) => {
      this.dropStatistics(node.id);
      this.statistics.set(node.id, { node, mean: this.tf.keep(mean), variance: this.tf.keep(variance) });
    };
  }

  private dropStatistics(id?: number): void {
    for (const [k, s] of this.statistics) {
      if (id !== undefined && k !== id) continue;
      this.tf.dispose([s.mean, s.variance]);
      this.statistics.delete(k);
    }
  }

  /**
   * After a training step: each batch_normalize's running statistics move towards the last forward pass's
   * batch statistics, running = momentum * running + (1 - momentum) * batch's (the ts target does the same in
   * its forward pass while training).
   */
  updateStatistics(): void {
    const tf = this.tf;
    for (const { node, mean, variance } of this.statistics.values()) {
      const momentum = Number(node.attrs["momentum"]);
      [mean, variance].forEach((batch, i) => {
        const running = this.params.get(this.byId.get(node.args[i + 1]!)!.name)!;
        running.assign(tf.tidy(() => tf.add(tf.mul(running, momentum), tf.mul(batch, 1 - momentum))));
      });
    }
    this.dropStatistics();
  }

  private run(inputs: Record<string, Tensor>, dims: DimValues, initial: ScanStates, env: Map<number, Tensor>, finals: Map<number, Map<string, Tensor>>): ForwardResult {
    this.maskRng = this.training === undefined ? undefined : new Rng(this.training);
    this.dropStatistics();
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

  /** The generator of this forward pass's dropout masks (none: no dropout). */
  private maskRng: Rng | undefined;

  /** A dropout mask node's value: drawn while training, else ones; [batch, ...shape]. */
  private dropoutMask(node: Extract<Node, { kind: "mask" }>, env: Map<number, Tensor>, dims: DimValues): Tensor {
    const input = this.graph.nodes.find((n) => n.kind === "input")!;
    const shape = [env.get(input.id)!.shape[0]!, ...node.shape.map((d) => dimValue(this.graph, d, dims))];
    if (!this.maskRng) return this.tf.ones(shape);
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    drawMask(this.maskRng, values, values.length, node.rate);
    return this.tf.tensor(values, shape);
  }

  /** Padding masks of this forward pass, by axis dim. */
  private masks = new Map<string, Tensor | undefined>();
  /** Transposed weights of the current forward pass (see OpContext.transposes). */
  private transposes = new Map<Tensor, Tensor>();
  private lengths: Record<string, ArrayLike<number>> = {};
  /** Whether this pass has lengths at all (else no op hears of padding). */
  private anyLengths = false;
  private dims: DimValues = {};

  /**
   * After a forward pass: the padding mask [B, T] of a node's first axis (1 for real
   * steps), or undefined when that axis is not padded.
   */
  maskOf(nodeId: number): Tensor | undefined {
    return this.maskFor(this.shapeOf(nodeId)[0]);
  }

  /** Mapped axes folded into the batch while a scan body runs: the masks of its values are repeated over them. */
  private foldedLead: number[] = [];

  /**
   * The padding mask [B, n] of an axis (1 at each example's real positions), or
   * undefined when the axis is not padded in this batch. An axis is padded when
   * its dim depends on a length dim whose per-example values came with the
   * batch: example i's real extent is the dim evaluated at its own lengths (T,
   * T - 2, T/2, 4*T, ...). Inside a mapped scan's body the mask is repeated
   * over the folded axes.
   */
  private maskFor(axis: Dim | undefined): Tensor | undefined {
    if (!axis) return undefined;
    const { key, atoms } = axisInfo(axis);
    const ragged = atoms.filter((a) => this.lengths[a] !== undefined);
    if (ragged.length === 0) return undefined;
    let mask: Tensor | undefined;
    if (this.masks.has(key)) mask = this.masks.get(key);
    else {
      const n = this.lengths[ragged[0]!]!.length;
      const full = dimValue(this.graph, axis, this.dims);
      const extents = Array.from({ length: n }, (_, i) => dimValue(this.graph, axis, { ...this.dims, ...Object.fromEntries(ragged.map((a) => [a, this.lengths[a]![i]!])) }));
      if (extents.every((e) => e >= full)) mask = undefined; // nothing is padded: no masking work in the hot loops
      else {
        const data = new Float32Array(n * full);
        extents.forEach((e, i) => data.fill(1, i * full, i * full + Math.max(0, Math.min(e, full))));
        mask = this.tf.tensor2d(data, [n, full]);
      }
      this.masks.set(key, mask);
    }
    if (!mask || this.foldedLead.length === 0) return mask;
    // Repeated over the folded axes, once per pass.
    const foldedKey = `${key}|${this.foldedLead.join(",")}`;
    let folded = this.masks.get(foldedKey);
    if (!folded) {
      const [b, len] = mask.shape as [number, number];
      folded = this.tf.broadcastTo(mask.reshape([b, ...this.foldedLead.map(() => 1), len]), [b, ...this.foldedLead, len]).reshape([-1, len]);
      this.masks.set(foldedKey, folded);
    }
    return folded;
  }

  /** Per argument of an op node, per element axis after its `lead` mapped axes: the padding masks. */
  private padCall(node: Extract<Node, { kind: "op" }>, args: Arg[], attrs: Record<string, Attr>, lead: number): PadCall {
    const masks = node.args.map((id, i) => (args[i]!.batched ? this.shapeOf(id).slice(lead).map((d) => this.maskFor(d)) : this.shapeOf(id).slice(lead).map(() => undefined)));
    const outMasks = node.shape.slice(lead).map((d) => this.maskFor(d));
    return { tf: this.tf, attrs, masks, outMasks };
  }

  /** Applies an op rule to a (possibly padded) batch: padding.ts says what the op does about padding. */
  private applyOp(node: Extract<Node, { kind: "op" }>, args: Arg[], ctx: OpContext, lead: number): Tensor {
    if (!this.anyLengths) return TF_OPS[node.op](args, ctx);
    let plan;
    try {
      plan = PADDING[node.op](args, this.padCall(node, args, ctx.attrs, lead));
    } catch (e) {
      if (e instanceof PaddingError) throw new PaddingError(`${e.message} cannot run on a batch of sequences of different lengths`, node.src);
      throw e;
    }
    const given = plan.args ?? args;
    const y = plan.replace ? plan.replace(given) : TF_OPS[node.op](given, { ...ctx, ...plan.ctx });
    return plan.after ? plan.after(y) : y;
  }

  private value(id: number, env: Map<number, Tensor>): Arg {
    const p = this.byId.get(id);
    if (p) return { t: this.params.get(p.name)!, batched: false };
    const c = this.constants.get(id);
    if (c) return { t: c, batched: false };
    const t = env.get(id);
    if (!t) throw new Error(`node ${id} has no value yet`);
    return { t, batched: this.batched.get(id)! };
  }

  /** One node's value; an error names the node's place in the spec (NodeError). */
  private evalNode(node: Node, env: Map<number, Tensor>, finals: Map<number, Map<string, Tensor>>, dims: DimValues): Tensor {
    try {
      return this.evalNodeAt(node, env, finals, dims);
    } catch (e) {
      if (e instanceof NodeError) throw e;
      throw new NodeError(`${node.kind === "op" ? node.op : node.kind}: ${e instanceof Error ? e.message : String(e)}`, node.src, { cause: e });
    }
  }

  private evalNodeAt(node: Node, env: Map<number, Tensor>, finals: Map<number, Map<string, Tensor>>, dims: DimValues): Tensor {
    switch (node.kind) {
      case "const":
        return this.tf.scalar(node.value);
      case "input":
      case "placeholder":
        throw new Error(`${node.kind} ${node.name} has no value`);
      case "final":
        return finals.get(node.scanNode)!.get(node.state)!;
      case "mask":
        return this.dropoutMask(node, env, dims);
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
      const ctx: OpContext = { tf, attrs, batched: node.batched, rank: node.shape.length, transposes: this.transposes };
      const statistics = this.statisticsOf(node);
      if (statistics) ctx.statistics = statistics;
      return this.applyOp(node, args, ctx, 0);
    }
    // Fold the mapped axes into the batch axis, apply, unfold.
    const first = args.find((a) => a.batched)!;
    const lead = first.t.shape.slice(0, 1 + node.lead);
    const n = lead.reduce((a, b) => a * b, 1);
    const folded = args.map((a) => (a.batched ? { t: reshapeOneHot(tf, a.t, [n, ...a.t.shape.slice(1 + node.lead)]), batched: true } : a));
    const outer = this.foldedLead;
    this.foldedLead = [...outer, ...lead.slice(1)];
    try {
      const out = this.applyOp(node, folded, { tf, attrs, batched: true, rank: node.shape.length - node.lead, transposes: this.transposes }, node.lead);
      return out.reshape([...lead, ...out.shape.slice(1)]);
    } finally {
      this.foldedLead = outer;
    }
  }

  /** What the scan optimiser needs of the model for one forward pass. */
  private scanEnv(dims: DimValues): ScanEnv {
    return {
      tf: this.tf,
      transposes: this.transposes,
      param: (id) => {
        const p = this.byId.get(id);
        return p ? this.params.get(p.name) : this.constants.get(id);
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
    const stateNodes = new Map(scan.body.filter((b) => b.kind === "placeholder").map((b) => [b.id, b]));
    const current = scan.states.map((s) => {
      const init = this.value(s.init, env);
      const shape = stateNodes.get(s.placeholder)!.shape.map((d) => dimValue(this.graph, d, dims));
      const given = initial?.[s.name];
      if (given) {
        const want = [...leadShape, ...shape];
        if (given.shape.join() !== want.join()) throw new Error(`the initial ${scan.name}.${s.name} has shape [${given.shape.join(", ")}], not [${want.join(", ")}]`);
        return fold(given);
      }
      if (init.batched) return fold(init.t);
      return batchOfN(tf, init.t, n, shape);
    });
    const unfold = (t: Tensor) => (lead === 0 ? t : t.reshape([...leadShape, ...t.shape.slice(1)]));
    // Over padded steps a state keeps its value: padding changes neither final states nor (reverse) what follows.
    const seqNode = scan.seq[0] ? this.shapeOf(scan.seq[0].arg) : [];
    const outer = this.foldedLead;
    this.foldedLead = [...outer, ...leadShape.slice(1)];
    try {
      return this.scanSteps(scan, env, dims, seqs, fold, unfold, current, length, this.maskFor(seqNode[lead]));
    } finally {
      this.foldedLead = outer;
    }
  }

  private scanSteps(
    scan: Scan,
    env: Map<number, Tensor>,
    dims: DimValues,
    seqs: Tensor[],
    fold: (t: Tensor) => Tensor,
    unfold: (t: Tensor) => Tensor,
    init: Tensor[],
    length: number,
    mask: Tensor | undefined,
  ): { out: Tensor; states: Map<string, Tensor> } {
    const tf = this.tf;
    let current = init;
    const n = fold(seqs[0]!).shape[0]!;
    const body = new Map<number, Tensor>();
    for (const c of scan.ctx) body.set(c.placeholder, fold(env.get(c.arg)!));
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
    // The output or a next state may not depend on the batch (`c' = p`, `c' = softplus(p)`): broadcast it.
    const step = (id: number) => {
      const v = body.get(id);
      if (v && this.batched.get(id)) return v;
      return batchOfN(tf, v ?? this.value(id, env).t, n);
    };
    for (const t of order) {
      scan.seq.forEach((s, i) => body.set(s.placeholder, steps[i]![t]!));
      scan.states.forEach((s, i) => body.set(s.placeholder, current[i]!));
      for (const node of scan.body) {
        if (node.kind === "placeholder" || node.kind === "const") continue;
        body.set(node.id, this.evalNode(node, body, finals, dims));
      }
      outs[t] = step(scan.out);
      const next = scan.states.map((s) => step(s.next));
      current = mask ? maskedStates(tf, mask, t, current, next) : next;
    }
    const out = unfold(tf.stack(outs, 1));
    return { out, states: new Map(scan.states.map((s, i) => [s.name, unfold(current[i]!)])) };
  }
}

const axes = new WeakMap<Dim, { key: string; atoms: string[] }>();

/** An axis's cache key and atoms, worked out once per graph dim (shapes are the graph's own arrays). */
function axisInfo(axis: Dim): { key: string; atoms: string[] } {
  let info = axes.get(axis);
  if (!info) {
    info = { key: JSON.stringify(axis), atoms: [...new Set(axis.flatMap(([m]) => (m === "" ? [] : m.split("*"))))] };
    axes.set(axis, info);
  }
  return info;
}

/** Every node of a graph, scan bodies included. */
function collect(nodes: Node[]): Node[] {
  return nodes.flatMap((n) => (n.kind === "scan" ? [n, ...collect(n.scan.body)] : [n]));
}
