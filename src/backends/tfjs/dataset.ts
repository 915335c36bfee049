/**
 * A data set in the layout the tfjs target consumes: one typed array per
 * input and target, examples first, each example padded with 0 to the longest
 * (`shape` is the padded shape of one example); `lengths` gives each
 * example's real length along its first free axis, so padded steps can be
 * masked. The arrays are made when read, from the examples, which every
 * subset shares: a corpus is held once (truncated BPTT copies only windows). Made from the examples the runtime's reader gives
 * (src/runtime/data.ts) for the graph's data model (src/graph/data-model.ts). `split` holds out a validation set; `batches` yields
 * batches in the same layout, every example once per epoch, shuffled by a
 * seeded generator.
 */
import { Rng } from "../../runtime/init.js";
import { permutation, validationSplit } from "../../runtime/batches.js";
import { loadData, readData, type DataField as FieldSpec, type DataModel, type DataSet, type Examples, type ReadOptions } from "../../runtime/data.js";
import { dataModel } from "../../graph/data-model.js";
import type { Graph } from "../../graph/graph.js";
import { DimTable, type Units } from "../../runtime/dims.js";
import { tokenIdArray, type TokenIds, type Vocabulary } from "../../runtime/vocab.js";

export interface DataField {
  role: "input" | "target";
  /** `int32` for token ids, `float32` otherwise. */
  dtype: "int32" | "float32";
  /** Row-major [examples, ...shape]; token ids in the smallest array that holds the vocabulary's (a tensor is int32). */
  data: Float32Array | TokenIds;
  /** The shape of one example, padded to the longest example. */
  shape: number[];
  /** Each example's real length along `lengthAxis` (the field's first axis that depends on a free dim such as T). */
  lengths?: Int32Array;
  /** The axis (of `shape`) that `lengths` measures. */
  lengthAxis?: number;
  /** The vocabulary of a token field. */
  vocab?: string;
}

/** Anything with `next()` uniform in [0, 1): `Rng` of src/runtime/init.ts. */
export interface RandomSource {
  next(): number;
}

/** How the fields' symbolic shapes map to numbers: kept so subsets can be re-padded. */
export interface Layout {
  table: DimTable;
  fields: FieldSpec[];
  /** Free dims whose value differs per example (sequence lengths such as T). */
  lengthAtoms: string[];
}

export interface BatchOptions {
  /** Pad each batch only to its own longest example (T of the batch) instead of the data set's. Default false. */
  trim?: boolean;
  /** Leave out the last batch when it is smaller than batchSize. Default false. */
  dropLast?: boolean;
}

/** The examples a data set and all its subsets read from: the reader's (its columns, never copied whole). */
interface Source {
  examples: Examples;
  /** Each example's extents (unpadded shape) by field: example i's are [i * rank, (i + 1) * rank). */
  extents: Record<string, Int32Array>;
  /** Token fields: the size of their vocabulary (the ids' array type). */
  vocabSizes: Record<string, number>;
}

export class Dataset {
  readonly examples: number;
  /**
   * The fields, padded: each field's `data` is made when it is first read
   * (training with truncated BPTT never reads it: windows are copied from the
   * examples), so a corpus is not copied for the data set, its split and every batch.
   */
  readonly fields: Record<string, DataField>;
  /** Values of the dims: bound ones, data vocabulary sizes (V), and free lengths at their padded value (T = max length). */
  readonly dims: Record<string, number>;
  /** Each example's value of each free length dim, e.g. steps.T[i]. */
  readonly steps: Record<string, Int32Array>;
  readonly vocabularies: Record<string, Vocabulary>;
  /** The positions of these examples in the data set they were loaded as (and in source.examples). */
  readonly indices: Int32Array;
  private readonly layout: Layout;
  private readonly source: Source;

