/**
 * A data set's examples, kept as columns: each field's values of every
 * example in one typed array (token ids in one, two or four bytes, floats in
 * float32 or float64), each example's free dims in an Int32Array. A file of
 * millions of examples is then its encoded values plus a few bytes per
 * example, with no object per example; an Example is made when one is asked
 * for (`at`), as a batch is assembled. Runtime file: imports only its siblings.
 */
import type { TokenIds } from "./vocab.js";

export type FieldData = TokenIds | Float32Array | Float64Array;

/** One example: each field row-major at its own shape, and the values of its free dims (its lengths). */
export interface Example {
  /** The JSONL line it came from. */
  line?: number;
  /** Values of the free dims this example gives (e.g. T), not the vocabularies'. */
  dims: Record<string, number>;
  fields: Record<string, FieldData>;
}

/**
 * Where each example's values of one field are in one array: packed one
 * after another (example i is data[offsets[i], offsets[i + 1])), or windows
 * of `size` values every `stride` from `first` (sequences cut from a text or
 * a series, which may overlap).
 */
export type Column = { data: FieldData; offsets: Float64Array } | { data: FieldData; first: number; stride: number; size: number };

export interface ExampleColumns {
  count: number;
  fields: Record<string, Column>;
  /** Each free dim's value for each example; -1 where an example does not give it. */
  dims: Record<string, Int32Array>;
  /** The JSONL line of each example. */
  lines?: Int32Array;
}

export class Examples implements Iterable<Example> {
  readonly length: number;

  constructor(
    private readonly cols: ExampleColumns,
    /** The examples of `cols` these are, in order (a subset); all of them when absent. */
    private readonly rows?: Int32Array,
  ) {
    this.length = rows ? rows.length : cols.count;
  }

  /** Examples given as objects, packed into columns (each field's arrays concatenated in the first one's type). */
  static of(list: readonly Example[]): Examples {
    const names = [...new Set(list.flatMap((ex) => Object.keys(ex.fields)))];
    const dimNames = [...new Set(list.flatMap((ex) => Object.keys(ex.dims)))];
    const fields: Record<string, Column> = {};
    for (const name of names) {
      const offsets = new Float64Array(list.length + 1);
      list.forEach((ex, i) => (offsets[i + 1] = offsets[i]! + (ex.fields[name]?.length ?? 0)));
      const first = list.find((ex) => ex.fields[name])!.fields[name]!;
      const data = new (first.constructor as new (n: number) => FieldData)(offsets[list.length]!);
      list.forEach((ex, i) => data.set(ex.fields[name] ?? [], offsets[i]!));
      fields[name] = { data, offsets };
    }
    const dims = Object.fromEntries(dimNames.map((d) => [d, Int32Array.from(list, (ex) => ex.dims[d] ?? -1)]));
    const lines = list.some((ex) => ex.line !== undefined) ? Int32Array.from(list, (ex) => ex.line ?? 0) : undefined;
    return new Examples({ count: list.length, fields, dims, ...(lines ? { lines } : {}) });
  }

  /** The position in the columns of example i. */
  private row(i: number): number {
    if (!(Number.isInteger(i) && i >= 0 && i < this.length)) throw new RangeError(`example ${i} is out of range 0..${this.length - 1}`);
    return this.rows ? this.rows[i]! : i;
  }

  /** Example i's values of a field (a view, not a copy). */
  field(name: string, i: number): FieldData {
    const c = this.cols.fields[name];
    if (!c) throw new Error(`the examples have no field ${name}`);
    const r = this.row(i);
    if ("offsets" in c) return c.data.subarray(c.offsets[r]!, c.offsets[r + 1]!);
    const at = c.first + r * c.stride;
    return c.data.subarray(at, at + c.size);
  }

  /** Example i's value of a free dim, or undefined when it does not give it. */
  dim(name: string, i: number): number | undefined {
    const v = this.cols.dims[name]?.[this.row(i)];
    return v === undefined || v < 0 ? undefined : v;
  }

