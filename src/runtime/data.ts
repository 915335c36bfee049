/**
 * Data files read for a model, by `seqc train` and by emitted trainers alike:
 *   JSONL  one example per line, an object with a field per input and target:
 *          floats as nested arrays of numbers (a number for rank 0); token
 *          tensors at their last axis as a string (one token per character for
 *          a character vocabulary, whitespace-separated words otherwise), an
 *          array of tokens or an array of ids.
 *   text   a language model's data (x = text[t], y = text[t+1]).
 *   CSV    a numeric series, a column per value, a row per step.
 * Bound dims give exact lengths; free dims (T) any length >= 1, the same
 * wherever a dim appears in an example. Vocabularies are the spec's, saved
 * ones, or built from the data (sorted tokens, then <unk> and <eos>).
 *
 * Every problem is reported with its line (src/runtime/problems.ts), before
 * anything trains: `line 7: field y: expected 5 numbers at y[2], found 4`.
 * Each example keeps its own lengths; targets pad or bucket them.
 *
 * Runtime file: imports only its siblings and Node built-ins.
 */
import { extname } from "node:path";
import { DimTable, type DimAtomInfo, type DimVocabInfo, type Units } from "./dims.js";
import { UsageError } from "./errors.js";
import { ExamplePacker, Examples, type Column, type FieldData } from "./examples.js";
import { bytesOf, eachLine, type ByteSource } from "./lines.js";
import type { DimTerms, ModelInfo } from "./model-api.js";
import { describe, Issues, type DataIssue } from "./problems.js";
import { charCountsOfBytes, charIdsOfBytes, eachWord, EOS, showToken, splitTokens, tokenIdArray, UNK, Vocabulary, type BuildOptions, type TokenIds, type TokenMode } from "./vocab.js";

export { Examples, type Example, type FieldData } from "./examples.js";

// ---------------------------------------------------------------------- the model as data sees it

/** One axis of a field: its dim, and the dim as the spec writes it (`T`, `T/2`). */
export interface DataAxis {
  dim: DimTerms;
  text: string;
}

/** One input or target of a model. */
export interface DataField {
  name: string;
  role: "input" | "target";
  shape: DataAxis[];
  /** Set for integer token tensors: the name of their vocabulary. */
  vocab?: string;
}

/** What reading data needs to know of a model. */
export interface DataModel {
  name: string;
  dims: DimAtomInfo[];
  vocabs: DimVocabInfo[];
  fields: DataField[];
  /**
   * The model's axes (of any value, scan bodies included) that depend on free
   * dims, and what they are: an example that makes one of them shorter than a
   * step is refused (a valid convolution of width F needs T >= F).
   */
  freeAxes?: { axis: DataAxis; what: string }[];
}

/**
 * The data model of an emitted trainer's ModelInfo, whose field axes are
 * numbers, a dim, or a part or multiple of one (`T`, `2*T`, `T/4`).
 */
export function dataModelOf(info: ModelInfo): DataModel {
  const multiple = new Map(info.dims.map((d) => [d.name, d.multiple]));
  const axis = (d: number | string): DataAxis => {
    if (typeof d === "number") return { dim: d === 0 ? [] : [["", d]], text: String(d) };
    const m = /^(?:(\d+)\*)?([A-Za-z_][A-Za-z0-9_]*)(?:\/(\d+))?$/.exec(d);
    if (!m) throw new Error(`model.ts: the axis ${JSON.stringify(d)} is not a number, a dim or a part or multiple of one`);
    const [, times, atom, per] = m;
    return { dim: [[atom!, ((multiple.get(atom!) ?? 1) * Number(times ?? 1)) / Number(per ?? 1)]], text: d };
  };
  return {
    name: info.name,
    dims: info.dims,
    vocabs: info.vocabs,
    fields: info.fields.map((f) => ({ name: f.name, role: f.role, shape: f.shape.map(axis), ...(f.vocab !== undefined ? { vocab: f.vocab } : {}) })),
  };
}

/** `[T, 1] of abc`, as messages show a field's type. */
export function shapeText(f: DataField): string {
  return `[${f.shape.map((a) => a.text).join(", ")}]${f.vocab !== undefined ? ` of ${f.vocab}` : ""}`;
}

// ---------------------------------------------------------------------- data as read

export interface DataSet {
  /** The examples, as columns (src/runtime/examples.ts): a file of millions of them holds no object per example. */
  examples: Examples;
  /** Every vocabulary of the model: the spec's, the saved ones, or built from this data. */
  vocabs: Record<string, Vocabulary>;
  /** The free dims the examples' lengths give (e.g. T), in the order the fields use them. */
  freeDims: string[];
}

export type DataFormat = "jsonl" | "text" | "csv";

export interface ReadOptions {
  /** The format; by default from the file's extension (.jsonl/.ndjson, .txt, .csv). */
  format?: DataFormat;
  /** Saved vocabularies (by vocab name) for the vocabularies the spec takes from the data. */
  vocabularies?: Record<string, Vocabulary>;
  /** How strings are cut into tokens, by vocab name. Default: per character for a vocabulary whose tokens are single characters (and for one built from the data), per word otherwise. */
  tokenize?: Record<string, TokenMode>;
  /** Read only these of the model's fields (e.g. the inputs a decoder starts from); the others may be absent and are not read. Default all. */
  fields?: readonly string[];
  /** At most this many problems are listed in a DataError (the rest are counted). Default 20. */
  maxErrors?: number;
  /** Vocabularies built from the data leave out tokens seen fewer times than this (they become `<unk>`). Default 1. */
  minCount?: number;
  /** Text: characters or words. Default: as the vocabulary's tokens suggest (single characters: char), char for one built from the data. */
  mode?: TokenMode;
  /** Text: steps per sequence (a maximum). Default: the whole text as one sequence. */
  seqLength?: number;
  /**
   * Text trained with truncated BPTT, without seqLength: laid out as streams,
   * about `batch` consecutive parts of the text (one more share when some are
   * held out), one example each, which the trainer's windows walk, so that row
   * i of each update continues the text where row i of the previous one stopped.
   */
  streams?: { bptt: number; batch: number; validation: number };
  /** Text and CSV: steps between the starts of consecutive sequences. Default: seqLength / window (no overlap). */
  stride?: number;
  /** CSV: rows per sequence (a maximum). Default: the whole series as one sequence. */
  window?: number;
  /** CSV: the column(s) of a field, when not named after it: `{ y_prev: "y" }`, `{ x: ["a", "b"] }`. */
  columns?: Record<string, string | string[]>;
  /** Floats are kept as float32 (the default) or float64 (a trainer with `--precision f64`). */
  floats?: "f32" | "f64";
  /** JSONL and word-level text are read from a file this many bytes at a time (default 4 MB; small in tests). */
  chunkSize?: number;
}