  private constructor(init: {
    fields: Record<string, Omit<DataField, "data">>;
    dims: Record<string, number>;
    steps: Record<string, Int32Array>;
    vocabularies: Record<string, Vocabulary>;
    indices: Int32Array;
    layout: Layout;
    source: Source;
  }) {
    this.examples = init.indices.length;
    this.dims = init.dims;
    this.steps = init.steps;
    this.vocabularies = init.vocabularies;
    this.indices = init.indices;
    this.layout = init.layout;
    this.source = init.source;
    const fields: Record<string, DataField> = {};
    for (const [name, meta] of Object.entries(init.fields)) {
      let data: DataField["data"] | undefined;
      const self = this;
      fields[name] = Object.defineProperty({ ...meta } as DataField, "data", { enumerable: true, get: () => (data ??= self.padded(name, meta.shape)) });
    }
    this.fields = fields;
  }

  /** The runtime's examples of some fields of a model, as one data set (padded when a field's data is read). */
  static assemble(model: DataModel, fields: readonly FieldSpec[], set: DataSet): Dataset {
    const table = new DimTable(model.dims, model.vocabs);
    const layout: Layout = { table, fields: [...fields], lengthAtoms: set.freeDims.filter((a) => fields.some((f) => f.shape.some((ax) => table.atomsOf(ax.dim).has(a)))) };
    const known = table.unitsOf({}, set.vocabs);
    const n = set.examples.length;
    const steps: Record<string, Int32Array> = {};
    const maxUnits: Units = new Map(known);
    for (const a of layout.lengthAtoms) {
      steps[a] = new Int32Array(n);
      maxUnits.set(a, 0);
    }
    // One pass over the examples (a file may hold millions): their lengths, the longest, each field's extents.
    const source: Source = { examples: set.examples, extents: {}, vocabSizes: {} };
    for (const f of layout.fields) source.extents[f.name] = new Int32Array(n * f.shape.length);
    for (let i = 0; i < n; i++) {
      const dims = set.examples.dims(i);
      const u = table.unitsOf(dims, set.vocabs);
      for (const a of layout.lengthAtoms) {
        steps[a]![i] = dims[a] ?? 0;
        maxUnits.set(a, Math.max(maxUnits.get(a)!, u.get(a) ?? 0));
      }
      for (const f of layout.fields) {
        const e = source.extents[f.name]!;
        f.shape.forEach((ax, k) => (e[i * f.shape.length + k] = evaluateOrThrow(table, ax, u, f.name)));
      }
    }
    const out: Record<string, Omit<DataField, "data">> = {};
    for (const f of layout.fields) {
      const shape = f.shape.map((ax) => evaluateOrThrow(table, ax, maxUnits, f.name));
      const rank = f.shape.length;
      const extents = source.extents[f.name]!;
      if (f.vocab !== undefined) source.vocabSizes[f.name] = set.vocabs[f.vocab]?.size ?? 0x7fffffff;
      const field: Omit<DataField, "data"> = { role: f.role, dtype: f.vocab !== undefined ? "int32" : "float32", shape, ...(f.vocab !== undefined ? { vocab: f.vocab } : {}) };
      const axis = lengthAxis(layout, f);
      if (axis !== undefined) {
        field.lengthAxis = axis;
        field.lengths = Int32Array.from({ length: n }, (_, i) => extents[i * rank + axis]!);
      }
      out[f.name] = field;
    }
    const indices = Int32Array.from({ length: set.examples.length }, (_, i) => i);
    return new Dataset({ fields: out, dims: dimValues(table, maxUnits), steps, vocabularies: set.vocabs, layout, source, indices });
  }

  /** A new array for n values of a field: token ids in the smallest type their vocabulary allows, else float32. */
  private arrayFor(name: string, n: number): DataField["data"] {
    const size = this.source.vocabSizes[name];
    return size !== undefined ? tokenIdArray(size, n) : new Float32Array(n);
  }

  /** The unpadded shape of a field of source example `src`. */
  private extentsOf(name: string, src: number): Int32Array {
    const rank = this.layout.fields.find((f) => f.name === name)!.shape.length;
    return this.source.extents[name]!.subarray(src * rank, (src + 1) * rank);
  }

