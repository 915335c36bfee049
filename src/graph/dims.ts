/**
 * The values of a graph's dims: a symbolic dim (terms of a polynomial over dim
 * atoms) evaluated with the atoms' values. Bound atoms come from the graph,
 * free ones (lengths, data vocabulary sizes) from the caller.
 */
import { Poly } from "../check/dims.js";
import type { Dim, Graph } from "./graph.js";

/** Values of the free dims (sequence lengths, data vocabulary sizes), by atom name. */
export type DimValues = Record<string, number>;

/** A dim's value given the bound atoms of the graph and the free ones given. */
export function dimValue(graph: Graph, d: Dim, free: DimValues): number {
  const units = new Map<string, Poly>();
  for (const a of graph.dims) {
    const v = a.value ?? free[a.name];
    if (v === undefined) continue;
    units.set(a.name, Poly.const(v / a.multiple));
  }
  const v = Poly.fromTerms(d).substitute(units).constValue();
  if (v === undefined) throw new Error(`the dims ${graph.dims.filter((a) => a.value === undefined && free[a.name] === undefined).map((a) => a.name).join(", ")} have no value`);
  return v;
}
