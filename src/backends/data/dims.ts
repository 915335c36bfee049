/**
 * The dims of a graph as the data layer needs them: which are bound, which
 * are sequence lengths found from each example, which are the sizes of data
 * vocabularies, and how to solve a length for its atom.
 *
 * Values are kept in units: an atom declared `multiple of m` is stored as
 * name/m (see src/check/dims.ts), so its unit value is value/m.
 */
import { Poly } from "../../check/dims.js";
import type { Dim, DimAtom, Graph } from "../../graph/graph.js";

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