  /** A field's values for these examples, each padded with 0 to `shape`. */
  private padded(name: string, shape: readonly number[]): DataField["data"] {
    const size = shape.reduce((a, b) => a * b, 1);
    const data = this.arrayFor(name, this.examples * size);
    this.indices.forEach((src, i) => copyBlock(this.source.examples.field(name, src), 0, this.extentsOf(name, src), data, i * size, shape));
    return data;
  }

  /**
   * Steps [t0, t0 + w) of a field whose first axis is time, for every example:
   * [examples, w, ...rest], padded with 0 (a BPTT window, copied from the
   * examples without padding the whole field).
   */
  window(name: string, t0: number, w: number): DataField["data"] {
    const shape = this.fields[name]!.shape;
    const dst = [w, ...shape.slice(1)];
    const size = dst.reduce((a, b) => a * b, 1);
    const out = this.arrayFor(name, this.examples * size);
    this.indices.forEach((src, i) => {
      const e = this.extentsOf(name, src);
      const per = e.slice(1).reduce((a, b) => a * b, 1);
      if (e[0]! > t0) copyBlock(this.source.examples.field(name, src), t0 * per, [e[0]! - t0, ...e.subarray(1)], out, i * size, dst);
    });
    return out;
  }

  /** The examples at `indices` (positions in this data set), in that order. With `trim`, padded only to their own longest. */
  subset(indices: ArrayLike<number>, opts: { trim?: boolean } = {}): Dataset {
    const idx = Int32Array.from(indices);
    for (const i of idx) if (i < 0 || i >= this.examples) throw new RangeError(`example ${i} is out of range 0..${this.examples - 1}`);
    const steps: Record<string, Int32Array> = {};
    for (const [a, s] of Object.entries(this.steps)) steps[a] = Int32Array.from(idx, (i) => s[i]!);
    let dims = this.dims;
    let units: Units | undefined;
    if (opts.trim && idx.length > 0 && this.layout.lengthAtoms.length > 0) {
      const { table } = this.layout;
      units = new Map();
      for (const [k, v] of Object.entries(this.dims)) {
        const u = table.unit(k, v);
        if (u !== undefined) units.set(k, u);
      }
      for (const a of this.layout.lengthAtoms) units.set(a, table.unit(a, Math.max(...steps[a]!))!);
      dims = dimValues(table, units);
    }
    const fields: Record<string, Omit<DataField, "data">> = {};
    for (const f of this.layout.fields) {
      const old = this.fields[f.name]!;
      const shape = units ? f.shape.map((ax) => evaluateOrThrow(this.layout.table, ax, units, f.name)) : old.shape;
      // Its metadata only: reading `data` would pad the whole field.
      const { role, dtype, vocab, lengthAxis, lengths } = old;
      fields[f.name] = {
        role,
        dtype,
        shape,
        ...(vocab !== undefined ? { vocab } : {}),
        ...(lengthAxis !== undefined ? { lengthAxis } : {}),
        ...(lengths ? { lengths: Int32Array.from(idx, (i) => lengths[i]!) } : {}),
      };
    }
    return new Dataset({
      fields,
      dims: { ...dims },
      steps,
      vocabularies: this.vocabularies,
      indices: Int32Array.from(idx, (i) => this.indices[i]!),
      layout: this.layout,
      source: this.source,
    });
  }

  /**
   * Holds out `fraction` of the examples (chosen by `seed`) for validation:
   * at least one when fraction > 0 and there are two or more examples, and
   * always at least one for training. Both parts keep the original order.
   */
  split(fraction: number, seed: number): { train: Dataset; validation: Dataset } {
    const { train, validation } = validationSplit(this.examples, fraction, seed);
    if (validation.length === 0) return { train: this, validation: this.subset([]) };
    return { train: this.subset(train), validation: this.subset(validation) };
  }

