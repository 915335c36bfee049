/**
 * The values of a graph's dims, in one place: the DimTable (which atoms are
 * bound, which are data vocabulary sizes, evaluation and solving in units),
 * and on it the value of a dim given the free atoms' values, and the free
 * atoms solved from the shapes of saved weights.
 *
 * Values are kept in units: an atom declared `multiple of m` is stored as
 * name/m (see src/check/dims.ts), so its unit value is value/m.
 */
import { Poly } from "../check/dims.js";
import type { Dim, DimAtom, Graph } from "./graph.js";

/** Values of the free dims (sequence lengths, data vocabulary sizes), by atom name. */
export type DimValues = Record<string, number>;

/** Unit values of atoms, by name. */
export type Units = Map<string, number>;

export class DimTable {
  readonly atoms = new Map<string, DimAtom>();
  /** Atoms that are the size of a vocabulary without listed tokens, -> that vocab. */
  readonly vocabAtoms = new Map<string, string>();

  constructor(graph: Graph) {
    for (const a of graph.dims) this.atoms.set(a.name, a);
    for (const v of graph.vocabs) {
      if (v.tokens) continue;
      const names = Poly.fromTerms(v.size).atoms();
      if (names.size === 1) this.vocabAtoms.set([...names][0]!, v.name);
    }
  }

  /** Unit values of the atoms bound in the spec. */
  bound(): Units {
    const u: Units = new Map();
    for (const a of this.atoms.values()) if (a.value !== undefined) u.set(a.name, a.value / a.multiple);
    return u;
  }

  /** The value of an atom from its unit value. */
  value(name: string, unit: number): number {
    return unit * (this.atoms.get(name)?.multiple ?? 1);
  }

  /** The unit value of an atom from its value, or undefined when the value is not a multiple of the atom's multiple. */
  unit(name: string, value: number): number | undefined {
    const m = this.atoms.get(name)?.multiple ?? 1;
    return value % m === 0 ? value / m : undefined;
  }

  /** Atoms of a dim. */
  atomsOf(d: Dim): Set<string> {
    return Poly.fromTerms(d).atoms();
  }

  /** The number a dim stands for when every atom it uses has a unit value. */
  evaluate(d: Dim, units: Units): number | undefined {
    let total = 0;
    for (const [mono, coef] of d) {
      let term = coef;
      if (mono !== "")
        for (const a of mono.split("*")) {
          const u = units.get(a);
          if (u === undefined) return undefined;
          term *= u;
        }
      total += term;
    }
    return total;
  }

  /**
   * Solves `d = length` for the one atom of `d` without a unit value, when `d`
   * is linear in it. Returns the atom and its unit value (undefined when no
   * whole positive value fits), or undefined when there is nothing to solve
   * (no unknown atom, several, or not linear).
   */
  solve(d: Dim, length: number, units: Units): { atom: string; unit: number | undefined } | undefined {
    let unknown: string | undefined;
    let a = 0;
    let b = 0;
    for (const [mono, coef] of d) {
      let known = coef;
      let free: string | undefined;
      for (const name of mono === "" ? [] : mono.split("*")) {
        const u = units.get(name);
        if (u !== undefined) known *= u;
        else if (free === undefined) free = name;
        else return undefined;
      }
      if (free === undefined) b += known;
      else {
        if (unknown !== undefined && unknown !== free) return undefined;
        unknown = free;
        a += known;
      }
    }
    if (unknown === undefined || a === 0) return undefined;
    const u = (length - b) / a;
    return { atom: unknown, unit: Number.isInteger(u) && u >= 1 ? u : undefined };
  }

  /** Human form of a dim: `T`, `T/4`, `2*H`. */
  format(d: Dim): string {
    return Poly.fromTerms(d).format((n) => this.atoms.get(n));
  }

  /** `dim T multiple of 4`-style note on why a length does not fit, for messages. */
  why(d: Dim): string {
    const names = [...this.atomsOf(d)];
    const notes = names.flatMap((n) => {
      const m = this.atoms.get(n)?.multiple ?? 1;
      return m > 1 ? [`dim ${n} is a multiple of ${m}`] : [];
    });
    return notes.length > 0 ? ` (${notes.join(", ")})` : "";
  }
}

const tables = new WeakMap<Graph, DimTable>();

/** The graph's DimTable (made once per graph). */
export function dimTable(graph: Graph): DimTable {
  let t = tables.get(graph);
  if (!t) {
    t = new DimTable(graph);
    tables.set(graph, t);
  }
  return t;
}

/** Unit values of the bound atoms and of the given values of free ones. */
function unitsOf(table: DimTable, values: DimValues): Units {
  const units = table.bound();
  for (const [name, v] of Object.entries(values)) {
    const atom = table.atoms.get(name);
    if (atom && !units.has(name)) units.set(name, v / atom.multiple);
  }
  return units;
}

/** A dim's value given the bound atoms of the graph and the free ones given. */
export function dimValue(graph: Graph, d: Dim, free: DimValues): number {
  const table = dimTable(graph);
  const v = table.evaluate(d, unitsOf(table, free));
  if (v === undefined) throw new Error(`the dims ${graph.dims.filter((a) => a.value === undefined && free[a.name] === undefined).map((a) => a.name).join(", ")} have no value`);
  return v;
}

/**
 * The free dims' values: those given, and those solved from the shapes of
 * saved parameters (an axis linear in one unknown atom, e.g. a data
 * vocabulary's V from an embedding's [V, E]), until nothing more is solved.
 */
export function solveDimsFromShapes(graph: Graph, dims: DimValues, shapes: Map<string, number[]>): DimValues {
  const table = dimTable(graph);
  const units = unitsOf(table, dims);
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of graph.params) {
      const shape = shapes.get(p.name);
      if (!shape || shape.length !== p.shape.length) continue;
      p.shape.forEach((d, i) => {
        const s = table.solve(d, shape[i]!, units);
        if (s?.unit === undefined || units.has(s.atom)) return;
        units.set(s.atom, s.unit);
        changed = true;
      });
    }
  }
  const out: DimValues = { ...dims };
  for (const [name, u] of units) if (graph.dims.some((a) => a.name === name && a.value === undefined)) out[name] = table.value(name, u);
  return out;
}
