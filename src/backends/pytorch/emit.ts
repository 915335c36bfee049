/**
 * Graph -> `model.py`: the model as PyTorch modules, written from the spec's
 * equations. Pure and deterministic: the same graph gives the same text.
 *
 * - Each scan's cell is an `nn.Module` whose `forward` is one step (the
 *   cell's equations, each under a comment quoting its spec line), taking the
 *   step's inputs, contexts and states and returning the output and the next
 *   states. Instances whose steps read the same share one class.
 * - `Model` owns every parameter under its seqc name: the dotted name is the
 *   path in the module tree (`h.W` is `self.h.W`, and the state_dict key
 *   `h.W`), with the spec's shape and layout ([out, in] matrices, [F, C, K]
 *   kernels), so a seqc model directory loads without reshaping. A part of a
 *   name that nn.Module keeps for itself (`eval`, `to`, ...) gets a `_` in
 *   the tree; PARAMS maps every seqc name to its state_dict key.
 * - `Model.forward(batch, initial)` runs the model's statements in order
 *   (fns are inlined, as the graph has them), scans as loops over time that
 *   carry the states (reversed for `reverse`, from given states for `with
 *   {...}` and, for truncated BPTT, from `initial`), and returns each
 *   example's loss (the losses summed over time and units), the named values
 *   and the final states.
 *
 * Nothing from the spec reaches the text unescaped: names become identifiers
 * (python.ts), strings go through pyStr, comments lose line breaks and
 * control characters.
 */
import { dimTable } from "../../graph/dims.js";
import type { Constant, Dim, Graph, Node, Param, Scan, Source } from "../../graph/graph.js";
import { specLine } from "../spec-lines.js";
import type { Names } from "../names.js";
import { ATOM, PyTorchTargetError, TORCH_OPS, UNARY, type TorchArg } from "./ops.js";
import { moduleKey, pyAttr, pyComment, pyNum, pythonNames, pyStr } from "./python.js";

class Printer {
  private readonly lines: string[] = [];
  private depth = 0;
  private lastNote: string | undefined;

  constructor(private readonly sources: Map<string, string>) {}

  line(s = ""): void {
    this.lines.push(s === "" ? "" : "    ".repeat(this.depth) + s);
  }

  /** A comment quoting the spec line of `src`, once per run of statements from that line. */
  note(src: Source | undefined): void {
    const where = specLine(src, this.sources);
    if (where === undefined || where === this.lastNote) return;
    this.lastNote = where;
    this.line(`# ${pyComment(where)}`);
  }

  comment(s: string): void {
    this.line(`# ${pyComment(s)}`);
  }

  open(s: string): void {
    this.line(s);
    this.depth++;
    this.lastNote = undefined;
  }

  close(): void {
    this.depth--;
    this.lastNote = undefined;
  }

  text(): string {
    return this.lines.join("\n") + "\n";
  }
}

/** The key path of a parameter or cell module in the module tree, from its seqc name. */
const keyPath = (name: string): string[] => name.split(".").map(moduleKey);

/** The Python list literal of a key path. */
const pyPath = (path: string[]): string => `[${path.map(pyStr).join(", ")}]`;

/**
 * A dim as Python: bound atoms as numbers, free ones read from the dict
 * named `dims` (in units of the atom's `multiple of`, as src/runtime/dims.ts
 * keeps them).
 */
function dimText(graph: Graph, d: Dim, dims: string): string {
  const table = dimTable(graph);
  const bound = table.bound();
  const terms: string[] = [];
  for (const [mono, coef] of d) {
    let k = coef;
    const free: string[] = [];
    for (const atom of mono === "" ? [] : mono.split("*")) {
      const u = bound.get(atom);
      if (u !== undefined) k *= u;
      else {
        const m = table.atoms.get(atom)?.multiple ?? 1;
        free.push(m === 1 ? `${dims}[${pyStr(atom)}]` : `(${dims}[${pyStr(atom)}] // ${m})`);
      }
    }
    if (k === 0) continue;
    terms.push(free.length === 0 ? String(k) : [...(k === 1 ? [] : [String(k)]), ...free].join(" * "));
  }
  return terms.length === 0 ? "0" : terms.join(" + ");
}