/** The format of a data file, from the option or the file's extension (an unknown one is a UsageError). */
export function formatOf(path: string, format?: DataFormat): DataFormat {
  if (format) return format;
  const ext = extname(path).toLowerCase();
  if (ext === ".jsonl" || ext === ".ndjson") return "jsonl";
  if (ext === ".txt" || ext === ".text") return "text";
  if (ext === ".csv") return "csv";
  throw new UsageError(`cannot tell the format of ${path} from its extension "${ext}": use .jsonl, .txt or .csv`);
}

/**
 * Reads a data file for a model. Unreadable: IoError; not fitting: DataError
 * listing every problem. JSONL and word-level text are read a chunk at a
 * time and character-level text as its bytes: none of them becomes one string.
 */
export function loadData(path: string, model: DataModel, opts: ReadOptions = {}): DataSet {
  return read({ path }, model, { ...opts, format: formatOf(path, opts.format) }, path);
}

/** Reads data given as text (the contents of a file in `opts.format`, JSONL by default). */
export function readData(content: string, model: DataModel, opts: ReadOptions = {}, file = "<data>"): DataSet {
  return read({ bytes: new TextEncoder().encode(content) }, model, opts, file);
}

function read(src: ByteSource, model: DataModel, opts: ReadOptions, file: string): DataSet {
  const r = new Reader(model, opts, file);
  switch (opts.format ?? "jsonl") {
    case "jsonl":
      return r.jsonl(src);
    case "text":
      return r.text(src);
    case "csv":
      return r.csv(new TextDecoder().decode(bytesOf(src))); // (the decoder drops a byte-order mark)
  }
}

/**
 * The vocabularies of a model: fixed ones from the spec, data ones from
 * `supplied` or undefined (to be built from the data). A supplied vocabulary
 * for a fixed vocab must list the same tokens.
 */
export function resolveVocabularies(vocabs: readonly DimVocabInfo[], supplied: Record<string, Vocabulary> = {}): Map<string, Vocabulary | undefined> {
  const out = new Map<string, Vocabulary | undefined>();
  for (const v of vocabs) {
    const given = supplied[v.name];
    if (v.tokens) {
      const fixed = Vocabulary.fixed(v.tokens, v.name);
      if (given && given.tokens.join("\u0000") !== fixed.tokens.join("\u0000")) {
        throw new Error(`the saved vocabulary ${v.name} (${given.size} tokens) is not the one the spec lists (${fixed.tokens.map(showToken).join(", ")})`);
      }
      out.set(v.name, fixed);
    } else {
      out.set(v.name, given ? new Vocabulary(given.tokens, { ...given.toJSON(), name: v.name }) : undefined);
    }
  }
  return out;
}

/** The free dims that the fields' shapes use (sequence lengths, not vocabulary sizes), in field order. */
export function freeDimsOf(model: DataModel, table = new DimTable(model.dims, model.vocabs)): string[] {
  const out: string[] = [];
  for (const f of model.fields)
    for (const a of f.shape)
      for (const atom of table.atomsOf(a.dim)) if (table.atoms.get(atom)?.value === undefined && !table.vocabAtoms.has(atom) && !out.includes(atom)) out.push(atom);
  return out;
}

/**
 * The token input and target of a language model (x = text[t], y =
 * text[t+1]), or why the model is not one: exactly one input and one
 * target, both [T] of the same vocabulary.
 */
export function languageModelFields(model: DataModel, table = new DimTable(model.dims, model.vocabs)): { x: DataField; y: DataField; vocab: string } | string {
  const { fields } = model;
  const inputs = fields.filter((f) => f.role === "input");
  const targets = fields.filter((f) => f.role === "target");
  const show = (f: DataField) => `${f.role} ${f.name}`;
  if (inputs.length !== 1 || targets.length !== 1)
    return `plain text is read as a language model's data (one token input and one token target, both [T] of one vocabulary); model ${model.name} has ${fields.map(show).join(", ")}: use JSONL`;
  const [x, y] = [inputs[0]!, targets[0]!];
  for (const f of [x, y]) {
    if (f.vocab === undefined) return `plain text is read as tokens, but ${show(f)} is not a token tensor (it has no vocabulary): use JSONL or CSV`;
    const fixed = f.shape.length === 1 ? table.evaluate(f.shape[0]!.dim, table.bound()) : undefined;
    if (f.shape.length === 1 && fixed !== undefined)
      return `plain text is cut into sequences of a free length, but ${show(f)} has the fixed length ${f.shape[0]!.text === String(fixed) ? fixed : `${f.shape[0]!.text} = ${fixed}`}: leave its length free, or use JSONL`;
    if (f.shape.length !== 1)
      return `plain text is read as sequences, but ${show(f)} has shape [${f.shape.map((a) => a.text).join(", ")}], not [T] with a free T: use JSONL`;
  }
  if (x.vocab !== y.vocab) return `plain text needs the input and the target in one vocabulary, but ${x.name} is of ${x.vocab} and ${y.name} of ${y.vocab}: use JSONL`;
  if (x.shape[0]!.text !== y.shape[0]!.text) return `plain text needs ${x.name} and ${y.name} of one length, but they are [${x.shape[0]!.text}] and [${y.shape[0]!.text}]: use JSONL`;
  return { x, y, vocab: x.vocab! };
}

