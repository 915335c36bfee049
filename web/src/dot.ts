/**
 * TEMPORARY: a model's graph as DOT text, the least the playground needs to
 * draw it. To be replaced by the shared DOT builder of `seqc graph` (issue 15
 * items 1-2, branch `pictures`) when that branch merges: then this file goes
 * and the page calls that builder; diagram.ts takes DOT text either way.
 *
 * One box per top-level node (inputs, ops, scans as one box naming the cell,
 * finals), one ellipse per parameter, an edge per argument; labels give the
 * spec's name when there is one and the symbolic shape.
 */
import { formatDim } from "../../src/graph/dims.js";
import type { Graph, Node } from "../../src/graph/graph.js";

/** A DOT string literal. */
const quote = (s: string) => JSON.stringify(s);

function what(node: Node): string {
  switch (node.kind) {
    case "input":
      return node.role;
    case "const":
      return String(node.value);
    case "placeholder":
      return node.role;
    case "op":
      return node.op;
    case "scan":
      return `${node.scan.cell}${node.scan.reverse ? " (reversed)" : ""}`;
    case "final":
      return `final ${node.state}`;
  }
}

/** The ids a node reads. */
function argsOf(node: Node): number[] {
  switch (node.kind) {
    case "op":
      return node.args;
    case "scan":
      return [...node.scan.seq.map((s) => s.arg), ...node.scan.ctx.map((c) => c.arg), ...node.scan.states.map((s) => s.init)];
    case "final":
      return [node.scanNode];
    default:
      return [];
  }
}

/** The model's graph as a DOT digraph (top to bottom). */
export function graphDot(graph: Graph): string {
  const shape = (dims: Graph["params"][number]["shape"]) => `[${dims.map((d) => formatDim(graph, d)).join(", ")}]`;
  const lines = [`digraph ${quote(graph.model)} {`, `  node [shape=box, fontname="Helvetica", fontsize=10];`, `  edge [color="#666666"];`];
  const used = new Set(graph.nodes.flatMap(argsOf));
  for (const p of graph.params) {
    if (used.has(p.id)) lines.push(`  n${p.id} [shape=ellipse, style=dashed, label=${quote(`${p.name}\n${shape(p.shape)}`)}];`);
  }
  const losses = new Set(graph.losses);
  for (const node of graph.nodes) {
    const head = node.name && node.kind !== "input" ? `${node.name} = ${what(node)}` : node.kind === "input" ? `${node.role} ${node.name}` : what(node);
    const style = node.kind === "input" ? ", style=filled, fillcolor=\"#e8f0fe\"" : losses.has(node.id) ? ", style=filled, fillcolor=\"#fde8e8\"" : "";
    lines.push(`  n${node.id} [label=${quote(`${head}\n${shape(node.shape)}`)}${style}];`);
    for (const arg of argsOf(node)) lines.push(`  n${arg} -> n${node.id};`);
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}
