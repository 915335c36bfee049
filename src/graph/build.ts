/**
 * Checked model (typed IR) -> Graph. Walks the model's statements with the
 * types and call facts the checker recorded, inlining fns and turning cells
 * into scans. It assumes a model that checked without errors and throws if
 * that is not so (a bug, not a user's mistake).
 */
import type { CallInfo, Frame, ModelInfo } from "../check/infer.js";
import { Poly } from "../check/dims.js";
import type { Tensor, Ty } from "../check/types.js";
import type { CallExpr, Expr, OpExpr, Stmt } from "../ir/ir.js";
import { OPS, type OpInfo } from "../ir/ops.js";
import type { Attr, Constant, Dim, Graph, InitSpec, Node, Param, Scan } from "./graph.js";

/** Ops that run on a whole value, the axes a mapped fn adds included (see op). */
const WHOLE_VALUE: ReadonlySet<string> = new Set(["dropout", "batch_normalize"]);

/** A node before it has an id (Omit distributed over the union). */
type NewNode = Node extends infer N ? (N extends Node ? Omit<N, "id"> : never) : never;

/** Names visible while building one block. */
interface Scope {
  frame: Frame;
  /** Param names of this instantiation start with this. */
  prefix: string;
  /** Leading axes (after the batch) that a mapped fn adds to its batched values. */
  lead: Poly[];
  values: Map<string, number>;
  next: Map<string, number>;
  finals: Map<string, Map<string, number>>;
  /** Where new nodes go. */
  nodes: Node[];
  /** Inside a cell's step body: its scan and the scope that holds the scan node (where the body's dropout masks go). */
  scan?: { scan: Scan; outer: Scope };
}

class Builder {
  private nextId = 0;
  readonly params: Param[] = [];
  private readonly paramIds = new Map<string, number>();
  readonly constants: Constant[] = [];
  private readonly constIds = new Map<string, number>();
  private readonly shapes = new Map<number, { shape: Dim[]; batched: boolean }>();

  constructor(private readonly info: ModelInfo) {}

  private dim(p: Poly): Dim {
    return [...p.terms];
  }

  private add(scope: Scope, node: NewNode): number {
    const id = this.nextId++;
    scope.nodes.push({ ...node, id } as Node);
    this.shapes.set(id, { shape: node.shape, batched: node.batched });
    return id;
  }

  private typeOf(scope: Scope, e: Expr): Ty {
    const t = scope.frame.types.get(e);
    if (!t) throw new Error(`graph: no type recorded for ${e.op} at ${e.loc.start} (the model did not check)`);
    return t;
  }

  private tensorOf(scope: Scope, e: Expr): Tensor {
    const t = this.typeOf(scope, e);
    if (t.kind !== "tensor") throw new Error(`graph: expected a tensor at ${e.loc.start}`);
    return t;
  }

  private batched(id: number): boolean {
    return this.shapes.get(id)!.batched;
  }

  /** The full shape of a value computed in a scope: mapped axes first when it depends on data. */
  private shapeIn(scope: Scope, t: Tensor, batched: boolean): Dim[] {
    return [...(batched ? scope.lead : []), ...t.dims].map((d) => this.dim(d));
  }

  // ---------------------------------------------------------------- model