// ---------------------------------------------------------------------- the reader

type Json = unknown;
type Leaf = string | number;

/** The largest float32: a value beyond it would be Infinity in the model. */
const F32_MAX = 3.4028234663852886e38;
const F32_MAX_TEXT = "3.4e38";

/** A field's value as walked: its extents and leaves (row-major; tokens not yet ids). */
interface Walked {
  extents: number[];
  leaves: Leaf[];
}

const where = (field: string, axis: number) => (axis === 0 ? field : `axis ${axis} of ${field}`);

class Reader {
  readonly table: DimTable;
  readonly issues: Issues;
  /** The fields read (ReadOptions.fields), and the model's others (allowed in a line, not checked). */
  readonly fields: DataField[];
  readonly others: string[];
  /** Vocabularies by name; undefined for those still to be built from the data. */
  readonly vocabs: Map<string, Vocabulary | undefined>;
  /** How strings are cut into tokens, by vocab name. */
  readonly modes = new Map<string, TokenMode>();

  constructor(
    readonly model: DataModel,
    readonly opts: ReadOptions,
    file: string,
  ) {
    this.table = new DimTable(model.dims, model.vocabs);
    this.issues = new Issues(file, model.name, opts.maxErrors ?? 20);
    this.fields = opts.fields ? model.fields.filter((f) => opts.fields!.includes(f.name)) : model.fields;
    this.others = model.fields.filter((f) => !this.fields.includes(f)).map((f) => f.name);
    try {
      this.vocabs = resolveVocabularies(model.vocabs, opts.vocabularies);
    } catch (e) {
      this.issues.fail({ message: (e as Error).message });
    }
    for (const [name, v] of this.vocabs) this.modes.set(name, opts.tokenize?.[name] ?? (v === undefined || v.isChars ? "char" : "word"));
  }

  /** Unit values known before reading examples: bound dims and the sizes of known vocabularies. */
  knownUnits(vocabs: ReadonlyMap<string, Vocabulary | undefined> | Record<string, Vocabulary> = this.vocabs): Units {
    return this.table.unitsOf({}, vocabs);
  }

  /**
   * A vocabulary whose size the model fixes although it is not listed in the
   * spec (`seqc --dim V=65`, a trainer compiled with it) must have that many
   * tokens: the model has a row or a class for each.
   */
  private sizeIssues(vocabs: Record<string, Vocabulary>): DataIssue[] {
    const out: DataIssue[] = [];
    for (const [atom, name] of this.table.vocabAtoms) {
      const fixed = this.table.atoms.get(atom)?.value;
      const v = vocabs[name];
      if (fixed !== undefined && v && v.size !== fixed) out.push({ message: `the vocabulary ${name} has ${v.size} tokens, but the model is built for ${atom} = ${fixed}` });
    }
    return out;
  }

  /** The length an axis must have before reading (bound dims, known vocabulary sizes), or undefined for a free one. */
  private fixedLength(a: DataAxis, units: Units): number | undefined {
    return this.table.evaluate(a.dim, units);
  }

  // ------------------------------------------------------------------ JSONL