/** How a function's body refers to values: local names, parameters, inlined expressions. */
interface Scope {
  names: Names;
  /** Python for each node id that has a value here. */
  code: Map<number, { code: string; prec: number }>;
  /** A parameter or a const (a buffer) as Python. */
  param: (p: Param | Constant) => string;
  /** The dict of dim values in this function. */
  dims: string;
  /** The model's forward only: a batched input, whose batch size and device dropout masks take. */
  like?: string;
}

/** Which op nodes of a list are written inside their one user instead of as a statement of their own. */
function inlined(nodes: Node[], pinned: Iterable<number>): Set<number> {
  const uses = new Map<number, number>();
  for (const n of nodes) if (n.kind === "op") for (const a of n.args) uses.set(a, (uses.get(a) ?? 0) + 1);
  const keep = new Set(pinned);
  return new Set(nodes.filter((n) => n.kind === "op" && n.name === undefined && uses.get(n.id) === 1 && !keep.has(n.id)).map((n) => n.id));
}

/** Ids a list's scans and losses read (they need a name of their own). */
function pinnedIds(nodes: Node[], more: number[]): number[] {
  const out = [...more];
  for (const n of nodes) {
    if (n.kind !== "scan") continue;
    out.push(...n.scan.seq.map((s) => s.arg), ...n.scan.ctx.map((c) => c.arg), ...n.scan.states.map((s) => s.init));
  }
  return out;
}

class Emitter {
  /** Where statements are printed: the model's forward or a cell's step. */
  private p: Printer;
  private readonly params = new Map<number, Param>();
  /** The spec's consts: buffers of the module tree, read as parameters are. */
  private readonly consts = new Map<number, Constant>();
  private readonly nodes = new Map<number, Node>();
  /** Cell classes by the text of their body, and their names. */
  private readonly classes = new Map<string, string>();
  private readonly classTexts: string[] = [];
  private readonly fileNames = pythonNames();
  /** The class of each scan, by scan instance name. */
  private readonly cellOf = new Map<string, string>();

  constructor(
    private readonly graph: Graph,
    private readonly sources: Map<string, string>,
  ) {
    this.p = new Printer(sources);
    for (const p of graph.params) this.params.set(p.id, p);
    for (const c of graph.constants) this.consts.set(c.id, c);
    const visit = (ns: Node[]) => {
      for (const n of ns) {
        this.nodes.set(n.id, n);
        if (n.kind === "scan") visit(n.scan.body);
      }
    };
    visit(graph.nodes);
    this.fileNames.take("Model");
  }

  /** An argument of an op node as the rule sees it. */
  private arg(scope: Scope, id: number, lead: number): TorchArg {
    const param = this.params.get(id) ?? this.consts.get(id);
    if (param) return { code: scope.param(param), prec: ATOM, batched: false, rank: param.shape.length, tokens: false };
    const n = this.nodes.get(id);
    const v = scope.code.get(id);
    if (!n || !v) throw new Error(`pytorch target: node ${id} has no value here`);
    return { code: v.code, prec: v.prec, batched: n.batched, rank: n.batched ? n.shape.length - lead : n.shape.length, tokens: n.vocab !== undefined };
  }

  /** A value (node or parameter) as an operand. */
  private value(scope: Scope, id: number): string {
    const param = this.params.get(id) ?? this.consts.get(id);
    if (param) return scope.param(param);
    const v = scope.code.get(id);
    if (!v) throw new Error(`pytorch target: node ${id} has no value here`);
    return v.code;
  }

  /** An op node's Python expression. */
  private opExpr(scope: Scope, n: Extract<Node, { kind: "op" }>): { code: string; prec: number } {
    const lead = n.batched ? n.lead : 0;
    try {
      const e = TORCH_OPS[n.op]({
        args: n.args.map((a) => this.arg(scope, a, lead)),
        attrs: n.attrs,
        lead,
        rank: n.shape.length - lead,
        batched: n.batched,
        lastDim: n.shape.length > 0 ? dimText(this.graph, n.shape[n.shape.length - 1]!, scope.dims) : "1",
      });
      return e;
    } catch (e) {
      if (e instanceof PyTorchTargetError) throw new PyTorchTargetError(e.message, n.src);
      throw e;
    }
  }