  build(): Graph {
    const info = this.info;
    const nodes: Node[] = [];
    const scope: Scope = { frame: info.frame, prefix: "", lead: [], values: new Map(), next: new Map(), finals: new Map(), nodes };
    const values: Record<string, number> = {};
    const losses: number[] = [];
    let feedback: Graph["feedback"];
    for (const st of info.model.body) {
      if (st.kind === "input" || st.kind === "target") {
        const t = info.frame.values.get(st.name) as Tensor;
        const node: NewNode = { kind: "input", name: st.name, role: st.kind, shape: t.dims.map((d) => this.dim(d)), batched: true, src: this.src(scope, st.loc) };
        if (t.vocab) node.vocab = t.vocab;
        const id = this.add(scope, node);
        scope.values.set(st.name, id);
        values[st.name] = id;
      } else if (st.kind === "assign") {
        this.assign(st, scope);
        for (const tg of st.targets) values[tg.name] = scope.values.get(tg.name)!;
      } else if (st.kind === "const") {
        this.declareConst(info.frame, st.name, "", st.loc);
      } else if (st.kind === "loss") {
        losses.push(this.expr(st.value, scope));
      } else if (st.kind === "feedback") {
        feedback = { input: st.input, source: st.source, ...(st.until !== undefined ? { until: st.until } : {}) };
      }
    }
    const vocabs = [...info.frame.vocabs].map(([name, size]) => {
      const tokens = info.frame.tokens.get(name);
      return tokens ? { name, size: this.dim(size), tokens } : { name, size: this.dim(size) };
    });
    const graph: Graph = {
      model: info.name,
      file: info.file,
      dims: info.env.all().filter((a) => !a.name.startsWith("?")).map((a) => ({ ...a })),
      vocabs,
      params: this.params,
      constants: this.constants,
      nodes,
      values,
      losses,
    };
    if (feedback) graph.feedback = feedback;
    return graph;
  }

  private src(scope: Scope, loc: { start: number; end: number }) {
    return { file: scope.frame.module.file, loc };
  }

  // ---------------------------------------------------------------- statements

  private assign(st: Extract<Stmt<Expr>, { kind: "assign" }>, scope: Scope): void {
    const firstNew = this.nextId;
    const ids = this.exprs(st.value, scope, st.targets.length === 1 && !st.targets[0]!.next ? st.targets[0]!.name : undefined);
    st.targets.forEach((tg, i) => {
      // Values this statement created get its names (a plain `a = b` leaves b's name alone).
      const node = ids[i]! >= firstNew ? scope.nodes.find((n) => n.id === ids[i]) : undefined;
      if (node && node.name === undefined) node.name = tg.next ? `${tg.name}'` : tg.name;
      if (tg.next) scope.next.set(tg.name, ids[i]!);
      else scope.values.set(tg.name, ids[i]!);
    });
  }

  /** An expression's value(s): one, or n for split<n>. */
  private exprs(e: Expr, scope: Scope, binding?: string): number[] {
    const t = this.typeOf(scope, e);
    if (t.kind === "tuple" && e.op === "split") {
      const [arg] = e.args.map((a) => this.expr(a, scope));
      const batched = this.batched(arg!);
      return t.items.map((item, index) =>
        this.add(scope, {
          kind: "op", op: "split", args: [arg!], attrs: { n: t.items.length, index }, lead: batched ? scope.lead.length : 0,
          shape: this.shapeIn(scope, item, batched), batched, src: this.src(scope, e.loc),
        }),
      );
    }
    return [this.expr(e, scope, binding)];
  }

  private expr(e: Expr, scope: Scope, binding?: string): number {
    switch (e.op) {
      case "num":
        return this.add(scope, { kind: "const", value: e.value, shape: [], batched: false });
      case "str":
        throw new Error("graph: a string is not a value");
      case "ref": {
        const id = scope.values.get(e.name) ?? this.paramIds.get(`${scope.prefix}${e.name}`) ?? this.constIds.get(`${scope.prefix}${e.name}`);
        if (id === undefined) throw new Error(`graph: unbound name ${e.name}`);
        return id;
      }
      case "next": {
        const id = scope.next.get(e.name);
        if (id === undefined) throw new Error(`graph: ${e.name}' read before assigned`);
        return id;
      }
      case "member": {
        const id = scope.finals.get(e.of)?.get(e.name);
        if (id === undefined) throw new Error(`graph: no final state ${e.of}.${e.name}`);
        return id;
      }
      case "call":
        return this.call(e, scope, binding);
      default:
        return this.op(e, scope);
    }
  }

