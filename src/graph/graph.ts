/**
 * The computation graph of one checked model: what the backends (tfjs, emitted
 * TypeScript) and the differentiator consume. Every cell and fn call is
 * instantiated: fns are inlined, cells become `scan` nodes with a step body,
 * `bidirectional` and `repeat<N>` are unrolled, parameters get their final
 * names. Values are in SSA form with symbolic shapes.
 *
 * Shapes never include the batch axis. A value is `batched` when it depends on
 * the data (inputs); params and constants are not, and broadcast over the
 * batch. An op node with `lead > 0` applies its rule to the trailing axes of
 * its batched arguments and treats the first `lead` axes (after the batch) as
 * more batch: that is how a fn maps over a sequence (`dense` over [T, D]).
 * Backends can fold those axes into the batch axis.
 */
import type { Loc } from "../ir/ir.js";
import { LOSS_OPS, type OpKind } from "../ir/ops.js";

/** A symbolic dim: terms of a polynomial over dim atoms, as [monomial, coefficient] (see Poly). */
export type Dim = [monomial: string, coefficient: number][];

export interface DimAtom {
  name: string;
  /** Known divisor: the polynomial's unit for this atom is name/multiple. */
  multiple: number;
  /** Bound value; free dims (sequence lengths, data vocabularies) are bound when data arrives. */
  value?: number;
}

/** Where a node comes from in the spec, for comments in generated code and for errors. */
export interface Source {
  file: string;
  loc: Loc;
}

interface NodeBase {
  id: number;
  shape: Dim[];
  batched: boolean;
  /** Set for integer token values. */
  vocab?: string;
  src?: Source;
  /** The spec's name for the value (`c`, `c'` for a next state), when a statement binds it. */
  name?: string;
}

export type Attr = number | string;

export type Node =
  | (NodeBase & { kind: "input"; name: string; role: "input" | "target" })
  | (NodeBase & { kind: "const"; value: number })
  /**
   * A dropout mask (model level only; a `dropout` in a cell gets its mask as a scanned input, per step, or a
   * context, per sequence): while training, each element is 1/(1 - rate) with probability 1 - rate and else 0,
   * drawn for every forward pass (src/runtime/init.ts dropoutMasks); otherwise every element is 1.
   */
  | (NodeBase & { kind: "mask"; rate: number })
  /** A step body's placeholder: a step of a scanned input, a context, or a state's current value. */
  | (NodeBase & { kind: "placeholder"; role: "step" | "ctx" | "state"; name: string })
  | (NodeBase & { kind: "op"; op: OpKind; args: number[]; attrs: Record<string, Attr>; lead: number })
  | (NodeBase & { kind: "scan"; scan: Scan; lead: number })
  /** The value of a state after the last step of a scan. */
  | (NodeBase & { kind: "final"; scanNode: number; state: string });

export interface Scan {
  /** Instance name (the param prefix), e.g. `h` or `enc.fwd`. */
  name: string;
  cell: string;
  reverse: boolean;
  /** Scanned arguments (shape [...lead, T, ...step]) and their step placeholders. */
  seq: { arg: number; placeholder: number }[];
  ctx: { arg: number; placeholder: number }[];
  /** Each state: its placeholder in the body, its initial value (a node outside the body), its next value (in the body). */
  states: { name: string; placeholder: number; init: number; next: number }[];
  body: Node[];
  /** The step's output (in the body). */
  out: number;
}

/** A parameter's initialiser (checked by the initialisers rule): `glorot`, `zeros`, `uniform(0.1)`, a number, ... */
export interface InitSpec {
  kind: "zeros" | "ones" | "glorot" | "orthogonal" | "uniform" | "normal" | "const";
  /** The scale of uniform, the deviation of normal, the value of const. */
  value?: number;
}

export interface Param {
  id: number;
  name: string;
  shape: Dim[];
  init: InitSpec;
  /**
   * false for a running statistic of batch_normalize: saved and loaded with the weights, updated by the op
   * while training, but no gradient, optimizer or weight decay touches it.
   */
  trainable?: false;
  src?: Source;
}

/**
 * A `const` of the spec: a fixed tensor with the spec's values, referenced by
 * id as a param is, but not a parameter: it gets no gradient, no optimizer
 * slot and no place in the saved weights (the spec's text holds it).
 */
export interface Constant {
  id: number;
  name: string;
  shape: Dim[];
  /** Row-major. */
  values: number[];
  src?: Source;
}

export interface Graph {
  model: string;
  file: string;
  dims: DimAtom[];
  vocabs: { name: string; size: Dim; tokens?: string[] }[];
  params: Param[];
  constants: Constant[];
  /** The model body, in evaluation order (inputs first). */
  nodes: Node[];
  /** Named values of the model (inputs, targets and bindings) by name. */
  values: Record<string, number>;
  /** The roots of the `loss` statements: scalars per example, summed (see lossTerms for the builtin losses inside them). */
  losses: number[];
  feedback?: { input: string; source: string; until?: string };
}

export type OpNode = Extract<Node, { kind: "op" }>;

/**
 * The builtin losses (mse, cross_entropy, bce, bce_logits) the model's `loss`
 * statements are made of, in the order written, each once: the loss itself
 * for `loss mse(p, y)`, both terms of `loss 0.5 * mse(p, y) + cross_entropy(z, c)`,
 * none for `loss sum(abs(p - y))`. Their arguments are what eval scores
 * (prediction against target), predict prints and export outputs by default.
 */
export function lossTerms(graph: Graph): OpNode[] {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const terms: OpNode[] = [];
  const seen = new Set<number>();
  const visit = (id: number): void => {
    const n = byId.get(id);
    if (!n || seen.has(id)) return;
    seen.add(id);
    if (n.kind !== "op") return;
    if ((LOSS_OPS as readonly OpKind[]).includes(n.op)) terms.push(n);
    else n.args.forEach(visit);
  };
  graph.losses.forEach(visit);
  return terms;
}

/**
 * An error of a backend while it ran or compiled one node of the graph, with
 * the node's place in the spec, so that even a bug says where it was working.
 */
export class NodeError extends Error {
  constructor(
    message: string,
    readonly src?: Source,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
