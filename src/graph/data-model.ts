/**
 * What reading data needs to know of a checked model's graph (src/runtime/data.ts):
 * its inputs and targets with their axes as the spec writes them, its dims and
 * vocabularies, and the axes of any value that depend on free dims.
 */
import { dimTable, formatDim, vocabInfos } from "./dims.js";
import type { Graph } from "./graph.js";
import type { DataAxis, DataModel } from "../runtime/data.js";

const models = new WeakMap<Graph, DataModel>();

/** What reading data needs to know of a graph (made once per graph): its inputs and targets, dims, vocabularies and the axes that depend on free dims. */
export function dataModel(graph: Graph): DataModel {
  let m = models.get(graph);
  if (m) return m;
  const axis = (d: DataAxis["dim"]): DataAxis => ({ dim: d, text: formatDim(graph, d) });
  m = {
    name: graph.model,
    dims: graph.dims,
    vocabs: vocabInfos(graph),
    fields: graph.nodes.flatMap((n) => (n.kind === "input" ? [{ name: n.name, role: n.role, shape: n.shape.map(axis), ...(n.vocab !== undefined ? { vocab: n.vocab } : {}) }] : [])),
    freeAxes: freeAxes(graph).map(({ dim, what }) => ({ axis: axis(dim), what })),
  };
  models.set(graph, m);
  return m;
}

/** The model's distinct axes (scan bodies included) that depend on free dims (sequence lengths), and what they are. */
function freeAxes(graph: Graph): { dim: DataAxis["dim"]; what: string }[] {
  const table = dimTable(graph);
  const bound = table.bound();
  const seen = new Set<string>();
  const out: { dim: DataAxis["dim"]; what: string }[] = [];
  const visit = (nodes: Graph["nodes"]) => {
    for (const n of nodes) {
      for (const d of n.shape) {
        const key = JSON.stringify(d);
        if (seen.has(key) || [...table.atomsOf(d)].every((a) => bound.has(a))) continue;
        seen.add(key);
        out.push({ dim: d, what: n.kind === "op" ? `the ${n.op}${n.name ? ` of ${n.name}` : ""}` : n.kind === "scan" ? `the scan ${n.scan.name}` : (n.name ?? n.kind) });
      }
      if (n.kind === "scan") visit(n.scan.body);
    }
  };
  visit(graph.nodes);
  return out;
}
