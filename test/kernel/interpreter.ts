/**
 * A reference interpreter for the kernel's rules, for the tests of
 * src/kernel/: a Builder (src/kernel/api.ts) that runs each statement as it
 * is appended, in float64, on named buffers (maps over strided views with the
 * lowering's broadcasting, fills, batched GEMMs, scratch buffers). Size
 * expressions are evaluated with the values of their variables, by the names
 * the ts emitter gives them (`$D_T`, `$B`).
 *
 * With it, a forward rule (FORWARD[op]) or an adjoint rule (ADJOINT[op]) runs
 * on an op of a real graph without lowering a whole model or emitting code;
 * opCase() builds such a call from the first node of an op in an inline spec.
 */
import type { OpKind } from "../../src/ir/ops.js";
import type { Builder, Space, Val } from "../../src/kernel/api.js";
import { constVal, val } from "../../src/kernel/api.js";
import { eMul, eProd, int, ONE, ZERO, type BufId, type E, type Mat, type Scalar, type Stmt } from "../../src/kernel/program.js";
import { sizeText } from "../../src/backends/ts/names.js";
import { dimValue, type DimValues } from "../../src/graph/dims.js";
import type { Attr, Graph, Node } from "../../src/graph/graph.js";
import { Rng } from "../../src/runtime/init.js";

/** The value of a size expression, its variables' values given by their emitted names. */
export function evalE(e: E, env: Record<string, number>): number {
  switch (e.k) {
    case "num": return e.v;
    case "add": return evalE(e.a, env) + evalE(e.b, env);
    case "sub": return evalE(e.a, env) - evalE(e.b, env);
    case "mul": return evalE(e.a, env) * evalE(e.b, env);
    default: {
      const v = env[sizeText(e)];
      if (v === undefined) throw new Error(`size expression: no value for ${sizeText(e)}`);
      return v;
    }
  }
}

const FNS: Record<string, (...xs: number[]) => number> = {
  add: (a, b) => a! + b!,
  sub: (a, b) => a! - b!,
  mul: (a, b) => a! * b!,
  div: (a, b) => a! / b!,
  neg: (a) => -a!,
  max: (a, b) => Math.max(a!, b!),
  min: (a, b) => Math.min(a!, b!),
  exp: Math.exp,
  log: Math.log,
  log1p: Math.log1p,
  tanh: Math.tanh,
  sigmoid: (a) => 1 / (1 + Math.exp(-a!)),
  sqrt: Math.sqrt,
  abs: Math.abs,
  sign: Math.sign,
  gt: (a, b) => Number(a! > b!),
  ge: (a, b) => Number(a! >= b!),
  lt: (a, b) => Number(a! < b!),
  le: (a, b) => Number(a! <= b!),
  eq: (a, b) => Number(a! === b!),
  select: (c, a, b) => (c !== 0 ? a! : b!),
};

/** Named float64 buffers and the statements' effects on them. */
export class Interpreter {
  private readonly data: Float64Array[] = [];
  private readonly ids = new Map<string, BufId>();
  /** Statements run, by kind (what a rule asked for). */
  readonly counts: Record<Stmt["s"], number> = { map: 0, gemm: 0, fill: 0, mask: 0, loop: 0, time: 0, initial: 0, unlessInitial: 0, training: 0, fused: 0, note: 0 };
  private temps = 0;

  /** `training`: the builder's branches run their training statements (batch statistics), else the others. */
  constructor(
    readonly env: Record<string, number> = {},
    readonly training = false,
  ) {}

  e(x: E): number {
    return evalE(x, this.env);
  }

  /** A new buffer `name` of `size` zeros (or the given values): its id. */
  alloc(name: string, size: number, values?: ArrayLike<number>): BufId {
    if (this.ids.has(name)) throw new Error(`buffer ${name} exists`);
    const b = new Float64Array(size);
    if (values) b.set(values);
    this.ids.set(name, this.data.length);
    this.data.push(b);
    return this.data.length - 1;
  }

  /** The buffer named `name`. */
  buf(name: string): Float64Array {
    const id = this.ids.get(name);
    if (id === undefined) throw new Error(`no buffer ${name}`);
    return this.data[id]!;
  }