  jsonl(src: ByteSource): DataSet {
    const { issues } = this;
    const known = this.knownUnits();
    const names = this.model.fields.map((f) => f.name);
    /** A line's fields checked and walked, or undefined with its problems reported (when `report`). */
    const readLine = (raw: string, line: number, report: boolean): Map<string, Walked> | undefined => {
      let value: Json;
      try {
        value = JSON.parse(raw);
      } catch (e) {
        const msg = (e as Error).message.replace(/\s+/g, " ");
        if (report) issues.add({ line, message: `not valid JSON: ${msg.length > 120 ? `${msg.slice(0, 117)}...` : msg}` });
        return undefined;
      }
      if (!value || typeof value !== "object" || Array.isArray(value)) {
        if (report) issues.add({ line, message: `expected a JSON object with the fields ${this.fields.map((f) => f.name).join(", ")}, found ${describe(value)}` });
        return undefined;
      }
      const obj = value as Record<string, Json>;
      const found: DataIssue[] = [];
      const walked = new Map<string, Walked>();
      for (const f of this.fields) {
        if (!(f.name in obj)) {
          found.push({ line, field: f.name, message: `missing field ${f.name} (${f.role}: ${shapeText(f)})` });
          continue;
        }
        const structure = this.structure(f, obj[f.name], known);
        const w = structure === undefined ? this.walk(f, obj[f.name]) : undefined;
        const problem = structure ?? (typeof w === "string" ? w : this.tokenProblem(f, w!));
        if (problem) found.push({ line, field: f.name, message: problem });
        else walked.set(f.name, w as Walked);
      }
      for (const k of Object.keys(obj)) {
        if (!names.includes(k)) found.push({ line, field: k, message: `unknown field ${k}: model ${this.model.name} has ${this.fields.map((f) => f.name).join(", ")}` });
      }
      if (report) issues.add(...found);
      return found.length === 0 ? walked : undefined;
    };
    /** Each non-blank line with its number, read a chunk at a time (a file may have millions). */
    const eachExampleLine = (f: (raw: string, line: number) => void): void =>
      eachLine(
        src,
        (raw, line) => {
          if (raw.trim() !== "") f(raw, line);
        },
        this.opts.chunkSize,
      );

    // The vocabularies built from the data: every string token of the fields that use them, counted in a first
    // pass that keeps nothing else; the examples are made in a second pass (lines are parsed twice, not held).
    const built: Record<string, Vocabulary> = {};
    const counts = new Map<string, Map<string, number>>();
    for (const [name, v] of this.vocabs) {
      if (v) built[name] = v;
      else counts.set(name, new Map());
    }
    let good = 0;
    const bad = new Set<number>();
    if (counts.size > 0) {
      eachExampleLine((raw, line) => {
        const w = readLine(raw, line, true);
        if (!w) return void bad.add(line);
        good++;
        for (const f of this.fields) {
          const c = f.vocab !== undefined ? counts.get(f.vocab) : undefined;
          if (c) for (const t of w.get(f.name)!.leaves) if (typeof t === "string") c.set(t, (c.get(t) ?? 0) + 1);
        }
      });
      for (const [name, c] of counts) built[name] = Vocabulary.fromCounts(c, { name, ...(this.opts.minCount !== undefined ? { minCount: this.opts.minCount } : {}) });
    }
    issues.add(...this.sizeIssues(built));

    const units = this.knownUnits(built);
    const freeDims = freeDimsOf(this.model, this.table);
    const packer = new ExamplePacker(
      this.fields.map((f) => ({ name: f.name, make: f.vocab !== undefined ? (n: number) => tokenIdArray(built[f.vocab!]?.size ?? 0x7fffffff, n) : (n: number) => this.floatArray(n) })),
      freeDims,
    );
    eachExampleLine((raw, line) => {
      if (bad.has(line)) return;
      const w = readLine(raw, line, counts.size === 0);
      if (!w) return;
      if (counts.size === 0) good++;
      const found: DataIssue[] = [];
      const dims = this.exampleDims(w, units, line, found);
      // Lengths that disagree where a string of a vocabulary built from the data holds spaces: words were meant.
      const spaced = this.fields.find((f) => f.vocab !== undefined && !this.vocabs.get(f.vocab) && this.modes.get(f.vocab) === "char" && w.get(f.name)!.leaves.includes(" "));
      if (spaced) for (const i of found) if (i.message.includes(" has length ")) i.message += `; ${spaced.name} is read one token per character (its string holds spaces): for words, write an array of tokens such as ["the", "cat"]`;
      issues.add(...found);
      // Once there is a problem nothing is kept: the reading goes on only to find the others.
      if (dims && issues.count === 0) this.pack(packer, w, built, line, dims);
    });
    if (good === 0 && issues.count === 0) issues.fail({ message: "no examples: the file has no lines" });
    issues.throwIfAny();
    return { examples: packer.done(), vocabs: built, freeDims };
  }

  /** A new array of n floats, in the precision asked for. */
  floatArray(n: number): Float32Array | Float64Array {
    return this.opts.floats === "f64" ? new Float64Array(n) : new Float32Array(n);
  }

  /**
   * The most basic problem of a field's value against its type (the
   * shallowest, the first at one depth): arrays and their lengths where the
   * dims are known, numbers, tokens of a fixed vocabulary without <unk>,
   * ids in range. Lengths of free dims are checked once every line is read.
   */
  private structure(f: DataField, value: Json, units: Units): string | undefined {
    const vocab = f.vocab !== undefined ? this.vocabs.get(f.vocab) : undefined;
    const restrict = vocab !== undefined && vocab.unk === undefined;
    const mode = f.vocab !== undefined ? this.modes.get(f.vocab)! : "char";
    const rank = f.shape.length;
    const lengths = f.shape.map((a) => this.fixedLength(a, units));
    let best: { depth: number; message: string } | undefined;
    const report = (depth: number, message: string) => {
      if (!best || depth < best.depth) best = { depth, message };
    };
    /** `2 numbers`, `at least 1 array of 2 numbers`, `1 row of tokens`: what an array along `axis` holds. */
    const count = (axis: number): string => {
      const n = lengths[axis];
      return n !== undefined ? String(n) : `at least 1`;
    };
    /** Plural when an array along `axis` holds other than one item (at least 1 counts as one). */
    const many = (axis: number) => (lengths[axis] ?? 1) !== 1;
    /** What the items of an array along `axis` are: `number`, `array of 2 numbers`, `row of tokens`. */
    const noun = (axis: number, plural: boolean): string => {
      if (axis === rank - 1) return f.vocab !== undefined ? (plural ? "tokens" : "token") : plural ? "numbers" : "number";
      if (f.vocab !== undefined && axis + 1 === rank - 1) return plural ? "rows of tokens" : "row of tokens";
      return `${plural ? "arrays" : "array"} of ${count(axis + 1)} ${noun(axis + 1, many(axis + 1))}`;
    };
    const arrayOf = (axis: number) => `an array of ${count(axis)} ${noun(axis, many(axis))}`;
    const countProblem = (axis: number, n: number, at: string, items: [string, string]): string | undefined => {
      const want = lengths[axis];
      if (want === undefined) return n >= 1 ? undefined : `expected at least 1 ${items[0]} at ${at}, found none`;
      return n === want ? undefined : `expected ${want} ${want === 1 ? items[0] : items[1]} at ${at}, found ${n}`;
    };
    const unknown = (token: string, at: string) => `unknown token ${JSON.stringify(token)} at ${at}: ${vocab!.describe()} and no ${UNK}`;
    const idProblem = (v: number, at: string): string | undefined => {
      if (v >= 0 && (vocab === undefined || v < vocab.size)) return undefined;
      return `token id ${v} at ${at} is out of range${vocab !== undefined ? `: vocabulary ${vocab.name ?? f.vocab} has ids 0..${vocab.size - 1}` : ": ids start at 0"}`;
    };
    const token = (v: Json, at: string, depth: number, want: "token" | "id" | "either") => {
      if (typeof v === "string" && want !== "id") {
        if (v === "") report(depth, `expected at least 1 token at ${at}, found an empty string`);
        else if (restrict && !vocab.has(v)) report(depth, unknown(v, at));
      } else if (typeof v === "number" && Number.isInteger(v) && want !== "token") {
        const p = idProblem(v, at);
        if (p) report(depth, p);
      } else {
        const what = want === "id" ? "a token id (a whole number)" : want === "token" ? "a token (a string)" : "a token (a string) or a token id (an integer)";
        report(depth, `expected ${what} at ${at}, found ${describe(v)}`);
      }
    };
    const go = (v: Json, axis: number, at: string, depth: number): void => {
      if (best && best.depth <= depth) return;
      if (axis === rank) {
        if (f.vocab !== undefined) token(v, at, depth, "either");
        else if (typeof v !== "number" || !Number.isFinite(v)) report(depth, `expected a number at ${at}, found ${describe(v)}`);
        else if (Math.abs(v) > F32_MAX) report(depth, `${v} at ${at} is too large for a float32 (at most ${F32_MAX_TEXT} in size)`);
        return;
      }
      if (f.vocab !== undefined && axis === rank - 1) {
        if (typeof v === "string") {
          if (mode === "char") {
            const chars = Array.from(v);
            const want = lengths[axis];
            if (want !== undefined && chars.length !== want) return report(depth, `expected ${want} ${want === 1 ? "token" : "tokens"} (characters) at ${at}, found ${chars.length}`);
            if (chars.length === 0) return report(depth, `expected at least 1 token at ${at}, found an empty string`);
            if (restrict) {
              const i = chars.findIndex((c) => !vocab.has(c));
              if (i >= 0) report(depth, unknown(chars[i]!, `${at}[${i}]`));
            }
          } else {
            const words = splitTokens(v, "word");
            if (words.length === 0) return report(depth, `expected at least 1 token at ${at}, found ${describe(v)}`);
            if (restrict) {
              const i = words.findIndex((w) => !vocab.has(w));
              if (i >= 0) report(depth, unknown(words[i]!, `${at}[${i}]`));
            }
          }
          return;
        }
        if (!Array.isArray(v)) return report(depth, `expected a string of tokens, an array of tokens or an array of token ids at ${at}, found ${describe(v)}`);
        // An array of tokens or of ids, as its first element says.
        const ids = typeof v[0] === "number";
        const p = countProblem(axis, v.length, at, ids ? ["token id", "token ids"] : ["token", "tokens"]);
        if (p) report(depth, p);
        v.forEach((x, i) => token(x, `${at}[${i}]`, depth + 1, ids ? "id" : "token"));
        return;
      }
      if (!Array.isArray(v)) return report(depth, `expected ${arrayOf(axis)} at ${at}, found ${describe(v)}`);
      const p = countProblem(axis, v.length, at, [noun(axis, false), noun(axis, true)]);
      if (p) report(depth, p);
      v.forEach((x, i) => go(x, axis + 1, `${at}[${i}]`, depth + 1));
    };
    if (rank === 0 && f.vocab !== undefined) token(value, f.name, 0, "either");
    else go(value, 0, f.name, 0);
    return best?.message;
  }