  private op(e: OpExpr, scope: Scope): number {
    const args = e.args.map((a) => this.expr(a, scope));
    if (e.op === "dropout") args.push(this.mask(e, scope, args[0]!));
    const batched = args.some((a) => this.batched(a));
    const t = this.tensorOf(scope, e);
    if (e.op === "batch_normalize") for (const id of args.slice(1)) this.params.find((p) => p.id === id)!.trainable = false;
    const node: NewNode = {
      // A dropout's mask has the value's whole shape (or 1 on a shared axis), and batch statistics are over every
      // axis but the units: both run on whole values, no axis mapped.
      kind: "op", op: e.op, args, attrs: this.attrs(e, scope, args), lead: batched && !WHOLE_VALUE.has(e.op) ? scope.lead.length : 0,
      shape: this.shapeIn(scope, t, batched), batched, src: this.src(scope, e.loc),
    };
    if (t.vocab) node.vocab = t.vocab;
    return this.add(scope, node);
  }

  /**
   * The mask of a dropout of value x: a model-level mask node. In a cell's step body it reaches the step as a
   * scanned input of the scan (per step: [T, ...] at model level) or as a context (per sequence: one mask for
   * every step), so each backend draws it with the others, before the scan runs. At model level, per sequence
   * shares the mask along the value's first axis (time).
   */
  private mask(e: OpExpr, scope: Scope, x: number): number {
    const attrs = this.attrs(e, scope, [x]);
    const perSequence = attrs["per"] === "sequence";
    const rate = Number(attrs["rate"]);
    const src = this.src(scope, e.loc);
    const { shape } = this.shapes.get(x)!;
    if (!scope.scan) {
      const one: Dim = [["", 1]];
      return this.add(scope, { kind: "mask", rate, shape: perSequence && shape.length >= 2 ? [one, ...shape.slice(1)] : shape, batched: true, src });
    }
    const { scan, outer } = scope.scan;
    const seq = this.shapes.get(scan.seq[0]!.arg)!.shape;
    const time = seq.slice(0, outer.lead.length + 1);
    const mask = this.add(outer, { kind: "mask", rate, shape: perSequence ? [...time.slice(0, -1), ...shape] : [...time, ...shape], batched: true, src });
    const placeholder = this.add(scope, { kind: "placeholder", role: perSequence ? "ctx" : "step", name: "mask", shape, batched: true });
    (perSequence ? scan.ctx : scan.seq).push({ arg: mask, placeholder });
    return placeholder;
  }

  /** Compile-time arguments of an op, as numbers or words, with the op's defaults. */
  private attrs(e: OpExpr, scope: Scope, args: number[]): Record<string, Attr> {
    const info: OpInfo = OPS[e.op];
    const out: Record<string, Attr> = { ...(info.named ?? {}) };
    const generic = info.generic ?? [];
    let pos = 0;
    for (const a of e.generic ?? []) out[a.name ?? generic[pos++]!] = this.staticValue(a.value, scope);
    for (const a of e.named ?? []) out[a.name!] = this.staticValue(a.value, scope);
    if (typeof out["axis"] === "number" && out["axis"] < 0) {
      // Normalise against the element rank of the first argument.
      const argShape = this.shapes.get(args[0]!)!;
      const rank = argShape.shape.length - (argShape.batched ? scope.lead.length : 0);
      out["axis"] = rank + out["axis"];
    }
    return out;
  }

  private staticValue(e: Expr, scope: Scope): Attr {
    if (e.op === "num") return e.value;
    if (e.op === "neg" && e.args[0]?.op === "num") return -e.args[0].value;
    if (e.op === "ref") {
      const word = scope.frame.words.get(e.name);
      if (word !== undefined) return word;
      const d = scope.frame.dims.get(e.name);
      if (!d) return e.name;
      const v = this.info.env.value(d);
      if (v === undefined) throw new Error(`graph: compile-time argument ${e.name} has no value`);
      return v;
    }
    if (e.op === "add" || e.op === "sub" || e.op === "mul" || e.op === "div") {
      const [a, b] = e.args.map((x) => this.staticValue(x, scope)) as [number, number];
      return e.op === "add" ? a + b : e.op === "sub" ? a - b : e.op === "mul" ? a * b : a / b;
    }
    throw new Error(`graph: cannot evaluate a compile-time argument of kind ${e.op}`);
  }

  // ---------------------------------------------------------------- calls

