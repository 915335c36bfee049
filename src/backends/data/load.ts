/**
 * Data for a checked model's graph, read by the runtime's one reader
 * (src/runtime/data.ts, where the formats and every problem message live)
 * and padded into the layout of the tfjs target (./dataset.ts).
 */
import { formatDim, vocabInfos } from "../../graph/dims.js";
import type { Graph } from "../../graph/graph.js";
import { dimTable } from "../../graph/dims.js";
import { loadData, readData, type DataAxis, type DataModel, type ReadOptions } from "../../runtime/data.js";
import { Dataset } from "./dataset.js";

export { DataError } from "../../runtime/problems.js";
export { formatOf, type DataFormat } from "../../runtime/data.js";

export type LoadOptions = ReadOptions;

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

/** The fields read (LoadOptions.fields, default all) of a graph's data model. */
function fieldsRead(graph: Graph, opts: LoadOptions) {
  const { fields } = dataModel(graph);
  return opts.fields ? fields.filter((f) => opts.fields!.includes(f.name)) : fields;
}

/** Reads a data file for a model. Unreadable: IoError (src/runtime/errors.ts); not fitting: DataError listing what does not fit. */
export function loadDataset(path: string, graph: Graph, opts: LoadOptions = {}): Dataset {
  return Dataset.assemble(dataModel(graph), fieldsRead(graph, opts), loadData(path, dataModel(graph), opts));
}

/** Reads data given as text (the contents of a file in `opts.format`, JSONL by default). */
export function parseDataset(content: string, graph: Graph, opts: LoadOptions = {}, file = "<data>"): Dataset {
  return Dataset.assemble(dataModel(graph), fieldsRead(graph, opts), readData(content, dataModel(graph), opts, file));
}
