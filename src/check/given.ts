/**
 * Dims given from outside the spec (`seqc summary --dim V=65`, the API's
 * `dims`): each binds a free dim (`dim T`, a vocabulary built from data) of
 * every model that declares it, before the model is checked, so its shapes and
 * parameter counts become numbers and the checks that need values run.
 *
 * A value that the spec's declarations exclude is a mistake in what was
 * given, not in the spec: for a dim the spec binds to another value (`dim H =
 * 128`, a vocabulary that lists its tokens), for a dim the spec computes from
 * others (`dim X = 2*H`), or one that breaks `multiple of`. Each is a
 * `GivenDimProblem` (the driver throws them as a DimError), not a diagnostic;
 * the dim is then checked as the spec declares it. A value that fits the
 * declarations but not the model's shapes is the checker's diagnostic.
 */

/** A given value the spec's declarations exclude, or a name no model declares. */
export interface GivenDimProblem {
  name: string;
  value: number;
  /** Why, e.g. `the spec fixes H = 128`. */
  why: string;
}

export class GivenDims {
  private readonly found: GivenDimProblem[] = [];
  /** Every dim name a checked model declared (given or not). */
  readonly declared = new Set<string>();

  constructor(readonly values: ReadonlyMap<string, number>) {}

  /** The value given for a free dim declared `multiple of m` (1 if not), or undefined when none is given or it breaks the multiple. */
  free(name: string, multiple: number): number | undefined {
    this.declared.add(name);
    const v = this.values.get(name);
    if (v === undefined) return undefined;
    if (v % multiple !== 0) {
      this.problem(name, v, `${name} is declared a multiple of ${multiple}`);
      return undefined;
    }
    return v;
  }

  /** A dim the spec binds to `value` (`what` says how, e.g. `the spec fixes H = 128`): a given value must be that one. */
  bound(name: string, value: number, what: string): void {
    this.declared.add(name);
    const v = this.values.get(name);
    if (v !== undefined && v !== value) this.problem(name, v, what);
  }

  /** A dim the spec computes from others (`dim X = 2*H`): it takes no value. */
  derived(name: string, formula: string): void {
    this.declared.add(name);
    const v = this.values.get(name);
    if (v !== undefined) this.problem(name, v, `the spec computes ${name} = ${formula}: give the dims it is made of`);
  }

  /** The problems found, each once, in the order found. */
  problems(): GivenDimProblem[] {
    return [...this.found];
  }

  private problem(name: string, value: number, why: string): void {
    if (!this.found.some((p) => p.name === name && p.value === value && p.why === why)) this.found.push({ name, value, why });
  }
}

/** A problem for each given name that is not among the dims the specs (`files`) declare. */
export function unknownDims(values: ReadonlyMap<string, number>, declared: ReadonlySet<string>, files: readonly string[]): GivenDimProblem[] {
  const known = [...declared].filter((n) => !n.startsWith("?")).sort();
  const one = files.length === 1;
  const dims = known.length > 0 ? ` (${one ? "its" : "their"} dims: ${known.join(", ")})` : "";
  return [...values]
    .filter(([name]) => !declared.has(name))
    .map(([name, value]) => ({ name, value, why: `${one ? `${files[0]} has no dim ${name}` : `none of the ${files.length} specs has a dim ${name}`}${dims}` }));
}