  private call(e: CallExpr, scope: Scope, binding: string | undefined): number {
    const info = scope.frame.calls.get(e);
    if (!info) throw new Error(`graph: call of ${e.callee} was not checked`);
    const args = e.args.map((a) => this.expr(a, scope));
    const prefix = `${scope.prefix}${info.prefix}`;
    if (info.callee.kind === "fn") {
      let value = args;
      for (let r = 0; r < info.repeat; r++) {
        const p = info.modifier === "repeat" && info.repeat > 1 ? `${prefix}.${r}` : prefix;
        value = [this.inline(info, p, value, scope, e)];
      }
      return value[0]!;
    }
    if (info.modifier === "bidirectional") {
      const fwd = this.scan(info, `${prefix}.fwd`, args, scope, e, false);
      const bwd = this.scan(info, `${prefix}.bwd`, args, scope, e, true);
      const t = this.tensorOf(scope, e);
      return this.add(scope, {
        kind: "op", op: "concat", args: [fwd, bwd], attrs: { axis: t.dims.length - 1 }, lead: scope.lead.length,
        shape: this.shapeIn(scope, t, true), batched: true, src: this.src(scope, e.loc),
      });
    }
    let value = args;
    let last = -1;
    for (let r = 0; r < info.repeat; r++) {
      const p = info.modifier === "repeat" && info.repeat > 1 ? `${prefix}.${r}` : prefix;
      last = this.scan(info, p, value, scope, e, info.modifier === "reverse");
      value = [last];
    }
    if (binding !== undefined) {
      const finals = new Map<string, number>();
      const scanNode = scope.nodes.find((n) => n.id === last)!;
      for (const [state, t] of info.callee.states) {
        finals.set(state, this.add(scope, { kind: "final", scanNode: last, state, shape: this.shapeIn(scope, t, true), batched: true, src: scanNode.src! }));
      }
      scope.finals.set(binding, finals);
    }
    return last;
  }

  /** A const of a frame (the checker has its values), once per instance name. */
  private declareConst(frame: Frame, name: string, prefix: string, loc: { start: number; end: number }): void {
    const full = `${prefix}${name}`;
    if (this.constIds.has(full)) return;
    const c = frame.consts.get(name)!;
    const id = this.nextId++;
    const shape = c.shape.map((n) => this.dim(Poly.const(n)));
    this.constants.push({ id, name: full, shape, values: c.data, src: { file: frame.module.file, loc } });
    this.constIds.set(full, id);
    this.shapes.set(id, { shape, batched: false });
  }

  /** Creates the params (and consts) of one instantiation (once per name). */
  private declareParams(callee: Frame, prefix: string): void {
    for (const st of callee.def!.body) {
      if (st.kind === "const") this.declareConst(callee, st.name, `${prefix}.`, st.loc);
      if (st.kind !== "param") continue;
      const name = `${prefix}.${st.name}`;
      if (this.paramIds.has(name)) continue;
      const t = callee.values.get(st.name) as Tensor;
      const id = this.nextId++;
      const shape = t.dims.map((d) => this.dim(d));
      this.params.push({ id, name, shape, init: st.init ? initSpec(st.init) : { kind: "glorot" }, src: { file: callee.module.file, loc: st.loc } });
      this.paramIds.set(name, id);
      this.shapes.set(id, { shape, batched: false });
    }
  }

  private inline(info: CallInfo, prefix: string, args: number[], scope: Scope, e: CallExpr): number {
    const callee = info.callee;
    const def = callee.def!;
    this.declareParams(callee, prefix);
    const firstSeq = def.inputs.findIndex((p) => !p.ctx);
    const leadDims = firstSeq >= 0 && info.lead > 0 ? (scope.frame.types.get(e.args[firstSeq]!) as Tensor).dims.slice(0, info.lead) : [];
    const inner: Scope = { frame: callee, prefix: `${prefix}.`, lead: [...scope.lead, ...leadDims], values: new Map(), next: new Map(), finals: new Map(), nodes: scope.nodes };
    if (scope.scan) inner.scan = scope.scan;
    def.inputs.forEach((p, i) => inner.values.set(p.name, args[i]!));
    return this.body(inner);
  }