  private of(id: BufId): Float64Array {
    const b = this.data[id];
    if (!b) throw new Error(`no buffer ${id}`);
    return b;
  }

  /** The builder a rule sees, for a batch extent N (null: an unbatched op). */
  builder(N: E | null): Builder {
    return {
      N,
      map: (space, out, ins, f, mode = "set") => this.map(space, out, ins, f, mode),
      fill: (v, value) => this.map({ n: v.n === null ? null : N, ext: v.ext }, v, [], () => ({ k: "num", v: value }), "set", "fill"),
      gemm: (g) => this.gemm(g),
      branch: (training, otherwise) => {
        this.counts.training++;
        (this.training ? training : otherwise)();
      },
      temp: (space, _doc, _keep) => {
        const per = eProd(space.ext);
        const id = this.alloc(`tmp${this.temps++}`, this.e(space.n === null ? per : eMul(N ?? ONE, per)));
        return val(id, ZERO, space.n === null ? null : per, space.ext);
      },
    };
  }

  /** v's strides over a space: the batch axis, then element axes aligned from the right; size-1 axes of v broadcast. */
  private strides(v: Val, space: Space): number[] {
    const out: number[] = [];
    if (space.n !== null) out.push(v.n === null ? 0 : this.e(v.n));
    else if (v.n !== null) throw new Error("a batched view in an unbatched space");
    const r = space.ext.length;
    const lead = r - v.ext.length;
    if (lead < 0) throw new Error(`a view of rank ${v.ext.length} in a space of rank ${r}`);
    for (let j = 0; j < r; j++) {
      const ja = j - lead;
      out.push(ja < 0 || (this.e(v.ext[ja]!) === 1 && this.e(space.ext[j]!) !== 1) ? 0 : this.e(v.str[ja]!));
    }
    return out;
  }

  private map(space: Space, out: Val, ins: Val[], f: (xs: Scalar[]) => Scalar, mode: "set" | "add" | "max", kind: "map" | "fill" = "map"): void {
    this.counts[kind]++;
    const shape = [...(space.n === null ? [] : [space.n]), ...space.ext].map((x) => this.e(x));
    const batched = space.n === null ? 0 : 1;
    const views: { data: Float64Array; off: number; strides: number[] }[] = [];
    const xs = ins.map((v): Scalar => {
      if (v.num !== undefined) return { k: "num", v: v.num };
      views.push({ data: this.of(v.buf), off: this.e(v.off), strides: this.strides(v, space) });
      return { k: "in", i: views.length - 1 };
    });
    const expr = f(xs);
    const o = { data: this.of(out.buf), off: this.e(out.off), strides: this.strides(out, space) };
    const index = shape.map(() => 0);
    const at = (v: { off: number; strides: number[] }) => v.strides.reduce((s, st, i) => s + st * index[i]!, v.off);
    const evalS = (s: Scalar): number => {
      switch (s.k) {
        case "in":
          return views[s.i]!.data[at(views[s.i]!)]!;
        case "num":
          return s.v;
        case "idx":
          return index[s.axis + batched]!;
        case "size":
          return this.e(s.e);
        case "fn":
          return FNS[s.f]!(...s.args.map(evalS));
      }
    };
    const total = shape.reduce((a, b) => a * b, 1);
    for (let flatI = 0; flatI < total; flatI++) {
      let rest = flatI;
      for (let a = shape.length - 1; a >= 0; a--) {
        index[a] = rest % shape[a]!;
        rest = Math.floor(rest / shape[a]!);
      }
      const v = evalS(expr);
      const j = at(o);
      o.data[j] = mode === "set" ? v : mode === "add" ? o.data[j]! + v : Math.max(o.data[j]!, v);
    }
  }

