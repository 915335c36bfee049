/**
 * A model's graph as Graphviz DOT text (`seqc graph`): one node per value of
 * the graph (inputs, ops, scans; constants where an op reads them), labelled
 * with its name, op, shape (symbolic, and numeric where every dim is bound)
 * and the parameters it reads, counted as `seqc summary` counts them. A scan
 * (a cell over a sequence) is one node, or with `expand` a cluster of its step
 * body with its states and the recurrent edges from each next state back to
 * the state. Pure and deterministic, with no Node built-ins: the browser
 * playground renders the same text. Rendering is the CLI's.
 */
import { Poly } from "../check/dims.js";
import { trainedCount, type ModelInfo } from "../check/infer.js";
import { formatCount } from "../check/summary.js";
import { dimTable, formatDim } from "./dims.js";
import type { Graph, Node, Scan } from "./graph.js";

/** Graphviz's rankdir: top to bottom or left to right. */
export type Rankdir = "TB" | "LR";

export interface DotOptions {
  /** Top to bottom (the default) or left to right. */
  rankdir?: Rankdir;
  /** Draw each scan as a cluster of its step body. */
  expand?: boolean;
  /** The spec texts by file (a program's `sources`): an expanded body's named values show their statement. */
  sources?: ReadonlyMap<string, string>;
}