  /** Number of batches per epoch. */
  batchCount(batchSize: number, dropLast = false): number {
    return dropLast ? Math.floor(this.examples / batchSize) : Math.ceil(this.examples / batchSize);
  }

  /**
   * One epoch of batches of `batchSize` examples (the last one smaller unless
   * `dropLast`), each a Dataset in the same layout. Every example appears
   * exactly once; with `shuffle` the order comes from `rng` (a seed or a
   * generator, which advances so that each epoch differs).
   */
  *batches(batchSize: number, rng: RandomSource | number = 0, shuffle = true, opts: BatchOptions = {}): Generator<Dataset> {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batch size ${batchSize} is not a whole number >= 1`);
    const source = typeof rng === "number" ? new Rng(rng) : rng;
    const order = shuffle ? permutation(this.examples, source) : Array.from({ length: this.examples }, (_, i) => i);
    for (let start = 0; start < order.length; start += batchSize) {
      const part = order.slice(start, start + batchSize);
      if (opts.dropLast && part.length < batchSize) break;
      yield this.subset(part, { trim: opts.trim ?? false });
    }
  }
}

function evaluateOrThrow(table: DimTable, axis: FieldSpec["shape"][number], units: Units, field: string): number {
  const n = table.evaluate(axis.dim, units);
  if (n === undefined) throw new Error(`data: the dims of ${field} (${axis.text}) are not known`);
  return n;
}

function lengthAxis(layout: Layout, f: FieldSpec): number | undefined {
  const i = f.shape.findIndex((ax) => [...layout.table.atomsOf(ax.dim)].some((a) => layout.lengthAtoms.includes(a)));
  return i < 0 ? undefined : i;
}

function dimValues(table: DimTable, units: Units): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of table.atoms.keys()) {
    const u = units.get(a);
    if (u !== undefined) out[a] = table.value(a, u);
  }
  return out;
}

/** Copies the block of shape `ss` at `so` into the block of shape `ds` at `dOff`, over the region both cover (the rest stays 0). */
function copyBlock(src: ArrayLike<number>, so: number, ss: ArrayLike<number>, dst: DataField["data"], dOff: number, ds: ArrayLike<number>): void {
  const rank = ds.length;
  if (rank === 0) {
    dst[dOff] = src[so]!;
    return;
  }
  const go = (axis: number, s: number, d: number): void => {
    const n = Math.min(ss[axis]!, ds[axis]!);
    if (axis === rank - 1) {
      for (let i = 0; i < n; i++) dst[d + i] = src[s + i]!;
      return;
    }
    let sStride = 1;
    let dStride = 1;
    for (let k = axis + 1; k < rank; k++) {
      sStride *= ss[k]!;
      dStride *= ds[k]!;
    }
    for (let i = 0; i < n; i++) go(axis + 1, s + i * sStride, d + i * dStride);
  };
  go(0, so, dOff);
}

export type LoadOptions = ReadOptions;

/** The fields read (LoadOptions.fields, default all) of a graph's data model. */
function fieldsRead(graph: Graph, opts: LoadOptions): FieldSpec[] {
  const { fields } = dataModel(graph);
  return opts.fields ? fields.filter((f) => opts.fields!.includes(f.name)) : fields;
}

/** Reads a data file for a model. Unreadable: IoError (src/runtime/errors.ts); not fitting: DataError listing what does not fit. */
export function loadDataset(path: string, graph: Graph, opts: LoadOptions = {}): Dataset {
  return Dataset.assemble(dataModel(graph), fieldsRead(graph, opts), loadData(path, dataModel(graph), opts));
}

/** Reads data given as text (the contents of a file in `opts.format`, JSONL by default). */
export function parseDataset(content: string, graph: Graph, opts: LoadOptions = {}, file = "<data>"): Dataset {
  return Dataset.assemble(dataModel(graph), fieldsRead(graph, opts), readData(content, dataModel(graph), opts, file));
}
