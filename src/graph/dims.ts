/**
 * A graph's dims on the runtime's one evaluator (src/runtime/dims.ts): the
 * graph's DimTable, the value of a dim given the free atoms' values, the free
 * atoms solved from the shapes of saved weights, the atom that is a
 * vocabulary's size, and the human form of a dim (the checker's).
 */
import { Poly } from "../check/dims.js";
import { DimTable, type DimVocabInfo } from "../runtime/dims.js";
import type { ModelShape } from "../runtime/model-dir.js";
import type { Dim, Graph } from "./graph.js";

/** Values of the free dims (sequence lengths, data vocabulary sizes), by atom name. */
export type DimValues = Record<string, number>;

/** The atom that is a vocabulary's size (`vocab words[W]` -> W), when its size is one atom. */
export function sizeDimOf(size: Dim): string | undefined {
  return size.length === 1 && size[0]![0] !== "" && !size[0]![0].includes("*") ? size[0]![0] : undefined;
}

/** The graph's vocabularies as the runtime's dims and data see them. */
export function vocabInfos(graph: Graph): DimVocabInfo[] {
  return graph.vocabs.map((v) => {
    const sizeDim = sizeDimOf(v.size);
    return { name: v.name, ...(sizeDim !== undefined ? { sizeDim } : {}), ...(v.tokens ? { tokens: v.tokens } : {}) };
  });
}

/** What a model directory is checked against (src/runtime/model-dir.ts). */
export function modelShape(graph: Graph): ModelShape {
  return { name: graph.model, dims: graph.dims, vocabs: vocabInfos(graph), params: graph.params };
}

const tables = new WeakMap<Graph, DimTable>();

/** The graph's DimTable (made once per graph). */
export function dimTable(graph: Graph): DimTable {
  let t = tables.get(graph);
  if (!t) {
    t = new DimTable(graph.dims, vocabInfos(graph));
    tables.set(graph, t);
  }
  return t;
}

/** Human form of a dim: `T`, `T/4`, `2*H`. */
export function formatDim(graph: Graph, d: Dim): string {
  const table = dimTable(graph);
  return Poly.fromTerms(d).format((n) => table.atoms.get(n));
}

/** A dim's value given the bound atoms of the graph and the free ones given. */
export function dimValue(graph: Graph, d: Dim, free: DimValues): number {
  const table = dimTable(graph);
  const v = table.evaluate(d, table.unitsOf(free));
  if (v === undefined) throw new Error(`the dims ${graph.dims.filter((a) => a.value === undefined && free[a.name] === undefined).map((a) => a.name).join(", ")} have no value`);
  return v;
}

/**
 * The free dims' values: those given, and those solved from the shapes of
 * saved parameters (e.g. a data vocabulary's V from an embedding's [V, E]).
 */
export function solveDimsFromShapes(graph: Graph, dims: DimValues, shapes: Map<string, number[]>): DimValues {
  return dimTable(graph).solveFromShapes(graph.params, dims, shapes);
}

/** The free dims' values implied by weights' shapes (e.g. a vocabulary's size), merged over `dims`: what a model directory records. */
export function dimsFromWeights(graph: Graph, weights: ReadonlyMap<string, { shape: number[] }>, dims: DimValues = {}): DimValues {
  const solved = solveDimsFromShapes(graph, dims, new Map([...weights].map(([k, v]) => [k, v.shape])));
  return Object.fromEntries(Object.entries(solved).filter(([k]) => graph.dims.some((a) => a.name === k && a.value === undefined)));
}