/** Text in XML: a Graphviz HTML-like label here, SVG text in seqc plot. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A quoted DOT string. */
function quoted(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

class DotWriter {
  private readonly lines: string[] = [];
  private readonly nodes = new Map<number, Node>();
  private readonly paramCounts = new Map<number, { name: string; count: Poly }>();
  /** The spec's consts: read by ops like params, not drawn. */
  private readonly constants = new Set<number>();
  /** The scans drawn as clusters, by node id. */
  private readonly expanded = new Set<number>();
  /** Nodes that something draws an edge from (consts and finals are drawn only then). */
  private readonly used = new Set<number>();

  constructor(
    private readonly graph: Graph,
    private readonly info: ModelInfo,
    private readonly opts: DotOptions,
  ) {
    // As seqc summary counts them: a const-masked param's trained entries, a running statistic's none.
    const counts = new Map(info.params.map((p) => [p.name, trainedCount(p)]));
    for (const p of graph.params) this.paramCounts.set(p.id, { name: p.name, count: counts.get(p.name) ?? Poly.const(0) });
    for (const c of graph.constants) this.constants.add(c.id);
    const index = (ns: Node[]) => {
      for (const n of ns) {
        this.nodes.set(n.id, n);
        if (n.kind === "op") for (const a of n.args) this.used.add(a);
        if (n.kind === "scan") {
          index(n.scan.body);
          for (const s of n.scan.states) if (this.nodes.get(s.init)?.kind !== "const") this.used.add(s.init);
          if (opts.expand) this.expanded.add(n.id);
        }
      }
    };
    index(graph.nodes);
    for (const id of [...Object.values(graph.values), ...graph.losses]) this.used.add(id);
  }

  private shapeText(n: Node): string {
    if (n.shape.length === 0) return "scalar";
    const symbolic = `[${n.shape.map((d) => formatDim(this.graph, d)).join(", ")}]${n.vocab !== undefined ? ` of ${n.vocab}` : ""}`;
    const table = dimTable(this.graph);
    const units = table.unitsOf({});
    const values = n.shape.map((d) => table.evaluate(d, units));
    const numeric = `[${values.join(", ")}]`;
    if (values.some((v) => v === undefined) || numeric === symbolic.replace(/ of .*$/, "")) return symbolic;
    return `${symbolic} = ${numeric}`;
  }

  /** The params a node reads (a scan: its body's, nested scans' too), each once, in order. */
  private paramsOf(n: Node, into = new Set<number>()): Set<number> {
    if (n.kind === "op") for (const a of n.args) if (this.paramCounts.has(a)) into.add(a);
    if (n.kind === "scan") for (const b of n.scan.body) this.paramsOf(b, into);
    return into;
  }

  private countText(ids: Iterable<number>): string | undefined {
    const list = [...ids];
    if (list.length === 0) return undefined;
    const total = list.reduce((acc, id) => acc.add(this.paramCounts.get(id)!.count), Poly.const(0));
    return `${formatCount(this.info, total)} params`;
  }

  /** The statement a value of a step body comes from (`c' = sigmoid(f) * c + ...`), its comment dropped. */
  private statement(n: Node): string | undefined {
    if (!n.src || !this.opts.sources || n.name === undefined || (n.kind === "op" && n.op === "split")) return undefined;
    const text = this.opts.sources.get(n.src.file);
    if (text === undefined) return undefined;
    const start = text.lastIndexOf("\n", n.src.loc.start - 1) + 1;
    const end = text.indexOf("\n", n.src.loc.start);
    const line = text.slice(start, end < 0 ? text.length : end).replace(/#.*$/, "").trim().replace(/^let\s+/, "");
    return line.startsWith(`${n.name} `) || line.startsWith(`${n.name}=`) ? line : undefined;
  }

  private opText(n: Node): string {
    if (n.kind !== "op") return n.kind;
    if (n.op === "split") return `split ${Number(n.attrs.index) + 1}/${n.attrs.n}`;
    const attrs = Object.entries(n.attrs).filter(([k]) => k !== "axis");
    return attrs.length > 0 ? `${n.op}(${attrs.map(([k, v]) => `${k}=${v}`).join(", ")})` : n.op;
  }

  private label(title: string, lines: (string | undefined)[]): string {
    const rest = lines.filter((l): l is string => l !== undefined).map((l) => `<br/><font point-size="10">${escapeXml(l)}</font>`);
    return `<${title}${rest.join("")}>`;
  }

  private nodeLine(n: Node, indent: string): void {
    const id = `n${n.id}`;
    const loss = this.graph.losses.includes(n.id);
    const params = this.paramsOf(n);
    const paramNames = [...params].map((p) => this.paramCounts.get(p)!.name);
    switch (n.kind) {
      case "input": {
        const title = `<b>${escapeXml(n.name)}</b>  <i>${n.role}</i>`;
        this.lines.push(`${indent}${id} [shape=box, style="rounded,filled", fillcolor="${n.role === "input" ? "#dbeafe" : "#fde68a"}", label=${this.label(title, [this.shapeText(n)])}];`);
        return;
      }
      case "const":
        this.lines.push(`${indent}${id} [shape=plaintext, label=${quoted(String(n.value))}];`);
        return;
      case "mask":
        this.lines.push(`${indent}${id} [shape=box, style="rounded,dotted", label=${this.label("<i>dropout mask</i>", [`rate ${n.rate}, while training`, this.shapeText(n)])}];`);
        return;
      case "placeholder": {
        const title = `<b>${escapeXml(n.name)}</b>  <i>${n.role === "step" ? "step input" : n.role === "ctx" ? "context" : "state"}</i>`;
        this.lines.push(`${indent}${id} [shape=box, style="rounded,dashed", label=${this.label(title, [this.shapeText(n)])}];`);
        return;
      }
      case "scan": {
        const title = `<b>${escapeXml(n.scan.name)}</b>  <i>${escapeXml(n.scan.cell)}</i>`;
        const states = n.scan.states.map((s) => s.name).join(", ");
        this.lines.push(`${indent}${id} [shape=box, style="filled", fillcolor="#e9d5ff", label=${this.label(title, [`scan${n.scan.reverse ? " (reversed)" : ""}, states ${states}`, this.shapeText(n), this.countText(params)])}];`);
        return;
      }
      case "op": {
        const statement = this.statement(n);
        const title = n.name !== undefined ? `<b>${escapeXml(n.name)}</b>  <i>${escapeXml(this.opText(n))}</i>` : `<i>${escapeXml(loss ? `loss: ${this.opText(n)}` : this.opText(n))}</i>`;
        const count = this.countText(params);
        const lines = [statement, this.shapeText(n), count !== undefined ? `${paramNames.join(", ")}: ${count}` : undefined];
        this.lines.push(`${indent}${id} [shape=box, ${loss ? 'peripheries=2, style="filled", fillcolor="#fecaca", ' : ""}label=${this.label(title, lines)}];`);
        return;
      }
      case "final":
        return;
    }
  }

  /** The node an edge from `id` starts at, and what it says: a scan's final state comes from the scan (or, expanded, its next value). */
  private from(id: number): { node: string; label?: string } {
    const n = this.nodes.get(id)!;
    if (n.kind === "final") {
      const scan = this.nodes.get(n.scanNode) as Extract<Node, { kind: "scan" }>;
      if (this.expanded.has(scan.id)) return { node: `n${scan.scan.states.find((s) => s.name === n.state)!.next}`, label: `final ${n.state}` };
      return { node: `n${scan.id}`, label: `final ${n.state}` };
    }
    if (n.kind === "scan" && this.expanded.has(n.id)) return { node: `n${n.scan.out}`, label: "each step" };
    return { node: `n${id}` };
  }

  /** An edge from value `from` to a drawn node; its label says which final state it carries and `label` what it feeds. */
  private edge(from: number, to: string, indent: string, label?: string, dashed = false): void {
    const f = this.from(from);
    const text = [f.label, label].filter((t) => t !== undefined).join(" \u2192 ");
    const attrs = [...(text !== "" ? [`label=${quoted(text)}`] : []), ...(dashed ? ["style=dashed"] : [])];
    this.lines.push(`${indent}${f.node} -> ${to}${attrs.length > 0 ? ` [${attrs.join(", ")}]` : ""};`);
  }

  private block(ns: Node[], indent: string): void {
    for (const n of ns) {
      if (n.kind === "scan" && this.expanded.has(n.id)) this.cluster(n, n.scan, indent);
      else if (n.kind !== "const" || this.used.has(n.id)) this.nodeLine(n, indent);
    }
    for (const n of ns) {
      if (n.kind === "op") for (const a of n.args) if (!this.paramCounts.has(a) && !this.constants.has(a)) this.edge(a, `n${n.id}`, indent);
      if (n.kind === "scan" && !this.expanded.has(n.id)) {
        for (const s of n.scan.seq) this.edge(s.arg, `n${n.id}`, indent);
        for (const c of n.scan.ctx) this.edge(c.arg, `n${n.id}`, indent, "context", true);
        for (const s of n.scan.states) if (this.nodes.get(s.init)?.kind !== "const") this.edge(s.init, `n${n.id}`, indent, `initial ${s.name}`, true);
      }
    }
  }

  /** An expanded scan: its body in a cluster, fed by its arguments, each state's next value drawn back to the state. */
  private cluster(n: Extract<Node, { kind: "scan" }>, scan: Scan, indent: string): void {
    const inner = indent + "  ";
    const params = this.countText(this.paramsOf(n));
    const states = scan.states.map((s) => {
      const init = this.nodes.get(s.init)!;
      return init.kind === "const" ? `${s.name} = ${init.value}` : `${s.name} given`;
    });
    const title = `<b>${escapeXml(scan.name)}</b>  <i>${escapeXml(scan.cell)}</i>`;
    const lines = [`scan${scan.reverse ? " (reversed)" : ""} over each step; states ${states.join(", ")}`, this.shapeText(n), params];
    this.lines.push(`${indent}subgraph cluster_n${n.id} {`);
    this.lines.push(`${inner}label=${this.label(title, lines)};`);
    this.lines.push(`${inner}style="rounded,filled"; fillcolor="#f5f3ff"; color="#7c3aed";`);
    this.block(scan.body, inner);
    for (const s of scan.states) this.lines.push(`${inner}n${s.next} -> n${s.placeholder} [label=${quoted(`${s.name} (next step)`)}, style=bold, color="#7c3aed", fontcolor="#7c3aed", constraint=false];`);
    this.lines.push(`${indent}}`);
    for (const s of scan.seq) this.edge(s.arg, `n${s.placeholder}`, indent);
    for (const c of scan.ctx) this.edge(c.arg, `n${c.placeholder}`, indent, undefined, true);
    for (const s of scan.states) if (this.nodes.get(s.init)?.kind !== "const") this.edge(s.init, `n${s.placeholder}`, indent, `initial ${s.name}`, true);
  }

  write(): string {
    const g = this.graph;
    this.lines.push(`digraph ${quoted(g.model)} {`);
    this.lines.push(`  graph [rankdir=${this.opts.rankdir ?? "TB"}, fontname="Helvetica", fontsize=12, labelloc=t, label=${this.label(`<b>model ${escapeXml(g.model)}</b>`, [`${g.file}; ${this.countText(g.params.map((p) => p.id)) ?? "no params"}`])}];`);
    this.lines.push(`  node [fontname="Helvetica", fontsize=12];`);
    this.lines.push(`  edge [fontname="Helvetica", fontsize=10];`);
    this.block(g.nodes, "  ");
    if (g.feedback) {
      const from = g.values[g.feedback.source];
      const to = g.values[g.feedback.input];
      if (from !== undefined && to !== undefined) {
        const until = g.feedback.until !== undefined ? ` until ${g.feedback.until}` : "";
        this.lines.push(`  ${this.from(from).node} -> n${to} [label=${quoted(`feedback (generation)${until}`)}, style=dotted, color="#059669", fontcolor="#059669", constraint=false];`);
      }
    }
    this.lines.push("}");
    return this.lines.join("\n") + "\n";
  }
}

/** The DOT text of a model's graph (`info` is the checked model the graph was built from: its parameter counts). */
export function graphDot(graph: Graph, info: ModelInfo, opts: DotOptions = {}): string {
  return new DotWriter(graph, info, opts).write();
}
