/**
 * Export to tfjs-layers (Keras's format in TensorFlow.js) and weight import
 * from it. A model exports when the value it predicts (the first loss's
 * prediction) is computed by layers that Keras has, each taking one value (or,
 * for concatenate/add, several):
 *
 * | seqc                                         | tfjs-layers                                   |
 * |----------------------------------------------|-----------------------------------------------|
 * | `embedding<E>(one_hot(x))` (x tokens)         | Embedding (embeddings = W [V, E])             |
 * | `one_hot(x)` feeding another layer            | Embedding with a fixed identity matrix        |
 * | std `elman` / `lstm` / `gru` scans            | SimpleRNN / LSTM / GRU, returnSequences true  |
 * | `last(scan)`, `first(reverse scan)`           | the same with returnSequences false           |
 * | `bidirectional` of those                      | Bidirectional(mergeMode concat)               |
 * | std `dense` (also mapped over time)           | Dense (kernel = W^T)                          |
 * | `x @ W` of an embedding's W on a non-one_hot  | Dense without bias (kernel = W)               |
 * | sigmoid, tanh, relu, elu, softplus, softmax   | Activation; leaky_relu: LeakyReLU             |
 * | std conv1d/conv2d, pad valid/same             | Conv1D/Conv2D (kernel as is)                  |
 * | `conv(x, W * mask) + b`, mask a const         | Conv1D/Conv2D, kernel = W * mask (LeNet's C3) |
 * | `conv(x, W)` of a param `PREFIX.W`, no bias   | Conv1D/Conv2D without bias                    |
 * | pad causal/full/a number                      | zeros (ZeroPadding2D) then a valid convolution |
 * | std max/avg pooling, pad valid/same           | MaxPooling1D/2D, AveragePooling1D/2D          |
 * | `max(x)`, `mean(x)` over time of [T, C]       | GlobalMaxPooling1D / GlobalAveragePooling1D   |
 * | flatten, concat (last axis), a + b            | Flatten, Concatenate, Add                     |
 * | `dropout(x, rate)`; `per: sequence` on [T, C] | Dropout; SpatialDropout1D (inactive in eval)  |
 * | std `batch_norm` (also over [T, C], [N, M, C]) | BatchNormalization (gamma = gain, beta = bias, moving statistics = the running ones) |
 *
 * Anything else (other cells, `reverse` scans outside bidirectional, initial
 * states, final states, fold/shift/flip, elementwise arithmetic with constants
 * or params, ...) is refused with an ExportError naming the construct and
 * where it is in the spec. Note that the exported model does not mask padded
 * steps: it agrees with seqc on batches of equal-length sequences.
 *
 * Weight layouts (verified against tfjs-layers in layers.test.ts): seqc
 * matrices are [out, in] applied as W @ x; Keras kernels are [in, out] applied
 * as x @ K. LSTM: seqc's one W [4H, H + X] on concat(h, x) with gates i, f, o, g
 * becomes kernel [X, 4H] and recurrent kernel [H, 4H] with gates i, f, c(=g), o.
 * GRU: gates z, r, h, reset before the recurrent product (tfjs's resetAfter
 * false).
 *
 * The directory format is TensorFlow.js's: model.json (topology and a weights
 * manifest) and weight files, readable by `tf.loadLayersModel` through
 * `directoryHandler` (TensorFlow.js has no `file://` handler without tfjs-node).
 */
import { readFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { position } from "../../diagnostics/render/lines.js";
import { lossTerms, type Dim, type Graph, type Node, type Param, type Source } from "../../graph/graph.js";
import { dimValue, solveDimsFromShapes, type DimValues } from "../../graph/dims.js";
import { writeAtomic } from "../../runtime/files.js";

type InputNode = Extract<Node, { kind: "input" }>;
type OpNode = Extract<Node, { kind: "op" }>;
type ScanNode = Extract<Node, { kind: "scan" }>;

export const LAYERS_FORMAT = "tfjs-layers";

/** A construct that has no tfjs-layers counterpart, or a foreign model that does not fit the spec. */
export class ExportError extends Error {
  constructor(
    /** What is not supported, e.g. `fold`, `the cell attention`, `conv1d with pad=causal`. */
    readonly construct: string,
    /** `file:line:col` (or `file@offset` without the source text), when known. */
    readonly where: string | undefined,
    why: string,
  ) {
    super(`${where !== undefined ? `${where}: ` : ""}${why}`);
  }
}

/** A seqc tensor: shape and values (row-major). */
export interface NamedTensor {
  shape: number[];
  values: Float32Array;
}

export type SeqcWeights = Map<string, NamedTensor>;

export interface ExportOptions {
  /** Values of the spec's free dims fixed by the data (a saved model's `dims`); others are inferred from the weights' shapes. */
  dims?: DimValues;
  /** Spec texts by file name, for line:col in errors. */
  sources?: ReadonlyMap<string, string> | Record<string, string>;
  /** The value to output (a binding's name); default the first loss's prediction. */
  value?: string;
}

// ------------------------------------------------------------------ matrices

function transpose(rows: number, cols: number, a: Float32Array): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j]!;
  return out;
}

/** Columns [c0, c0 + m) of a [rows, cols] matrix. */
function columns(a: Float32Array, rows: number, cols: number, c0: number, m: number): Float32Array {
  const out = new Float32Array(rows * m);
  for (let i = 0; i < rows; i++) for (let j = 0; j < m; j++) out[i * m + j] = a[i * cols + c0 + j]!;
  return out;
}

/** [rows, m_k] matrices side by side. */
function hcat(rows: number, parts: { cols: number; data: Float32Array }[]): Float32Array {
  const cols = parts.reduce((s, p) => s + p.cols, 0);
  const out = new Float32Array(rows * cols);
  let c0 = 0;
  for (const p of parts) {
    for (let i = 0; i < rows; i++) for (let j = 0; j < p.cols; j++) out[i * cols + c0 + j] = p.data[i * p.cols + j]!;
    c0 += p.cols;
  }
  return out;
}

function vcat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// ------------------------------------------------------------------ weight conversion

type Cell = "elman" | "lstm" | "gru";
const CELLS: readonly string[] = ["elman", "lstm", "gru"];
/** Keras LSTM gate blocks i, f, c, o are seqc's blocks i, f, g, o = 0, 1, 3, 2. */
const LSTM_GATES = [0, 1, 3, 2];
const GRU_GATES = ["z", "r", "h"];