  /** The statements of a node list (a function's body), in order; returns nothing, fills scope.code. */
  private body(scope: Scope, nodes: Node[], pinned: number[]): void {
    const inline = inlined(nodes, pinnedIds(nodes, pinned));
    for (const n of nodes) {
      switch (n.kind) {
        case "const":
          scope.code.set(n.id, { code: pyNum(n.value), prec: n.value < 0 ? UNARY : ATOM });
          break;
        case "input":
        case "placeholder":
          // Set by the caller (batch fields, forward's arguments).
          break;
        case "final":
          break;
        case "mask": {
          // Model level only (a cell's step gets its masks as scanned inputs or contexts); drawn before the scans that read it.
          if (scope.like === undefined) throw new PyTorchTargetError("a dropout mask inside a cell's step", n.src);
          const name = scope.names.take("mask");
          const shape = n.shape.map((d) => dimText(this.graph, d, scope.dims));
          this.p.note(n.src);
          this.p.line(`${name} = S.dropout_mask(masks, self.training, ${pyNum(n.rate)}, [${shape.join(", ")}], ${scope.like})`);
          scope.code.set(n.id, { code: name, prec: ATOM });
          break;
        }
        case "op": {
          const e = this.opExpr(scope, n);
          if (inline.has(n.id)) {
            scope.code.set(n.id, e);
            break;
          }
          const name = scope.names.take(n.name ?? n.op);
          this.p.note(n.src);
          this.p.line(`${name} = ${e.code}`);
          scope.code.set(n.id, { code: name, prec: ATOM });
          break;
        }
        case "scan":
          if (!this.graph.nodes.includes(n)) throw new PyTorchTargetError("the pytorch target scans at the model's level only, not inside a cell's step", n.src);
          this.scan(scope, n);
          break;
      }
    }
  }