  private gemm(g: Omit<Extract<Stmt, { s: "gemm" }>, "s">): void {
    this.counts.gemm++;
    const [count, m, n, k] = [g.count, g.m, g.n, g.k].map((x) => this.e(x)) as [number, number, number, number];
    const view = (x: Mat) => ({ data: this.of(x.buf), off: this.e(x.off), ld: this.e(x.ld), bs: this.e(x.bstride), trans: x.trans });
    const [A, B, C] = [view(g.a), view(g.b), view(g.c)];
    const el = (x: typeof A, e: number, r: number, c: number) => x.off + e * x.bs + (x.trans ? c * x.ld + r : r * x.ld + c);
    for (let e = 0; e < count; e++) {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) s += A.data[el(A, e, i, p)]! * B.data[el(B, e, p, j)]!;
          const at = el(C, e, i, j);
          C.data[at] = g.acc ? C.data[at]! + s : s;
        }
      }
    }
  }
}

/** An op of a graph with concrete sizes: what a rule is called with, and how to make its buffers. */
export interface OpCase {
  op: OpKind;
  attrs: Record<string, Attr>;
  node: Extract<Node, { kind: "op" }>;
  /**
   * Each argument: its element shape, whether it is batched, integer (tokens), a dropout mask (no adjoint), a
   * param that is not trained (a running statistic: no adjoint), a constant's value.
   */
  args: { shape: number[]; batched: boolean; int: boolean; mask?: true; frozen?: true; value?: number }[];
  out: { shape: number[]; batched: boolean };
  /** The batch extent. */
  N: number;
}

/** The first op node `op` of a graph (scan bodies included) with its arguments' shapes for these dims and batch N. */
export function opCase(graph: Graph, op: OpKind, free: DimValues = {}, N = 2): OpCase {
  const all: Node[] = [];
  const walk = (nodes: Node[]) => nodes.forEach((n) => (all.push(n), n.kind === "scan" && walk(n.scan.body)));
  walk(graph.nodes);
  const node = all.find((n): n is Extract<Node, { kind: "op" }> => n.kind === "op" && n.op === op);
  if (!node) throw new Error(`no ${op} in the graph`);
  if (node.lead !== 0) throw new Error(`${op} is mapped over leading axes: write it on a value of its own rank`);
  const byId = new Map(all.map((n) => [n.id, n]));
  const params = new Map(graph.params.map((p) => [p.id, p]));
  const shapeOf = (s: { shape: Graph["params"][number]["shape"] }) => s.shape.map((d) => dimValue(graph, d, free));
  const args = node.args.map((id) => {
    const p = params.get(id);
    if (p) return { shape: shapeOf(p), batched: false, int: false, ...(p.trainable === false ? { frozen: true as const } : {}) };
    const n = byId.get(id)!;
    return { shape: shapeOf(n), batched: n.batched, int: n.vocab !== undefined, ...(n.kind === "mask" ? { mask: true as const } : {}), ...(n.kind === "const" ? { value: n.value } : {}) };
  });
  return { op, attrs: node.attrs, node, args, out: { shape: shapeOf(node), batched: node.batched }, N };
}

/** A Val over a new buffer `name` for a value of this shape (batched: N examples), filled by `fill`. */
export function valOf(it: Interpreter, name: string, shape: number[], batched: boolean, N: number, fill: (i: number) => number = () => 0, isInt = false): Val {
  const ext = shape.map(int);
  const per = shape.reduce((a, b) => a * b, 1);
  const size = batched ? N * per : per;
  const id = it.alloc(name, size, Float64Array.from({ length: size }, (_, i) => fill(i)));
  return val(id, ZERO, batched ? int(per) : null, ext, isInt);
}

/** The arguments of a case as Vals over buffers `arg0`, `arg1`, ...: constants as numbers, tokens in [0, vocab), dropout masks of rate 0.5, floats from `float`. */
export function argVals(it: Interpreter, c: OpCase, rng: Rng, float: () => number, vocab = 3): Val[] {
  return c.args.map((a, i) => {
    if (a.value !== undefined) return constVal(a.value);
    if (a.mask) return valOf(it, `arg${i}`, a.shape, a.batched, c.N, () => (rng.next() < 0.5 ? 2 : 0));
    return valOf(it, `arg${i}`, a.shape, a.batched, c.N, () => (a.int ? Math.floor(rng.next() * vocab) : float()), a.int);
  });
}