/** What one weighted layer holds, and which seqc params. */
type WeightKind =
  | { type: "dense"; prefix: string; bias: boolean }
  | { type: "embedding"; prefix: string }
  | { type: "identity"; size: Dim }
  /** `mask`: a const the spec multiplies W by (trailing axes aligned): the kernel is W * mask, imported as it is. */
  | { type: "conv"; prefix: string; mask?: { shape: number[]; values: number[] }; bias: boolean }
  | { type: "batchNorm"; prefix: string }
  | { type: "rnn"; cell: Cell; prefixes: string[]; backwards: boolean };

const KERAS_CLASS: Record<WeightKind["type"], string> = { dense: "Dense", embedding: "Embedding", identity: "Embedding", conv: "Conv", rnn: "RNN", batchNorm: "BatchNormalization" };
/** batch_norm's params in the order of BatchNormalization's weights (gamma, beta, moving mean, moving variance). */
const BATCH_NORM_PARAMS = ["gain", "bias", "running_mean", "running_var"] as const;

/** W times a mask broadcast to W's shape (numpy rules, trailing axes aligned). */
function masked(W: NamedTensor, mask: { shape: number[]; values: number[] }): Float32Array {
  const r = W.shape.length;
  const mShape = [...Array<number>(r - mask.shape.length).fill(1), ...mask.shape];
  const mStrides = mShape.map((_, i) => mShape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new Float32Array(W.values.length);
  for (let i = 0; i < out.length; i++) {
    let rest = i;
    let at = 0;
    for (let a = r - 1; a >= 0; a--) {
      const k = rest % W.shape[a]!;
      rest = Math.floor(rest / W.shape[a]!);
      if (mShape[a] !== 1) at += k * mStrides[a]!;
    }
    out[i] = W.values[i]! * mask.values[at]!;
  }
  return out;
}
const RNN_CLASS: Record<Cell, string> = { elman: "SimpleRNN", lstm: "LSTM", gru: "GRU" };

function need(w: SeqcWeights, name: string): NamedTensor {
  const t = w.get(name);
  if (!t) throw new ExportError(name, undefined, `no weights for the parameter ${name}`);
  return t;
}

/** seqc params of one recurrent layer -> Keras [kernel, recurrentKernel, bias]. */
function rnnToKeras(cell: Cell, w: SeqcWeights, p: string): Float32Array[] {
  if (cell === "elman") {
    const W = need(w, `${p}.W`);
    const [h, x] = W.shape as [number, number];
    return [transpose(h, x, W.values), transpose(h, h, need(w, `${p}.U`).values), need(w, `${p}.b`).values.slice()];
  }
  if (cell === "lstm") {
    const W = need(w, `${p}.W`);
    const b = need(w, `${p}.b`).values;
    const h = W.shape[0]! / 4;
    const x = W.shape[1]! - h;
    const wt = transpose(4 * h, h + x, W.values); // [H + X, 4H]: rows h-part then x-part
    const rec = wt.slice(0, h * 4 * h);
    const ker = wt.slice(h * 4 * h);
    const pick = (m: Float32Array, rows: number) => hcat(rows, LSTM_GATES.map((g) => ({ cols: h, data: columns(m, rows, 4 * h, g * h, h) })));
    return [pick(ker, x), pick(rec, h), vcat(LSTM_GATES.map((g) => b.slice(g * h, (g + 1) * h)))];
  }
  const W = need(w, `${p}.W_z`);
  const [h, x] = W.shape as [number, number];
  const kernel = hcat(x, GRU_GATES.map((g) => ({ cols: h, data: transpose(h, x, need(w, `${p}.W_${g}`).values) })));
  const recurrent = hcat(h, GRU_GATES.map((g) => ({ cols: h, data: transpose(h, h, need(w, `${p}.U_${g}`).values) })));
  return [kernel, recurrent, vcat(GRU_GATES.map((g) => need(w, `${p}.b_${g}`).values))];
}

/** Keras [kernel, recurrentKernel, bias] -> seqc params of one recurrent layer. */
function rnnFromKeras(cell: Cell, ws: NamedTensor[], p: string, out: SeqcWeights): void {
  const [kernel, recurrent, bias] = ws as [NamedTensor, NamedTensor, NamedTensor];
  const x = kernel.shape[0]!;
  const gates = cell === "lstm" ? 4 : cell === "gru" ? 3 : 1;
  const h = kernel.shape[1]! / gates;
  if (cell === "elman") {
    out.set(`${p}.W`, { shape: [h, x], values: transpose(x, h, kernel.values) });
    out.set(`${p}.U`, { shape: [h, h], values: transpose(h, h, recurrent.values) });
    out.set(`${p}.b`, { shape: [h], values: bias.values.slice() });
    return;
  }
  if (cell === "lstm") {
    // Back to seqc's block order i, f, o, g: seqc block s is Keras block LSTM_GATES.indexOf(s).
    const order = [0, 1, 2, 3].map((s) => LSTM_GATES.indexOf(s));
    const reorder = (m: Float32Array, rows: number) => hcat(rows, order.map((k) => ({ cols: h, data: columns(m, rows, 4 * h, k * h, h) })));
    const wt = vcat([reorder(recurrent.values, h), reorder(kernel.values, x)]); // [H + X, 4H]
    out.set(`${p}.W`, { shape: [4 * h, h + x], values: transpose(h + x, 4 * h, wt) });
    out.set(`${p}.b`, { shape: [4 * h], values: vcat(order.map((k) => bias.values.slice(k * h, (k + 1) * h))) });
    return;
  }
  GRU_GATES.forEach((g, k) => {
    out.set(`${p}.W_${g}`, { shape: [h, x], values: transpose(x, h, columns(kernel.values, x, 3 * h, k * h, h)) });
    out.set(`${p}.U_${g}`, { shape: [h, h], values: transpose(h, h, columns(recurrent.values, h, 3 * h, k * h, h)) });
    out.set(`${p}.b_${g}`, { shape: [h], values: bias.values.slice(k * h, (k + 1) * h) });
  });
}

/** seqc weights of one layer -> the layer's weights, in tfjs-layers' order. */
function toKeras(kind: WeightKind, w: SeqcWeights, size: (d: Dim) => number): Float32Array[] {
  switch (kind.type) {
    case "dense": {
      const W = need(w, `${kind.prefix}.W`);
      if (!kind.bias) return [W.values.slice()]; // x @ W: W [D, N] is already a kernel
      const [n, d] = W.shape as [number, number];
      return [transpose(n, d, W.values), need(w, `${kind.prefix}.b`).values.slice()];
    }
    case "embedding":
      return [need(w, `${kind.prefix}.W`).values.slice()];
    case "identity": {
      const v = size(kind.size);
      const eye = new Float32Array(v * v);
      for (let i = 0; i < v; i++) eye[i * v + i] = 1;
      return [eye];
    }
    case "conv": {
      const W = need(w, `${kind.prefix}.W`);
      const kernel = kind.mask ? masked(W, kind.mask) : W.values.slice();
      return kind.bias ? [kernel, need(w, `${kind.prefix}.b`).values.slice()] : [kernel];
    }
    case "batchNorm":
      return BATCH_NORM_PARAMS.map((p) => need(w, `${kind.prefix}.${p}`).values.slice());
    case "rnn":
      return kind.prefixes.flatMap((p) => rnnToKeras(kind.cell, w, p));
  }
}

/** A layer's weights -> seqc weights. */
function fromKeras(kind: WeightKind, ws: NamedTensor[], out: SeqcWeights): void {
  switch (kind.type) {
    case "dense": {
      const k = ws[0]!;
      if (!kind.bias) {
        out.set(`${kind.prefix}.W`, { shape: [...k.shape], values: k.values.slice() });
        return;
      }
      const [d, n] = k.shape as [number, number];
      out.set(`${kind.prefix}.W`, { shape: [n, d], values: transpose(d, n, k.values) });
      out.set(`${kind.prefix}.b`, { shape: [n], values: ws[1]!.values.slice() });
      return;
    }
    case "embedding":
      out.set(`${kind.prefix}.W`, { shape: [...ws[0]!.shape], values: ws[0]!.values.slice() });
      return;
    case "identity":
      return;
    case "conv":
      out.set(`${kind.prefix}.W`, { shape: [...ws[0]!.shape], values: ws[0]!.values.slice() });
      if (kind.bias) out.set(`${kind.prefix}.b`, { shape: [...ws[1]!.shape], values: ws[1]!.values.slice() });
      return;
    case "batchNorm":
      BATCH_NORM_PARAMS.forEach((p, i) => out.set(`${kind.prefix}.${p}`, { shape: [...ws[i]!.shape], values: ws[i]!.values.slice() }));
      return;
    case "rnn":
      kind.prefixes.forEach((p, i) => rnnFromKeras(kind.cell, ws.slice(3 * i, 3 * i + 3), p, out));
  }
}

/** Number of weight tensors of a layer of this kind. */
function weightCount(kind: WeightKind): number {
  return kind.type === "dense" ? (kind.bias ? 2 : 1) : kind.type === "conv" ? (kind.bias ? 2 : 1) : kind.type === "batchNorm" ? BATCH_NORM_PARAMS.length : kind.type === "rnn" ? 3 * kind.prefixes.length : 1;
}

// ------------------------------------------------------------------ the plan

/** One step of the exported model: an input, or a layer applied to earlier steps. */
type Step =
  | { kind: "input"; name: string; node: InputNode }
  | {
      kind: "layer";
      name: string;
      inputs: number[];
      /** The layer, given the dims' values. */
      make: (size: (d: Dim) => number, name: string) => tf.layers.Layer;
      weights?: WeightKind;
      /** For activation layers: the function (to accept Keras layers that fuse it into the preceding Dense). */
      activation?: string;
    };

interface Plan {
  steps: Step[];
  output: number;
  inputs: number[];
}

const SYMBOLS: Record<string, string> = { add: "+", sub: "-", mul: "*", div: "/", matmul: "@", neg: "-" };
const ACTIVATIONS: Record<string, string> = { sigmoid: "sigmoid", tanh: "tanh", relu: "relu", elu: "elu", softplus: "softplus", softmax: "softmax" };

/** Recognises the layers that compute a value, walking back from it. */
class Planner {
  readonly steps: Step[] = [];
  private readonly memo = new Map<number, number>();
  private readonly nodes = new Map<number, Node>();
  private readonly params = new Map<number, Param>();
  private readonly uses = new Map<number, number>();
  private readonly names = new Set<string>();
  private readonly sources: Map<string, string>;

  constructor(
    private readonly graph: Graph,
    sources: ReadonlyMap<string, string> | Record<string, string> | undefined,
  ) {
    this.sources = sources instanceof Map ? new Map(sources) : new Map(Object.entries(sources ?? {}));
    for (const p of graph.params) this.params.set(p.id, p);
    for (const n of graph.nodes) {
      this.nodes.set(n.id, n);
      const used = n.kind === "op" ? n.args : n.kind === "scan" ? [...n.scan.seq.map((s) => s.arg), ...n.scan.ctx.map((s) => s.arg), ...n.scan.states.map((s) => s.init)] : n.kind === "final" ? [n.scanNode] : [];
      for (const a of used) this.uses.set(a, (this.uses.get(a) ?? 0) + 1);
    }
  }

  // -------------------------------------------------------------- locations and errors

  private where(src: Source | undefined): string | undefined {
    if (!src) return undefined;
    const text = this.sources.get(src.file);
    if (text === undefined) return `${src.file}@${src.loc.start}`;
    const p = position(text, src.loc.start);
    return `${src.file}:${p.line}:${p.column}`;
  }

  /**
   * Where a node is in the user's spec: its own place; inside an inlined std fn,
   * the statement that binds it (or that its params are named after), else the
   * first such place among the nodes that use it.
   */
  private srcOf(node: Node): Source | undefined {
    const reached = new Set<number>();
    for (const n of [node, ...this.graph.nodes.slice(this.graph.nodes.indexOf(node) + 1)]) {
      const used = n.kind === "op" ? n.args : n.kind === "scan" ? n.scan.seq.map((s) => s.arg) : [];
      if (n !== node && !used.some((a) => reached.has(a))) continue;
      reached.add(n.id);
      if (n.src && n.src.file === this.graph.file) return n.src;
      const bound = this.bindingSrc(n);
      if (bound) return bound;
    }
    return node.src;
  }

  /** The right-hand side of the statement binding a node (or the binding its params are named after), found in the spec's text. */
  private bindingSrc(node: Node): Source | undefined {
    const text = this.sources.get(this.graph.file);
    if (text === undefined) return undefined;
    const names = [this.bindingOf(node.id), ...(node.kind === "op" ? node.args.map((a) => this.params.get(a)?.name.split(".")[0]) : [])];
    for (const name of names) {
      if (name === undefined) continue;
      const m = new RegExp(`^([ \\t]*${name.replace(/[^A-Za-z0-9_]/g, "")}[ \\t]*=[ \\t]*)(?!=)`, "m").exec(text);
      if (m) return { file: this.graph.file, loc: { start: m.index + m[1]!.length, end: m.index + m[0].length } };
    }
    return undefined;
  }

  fail(node: Node | undefined, construct: string, why?: string): never {
    const where = node ? this.where(this.srcOf(node)) : undefined;
    throw new ExportError(construct, where, `cannot export to tfjs-layers: ${construct}${why ? `: ${why}` : " has no tfjs-layers counterpart"}`);
  }

  // -------------------------------------------------------------- helpers

  private node(id: number): Node | undefined {
    return this.nodes.get(id);
  }

  private param(id: number): Param | undefined {
    return this.params.get(id);
  }

  /** A param of a std fn/cell instance: `prefix.name` declared in std/FILE. */
  private stdParam(id: number, file: string, name: string): string | undefined {
    const p = this.param(id);
    if (!p || p.src?.file !== `std/${file}.seq`) return undefined;
    const suffix = `.${name}`;
    return p.name.endsWith(suffix) ? p.name.slice(0, -suffix.length) : undefined;
  }

  private paramByName(name: string): Param | undefined {
    return this.graph.params.find((p) => p.name === name);
  }

  /** The element rank of a node's value (without the mapped lead axes). */
  private rank(n: Node): number {
    return n.shape.length - (n.kind === "op" || n.kind === "scan" ? n.lead : 0);
  }

  private unique(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_]/g, "_") || "layer";
    let name = clean;
    for (let i = 2; this.names.has(name); i++) name = `${clean}_${i}`;
    this.names.add(name);
    return name;
  }

  private push(step: Step): number {
    this.steps.push(step);
    return this.steps.length - 1;
  }

  private layer(name: string, inputs: number[], make: (size: (d: Dim) => number, name: string) => tf.layers.Layer, weights?: WeightKind, activation?: string): number {
    const step: Step = { kind: "layer", name: this.unique(name), inputs, make, ...(weights ? { weights } : {}), ...(activation ? { activation } : {}) };
    return this.push(step);
  }

  /** The binding name of a node, if it is one. */
  private bindingOf(id: number): string | undefined {
    return Object.entries(this.graph.values).find(([, v]) => v === id)?.[0];
  }

  // -------------------------------------------------------------- the walk

  build(id: number): number {
    const done = this.memo.get(id);
    if (done !== undefined) return done;
    const step = this.visit(id);
    this.memo.set(id, step);
    return step;
  }

  private visit(id: number): number {
    const n = this.node(id);
    if (!n) {
      const p = this.param(id);
      this.fail(undefined, p ? `the parameter ${p.name} used as a value` : `value #${id}`);
    }
    switch (n.kind) {
      case "input":
        if (n.role === "target") this.fail(n, `the target ${n.name}`, "the exported value depends on a target");
        return this.push({ kind: "input", name: n.name, node: n });
      case "const":
        return this.fail(n, `the constant ${n.value}`, "a constant is not a layer");
      case "placeholder":
        return this.fail(n, `the placeholder ${n.name}`);
      case "mask":
        return this.fail(n, "a dropout mask used as a value");
      case "final":
        return this.fail(n, `the final state ${(this.node(n.scanNode) as ScanNode | undefined)?.scan.name ?? "?"}.${n.state}`, "tfjs-layers' recurrent layers export only their outputs");
      case "scan":
        return this.rnn(n, { sequences: true, backwards: false });
      case "op":
        return this.op(n);
    }
  }

  /** A std elman/lstm/gru scan as a recurrent layer (the caller decides sequences vs last output, and direction). */
  private rnnLayer(n: ScanNode, sequences: boolean): { make: (size: (d: Dim) => number, backwards: boolean, name: string) => tf.layers.RNN; cell: Cell; input: number } {
    const s = n.scan;
    const label = `${s.reverse ? "reverse " : ""}${s.cell} ${s.name}`;
    if (!CELLS.includes(s.cell)) this.fail(n, `the cell ${s.cell}`, "tfjs-layers has SimpleRNN (elman), LSTM and GRU only");
    const cell = s.cell as Cell;
    const first = cell === "gru" ? "W_z" : "W";
    const W = this.paramByName(`${s.name}.${first}`);
    if (!W || W.src?.file !== "std/recurrent.seq") this.fail(n, `the cell ${s.cell}`, "it is not the standard library's cell of that name");
    if (n.lead !== 0) this.fail(n, label, "a scan mapped over extra axes has no tfjs-layers counterpart");
    if (s.seq.length !== 1 || s.ctx.length !== 0) this.fail(n, label, "a cell with several inputs or context inputs");
    for (const st of s.states) {
      const init = this.node(st.init);
      if (!(init?.kind === "const" && init.value === 0)) this.fail(n, `${label} with an initial ${st.name}`, "tfjs-layers' exported layers start from zero states");
    }
    const b = this.paramByName(`${s.name}.${cell === "gru" ? "b_z" : "b"}`)!;
    const input = this.build(s.seq[0]!.arg);
    const make = (size: (d: Dim) => number, backwards: boolean, name: string): tf.layers.RNN => {
      const units = size(b.shape[0]!) / (cell === "lstm" ? 4 : 1);
      const common = { name, units, activation: "tanh" as const, returnSequences: sequences, goBackwards: backwards };
      if (cell === "elman") return tf.layers.simpleRNN(common);
      if (cell === "lstm") return tf.layers.lstm({ ...common, recurrentActivation: "sigmoid", unitForgetBias: false });
      return tf.layers.gru({ ...common, recurrentActivation: "sigmoid" });
    };
    return { make, cell, input };
  }

  private rnn(n: ScanNode, how: { sequences: boolean; backwards: boolean }): number {
    if (n.scan.reverse !== how.backwards) {
      this.fail(n, `reverse ${n.scan.cell} ${n.scan.name}`, "tfjs-layers' goBackwards returns the outputs in reverse order and has no layer to flip them back (bidirectional, or first() of a reverse scan, export)");
    }
    const r = this.rnnLayer(n, how.sequences);
    return this.layer(n.scan.name, [r.input], (size, name) => r.make(size, how.backwards, name), { type: "rnn", cell: r.cell, prefixes: [n.scan.name], backwards: how.backwards });
  }

  /** concat(fwd, bwd) of a `bidirectional` call, or undefined. */
  private bidirectional(n: OpNode): number | undefined {
    if (n.args.length !== 2) return undefined;
    const [f, b] = n.args.map((a) => this.node(a));
    if (f?.kind !== "scan" || b?.kind !== "scan") return undefined;
    const prefix = f.scan.name.replace(/\.fwd$/, "");
    if (f.scan.name !== `${prefix}.fwd` || b.scan.name !== `${prefix}.bwd` || f.scan.reverse || !b.scan.reverse || f.scan.cell !== b.scan.cell) return undefined;
    if (f.scan.seq[0]?.arg !== b.scan.seq[0]?.arg) return undefined;
    const r = this.rnnLayer(f, true);
    this.rnnLayer(b, true);
    return this.layer(prefix, [r.input], (size, name) => tf.layers.bidirectional({ name, layer: r.make(size, false, `${name}_cell`), mergeMode: "concat" }), { type: "rnn", cell: r.cell, prefixes: [f.scan.name, b.scan.name], backwards: false });
  }

  private op(n: OpNode): number {
    const arg = (i: number) => this.node(n.args[i]!);
    const name = this.bindingOf(n.id) ?? n.op;
    switch (n.op) {
      case "add": {
        const [a, b] = [arg(0), arg(1)];
        const biasOf = (file: string) => this.stdParam(n.args[1]!, file, "b");
        if (a?.kind === "op" && a.op === "matmul") {
          const prefix = biasOf("dense");
          if (prefix !== undefined && this.stdParam(a.args[0]!, "dense", "W") === prefix) {
            const W = this.param(a.args[0]!)!;
            const x = this.build(a.args[1]!);
            return this.layer(prefix, [x], (size, name) => tf.layers.dense({ name, units: size(W.shape[0]!) }), { type: "dense", prefix, bias: true });
          }
        }
        if (a?.kind === "op" && a.op === "conv") {
          const prefix = biasOf("conv");
          if (prefix !== undefined && this.stdParam(a.args[1]!, "conv", "W") === prefix) return this.conv(a, prefix, true);
          const kernel = this.maskedKernel(a.args[1]!);
          const b = this.param(n.args[1]!);
          if (kernel && b && b.name === `${kernel.prefix}.b`) return this.conv(a, kernel.prefix, true, kernel.mask);
        }
        if (a?.kind === "op" && a.op === "mul") {
          // std batch_norm: gain * batch_normalize(x, running_mean, running_var) + bias.
          const prefix = this.stdParam(n.args[1]!, "dense", "bias");
          const bn = this.node(a.args[1]!);
          if (prefix !== undefined && this.stdParam(a.args[0]!, "dense", "gain") === prefix && bn?.kind === "op" && bn.op === "batch_normalize" && this.stdParam(bn.args[1]!, "dense", "running_mean") === prefix) {
            const x = this.build(bn.args[0]!);
            const momentum = Number(bn.attrs["momentum"]);
            const epsilon = Number(bn.attrs["epsilon"]);
            return this.layer(prefix, [x], (_, name) => tf.layers.batchNormalization({ name, axis: -1, momentum, epsilon }), { type: "batchNorm", prefix });
          }
        }
        if (a && b && a.batched && b.batched && JSON.stringify(a.shape) === JSON.stringify(b.shape)) {
          return this.layer(name, [this.build(a.id), this.build(b.id)], (_, name) => tf.layers.add({ name }));
        }
        return this.fail(n, "+", "only a + b of two layer outputs of the same shape (Add), dense's, conv's and batch_norm's biases export");
      }
      case "matmul": {
        const prefix = this.stdParam(n.args[1]!, "dense", "W");
        const x = arg(0);
        if (prefix === undefined || !x?.batched) return this.fail(n, "@", "only dense and embedding products export");
        const W = this.param(n.args[1]!)!;
        if (x.kind === "op" && x.op === "one_hot" && this.rank(x) === 2) {
          const tokens = this.node(x.args[0]!);
          if (tokens?.kind === "input") {
            const input = this.build(tokens.id);
            return this.layer(prefix, [input], (size, name) => tf.layers.embedding({ name, inputDim: size(W.shape[0]!), outputDim: size(W.shape[1]!) }), { type: "embedding", prefix });
          }
        }
        const input = this.build(x.id);
        return this.layer(prefix, [input], (size, name) => tf.layers.dense({ name, units: size(W.shape[1]!), useBias: false }), { type: "dense", prefix, bias: false });
      }
      case "one_hot": {
        const tokens = arg(0);
        if (tokens?.kind !== "input" || this.rank(n) !== 2) return this.fail(n, "one_hot", "only one_hot of a token sequence input [T] exports (as a fixed identity Embedding)");
        const v = n.shape[n.shape.length - 1]!;
        return this.layer(`${name}_one_hot`, [this.build(tokens.id)], (size, name) => tf.layers.embedding({ name, inputDim: size(v), outputDim: size(v), trainable: false }), { type: "identity", size: v });
      }
      case "sigmoid":
      case "tanh":
      case "relu":
      case "elu":
      case "softplus":
      case "softmax": {
        if (n.op === "softmax" && n.attrs["axis"] !== this.rank(n) - 1) return this.fail(n, "softmax over an axis other than the last");
        const x = this.build(n.args[0]!);
        const fn = ACTIVATIONS[n.op]!;
        return this.layer(`${name}_${n.op}`, [x], (_, name) => tf.layers.activation({ name, activation: fn as "relu" }), undefined, fn);
      }
      case "dropout": {
        // Keras's dropout layers are inverted dropout active only while training, as seqc's; one mask per
        // sequence shared over time is SpatialDropout1D (it zeroes whole channels of a [T, C] value).
        const x = this.build(n.args[0]!);
        const rate = Number(n.attrs["rate"]);
        if (n.attrs["per"] !== "sequence") return this.layer(`${name}_dropout`, [x], (_, name) => tf.layers.dropout({ name, rate }));
        if (n.shape.length !== 2) return this.fail(n, "dropout per sequence of a value that is not [T, C]", "tfjs-layers' SpatialDropout1D shares a mask over the time of [T, C] values only");
        return this.layer(`${name}_dropout`, [x], (_, name) => tf.layers.spatialDropout1d({ name, rate }));
      }
      case "leaky_relu": {
        const x = this.build(n.args[0]!);
        const alpha = Number(n.attrs["alpha"]);
        return this.layer(`${name}_leaky_relu`, [x], (_, name) => tf.layers.leakyReLU({ name, alpha }));
      }
      case "conv": {
        // Without a bias (one added after it is the case "add"): a kernel PREFIX.W, masked or not.
        const W = this.param(n.args[1]!);
        const kernel = W?.name.endsWith(".W") ? { prefix: W.name.slice(0, -2) } : this.maskedKernel(n.args[1]!);
        if (!kernel) return this.fail(n, "conv", "only a conv of a param kernel (PREFIX.W, or PREFIX.W * a const) exports");
        return this.conv(n, kernel.prefix, false, "mask" in kernel ? kernel.mask : undefined);
      }
      case "maxpool":
      case "avgpool":
        return this.pool(n);
      case "flatten": {
        const x = this.build(n.args[0]!);
        if (n.lead !== 0) return this.fail(n, "flatten mapped over extra axes");
        // The whole value's rank: a fn mapped over axes (batch_norm over [N, M, C]) gives a value of them all.
        if (arg(0)!.shape.length <= 1) return x;
        return this.layer(name, [x], (_, name) => tf.layers.flatten({ name }));
      }
      case "max":
      case "mean": {
        const x = arg(0)!;
        if (n.lead !== 0 || n.attrs["axis"] !== 0 || this.rank(x) !== 2) return this.fail(n, `${n.op} over an axis`, "only max/mean over time of a [T, C] value (GlobalMaxPooling1D/GlobalAveragePooling1D) export");
        const input = this.build(x.id);
        return this.layer(name, [input], (_, name) => (n.op === "max" ? tf.layers.globalMaxPooling1d({ name }) : tf.layers.globalAveragePooling1d({ name })));
      }
      case "concat": {
        const bi = this.bidirectional(n);
        if (bi !== undefined) return bi;
        if (n.args.some((a) => !this.node(a)?.batched)) return this.fail(n, "concat with a parameter or constant");
        const inputs = n.args.map((a) => this.build(a));
        if (inputs.length === 1) return inputs[0]!;
        return this.layer(name, inputs, (_, name) => tf.layers.concatenate({ name, axis: -1 }));
      }
      case "last":
      case "first": {
        const x = arg(0);
        if (x?.kind === "scan" && (this.uses.get(x.id) ?? 0) === 1) {
          return this.rnn(x, { sequences: false, backwards: n.op === "first" });
        }
        if (x?.kind === "scan") return this.fail(n, `${n.op}(${x.scan.name})`, "the scan's outputs are also used as a sequence");
        return this.fail(n, `${n.op}()`, n.op === "last" ? "only last() of a forward elman/lstm/gru scan exports (returnSequences false)" : "only first() of a reverse elman/lstm/gru scan exports (goBackwards, returnSequences false)");
      }
      default:
        return this.fail(n, SYMBOLS[n.op] ?? n.op);
    }
  }

  /** A conv's kernel `W * mask` (either order) of a param `PREFIX.W` and a const mask: the prefix and the mask. */
  private maskedKernel(id: number): { prefix: string; mask: { shape: number[]; values: number[] } } | undefined {
    const m = this.node(id);
    if (m?.kind !== "op" || m.op !== "mul") return undefined;
    const W = m.args.map((a) => this.param(a)).find((p) => p?.name.endsWith(".W"));
    const c = m.args.map((a) => this.graph.constants.find((k) => k.id === a)).find((k) => k !== undefined);
    if (!W || !c) return undefined;
    return { prefix: W.name.slice(0, -2), mask: { shape: c.shape.map((d) => dimValue(this.graph, d, {})), values: c.values } };
  }

  /** conv(x, W) + b of std conv1d/conv2d, conv(x, W * mask) + b with a const mask (the kernel exported masked), or either without the bias. */
  private conv(c: OpNode, prefix: string, bias: boolean, mask?: { shape: number[]; values: number[] }): number {
    const W = this.paramByName(`${prefix}.W`)!;
    const r = W.shape.length - 2;
    const label = `conv${r}d ${prefix}`;
    if (c.lead !== 0) this.fail(c, `${label} mapped over extra axes`);
    const stride = Number(c.attrs["stride"]);
    const dilation = Number(c.attrs["dilation"]);
    const pad = c.attrs["pad"]!;
    let x = this.build(c.args[0]!);
    let padding: "valid" | "same" = "valid";
    if (pad === "same") padding = "same";
    else if (pad !== "valid") {
      // causal, full or a number: explicit zeros, then a valid convolution.
      const kernel = W.shape[0]!;
      const span = (size: (d: Dim) => number) => dilation * (size(kernel) - 1);
      const sides = (size: (d: Dim) => number): [number, number] => {
        if (pad === "causal") return [span(size), 0];
        if (pad === "full") return [span(size), span(size)];
        const p = Number(pad);
        if (!Number.isInteger(p) || p < 0) this.fail(c, `${label} with pad=${pad}`);
        return [p, p];
      };
      if (r === 1) {
        // tfjs-layers has no ZeroPadding1D: [T, C] -> [T, 1, C], ZeroPadding2D on T, back to [T', C].
        const channels = W.shape[1]!;
        x = this.layer(`${prefix}_pad_in`, [x], (size, name) => tf.layers.reshape({ name, targetShape: [-1, 1, size(channels)] }));
        x = this.layer(`${prefix}_pad`, [x], (size, name) => tf.layers.zeroPadding2d({ name, padding: [sides(size), [0, 0]] }));
        x = this.layer(`${prefix}_pad_out`, [x], (size, name) => tf.layers.reshape({ name, targetShape: [-1, size(channels)] }));
      } else x = this.layer(`${prefix}_pad`, [x], (size, name) => tf.layers.zeroPadding2d({ name, padding: [sides(size), sides(size)] }));
    }
    return this.layer(prefix, [x], (size, name) => {
      const args = { name, filters: size(W.shape[W.shape.length - 1]!), kernelSize: size(W.shape[0]!), strides: stride, padding, dilationRate: dilation, useBias: bias };
      return r === 1 ? tf.layers.conv1d(args) : tf.layers.conv2d(args);
    }, { type: "conv", prefix, bias, ...(mask ? { mask } : {}) });
  }

  private pool(n: OpNode): number {
    const x = this.node(n.args[0]!)!;
    const r = this.rank(x) - 1;
    const pad = n.attrs["pad"];
    const size = Number(n.attrs["size"]);
    const stride = Number(n.attrs["stride"]) || size;
    if (n.lead !== 0 || (r !== 1 && r !== 2)) this.fail(n, `${n.op} mapped over extra axes`);
    if (pad !== "valid" && pad !== "same") this.fail(n, `${n.op} with pad=${String(pad)}`, "tfjs-layers pools with valid or same padding only");
    const input = this.build(x.id);
    return this.layer(this.bindingOf(n.id) ?? n.op, [input], (_, name) => {
      const args = { name, poolSize: size, strides: stride, padding: pad as "valid" | "same" };
      return r === 1
        ? n.op === "maxpool" ? tf.layers.maxPooling1d(args) : tf.layers.averagePooling1d(args)
        : n.op === "maxpool" ? tf.layers.maxPooling2d(args) : tf.layers.averagePooling2d(args);
    });
  }

  /** The value exported: a named binding, or the first loss's prediction. */
  outputOf(value: string | undefined): number {
    if (value !== undefined) {
      const id = this.graph.values[value];
      if (id === undefined) throw new ExportError(value, undefined, `the model ${this.graph.model} has no value ${value}`);
      return id;
    }
    const loss = lossTerms(this.graph)[0];
    if (!loss) throw new ExportError("model", undefined, `the model ${this.graph.model} has no builtin loss whose prediction to export: give the value to export`);
    return loss.args[0]!;
  }
}