  /** Builds the statements of a cell or fn body in `scope` and returns the `out` value. */
  private body(scope: Scope): number {
    let out: number | undefined;
    for (const st of scope.frame.def!.body) {
      if (st.kind === "assign") this.assign(st, scope);
      else if (st.kind === "out") out = this.expr(st.value, scope);
    }
    if (out === undefined) throw new Error(`graph: ${scope.frame.def!.name} has no out`);
    return out;
  }

  private scan(info: CallInfo, prefix: string, args: number[], scope: Scope, e: CallExpr, reverse: boolean): number {
    const callee = info.callee;
    const def = callee.def!;
    this.declareParams(callee, prefix);
    const body: Node[] = [];
    const inner: Scope = { frame: callee, prefix: `${prefix}.`, lead: [], values: new Map(), next: new Map(), finals: new Map(), nodes: body };
    const scan: Scan = { name: prefix, cell: def.name, reverse, seq: [], ctx: [], states: [], body, out: -1 };
    inner.scan = { scan, outer: scope };
    def.inputs.forEach((p, i) => {
      const t = callee.values.get(p.name) as Tensor;
      const placeholder = this.add(inner, { kind: "placeholder", role: p.ctx ? "ctx" : "step", name: p.name, shape: t.dims.map((d) => this.dim(d)), batched: true });
      inner.values.set(p.name, placeholder);
      (p.ctx ? scan.ctx : scan.seq).push({ arg: args[i]!, placeholder });
    });
    // Initial states: from `with { ... }` (evaluated by the caller), else the declared initial value.
    const given = new Map((e.with ?? []).map((w) => [w.name!, this.expr(w.value, scope)]));
    for (const st of def.body) {
      if (st.kind !== "state") continue;
      const t = callee.states.get(st.name)!;
      const placeholder = this.add(inner, { kind: "placeholder", role: "state", name: st.name, shape: t.dims.map((d) => this.dim(d)), batched: true });
      inner.values.set(st.name, placeholder);
      let init = given.get(st.name);
      if (init === undefined) {
        init = st.init && st.init.op === "ref"
          ? this.paramIds.get(`${prefix}.${st.init.name}`)!
          : this.add(scope, { kind: "const", value: st.init?.op === "num" ? st.init.value : 0, shape: [], batched: false });
      }
      scan.states.push({ name: st.name, placeholder, init, next: -1 });
    }
    scan.out = this.body(inner);
    for (const s of scan.states) s.next = inner.next.get(s.name)!;
    const t = this.tensorOf(scope, e);
    const outShape = info.modifier === "bidirectional" ? this.half(t) : t;
    return this.add(scope, { kind: "scan", scan, lead: scope.lead.length, shape: this.shapeIn(scope, outShape, true), batched: true, src: this.src(scope, e.loc) });
  }

  /** One direction of a bidirectional output [T, 2*H]: [T, H]. */
  private half(t: Tensor): Tensor {
    const last = t.dims[t.dims.length - 1]!;
    return { ...t, dims: [...t.dims.slice(0, -1), this.info.env.divide(last, Poly.const(2))!] };
  }
}

/** A param's initialiser expression, whose form the initialisers rule has checked. */
function initSpec(e: Expr): InitSpec {
  if (e.op === "num") return { kind: "const", value: e.value };
  if (e.op === "neg" && e.args[0]?.op === "num") return { kind: "const", value: -e.args[0].value };
  if (e.op === "ref") return { kind: e.name as InitSpec["kind"] };
  if (e.op === "call") {
    const arg = e.args[0] ?? e.named?.[0]?.value;
    const value = arg?.op === "num" ? arg.value : arg?.op === "neg" && arg.args[0]?.op === "num" ? -arg.args[0].value : NaN;
    return { kind: e.callee as InitSpec["kind"], value };
  }
  throw new Error(`graph: unexpected initialiser ${e.op}`);
}

/** The graph of a model that checked without errors. */
export function buildGraph(info: ModelInfo): Graph {
  return new Builder(info).build();
}