  /** Ids written for a vocabulary that is built from the data (their tokens are not known yet). */
  private tokenProblem(f: DataField, w: Walked): string | undefined {
    if (f.vocab === undefined || this.vocabs.get(f.vocab) !== undefined) return undefined;
    const i = w.leaves.findIndex((t) => typeof t === "number");
    if (i < 0) return undefined;
    // The leaf's place: its row-major index taken apart by the extents.
    let at = "";
    for (let axis = w.extents.length - 1, rest = i; axis >= 0; axis--) {
      at = `[${rest % w.extents[axis]!}]${at}`;
      rest = Math.floor(rest / w.extents[axis]!);
    }
    return `token id ${w.leaves[i]} at ${f.name}${at}: vocabulary ${f.vocab} is built from the data, so its ids are not known; write tokens as strings (or load a saved vocabulary)`;
  }

  /**
   * The extents and leaves of a value that passed `structure` (strings at the
   * last axis of a token field cut into tokens), or where the arrays along an
   * axis first differ in length.
   */
  private walk(f: DataField, value: Json): Walked | string {
    const rank = f.shape.length;
    const mode = f.vocab !== undefined ? this.modes.get(f.vocab)! : undefined;
    const extents: (number | undefined)[] = new Array<number | undefined>(rank).fill(undefined);
    const firstAt: string[] = new Array<string>(rank).fill("");
    const leaves: Leaf[] = [];
    let ragged: string | undefined;
    const go = (v: Json, axis: number, at: string): void => {
      if (ragged) return;
      if (axis === rank) {
        leaves.push(v as Leaf);
        return;
      }
      const items: Json[] = typeof v === "string" && mode !== undefined ? splitTokens(v, mode) : (v as Json[]);
      const e = extents[axis];
      if (e === undefined) {
        extents[axis] = items.length;
        firstAt[axis] = at;
      } else if (e !== items.length) {
        ragged = `${at} has ${items.length} items but ${firstAt[axis]} has ${e}: the arrays along axis ${axis} must have one length`;
        return;
      }
      if (axis === rank - 1) for (const x of items) leaves.push(x as Leaf);
      else items.forEach((x, i) => go(x, axis + 1, `${at}[${i}]`));
    };
    go(value, 0, f.name);
    return ragged ?? { extents: extents.map((n) => n ?? 0), leaves };
  }

  /** The free dims of one example from its fields' walked values, or undefined when they do not fit (found problems go to `issues`). */
  private exampleDims(walked: Map<string, Walked>, known: Units, line: number, issues: DataIssue[]): Record<string, number> | undefined {
    const units: Units = new Map(known);
    const problems = this.solveAxes(this.fields, new Map([...walked].map(([k, w]) => [k, w.extents])), units);
    if (problems.length > 0) {
      issues.push(...problems.map((p) => ({ line, ...p })));
      return undefined;
    }
    const short = this.tooShort(units);
    if (short) {
      issues.push({ line, message: `the example is ${short}` });
      return undefined;
    }
    return this.lengths(units);
  }

