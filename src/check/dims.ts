/**
 * Symbolic dimensions: polynomials with integer coefficients over dim atoms.
 *
 * An atom is a declared dim (`dim H = 128`, `dim T`, `dim T multiple of 4`).
 * A dim known to be a multiple of m is stored in units of T/m, so `T/2` of a
 * `multiple of 4` dim is the exact polynomial 2*(T/4): divisibility proofs are
 * checks that every coefficient divides. Equality is algebraic after the
 * values of bound dims are substituted: `4*H` equals `H + H + 2*H`, and `[H]`
 * equals `[128]` where H = 128.
 */

export interface Atom {
  name: string;
  /** The dim is known to be divisible by this (1 if nothing is known). */
  multiple: number;
  /** Bound value, for `dim H = 128`. */
  value?: number;
}

/** Monomial key: atom names sorted and joined by "*" ("" for the constant term). */
type Terms = ReadonlyMap<string, number>;

function mulKeys(a: string, b: string): string {
  if (a === "") return b;
  if (b === "") return a;
  return [...a.split("*"), ...b.split("*")].sort().join("*");
}

function gcd(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  while (b) [a, b] = [b, a % b];
  return a;
}

export class Poly {
  private constructor(readonly terms: Terms) {}

  static const(n: number): Poly {
    return new Poly(n === 0 ? new Map() : new Map([["", n]]));
  }

  /** The polynomial of serialized terms (as in `terms`). */
  static fromTerms(terms: Iterable<[string, number]>): Poly {
    return Poly.from(terms);
  }

  static atom(a: Atom): Poly {
    return new Poly(new Map([[a.name, a.multiple]]));
  }

  private static from(entries: Iterable<[string, number]>): Poly {
    const m = new Map<string, number>();
    for (const [k, v] of entries) {
      const s = (m.get(k) ?? 0) + v;
      if (s === 0) m.delete(k);
      else m.set(k, s);
    }
    return new Poly(m);
  }

  add(o: Poly): Poly {
    return Poly.from([...this.terms, ...o.terms]);
  }

  sub(o: Poly): Poly {
    return Poly.from([...this.terms, ...[...o.terms].map(([k, v]): [string, number] => [k, -v])]);
  }

  mul(o: Poly): Poly {
    const out: [string, number][] = [];
    for (const [ka, va] of this.terms) for (const [kb, vb] of o.terms) out.push([mulKeys(ka, kb), va * vb]);
    return Poly.from(out);
  }

  isZero(): boolean {
    return this.terms.size === 0;
  }

  /** The value if the polynomial has no atoms. */
  constValue(): number | undefined {
    if (this.terms.size === 0) return 0;
    if (this.terms.size === 1 && this.terms.has("")) return this.terms.get("")!;
    return undefined;
  }

  /** Atom names that occur. */
  atoms(): Set<string> {
    const s = new Set<string>();
    for (const k of this.terms.keys()) if (k !== "") for (const a of k.split("*")) s.add(a);
    return s;
  }

  /**
   * Exact division, or undefined when it cannot be proven exact: by a constant
   * (every coefficient divisible) or by one monomial (every term contains it).
   */
  divExact(o: Poly): Poly | undefined {
    if (o.terms.size !== 1) return undefined;
    const [[key, coef]] = [...o.terms] as [[string, number]];
    if (coef === 0) return undefined;
    const divisor = key === "" ? [] : key.split("*");
    const out: [string, number][] = [];
    for (const [k, v] of this.terms) {
      if (v % coef !== 0) return undefined;
      const rest = k === "" ? [] : k.split("*");
      for (const d of divisor) {
        const i = rest.indexOf(d);
        if (i < 0) return undefined;
        rest.splice(i, 1);
      }
      out.push([rest.join("*"), v / coef]);
    }
    return Poly.from(out);
  }

  /** Replaces atoms (given in their own units, i.e. name -> polynomial of the atom's unit). */
  substitute(units: ReadonlyMap<string, Poly>): Poly {
    let acc = Poly.const(0);
    for (const [k, v] of this.terms) {
      let term = Poly.const(v);
      for (const a of k === "" ? [] : k.split("*")) term = term.mul(units.get(a) ?? new Poly(new Map([[a, 1]])));
      acc = acc.add(term);
    }
    return acc;
  }

  equals(o: Poly): boolean {
    return this.sub(o).isZero();
  }

