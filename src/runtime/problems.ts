/**
 * Problems in a data file: one message each, with its line, collected up to a
 * limit and thrown together as a DataError (exit 1). The one source of the
 * data's problem messages. Runtime file: imports nothing.
 */

/** One problem in a data file; `line` is 1-based, absent for problems of the whole file. */
export interface DataIssue {
  line?: number;
  field?: string;
  message: string;
}

/** `line 7: field y: expected 5 numbers at y[2], found 4` (no `field y:` when the message already names it). */
export function formatIssue(i: DataIssue): string {
  const where = i.line !== undefined ? `line ${i.line}: ` : "";
  const field = i.field !== undefined && !i.message.includes(`field ${i.field}`) ? `field ${i.field}: ` : "";
  return `${where}${field}${i.message}`;
}

/** The data does not fit the model (exit 1): every problem found (up to a limit), with line numbers. */
export class DataError extends Error {
  constructor(
    readonly file: string,
    readonly issues: DataIssue[],
    /** Problems found but not listed. */
    readonly more = 0,
    model?: string,
  ) {
    const total = issues.length + more;
    const head = `${file}: ${total} ${total === 1 ? "problem" : "problems"} in the data${model !== undefined ? ` for model ${model}` : ""}${more > 0 ? ` (the first ${issues.length} shown)` : ""}`;
    super([head, ...issues.map((i) => `  ${formatIssue(i)}`)].join("\n"));
    this.name = "DataError";
  }
}

/** Collects problems up to a limit, counting the rest. */
export class Issues {
  readonly list: DataIssue[] = [];
  more = 0;
  constructor(
    private readonly file: string,
    private readonly model: string,
    private readonly max: number,
  ) {}
  /** Adds problems, keeping the list in line order (problems of the whole file first) and only the first `max` of them. */
  add(...issues: DataIssue[]): void {
    const key = (i: DataIssue) => i.line ?? 0;
    for (const i of issues) {
      let at = this.list.length;
      while (at > 0 && key(this.list[at - 1]!) > key(i)) at--;
      if (at >= this.max) {
        this.more++;
        continue;
      }
      this.list.splice(at, 0, i);
      if (this.list.length > this.max) {
        this.list.pop();
        this.more++;
      }
    }
  }
  get count(): number {
    return this.list.length + this.more;
  }
  throwIfAny(): void {
    if (this.count > 0) throw new DataError(this.file, this.list, this.more, this.model);
  }
  fail(issue: DataIssue): never {
    this.add(issue);
    throw new DataError(this.file, this.list, this.more, this.model);
  }
}

/** `the string "ab"`, `the number 3`, `an array of 4 items`, as seqc describes values. */
export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return v.length === 0 ? "an empty array" : `an array of ${v.length} ${v.length === 1 ? "item" : "items"}`;
  switch (typeof v) {
    case "string":
      return v === "" ? "an empty string" : `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v)}`;
    case "number":
      return Number.isFinite(v) ? `the number ${v}` : "a number too large to represent";
    case "boolean":
      return String(v);
    case "object":
      return "an object";
    default:
      return typeof v;
  }
}
