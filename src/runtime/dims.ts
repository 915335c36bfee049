/**
 * The values of a model's dims, in one place for every target: which atoms
 * the spec binds, which are the sizes of vocabularies built from data,
 * evaluating a symbolic dim, solving one from a length (of data, or of a
 * saved weight's axis).
 *
 * Values are kept in units: an atom declared `multiple of m` is stored as
 * name/m (see src/check/dims.ts), so its unit value is value/m. `Dims` (by
 * name, as the model takes them) are values.
 *
 * Runtime file: imports only its siblings.
 */
import type { Dims, DimTerms } from "./model-api.js";

/** One dim atom of a model: `value` when the spec fixes it; `multiple` is its known divisor. */
export interface DimAtomInfo {
  name: string;
  multiple: number;
  value?: number;
}

/** What the dims need to know of a vocabulary: the atom that is its size, and its tokens when the spec lists them. */
export interface DimVocabInfo {
  name: string;
  sizeDim?: string;
  tokens?: string[];
}

/** Unit values of atoms, by name. */
export type Units = Map<string, number>;

/** The atoms of a dim's monomial (`"H*T"` -> H, T; `""` -> none). */
function atomsOfMonomial(mono: string): string[] {
  return mono === "" ? [] : mono.split("*");
}

export class DimTable {
  readonly atoms = new Map<string, DimAtomInfo>();
  /** Atoms that are the size of a vocabulary without listed tokens, -> that vocab. */
  readonly vocabAtoms = new Map<string, string>();

  constructor(dims: readonly DimAtomInfo[], vocabs: readonly DimVocabInfo[]) {
    for (const a of dims) this.atoms.set(a.name, a);
    for (const v of vocabs) if (!v.tokens && v.sizeDim !== undefined) this.vocabAtoms.set(v.sizeDim, v.name);
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

  /** Unit values of the bound atoms, of the given values of free ones, and of the sizes of the given vocabularies built from data. */
  unitsOf(values: Dims, vocabs: Record<string, { size: number }> | ReadonlyMap<string, { size: number } | undefined> = {}): Units {
    const units = this.bound();
    for (const [name, v] of Object.entries(values)) {
      const atom = this.atoms.get(name);
      if (atom && !units.has(name)) units.set(name, v / atom.multiple);
    }
    return this.vocabUnits(vocabs, units);
  }

  /** Values of the free atoms (not bound in the spec) among some unit values. */
  freeValues(units: Units): Dims {
    const out: Dims = {};
    for (const [name, u] of units) if (this.atoms.get(name)?.value === undefined && this.atoms.has(name)) out[name] = this.value(name, u);
    return out;
  }

  /** Adds the unit values of the sizes of the given vocabularies (those built from data) to `into`. */
  vocabUnits(vocabs: Record<string, { size: number }> | ReadonlyMap<string, { size: number } | undefined>, into: Units): Units {
    for (const [atom, name] of this.vocabAtoms) {
      const v = vocabs instanceof Map ? vocabs.get(name) : (vocabs as Record<string, { size: number }>)[name];
      if (!v) continue;
      const u = this.unit(atom, v.size);
      if (u !== undefined) into.set(atom, u);
    }
    return into;
  }

  /** The sizes of the given vocabularies built from data, as the values of their dims. */
  vocabSizes(vocabs: Record<string, { size: number }>): Dims {
    return this.freeValues(this.vocabUnits(vocabs, new Map()));
  }

  /** Atoms of a dim. */
  atomsOf(d: DimTerms): Set<string> {
    return new Set(d.flatMap(([mono]) => atomsOfMonomial(mono)));
  }

  /** The number a dim stands for when every atom it uses has a unit value. */
  evaluate(d: DimTerms, units: Units): number | undefined {
    let total = 0;
    for (const [mono, coef] of d) {
      let term = coef;
      for (const a of atomsOfMonomial(mono)) {
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
  solve(d: DimTerms, length: number, units: Units): { atom: string; unit: number | undefined } | undefined {
    let unknown: string | undefined;
    let a = 0;
    let b = 0;
    for (const [mono, coef] of d) {
      let known = coef;
      let free: string | undefined;
      for (const name of atomsOfMonomial(mono)) {
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

  /** `dim T multiple of 4`-style note on why a length does not fit, for messages. */
  why(d: DimTerms): string {
    const notes = [...this.atomsOf(d)].flatMap((n) => {
      const m = this.atoms.get(n)?.multiple ?? 1;
      return m > 1 ? [`dim ${n} is a multiple of ${m}`] : [];
    });
    return notes.length > 0 ? ` (${notes.join(", ")})` : "";
  }

  /**
   * The free dims' values: those given, and those solved from the shapes of
   * saved parameters (an axis linear in one unknown atom, e.g. a data
   * vocabulary's V from an embedding's [V, E]), until nothing more is solved.
   */
  solveFromShapes(params: readonly { name: string; shape: readonly DimTerms[] }[], dims: Dims, shapes: ReadonlyMap<string, readonly number[]>): Dims {
    const units = this.unitsOf(dims);
    for (let changed = true; changed; ) {
      changed = false;
      for (const p of params) {
        const shape = shapes.get(p.name);
        if (!shape || shape.length !== p.shape.length) continue;
        p.shape.forEach((d, i) => {
          const s = this.solve(d, shape[i]!, units);
          if (s?.unit === undefined || units.has(s.atom)) return;
          units.set(s.atom, s.unit);
          changed = true;
        });
      }
    }
    return { ...dims, ...this.freeValues(units) };
  }
}