  /** A cell's class: one step of the scan, its parameters relative to the scan's instance. */
  private cellClass(scan: Scan): string {
    const p = new Printer(this.sources);
    const names = pythonNames();
    const prefix = `${scan.name}.`;
    const scope: Scope = {
      names,
      code: new Map(),
      dims: "self.dims",
      param: (param) => {
        if (!param.name.startsWith(prefix)) throw new PyTorchTargetError(`the step of ${scan.name} reads ${param.name}, which is not its own`);
        return keyPath(param.name.slice(prefix.length)).reduce(pyAttr, "self");
      },
    };
    const placeholders = new Map(scan.body.filter((b) => b.kind === "placeholder").map((b) => [b.id, b]));
    const argNames = [...scan.seq.map((s) => s.placeholder), ...scan.ctx.map((c) => c.placeholder), ...scan.states.map((s) => s.placeholder)].map((id) => {
      const name = names.take((placeholders.get(id) as { name: string }).name);
      scope.code.set(id, { code: name, prec: ATOM });
      return name;
    });
    // The body's statements, printed into this class's printer.
    const outer = this.p;
    this.p = p;
    p.open(`class CELL(nn.Module):`);
    p.line(`"""One step of cell ${pyStr(scan.cell).slice(1, -1)}: (${[...scan.seq.map((s) => (placeholders.get(s.placeholder) as { name: string }).name), ...scan.ctx.map((c) => `ctx ${(placeholders.get(c.placeholder) as { name: string }).name}`), ...scan.states.map((s) => s.name)].map((s) => pyStr(s).slice(1, -1)).join(", ")}) -> (out, next states)."""`);
    p.line();
    p.open(`def __init__(self, dims):`);
    p.line(`super().__init__()`);
    p.line(`self.dims = dims`);
    p.close();
    p.line();
    p.open(`def forward(self, ${argNames.join(", ")}):`);
    try {
      this.body(scope, scan.body, [scan.out, ...scan.states.map((s) => s.next)]);
    } finally {
      this.p = outer;
    }
    const states = scan.states.map((s) => this.value(scope, s.next));
    p.line(`return ${this.value(scope, scan.out)}, (${states.join(", ")}${states.length === 1 ? "," : ""})`);
    p.close();
    p.close();
    const text = p.text();
    let name = this.classes.get(text);
    if (name === undefined) {
      name = this.fileNames.take(scan.cell);
      this.classes.set(text, name);
      this.classTexts.push(text.replace(/^class CELL\(/, `class ${name}(`));
    }
    return name;
  }

  /** A scan at the model's level: fold mapped axes, the loop over time carrying the states, the outputs stacked. */
  private scan(scope: Scope, n: Extract<Node, { kind: "scan" }>): void {
    const scan = n.scan;
    const cls = this.cellClass(scan);
    this.cellOf.set(scan.name, cls);
    const p = this.p;
    const lead = n.lead;
    const base = scope.names.take(n.name ?? scan.name);
    p.note(n.src);
    p.comment(`${scan.reverse ? "reverse " : ""}scan of cell ${scan.cell} (parameters ${scan.name}.*) over time`);
    const seqs = scan.seq.map((s) => {
      const v = scope.names.take(`${base}_in`);
      p.line(`${v} = S.fold_lead(${this.value(scope, s.arg)}, ${lead})`);
      return v;
    });
    if (seqs.length === 0) throw new PyTorchTargetError(`the scan ${scan.name} has no sequence to scan`, n.src);
    const ctx = scan.ctx.map((c) => {
      const v = scope.names.take(`${base}_ctx`);
      p.line(`${v} = S.fold_lead(${this.value(scope, c.arg)}, ${lead})`);
      return v;
    });
    const leadShape = scope.names.take(`${base}_lead`);
    p.line(`${leadShape} = ${this.value(scope, scan.seq[0]!.arg)}.shape[:${1 + lead}]`);
    const rows = scope.names.take(`${base}_rows`);
    p.line(`${rows} = ${seqs[0]!}.shape[0]`);
    const placeholders = new Map(scan.body.filter((b) => b.kind === "placeholder").map((b) => [b.id, b]));
    const carried = !scan.reverse && lead === 0 && this.graph.nodes.includes(n);
    const states = scan.states.map((s) => {
      const v = scope.names.take(`${base}_${s.name}`);
      const init = this.nodes.get(s.init);
      const batched = init?.batched ?? false;
      const shape = placeholders.get(s.placeholder)!.shape.map((d) => dimText(this.graph, d, scope.dims));
      const fresh = `S.state(${this.value(scope, s.init)}, ${batched ? "True" : "False"}, ${lead}, ${rows}, [${shape.join(", ")}], ${seqs[0]!})`;
      // Truncated BPTT starts a model-level forward scan from the previous window's final states.
      p.line(carried ? `${v} = initial[${pyStr(scan.name)}][${pyStr(s.name)}] if ${pyStr(scan.name)} in initial else ${fresh}` : `${v} = ${fresh}`);
      return v;
    });
    const steps = scope.names.take(`${base}_steps`);
    const t = scope.names.take("t");
    const y = scope.names.take(`${base}_out`);
    const cell = keyPath(scan.name).reduce(pyAttr, "self");
    p.line(`${steps} = []`);
    p.open(`for ${t} in ${scan.reverse ? "reversed(range" : "range"}(${seqs[0]!}.shape[1])${scan.reverse ? ")" : ""}:`);
    const stateTuple = `(${states.join(", ")}${states.length === 1 ? "," : ""})`;
    p.line(`${y}, ${states.length > 0 ? stateTuple : "_"} = ${cell}(${[...seqs.map((s) => `${s}[:, ${t}]`), ...ctx, ...states].join(", ")})`);
    const body = new Map(scan.body.map((b) => [b.id, b]));
    const batchedIn = (id: number) => body.get(id)?.batched ?? false;
    if (!batchedIn(scan.out)) p.line(`${y} = S.per_step(${y}, ${rows})`);
    scan.states.forEach((s, i) => {
      if (!batchedIn(s.next)) p.line(`${states[i]} = S.per_step(${states[i]}, ${rows})`);
    });
    p.line(`${steps}.append(${y})`);
    p.close();
    if (scan.reverse) p.line(`${steps}.reverse()`);
    p.line(`${base} = S.unfold_lead(torch.stack(${steps}, 1), ${leadShape})`);
    scope.code.set(n.id, { code: base, prec: ATOM });
    // The final states: `enc.c` in the spec, and what BPTT carries.
    const finals = this.graph.nodes.filter((f): f is Extract<Node, { kind: "final" }> => f.kind === "final" && f.scanNode === n.id);
    const bodyFinals = new Map<string, string>();
    scan.states.forEach((s, i) => {
      const v = lead === 0 ? states[i]! : scope.names.take(`${base}_final_${s.name}`);
      if (lead > 0) p.line(`${v} = S.unfold_lead(${states[i]}, ${leadShape})`);
      bodyFinals.set(s.name, v);
    });
    for (const f of [...finals, ...this.allFinals(n.id)]) scope.code.set(f.id, { code: bodyFinals.get(f.state)!, prec: ATOM });
    if (this.graph.nodes.includes(n)) this.finalStates.push(`${pyStr(scan.name)}: {${scan.states.map((s) => `${pyStr(s.name)}: ${bodyFinals.get(s.name)}`).join(", ")}}`);
  }

  /** final nodes of a scan anywhere in the graph. */
  private allFinals(scanNode: number): Extract<Node, { kind: "final" }>[] {
    return [...this.nodes.values()].filter((f): f is Extract<Node, { kind: "final" }> => f.kind === "final" && f.scanNode === scanNode);
  }

  private readonly finalStates: string[] = [];

  /** The whole model.py. */
  emit(): string {
    const g = this.graph;
    const p = this.p;
    // The model's forward first (it creates the cell classes), printed after them.
    const forward = new Printer(this.sources);
    const main = this.p;
    this.p = forward;
    const names = pythonNames();
    const scope: Scope = { names, code: new Map(), dims: "dims", param: (param) => keyPath(param.name).reduce(pyAttr, "self") };
    forward.open(`def forward(self, batch, initial=None, masks=None):`);
    forward.line(`"""Each example's loss (summed over the model's losses, time and units), the named values and the final states of`);
    forward.line(`the model's scans. batch: each input and target by name, batch axis first (token ids as integers); initial:`);
    forward.line(`states to start scans from, {scan: {state: tensor}} (truncated BPTT); masks: the dropout masks' draws`);
    forward.line(`(S.MaskDraws: seqc's, as the other targets draw them for a seed), else torch's own while training, none in eval."""`);
    forward.line(`initial = initial or {}`);
    forward.line(`dims = dict(self.dims)`);
    const known = new Set(g.dims.filter((a) => a.value !== undefined).map((a) => a.name));
    for (const n of g.nodes) {
      if (n.kind !== "input") continue;
      const v = names.take(n.name);
      forward.note(n.src);
      forward.line(`${v} = batch[${pyStr(n.name)}]`);
      scope.code.set(n.id, { code: v, prec: ATOM });
      scope.like ??= v;
      // The data's lengths: a free dim that is an axis of an input, from the tensor's shape.
      n.shape.forEach((d, i) => {
        if (d.length !== 1 || d[0]![0] === "" || d[0]![0].includes("*")) return;
        const [atom, coef] = d[0]!;
        if (known.has(atom)) return;
        known.add(atom);
        const multiple = g.dims.find((a) => a.name === atom)?.multiple ?? 1;
        const length = `${v}.shape[${1 + i}]${coef === 1 ? "" : ` // ${coef}`}${multiple === 1 ? "" : ` * ${multiple}`}`;
        forward.line(`dims.setdefault(${pyStr(atom)}, ${length})`);
      });
    }
    try {
      this.body(scope, g.nodes, g.losses);
    } finally {
      this.p = main;
    }
    const losses = g.losses.map((id) => this.value(scope, id));
    forward.line(`loss = ${losses.join(" + ")}`);
    const named = Object.entries(g.values).filter(([, id]) => scope.code.has(id) || this.params.has(id) || this.consts.has(id));
    forward.line(`values = {${named.map(([k, id]) => `${pyStr(k)}: ${this.value(scope, id)}`).join(", ")}}`);
    forward.line(`return loss, values, {${this.finalStates.join(", ")}}`);
    forward.close();

    p.line(`# Generated by seqc from ${pyComment(g.file)}, model ${pyComment(g.model)}: the model as PyTorch modules (seqc compile --target pytorch).`);
    p.line(`# Do not edit: edit the spec and compile again. Parameters keep seqc's names, shapes and layouts (PARAMS).`);
    p.line(`import torch`);
    p.line(`from torch import nn`);
    p.line();
    p.line(`import seqc_torch as S`);
    p.line();
    p.comment(`Each parameter's seqc name -> its state_dict key, shape (in the dims), initialiser and whether it is trained`);
    p.comment(`(False: a running statistic of batch_normalize, saved with the weights, with no gradient).`);
    p.open(`def param_table(dims):`);
    p.line(`return [`);
    for (const param of g.params) {
      p.line(`    (${pyStr(param.name)}, ${pyStr(keyPath(param.name).join("."))}, (${param.shape.map((d) => dimText(g, d, "dims")).join(", ")}${param.shape.length === 1 ? "," : ""}), {"kind": ${pyStr(param.init.kind)}${param.init.value !== undefined ? `, "value": ${pyNum(param.init.value)}` : ""}}, ${param.trainable === false ? "False" : "True"}),`);
    }
    p.line(`]`);
    p.close();
    p.line();
    p.line();
    p.line(`PARAMS = {${g.params.map((param) => `${pyStr(param.name)}: ${pyStr(keyPath(param.name).join("."))}`).join(", ")}}`);
    p.line();
    if (g.constants.length > 0) {
      p.line();
      p.comment(`Each const of the spec: its seqc name -> its buffer's key, shape and values (row-major); no gradient, not in the state_dict.`);
      p.open(`CONSTS = {`);
      for (const c of g.constants) {
        p.note(c.src);
        p.open(`${pyStr(c.name)}: (${pyStr(keyPath(c.name).join("."))}, (${c.shape.map((d) => dimText(g, d, "dims")).join(", ")}${c.shape.length === 1 ? "," : ""}), [`);
        // One line per row of the last axis, as the spec writes them.
        const last = c.shape[c.shape.length - 1];
        const row = Math.max(1, last?.find(([mono]) => mono === "")?.[1] ?? 1);
        for (let i = 0; i < c.values.length; i += row) p.line(`${c.values.slice(i, i + row).map(pyNum).join(", ")},`);
        p.close();
        p.line(`]),`);
      }
      p.close();
      p.line(`}`);
      p.line();
    }
    p.line();
    for (const text of this.classTexts) {
      for (const l of text.trimEnd().split("\n")) p.line(l);
      p.line();
      p.line();
    }
    p.open(`class Model(nn.Module):`);
    p.line(`"""Model ${pyStr(g.model).slice(1, -1)} of ${pyStr(g.file).slice(1, -1)}. dims: the values of its free dims that are not sequence lengths`);
    p.line(`(the sizes of vocabularies built from data), by name."""`);
    p.line();
    p.open(`def __init__(self, dims=None):`);
    p.line(`super().__init__()`);
    p.line(`self.dims = dict(dims or {})`);
    for (const n of this.scanNodes(g.nodes)) p.line(`S.put(self, ${pyPath(keyPath(n.scan.name))}, ${this.cellOf.get(n.scan.name)!}(self.dims))`);
    p.open(`for name, key, shape, init, trained in param_table(self.dims):`);
    p.line(`S.put(self, key.split("."), nn.Parameter(S.initial(init, shape), requires_grad=trained))`);
    p.close();
    if (g.constants.length > 0) {
      p.open(`for name, (key, shape, values) in CONSTS.items():`);
      p.line(`S.put(self, key.split("."), torch.tensor(values).reshape(shape))`);
      p.close();
    }
    p.close();
    p.line();
    for (const l of forward.text().trimEnd().split("\n")) p.line(l);
    p.close();
    return p.text();
  }

  private scanNodes(nodes: Node[]): Extract<Node, { kind: "scan" }>[] {
    return nodes.flatMap((n) => (n.kind === "scan" ? [n, ...this.scanNodes(n.scan.body)] : []));
  }
}

/** model.py of a graph (see the file comment). A PyTorchTargetError says what the target cannot compile, and where. */
export function emitTorchModel(graph: Graph, sources: Map<string, string>): string {
  const keys = new Map<string, string>();
  for (const p of [...graph.params, ...graph.constants]) {
    const key = keyPath(p.name).join(".");
    const other = keys.get(key);
    if (other !== undefined) throw new PyTorchTargetError(`${other} and ${p.name} would have one PyTorch name, ${key}`, p.src);
    keys.set(key, p.name);
  }
  return new Emitter(graph, sources).emit();
}