  /** Adds one example (its fields' walked values, tokens as ids) to the packed examples. */
  private pack(packer: ExamplePacker, walked: Map<string, Walked>, vocabs: Record<string, Vocabulary>, line: number, dims: Record<string, number>): void {
    for (const f of this.fields) {
      const leaves = walked.get(f.name)!.leaves;
      const out = packer.values(f.name, leaves.length);
      if (f.vocab !== undefined) {
        const v = vocabs[f.vocab]!;
        leaves.forEach((t, i) => (out[i] = typeof t === "number" ? t : v.id(t)));
      } else out.set(leaves as number[]);
    }
    packer.add(line, dims);
  }

  /** The values of the free length dims among some unit values. */
  private lengths(units: Units): Record<string, number> {
    const out: Record<string, number> = {};
    for (const d of freeDimsOf(this.model, this.table)) {
      const u = units.get(d);
      if (u !== undefined) out[d] = this.table.value(d, u);
    }
    return out;
  }

  /**
   * Checks the axes of one example's fields against the shapes, solving free
   * atoms into `units` as they are met (fields in order, axes in order). For
   * JSONL examples, text and CSV sequences alike.
   */
  solveAxes(fields: DataField[], extents: Map<string, number[]>, units: Units): DataIssue[] {
    const { table } = this;
    const issues: DataIssue[] = [];
    const from = new Map<string, { field: string; axis: number; length: number; text: string }>();
    const pending: { f: DataField; axis: number; length: number }[] = [];
    for (const f of fields) {
      const e = extents.get(f.name);
      if (!e) continue;
      f.shape.forEach((_, axis) => pending.push({ f, axis, length: e[axis]! }));
    }
    const bad = new Set<string>();
    let progress = true;
    while (pending.length > 0 && progress) {
      progress = false;
      for (let k = 0; k < pending.length; k++) {
        const { f, axis, length } = pending[k]!;
        if (bad.has(f.name)) {
          pending.splice(k--, 1);
          continue;
        }
        const a = f.shape[axis]!;
        const want = table.evaluate(a.dim, units);
        if (want !== undefined) {
          pending.splice(k--, 1);
          progress = true;
          if (want === length) continue;
          bad.add(f.name);
          const atoms = [...table.atomsOf(a.dim)].filter((x) => from.has(x));
          if (atoms.length === 0) {
            issues.push({ field: f.name, message: `${where(f.name, axis)} has length ${length}, expected ${want}${a.text !== String(want) ? ` (${a.text})` : ""}` });
          } else {
            const src = from.get(atoms[0]!)!;
            const other = where(src.field, src.axis);
            const message =
              src.text === a.text
                ? `${where(f.name, axis)} has length ${length}, but ${other} has length ${src.length} (both are ${a.text})`
                : `${where(f.name, axis)} has length ${length}, but ${other} has length ${src.length}, so ${a.text} = ${want}`;
            issues.push({ field: f.name, message });
          }
          continue;
        }
        const s = table.solve(a.dim, length, units);
        if (!s) continue;
        pending.splice(k--, 1);
        progress = true;
        if (s.unit === undefined) {
          bad.add(f.name);
          issues.push({ field: f.name, message: `${where(f.name, axis)} has length ${length}, which does not fit ${a.text}${table.why(a.dim)}` });
          continue;
        }
        units.set(s.atom, s.unit);
        from.set(s.atom, { field: f.name, axis, length, text: a.text });
      }
    }
    for (const { f, axis } of pending) {
      if (bad.has(f.name)) continue;
      issues.push({ field: f.name, message: `cannot find the dims of ${where(f.name, axis)} (${f.shape[axis]!.text}) from the lengths in the data` });
    }
    return issues;
  }

  /**
   * Why an example with these dim values is too short for the model, if it
   * is: one of its axes would have fewer than one step. Such an example alone
   * gives an empty sequence, and padded among longer ones it would be all padding.
   */
  private tooShort(units: Units): string | undefined {
    for (const { axis, what } of this.model.freeAxes ?? []) {
      const size = this.table.evaluate(axis.dim, units);
      if (size === undefined || size >= 1) continue;
      const given = [...this.table.atomsOf(axis.dim)].filter((a) => units.has(a)).map((a) => `${a} = ${this.table.value(a, units.get(a)!)}`);
      return `too short for the model: ${what} has ${axis.text} steps, ${size} when ${given.join(", ")}`;
    }
    return undefined;
  }

  /** Sequences of L steps every `stride` steps, as examples, after checking that L fits the model (`what`: seqLength or window). */
  /** (`column(f, count)`: where each sequence's values of f are.) */
  private sequences(what: string, L: number, stride: number, fields: DataField[], extents: (f: DataField) => number[], known: Units, available: number, column: (f: DataField, count: number) => Column): Examples {
    const { issues } = this;
    checkWhole(issues, what, L);
    checkWhole(issues, "stride", stride);
    const units: Units = new Map(known);
    const problems = this.solveAxes(fields, new Map(fields.map((f) => [f.name, extents(f)])), units);
    if (problems.length > 0) issues.fail({ message: `${what} ${L} does not fit the model: ${problems[0]!.message}` });
    const short = this.tooShort(units);
    if (short) issues.fail({ message: `${what} ${L} is ${short}` });
    const count = L <= available ? Math.floor((available - L) / stride) + 1 : 0;
    const dims = Object.fromEntries(Object.entries(this.lengths(units)).map(([d, v]) => [d, new Int32Array(count).fill(v)]));
    return new Examples({ count, fields: Object.fromEntries(fields.map((f) => [f.name, column(f, count)])), dims });
  }

  // ------------------------------------------------------------------ text