function plan(graph: Graph, opts: ExportOptions): Plan {
  const p = new Planner(graph, opts.sources);
  const output = p.build(p.outputOf(opts.value));
  const inputs = p.steps.map((s, i) => [s, i] as const).filter(([s]) => s.kind === "input").map(([, i]) => i);
  return { steps: p.steps, output, inputs };
}

// ------------------------------------------------------------------ dims

function sizer(graph: Graph, dims: DimValues): (d: Dim) => number {
  return (d) => dimValue(graph, d, dims);
}

/** A dim's value, or null when it is free (sequence lengths). */
function sizeOrNull(graph: Graph, dims: DimValues, d: Dim): number | null {
  try {
    return dimValue(graph, d, dims);
  } catch {
    return null;
  }
}

// ------------------------------------------------------------------ export

/** Builds the tfjs-layers model of a plan (fresh weights). */
function buildModel(graph: Graph, p: Plan, dims: DimValues): { model: tf.LayersModel; layers: Map<number, tf.layers.Layer> } {
  const size = sizer(graph, dims);
  const symbolic = new Map<number, tf.SymbolicTensor>();
  const layers = new Map<number, tf.layers.Layer>();
  p.steps.forEach((s, i) => {
    if (s.kind === "input") {
      const shape = s.node.shape.map((d) => sizeOrNull(graph, dims, d));
      symbolic.set(i, tf.input({ shape, name: s.name, dtype: s.node.vocab !== undefined ? "int32" : "float32" }));
      return;
    }
    const layer = s.make(size, s.name);
    layers.set(i, layer);
    const ins = s.inputs.map((j) => symbolic.get(j)!);
    symbolic.set(i, layer.apply(ins.length === 1 ? ins[0]! : ins) as tf.SymbolicTensor);
  });
  const model = tf.model({ inputs: p.inputs.map((i) => symbolic.get(i)!), outputs: symbolic.get(p.output)!, name: graph.model });
  return { model, layers };
}