  /** Example i's values of its free dims. */
  dims(i: number): Record<string, number> {
    const r = this.row(i);
    const out: Record<string, number> = {};
    for (const [d, values] of Object.entries(this.cols.dims)) if (values[r]! >= 0) out[d] = values[r]!;
    return out;
  }

  /** Example i as an object (made now: keep it only while it is used). */
  at(i: number): Example {
    const r = this.row(i);
    const fields: Record<string, FieldData> = {};
    for (const name of Object.keys(this.cols.fields)) fields[name] = this.field(name, i);
    const line = this.cols.lines?.[r];
    return { ...(line !== undefined ? { line } : {}), dims: this.dims(i), fields };
  }

  /** The examples at these positions, in that order (sharing the columns). */
  subset(indices: ArrayLike<number>): Examples {
    return new Examples(this.cols, Int32Array.from(indices, (i) => this.row(i)));
  }

  *[Symbol.iterator](): Iterator<Example> {
    for (let i = 0; i < this.length; i++) yield this.at(i);
  }

  map<T>(f: (ex: Example, i: number) => T): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.length; i++) out.push(f(this.at(i), i));
    return out;
  }
}

/** A typed array of at least n values, `a`'s first `used` copied in (a new one of twice the size when it is too small). */
function room<A extends FieldData | Float64Array | Int32Array>(a: A, used: number, n: number): A {
  if (n <= a.length) return a;
  const out = new (a.constructor as new (n: number) => A)(Math.max(n, 2 * a.length));
  out.set(a.subarray(0, used) as ArrayLike<number>);
  return out;
}

/**
 * Examples added one at a time, each field's values packed into one growing
 * array (`values`, then `add`), for data whose number of examples is not
 * known until it is read (JSONL).
 */
export class ExamplePacker {
  private count = 0;
  private readonly data = new Map<string, FieldData>();
  private readonly used = new Map<string, number>();
  private readonly offsets = new Map<string, Float64Array>();
  private readonly dims = new Map<string, Int32Array>();
  private lines = new Int32Array(1024);

  /** `make(n)`: an array of n values of each field (its type). */
  constructor(fields: readonly { name: string; make: (n: number) => FieldData }[], dims: readonly string[]) {
    for (const f of fields) {
      this.data.set(f.name, f.make(1024));
      this.used.set(f.name, 0);
      this.offsets.set(f.name, new Float64Array(1024));
    }
    for (const d of dims) this.dims.set(d, new Int32Array(1024));
  }

  /** Room for the next example's n values of a field, to be written before `add`. */
  values(field: string, n: number): FieldData {
    const used = this.used.get(field)!;
    const data = room(this.data.get(field)!, used, used + n);
    this.data.set(field, data);
    this.used.set(field, used + n);
    return data.subarray(used, used + n);
  }

  /** Ends the next example: its values are those given by `values` since the last one. */
  add(line: number, dims: Record<string, number>): void {
    const i = this.count++;
    for (const [name, offsets] of this.offsets) {
      const o = room(offsets, i + 1, i + 2);
      o[i + 1] = this.used.get(name)!;
      this.offsets.set(name, o);
    }
    for (const [d, values] of this.dims) {
      const v = room(values, i, i + 1);
      v[i] = dims[d] ?? -1;
      this.dims.set(d, v);
    }
    this.lines = room(this.lines, i, i + 1);
    this.lines[i] = line;
  }

  /** The examples added, in arrays cut to their size. */
  done(): Examples {
    const n = this.count;
    const fit = <A extends FieldData | Float64Array | Int32Array>(a: A, k: number): A => (a.length === k ? a : (a.slice(0, k) as A));
    const fields: Record<string, Column> = {};
    for (const [name, data] of this.data) fields[name] = { data: fit(data, this.used.get(name)!), offsets: fit(this.offsets.get(name)!, n + 1) };
    const dims: Record<string, Int32Array> = {};
    for (const [d, values] of this.dims) dims[d] = fit(values, n);
    return new Examples({ count: n, fields, dims, lines: fit(this.lines, n) });
  }
}