  /** A language model's text: a string, or its UTF-8 bytes (a file). */
  text(src: ByteSource): DataSet {
    const { issues, opts } = this;
    const lm = languageModelFields(this.model, this.table);
    if (typeof lm === "string") return issues.fail({ message: lm });
    const given = this.vocabs.get(lm.vocab);
    const mode: TokenMode = opts.mode ?? (given && !given.isChars ? "word" : "char");
    const build = { name: lm.vocab, ...(opts.minCount !== undefined ? { minCount: opts.minCount } : {}) };
    // Characters are counted and encoded straight from the text's bytes, words a line at a time from a chunk
    // of the file at a time, into ids of one or two bytes where the vocabulary allows: no list of hundreds
    // of millions of strings, and no string of the whole text.
    let vocab: Vocabulary;
    let ids: TokenIds;
    if (mode === "char") {
      const all = bytesOf(src);
      const bytes = all[0] === 0xef && all[1] === 0xbb && all[2] === 0xbf ? all.subarray(3) : all;
      const { counts, length } = charCountsOfBytes(bytes);
      vocab = given ?? Vocabulary.fromCounts(counts, build);
      let unknown: number;
      ({ ids, unknown } = charIdsOfBytes(bytes, length, vocab));
      if (unknown > 0) issues.add(...unknownChars(new TextDecoder().decode(bytes), vocab));
    } else ({ vocab, ids } = this.words(src, given, build));
    issues.add(...this.sizeIssues({ [lm.vocab]: vocab }));
    issues.throwIfAny();
    if (ids.length < 2) issues.fail({ message: `the text has ${ids.length} ${mode === "char" ? "characters" : "tokens"}; a language model needs at least 2 (input text[t], target text[t+1])` });

    const available = ids.length - 1;
    // seqLength is a maximum: a text shorter than that is one sequence.
    let seqLength = opts.seqLength;
    if (seqLength === undefined && opts.streams) {
      const { bptt, batch, validation } = opts.streams;
      const wanted = validation > 0 ? Math.ceil(batch / (1 - validation)) : batch;
      seqLength = Math.floor(available / Math.max(1, Math.min(wanted, Math.floor(available / bptt))));
    }
    const L = Math.min(seqLength ?? available, available);
    const vocabs: Record<string, Vocabulary> = {};
    for (const [name, v] of this.vocabs) {
      if (name === lm.vocab) vocabs[name] = vocab;
      else if (v) vocabs[name] = v;
    }
    const stride = opts.stride ?? L;
    const examples = this.sequences("seqLength", L, stride, [lm.x, lm.y], () => [L], this.knownUnits(vocabs), available, (f) => ({ data: ids, first: f === lm.x ? 0 : 1, stride, size: L }));
    return { examples, vocabs, freeDims: freeDimsOf(this.model, this.table) };
  }

  /**
   * A text's words (each non-empty line's, then <eos>) as ids, read a line at
   * a time: counted in a first pass (the vocabulary, unless given, and the
   * number of tokens), encoded in a second. A word not in a vocabulary
   * without <unk> is reported at its first line and column.
   */
  private words(src: ByteSource, given: Vocabulary | undefined, build: BuildOptions): { vocab: Vocabulary; ids: TokenIds } {
    const chunk = this.opts.chunkSize;
    const counts = new Map<string, number>();
    let n = 0;
    eachLine(
      src,
      (line) => {
        const k = eachWord(line, given ? () => {} : (w) => counts.set(w, (counts.get(w) ?? 0) + 1));
        if (k > 0) n += k + 1;
      },
      chunk,
    );
    const vocab = given ?? Vocabulary.fromCounts(counts, build);
    counts.clear();
    const ids = tokenIdArray(vocab.size, n);
    const seen = new Set<string>();
    let at = 0;
    const idOf = (w: string, line: number, col: number): number => {
      if (vocab.has(w) || vocab.unk !== undefined) return vocab.id(w);
      if (!seen.has(w)) this.issues.add(unknownToken("word", w, line, col, vocab));
      seen.add(w);
      return 0;
    };
    eachLine(
      src,
      (line, lineNo) => {
        if (eachWord(line, (w, col) => (ids[at++] = idOf(w, lineNo, col))) > 0) ids[at++] = vocab.has(EOS) || vocab.unk !== undefined ? vocab.id(EOS) : 0;
      },
      chunk,
    );
    if (n > 0 && !vocab.has(EOS) && vocab.unk === undefined) this.issues.add({ message: `word mode ends each line with ${EOS}, but ${vocab.describe()} and no ${EOS} or ${UNK}` });
    return { vocab, ids };
  }

  // ------------------------------------------------------------------ CSV

