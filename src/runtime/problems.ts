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

export function formatIssue(i: DataIssue): string {
  const where = i.line !== undefined ? `line ${i.line}: ` : "";
  const field = i.field !== undefined && !i.message.includes(`field ${i.field}`) ? `field ${i.field}: ` : "";
  return `${where}${field}${i.message}`;
}

/** The data does not fit the model (exit 1): every problem found, up to a limit, with line numbers. */
export class DataError extends Error {
  constructor(
    readonly file: string,
    readonly issues: DataIssue[],
    readonly more: number,
    model: string,
  ) {
    const total = issues.length + more;
    const head = `${file}: ${total} ${total === 1 ? "problem" : "problems"} in the data for model ${model}${more > 0 ? ` (the first ${issues.length} shown)` : ""}`;
    super([head, ...issues.map((i) => `  ${formatIssue(i)}`)].join("\n"));
    this.name = "DataError";
  }
}

export class Issues {
  private readonly list: DataIssue[] = [];
  constructor(
    private readonly file: string,
    private readonly model: string,
    private readonly max: number,
  ) {}
  add(...issues: DataIssue[]): void {
    this.list.push(...issues);
  }
  get count(): number {
    return this.list.length;
  }
  throwIfAny(): void {
    if (this.list.length === 0) return;
    // Problems of the whole file first, then by line (stable).
    const sorted = this.list.map((i, k) => ({ i, k })).sort((a, b) => (a.i.line ?? 0) - (b.i.line ?? 0) || a.k - b.k).map((x) => x.i);
    throw new DataError(this.file, sorted.slice(0, this.max), Math.max(0, sorted.length - this.max), this.model);
  }
  fail(issue: DataIssue): never {
    this.add(issue);
    this.throwIfAny();
    throw new Error("unreachable");
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
