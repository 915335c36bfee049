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

/**
 * The free dims' values: those given, and those solved from the shapes of
 * saved parameters whose axes are one unknown atom times a constant plus a
 * constant (e.g. a data vocabulary's V from an embedding's [V, E]).
 */
export function solveDimsFromShapes(graph: Graph, dims: DimValues, shapes: Map<string, number[]>): DimValues {
  const out: DimValues = { ...dims };
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of graph.params) {
      const shape = shapes.get(p.name);
      if (!shape || shape.length !== p.shape.length) continue;
      p.shape.forEach((d, i) => {
        const unknown = d.filter(([m]) => m !== "").map(([m]) => m);
        if (unknown.length !== 1 || unknown[0]!.includes("*") || unknown[0]!.includes("^")) return;
        const atom = graph.dims.find((a) => a.name === unknown[0]);
        if (!atom || atom.value !== undefined || out[atom.name] !== undefined) return;
        const coef = d.find(([m]) => m !== "")![1];
        const constant = d.find(([m]) => m === "")?.[1] ?? 0;
        const v = ((shape[i]! - constant) / coef) * atom.multiple;
        if (Number.isInteger(v) && v > 0) {
          out[atom.name] = v;
          changed = true;
        }
      });
    }
  }
  return out;
}