  /** Stable text for use as a map key. */
  key(): string {
    return [...this.terms].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${v}:${k}`).join(",");
  }

  /** Human form, e.g. `4*H`, `H + X`, `T/2`, `(T - 3)/2 + 1` is shown expanded as `T/2 - 1`. */
  format(atoms: (name: string) => Atom | undefined): string {
    if (this.terms.size === 0) return "0";
    const entries = [...this.terms].sort(([a], [b]) => {
      const da = a === "" ? 0 : a.split("*").length;
      const db = b === "" ? 0 : b.split("*").length;
      if (da !== db) return db - da;
      return a < b ? -1 : a > b ? 1 : 0;
    });
    let out = "";
    entries.forEach(([k, v], i) => {
      const names = k === "" ? [] : k.split("*");
      let den = 1;
      for (const n of names) den *= atoms(n)?.multiple ?? 1;
      let num = Math.abs(v);
      const g = gcd(num, den);
      num /= g;
      den /= g;
      let body: string;
      const mono = names.join("*");
      if (names.length === 0) body = den === 1 ? String(num) : `${num}/${den}`;
      else body = `${num === 1 ? "" : `${num}*`}${mono}${den === 1 ? "" : `/${den}`}`;
      if (i === 0) out = v < 0 ? `-${body}` : body;
      else out += v < 0 ? ` - ${body}` : ` + ${body}`;
    });
    return out;
  }
}

/** The dims in scope of one model: atoms by name, and fresh opaque atoms after errors. */
export class DimEnv {
  private readonly atoms = new Map<string, Atom>();
  /** Atoms declared by the spec as free dims (`dim T`, `dim T multiple of 2`): a help may say how to redeclare them. */
  private readonly free = new Set<string>();
  private fresh = 0;

  /** Declares an atom; `free` for a spec's `dim T` (without a value). */
  declare(a: Atom, free = false): Poly {
    this.atoms.set(a.name, a);
    if (free) this.free.add(a.name);
    else this.free.delete(a.name);
    return Poly.atom(a);
  }

  /**
   * The smallest `multiple of` a free dim of the spec needs for `p` to be
   * divisible by k, when p is that dim times a number plus a multiple of k
   * (as in T, 2*T, T - 4): the dim and the multiple. Undefined otherwise.
   */
  multipleFor(p: Poly, k: number): { name: string; multiple: number } | undefined {
    if (!Number.isInteger(k) || k < 2) return undefined;
    const terms = [...this.bind(p).terms];
    const constant = terms.find(([key]) => key === "")?.[1] ?? 0;
    const vars = terms.filter(([key]) => key !== "");
    if (vars.length !== 1 || constant % k !== 0) return undefined;
    const [name, units] = vars[0]!;
    const a = this.atoms.get(name);
    if (!a || !this.free.has(name) || name.includes("*")) return undefined;
    // p = units * (T/m) + c; with T a multiple of m*t, p is divisible by k when units*t is.
    const t = k / gcd(units, k);
    return t === 1 ? undefined : { name, multiple: a.multiple * t };
  }

  get(name: string): Atom | undefined {
    return this.atoms.get(name);
  }

  /** Every declared atom, in declaration order. */
  all(): Atom[] {
    return [...this.atoms.values()];
  }

  /** A new atom standing for a dim that could not be computed (so one mistake is reported once). */
  opaque(): Poly {
    this.fresh++;
    return this.declare({ name: `?${this.fresh}`, multiple: 1 });
  }

  /** Substitutes bound values: what remains depends only on free dims. */
  bind(p: Poly): Poly {
    const units = new Map<string, Poly>();
    for (const name of p.atoms()) {
      const a = this.atoms.get(name);
      if (a?.value !== undefined) units.set(name, Poly.const(a.value / a.multiple));
    }
    return units.size === 0 ? p : p.substitute(units);
  }

  /** The numeric value when every atom is bound. */
  value(p: Poly): number | undefined {
    return this.bind(p).constValue();
  }

  /** The value when every atom is bound, exactly (a parameter count may pass 2^53, where numbers round). */
  exactValue(p: Poly): bigint | undefined {
    let sum = 0n;
    for (const [key, coef] of p.terms) {
      let term = BigInt(coef);
      for (const name of key === "" ? [] : key.split("*")) {
        const a = this.atoms.get(name);
        if (a?.value === undefined) return undefined;
        term *= BigInt(a.value / a.multiple);
      }
      sum += term;
    }
    return sum;
  }

  equal(a: Poly, b: Poly): boolean {
    return this.bind(a.sub(b)).isZero();
  }

  /** a / b when provably whole: symbolically, or numerically once bound dims are substituted. */
  divide(a: Poly, b: Poly): Poly | undefined {
    const exact = a.divExact(b);
    if (exact) return exact;
    const na = this.value(a);
    const nb = this.value(b);
    if (na !== undefined && nb !== undefined && nb !== 0 && na % nb === 0) return Poly.const(na / nb);
    const ba = this.bind(a);
    const bb = this.bind(b);
    return ba.divExact(bb);
  }

  format(p: Poly): string {
    return p.format((n) => this.atoms.get(n));
  }

  /** `H = 128, X = 64` for the bound dims that occur in the given polynomials. */
  where(polys: Poly[]): string | undefined {
    const names = new Set<string>();
    for (const p of polys) for (const n of p.atoms()) names.add(n);
    const parts = [...names].sort().flatMap((n) => {
      const a = this.atoms.get(n);
      return a?.value !== undefined ? [`${n} = ${a.value}`] : [];
    });
    return parts.length > 0 ? `where ${parts.join(", ")}` : undefined;
  }
}
