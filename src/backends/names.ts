/**
 * Identifiers from spec names for the targets that emit code (ts, pytorch):
 * unique, of letters, digits and `_` (a next state's prime written `_next`),
 * never one of the target's reserved words (those get a `_` suffix).
 */
export class Names {
  private readonly used = new Set<string>();

  /** reserved: the target language's keywords and the names the emitted code uses itself. */
  constructor(private readonly reserved: ReadonlySet<string>) {}

  take(base: string): string {
    let name = base.replace(/'/g, "_next").replace(/[^A-Za-z0-9_]/g, "_");
    if (!/^[A-Za-z_]/.test(name)) name = `_${name}`;
    if (this.reserved.has(name)) name = `${name}_`;
    let out = name;
    for (let i = 2; this.used.has(out) || this.reserved.has(out); i++) out = `${name}_${i}`;
    this.used.add(out);
    return out;
  }
}