/**
 * The tfjs-layers model of a graph with seqc's weights (by param name), or an
 * ExportError naming the first construct that has no tfjs-layers counterpart
 * and where it is in the spec.
 */
export function exportLayers(graph: Graph, weights: SeqcWeights, opts: ExportOptions = {}): tf.LayersModel {
  const p = plan(graph, opts);
  const dims = solveDimsFromShapes(graph, opts.dims ?? {}, new Map([...weights].map(([k, v]) => [k, v.shape])));
  const size = sizer(graph, dims);
  let built;
  try {
    built = buildModel(graph, p, dims);
  } catch (e) {
    if (e instanceof ExportError) throw e;
    throw new ExportError("model", undefined, `cannot export to tfjs-layers: ${(e as Error).message}`);
  }
  const { model, layers } = built;
  try {
    for (const [i, layer] of layers) {
      const kind = (p.steps[i] as Extract<Step, { kind: "layer" }>).weights;
      if (!kind) continue;
      const values = toKeras(kind, weights, size);
      const current = layer.getWeights();
      if (current.length !== values.length) throw new Error(`layer ${layer.name}: ${current.length} weights, seqc gives ${values.length}`);
      layer.setWeights(values.map((v, k) => {
        const shape = current[k]!.shape;
        if (shape.reduce((a, b) => a * b, 1) !== v.length) throw new Error(`layer ${layer.name}: weight ${k} has shape [${shape.join(", ")}], seqc gives ${v.length} values`);
        return tf.tensor(v, shape);
      }));
    }
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

// ------------------------------------------------------------------ import

function className(layer: tf.layers.Layer): string {
  return layer.getClassName();
}

/** The Keras class a weighted step needs, and the inner class for Bidirectional. */
function expectedClass(kind: WeightKind): string {
  if (kind.type === "rnn") return kind.prefixes.length === 2 ? `Bidirectional(${RNN_CLASS[kind.cell]})` : RNN_CLASS[kind.cell];
  if (kind.type === "conv") return "Conv1D|Conv2D";
  return KERAS_CLASS[kind.type];
}

function classOf(layer: tf.layers.Layer): string {
  const c = className(layer);
  if (c !== "Bidirectional") return c;
  const inner = (layer as unknown as { forwardLayer: tf.layers.Layer }).forwardLayer;
  return `Bidirectional(${inner.getClassName()})`;
}

function fits(kind: WeightKind, layer: tf.layers.Layer): boolean {
  return expectedClass(kind).split("|").includes(classOf(layer));
}

/** The config a foreign recurrent layer must have to compute seqc's cell. */
function checkRnnConfig(layer: tf.layers.Layer, cell: Cell, backwards: boolean, what: string): void {
  const inner = className(layer) === "Bidirectional" ? (layer as unknown as { forwardLayer: tf.layers.Layer }).forwardLayer : layer;
  const c = inner.getConfig() as Record<string, unknown>;
  const bad: string[] = [];
  if (c["activation"] !== "tanh") bad.push(`activation ${String(c["activation"])} (seqc: tanh)`);
  if (cell !== "elman" && c["recurrentActivation"] !== "sigmoid") bad.push(`recurrentActivation ${String(c["recurrentActivation"])} (seqc: sigmoid)`);
  if (c["useBias"] === false) bad.push("no bias");
  if (c["resetAfter"] === true) bad.push("resetAfter (seqc's gru applies the reset gate before the recurrent product)");
  if (Boolean(c["goBackwards"]) !== backwards && className(layer) !== "Bidirectional") bad.push(backwards ? "not goBackwards (seqc: first() of a reverse scan)" : "goBackwards");
  if (bad.length > 0) throw new ExportError(what, undefined, `the layer ${layer.name} does not compute seqc's ${cell}: ${bad.join(", ")}`);
}

/**
 * seqc weights (by param name) from a tfjs-layers model of the same
 * architecture: the inverse of exportLayers. Layers are matched by name when
 * every expected name is present (a model exported by seqc), else in order
 * among the layers that hold weights (a model made elsewhere); classes, shapes
 * and recurrent activations are checked.
 */
export function importLayersWeights(graph: Graph, model: tf.LayersModel, opts: ExportOptions = {}): SeqcWeights {
  const p = plan(graph, opts);
  const wanted = p.steps.flatMap((s, i) => (s.kind === "layer" && s.weights ? [{ step: s, index: i, kind: s.weights }] : []));
  const layers = model.layers;
  let matched: tf.layers.Layer[];
  const byName = wanted.map((w) => layers.find((l) => l.name === w.step.name));
  if (byName.every((l, i) => l !== undefined && fits(wanted[i]!.kind, l))) {
    matched = byName as tf.layers.Layer[];
  } else {
    const held = layers.filter((l) => l.getWeights().length > 0);
    const needed = held.length === wanted.length ? wanted : wanted.filter((w) => w.kind.type !== "identity");
    if (held.length !== needed.length) {
      throw new ExportError("model", undefined, `the tfjs-layers model has ${held.length} layers with weights (${held.map(classOf).join(", ")}); the spec's model needs ${needed.length} (${needed.map((w) => expectedClass(w.kind)).join(", ")})`);
    }
    wanted.splice(0, wanted.length, ...needed);
    matched = held;
  }
  const out: SeqcWeights = new Map();
  wanted.forEach((w, i) => {
    const layer = matched[i]!;
    const what = `the layer ${layer.name}`;
    if (!fits(w.kind, layer)) throw new ExportError(what, undefined, `${what} is a ${classOf(layer)}; the spec needs a ${expectedClass(w.kind)} for ${w.step.name}`);
    if (w.kind.type === "rnn") checkRnnConfig(layer, w.kind.cell, w.kind.backwards, what);
    if (w.kind.type === "dense" || w.kind.type === "conv") {
      const c = layer.getConfig() as Record<string, unknown>;
      const act = c["activation"];
      if (act !== undefined && act !== "linear") {
        // Accepted when the spec applies the same function right after (Keras often fuses it).
        const next = p.steps.find((s) => s.kind === "layer" && s.inputs.includes(w.index));
        if (!(next?.kind === "layer" && next.activation === act)) throw new ExportError(what, undefined, `${what} applies ${String(act)}, which the spec does not apply after ${w.step.name}`);
      }
      if (c["useBias"] === false && w.kind.bias) throw new ExportError(what, undefined, `${what} has no bias; ${w.step.name} has one`);
    }
    const tensors = layer.getWeights();
    if (tensors.length !== weightCount(w.kind)) throw new ExportError(what, undefined, `${what} has ${tensors.length} weights, ${w.step.name} needs ${weightCount(w.kind)}`);
    const ws = tensors.map((t) => ({ shape: [...t.shape], values: Float32Array.from(t.dataSync()) }));
    fromKeras(w.kind, ws, out);
  });
  // Check the shapes against the spec's params (with the dims the weights imply).
  const dims = solveDimsFromShapes(graph, opts.dims ?? {}, new Map([...out].map(([k, v]) => [k, v.shape])));
  for (const param of graph.params) {
    const got = out.get(param.name);
    if (!got) throw new ExportError(param.name, undefined, `the tfjs-layers model gives no weights for the parameter ${param.name}`);
    const want = param.shape.map((d) => sizeOrNull(graph, dims, d));
    if (want.length !== got.shape.length || want.some((v, k) => v !== null && v !== got.shape[k])) {
      throw new ExportError(param.name, undefined, `the parameter ${param.name} is [${want.map((v) => v ?? "?").join(", ")}] in the spec; the tfjs-layers model gives [${got.shape.join(", ")}]`);
    }
  }
  return out;
}

// ------------------------------------------------------------------ files

interface LayersModelJSON {
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  modelTopology: tf.io.ModelJSON["modelTopology"];
  trainingConfig?: tf.io.TrainingConfig;
  weightsManifest: tf.io.WeightsManifestConfig;
  userDefinedMetadata?: Record<string, unknown>;
}


/**
 * Saves a tfjs-layers model as model.json + weights.bin in `dir` (created if
 * needed), each written to a temporary name and renamed, model.json last.
 * `metadata` goes to model.json's userDefinedMetadata.
 */
export async function saveLayersModel(model: tf.LayersModel, dir: string, metadata?: Record<string, unknown>): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      mkdirSync(dir, { recursive: true });
      const data = a.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(a.weightData);
      const json: LayersModelJSON = {
        format: a.format ?? "layers-model",
        generatedBy: a.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: "seqc",
        modelTopology: a.modelTopology as LayersModelJSON["modelTopology"],
        weightsManifest: [{ paths: ["weights.bin"], weights: a.weightSpecs ?? [] }],
      };
      if (a.trainingConfig) json.trainingConfig = a.trainingConfig;
      if (metadata ?? a.userDefinedMetadata) json.userDefinedMetadata = { ...(a.userDefinedMetadata ?? {}), ...(metadata ?? {}) };
      writeAtomic(join(dir, "weights.bin"), new Uint8Array(data));
      writeAtomic(join(dir, "model.json"), JSON.stringify(json) + "\n");
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
    }),
  );
}