  csv(text: string): DataSet {
    const { issues, opts, table } = this;
    const fields = this.model.fields;
    const bound = table.bound();
    // Every field must be a float series [T] or [T, k] over one free T.
    let timeDim: string | undefined;
    const widths = new Map<string, number>();
    for (const f of fields) {
      const k = f.shape.length === 2 ? table.evaluate(f.shape[1]!.dim, bound) : 1;
      const free = f.shape.length >= 1 && table.evaluate(f.shape[0]!.dim, bound) === undefined;
      if (f.vocab !== undefined || (f.shape.length !== 1 && f.shape.length !== 2) || k === undefined || !free) {
        issues.add({ field: f.name, message: `CSV data is a numeric series: every input and target must be [T] or [T, k] of numbers with a free T, but ${f.role} ${f.name} is ${shapeText(f)}: use JSONL` });
        continue;
      }
      const t = f.shape[0]!.text;
      if (timeDim !== undefined && t !== timeDim) issues.add({ field: f.name, message: `CSV rows are the steps of one time axis, but ${f.name} is over ${t} and an earlier field over ${timeDim}: use JSONL` });
      timeDim ??= t;
      widths.set(f.name, k);
    }
    issues.throwIfAny();

    const lines = text.split(/\r?\n/);
    const headerAt = lines.findIndex((l) => l.trim() !== "");
    if (headerAt < 0) issues.fail({ message: "the file is empty: expected a header row naming the columns" });
    const header = csvCells(lines[headerAt]!);
    const colIndex = new Map<string, number>();
    header.forEach((name, i) => {
      if (name === "") issues.add({ line: headerAt + 1, message: `column ${i + 1} of the header has no name` });
      else if (colIndex.has(name)) issues.add({ line: headerAt + 1, message: `column ${JSON.stringify(name)} is named twice in the header` });
      else colIndex.set(name, i);
    });
    const columnsOf = new Map<string, number[]>();
    const defaultNames = (name: string, k: number): string[] => (k === 1 && !colIndex.has(`${name}_0`) ? [name] : Array.from({ length: k }, (_, i) => `${name}_${i}`));
    for (const f of fields) {
      const k = widths.get(f.name)!;
      const given = opts.columns?.[f.name];
      let names = given === undefined ? defaultNames(f.name, k) : typeof given === "string" ? [given] : given;
      if (given === undefined && !names.every((n) => colIndex.has(n)) && f.name.endsWith("_prev")) {
        const base = defaultNames(f.name.slice(0, -"_prev".length), k);
        if (base.every((n) => colIndex.has(n))) names = base;
      }
      if (names.length !== k) {
        issues.add({ field: f.name, message: `${f.name} has ${k} values per step, but ${names.length} columns are given for it (${names.join(", ")})` });
        continue;
      }
      const missing = names.filter((n) => !colIndex.has(n));
      if (missing.length > 0) {
        issues.add({
          line: headerAt + 1,
          field: f.name,
          message: `no column ${missing.join(", ")} in the header (it has ${header.join(", ")}); name the columns after the fields${k > 1 ? ` (${f.name}_0 .. ${f.name}_${k - 1})` : ""}`,
        });
        continue;
      }
      columnsOf.set(f.name, names.map((n) => colIndex.get(n)!));
    }
    issues.throwIfAny();

    const used = [...new Set([...columnsOf.values()].flat())];
    const cols = new Map<number, number[]>(used.map((c) => [c, []]));
    for (let i = headerAt + 1; i < lines.length; i++) {
      if (lines[i]!.trim() === "") continue;
      const cells = csvCells(lines[i]!);
      if (cells.length !== header.length) {
        issues.add({ line: i + 1, message: `expected ${header.length} values (${header.join(", ")}), found ${cells.length}` });
        continue;
      }
      for (const c of used) {
        const cell = cells[c]!;
        const n = cell === "" ? NaN : Number(cell);
        if (!Number.isFinite(n)) issues.add({ line: i + 1, message: `column ${header[c]}: ${cell === "" ? "empty cell" : `not a number: ${JSON.stringify(cell)}`}` });
        else if (Math.abs(n) > F32_MAX) issues.add({ line: i + 1, message: `column ${header[c]}: ${cell} is too large for a float32 (at most ${F32_MAX_TEXT} in size)` });
        cols.get(c)!.push(n);
      }
    }
    issues.throwIfAny();
    const series = new Map([...cols].map(([c, v]) => [c, Float64Array.from(v)]));
    const steps = used.length > 0 ? series.get(used[0]!)!.length : 0;
    if (steps === 0) issues.fail({ message: "no rows after the header" });

    // window is a maximum: a series shorter than that is one sequence.
    const W = Math.min(opts.window ?? steps, steps);
    const stride = opts.stride ?? W;
    /** A field's windows, one after another: [W, k] each. */
    const column = (f: DataField, count: number): Column => {
      const cs = columnsOf.get(f.name)!;
      const size = W * cs.length;
      const data = this.floatArray(count * size);
      for (let e = 0; e < count; e++) for (let t = 0; t < W; t++) for (let j = 0; j < cs.length; j++) data[e * size + t * cs.length + j] = series.get(cs[j]!)![e * stride + t]!;
      return { data, first: 0, stride: size, size };
    };
    const examples = this.sequences("window", W, stride, fields, (f) => (f.shape.length === 2 ? [W, widths.get(f.name)!] : [W]), bound, steps, column);
    return { examples, vocabs: {}, freeDims: freeDimsOf(this.model, this.table) };
  }
}

function checkWhole(issues: Issues, name: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) issues.fail({ message: `${name} ${n} is not a whole number >= 1` });
}

/** A token of a text that a vocabulary without <unk> does not have, at its line and column. */
function unknownToken(mode: TokenMode, token: string, line: number, col: number, vocab: Vocabulary): DataIssue {
  return { line, message: `column ${col}: ${mode === "char" ? "character" : "word"} ${JSON.stringify(token)} is not in the vocabulary: ${vocab.describe()} and no ${UNK}` };
}

/** Characters of a text that a vocabulary without <unk> does not have, each at its first line and column. */
function unknownChars(text: string, vocab: Vocabulary): DataIssue[] {
  const out: DataIssue[] = [];
  const seen = new Set<string>();
  const report = (c: string, line: number, col: number) => {
    if (seen.has(c)) return;
    seen.add(c);
    out.push(unknownToken("char", c, line, col, vocab));
  };
  const lines = text.split(/\r?\n/);
  lines.forEach((lineText, i) => {
    let col = 1;
    for (const c of lineText) {
      if (!vocab.has(c)) report(c, i + 1, col);
      col++;
    }
    if (i < lines.length - 1 && !vocab.has("\n")) report("\n", i + 1, col);
  });
  return out;
}

/** Splits one CSV line; double quotes may enclose a cell ("" is a quote inside). */
function csvCells(line: string): string[] {
  const out: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      out.push(cell);
      cell = "";
    } else cell += c;
  }
  out.push(cell);
  return out.map((s) => s.trim());
}