/**
 * A TensorFlow.js IOHandler that loads a layers model from a directory
 * (model.json and the weight files its manifest lists, in order), for
 * `tf.loadLayersModel(directoryHandler(dir))` without tfjs-node's file://.
 */
export function directoryHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as LayersModelJSON;
      if (!json.modelTopology || !Array.isArray(json.weightsManifest)) throw new Error(`${join(dir, "model.json")} is not a TensorFlow.js layers model (no modelTopology or weightsManifest)`);
      const buffers: Uint8Array[] = [];
      const specs: tf.io.WeightsManifestEntry[] = [];
      for (const group of json.weightsManifest) {
        for (const path of group.paths) buffers.push(readFileSync(join(dir, path)));
        specs.push(...group.weights);
      }
      const total = buffers.reduce((n, b) => n + b.byteLength, 0);
      const all = new Uint8Array(total);
      let o = 0;
      for (const b of buffers) {
        all.set(b, o);
        o += b.byteLength;
      }
      const artifacts: tf.io.ModelArtifacts = { modelTopology: json.modelTopology, weightSpecs: specs, weightData: all.buffer };
      if (json.format !== undefined) artifacts.format = json.format;
      if (json.generatedBy !== undefined) artifacts.generatedBy = json.generatedBy;
      if (json.convertedBy !== undefined && json.convertedBy !== null) artifacts.convertedBy = json.convertedBy;
      if (json.trainingConfig) artifacts.trainingConfig = json.trainingConfig;
      if (json.userDefinedMetadata) artifacts.userDefinedMetadata = json.userDefinedMetadata as Record<string, unknown> as tf.io.ModelArtifacts["userDefinedMetadata"] & object;
      return artifacts;
    },
  };
}

/** Loads a layers model directory written by saveLayersModel or tensorflowjs_converter. */
export function loadLayersModel(dir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(directoryHandler(dir));
}

/** The userDefinedMetadata of a layers model directory's model.json, if any. */
export function layersMetadata(dir: string): Record<string, unknown> | undefined {
  const json = JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as LayersModelJSON;
  return json.userDefinedMetadata;
}
