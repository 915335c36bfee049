/**
 * The command line of a standalone TypeScript trainer (`seqc compile --target
 * ts`): `node train.js --data FILE` trains the emitted model and saves a seqc
 * model directory (model.json + weights.bin, the format of the tfjs target, so
 * `seqc eval DIR` reads it); `node train.js eval` and `node train.js sample`
 * use such a directory.
 *
 * The data is read as `seqc train` reads it (src/backends/data): JSONL with one
 * example per line and a field per input and target, plain text for a language
 * model (x = text[t], y = text[t+1]), or a CSV series; vocabularies are the
 * spec's, a saved model's, or built from the data (sorted tokens, <unk>, <eos>).
 * Bad data is reported with line numbers before anything runs (exit 1).
 *
 * Training mirrors the tfjs target (src/backends/tfjs/train.ts): the same
 * initial weights for a seed, the same shuffling generator, L2 weight decay,
 * clipping by global norm, TensorFlow.js's optimizers, truncated BPTT windows
 * carrying the scans' final states. One difference: batches never mix
 * lengths. Examples are grouped by their lengths (bucketing), so the model
 * needs no padding masks; with equal lengths the batches are those of the tfjs
 * target.
 *
 * Runtime file: imports only its siblings and Node built-ins.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { extname, join } from "node:path";
import { Rng } from "./init.js";
import type { Batch, Buf, CompiledModel, Dims, FieldInfo, ModelInfo, TrainDefaults } from "./model-api.js";
import { applyWeightDecay, clipByGlobalNorm, createOptimizer, decodeWeights, DEFAULT_LR, encodeWeights, OPTIMIZERS, WeightsError, type OptimizerName, type WeightEntry } from "./optim.js";

export type CreateModel = (dims: Dims, maxBatch: number) => CompiledModel;

const PROG = "train.js";

/** How the command was called is wrong (exit 2). */
export class UsageError extends Error {}

/** A file cannot be read or written, or a model directory does not fit the model (exit 2). */
export class IoError extends Error {}

// ====================================================================== vocabularies

export const UNK = "<unk>";
export const EOS = "<eos>";

export type TokenMode = "char" | "word";

/** The saved form of a vocabulary (model.json's `vocabularies`). */
export interface VocabJSON {
  tokens: string[];
  unk?: string;
  eos?: string;
}

/** A vocabulary: tokens and their ids, as src/backends/data/vocab.ts. */
export class Vocab {
  readonly tokens: readonly string[];
  readonly unk: string | undefined;
  readonly eos: string | undefined;
  private readonly index = new Map<string, number>();

  constructor(
    readonly name: string,
    tokens: readonly string[],
    unk?: string,
    eos?: string,
  ) {
    if (tokens.length === 0) throw new Error(`vocabulary ${name} has no tokens`);
    tokens.forEach((t, i) => {
      if (typeof t !== "string") throw new Error(`vocabulary ${name}: token ${i} is not a string`);
      if (this.index.has(t)) throw new Error(`vocabulary ${name} lists the token ${JSON.stringify(t)} more than once`);
      this.index.set(t, i);
    });
    for (const [role, t] of [["unknown", unk], ["end", eos]] as const) {
      if (t !== undefined && !this.index.has(t)) throw new Error(`vocabulary ${name}: the ${role} token ${JSON.stringify(t)} is not one of its tokens`);
    }
    this.tokens = [...tokens];
    this.unk = unk;
    this.eos = eos;
  }

  /** The spec's tokens in order; a listed <unk> / <eos> keeps its meaning. */
  static fixed(name: string, tokens: readonly string[]): Vocab {
    return new Vocab(name, tokens, tokens.includes(UNK) ? UNK : undefined, tokens.includes(EOS) ? EOS : undefined);
  }

  /** Built from data: the sorted set of tokens (code-point order; <unk> and <eos> not counted), then <unk> and <eos>. */
  static build(name: string, tokens: Iterable<string>): Vocab {
    const seen = new Set<string>();
    for (const t of tokens) if (t !== UNK && t !== EOS) seen.add(t);
    const kept = [...seen].sort(compareTokens);
    return new Vocab(name, [...kept, UNK, EOS], UNK, EOS);
  }

  static fromJSON(name: string, json: unknown): Vocab {
    if (!json || typeof json !== "object" || Array.isArray(json)) throw new Error(`vocabulary ${name}: expected an object { tokens, unk?, eos? }`);
    const { tokens, unk, eos } = json as Record<string, unknown>;
    if (!Array.isArray(tokens) || !tokens.every((t) => typeof t === "string")) throw new Error(`vocabulary ${name}: tokens must be an array of strings`);
    if (unk !== undefined && typeof unk !== "string") throw new Error(`vocabulary ${name}: unk must be a string`);
    if (eos !== undefined && typeof eos !== "string") throw new Error(`vocabulary ${name}: eos must be a string`);
    return new Vocab(name, tokens as string[], unk, eos);
  }

  get size(): number {
    return this.tokens.length;
  }

  get unkId(): number | undefined {
    return this.unk === undefined ? undefined : this.index.get(this.unk);
  }

  get eosId(): number | undefined {
    return this.eos === undefined ? undefined : this.index.get(this.eos);
  }

  has(token: string): boolean {
    return this.index.has(token);
  }

  /** Every ordinary token is one character: strings are read one token per character. */
  get isChars(): boolean {
    return this.tokens.every((t) => t === this.unk || t === this.eos || Array.from(t).length === 1);
  }

  /** The id of a token, <unk>'s for an unknown one, or undefined when there is no <unk>. */
  id(token: string): number | undefined {
    return this.index.get(token) ?? this.unkId;
  }

  describe(max = 12): string {
    const shown = this.tokens.slice(0, max).map(showToken).join(", ");
    return `vocabulary ${this.name} has ${shown}${this.size > max ? `, ... (${this.size} tokens)` : ""}`;
  }

  toJSON(): VocabJSON {
    return { tokens: [...this.tokens], ...(this.unk !== undefined ? { unk: this.unk } : {}), ...(this.eos !== undefined ? { eos: this.eos } : {}) };
  }
}

function compareTokens(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

function showToken(t: string): string {
  return /^[\p{L}\p{N}_<>.-]+$/u.test(t) ? t : JSON.stringify(t);
}

/** Text cut into tokens: every character, or the words of each non-empty line followed by <eos>. */
export function tokenize(text: string, mode: TokenMode): string[] {
  if (mode === "char") return Array.from(text);
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const words = line.split(/\s+/).filter((w) => w !== "");
    if (words.length === 0) continue;
    out.push(...words, EOS);
  }
  return out;
}

function splitTokens(text: string, mode: TokenMode): string[] {
  return mode === "char" ? Array.from(text) : text.split(/\s+/).filter((w) => w !== "");
}

// ====================================================================== data

/** One problem in a data file; `line` is 1-based, absent for problems of the whole file. */
export interface DataIssue {
  line?: number;
  field?: string;
  message: string;
}

function formatIssue(i: DataIssue): string {
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

class Issues {
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

export type FieldData = Int32Array | Float64Array;

/** One example: each field row-major at its own shape, and the values of its free dims (its lengths). */
export interface Example {
  /** The JSONL line it came from. */
  line?: number;
  dims: Record<string, number>;
  fields: Record<string, FieldData>;
}

export interface DataSet {
  examples: Example[];
  /** Every vocabulary of the model: the spec's, the saved ones, or built from this data. */
  vocabs: Record<string, Vocab>;
  /** The free dims the examples' lengths give (e.g. T). */
  freeDims: string[];
}

export type DataFormat = "jsonl" | "text" | "csv";

export interface ReadOptions {
  format?: DataFormat;
  /** Saved vocabularies (by name) for the ones the spec takes from the data. */
  vocabularies?: Record<string, Vocab>;
  /** Text: steps per sequence (a maximum; default the whole text). */
  seqLength?: number;
  /** CSV: rows per sequence (a maximum; default the whole series). */
  window?: number;
  /** At most this many problems are listed. Default 20. */
  maxErrors?: number;
}

/** What the runtime knows of the model's dims: fixed values, multiples, vocabulary sizes. */
class DimsOf {
  readonly fixed = new Map<string, number>();
  readonly multiple = new Map<string, number>();
  /** Size dim -> vocabulary, for vocabularies whose size is not fixed in the spec. */
  readonly vocabDims = new Map<string, string>();

  constructor(readonly info: ModelInfo) {
    for (const d of info.dims) {
      this.multiple.set(d.name, d.multiple);
      if (d.value !== undefined) this.fixed.set(d.name, d.value);
    }
    for (const v of info.vocabs) {
      if (v.sizeDim === undefined || this.fixed.has(v.sizeDim)) continue;
      if (v.tokens) this.fixed.set(v.sizeDim, v.tokens.length);
      else this.vocabDims.set(v.sizeDim, v.name);
    }
  }

  /** Values known before reading examples: fixed dims and the sizes of known vocabularies. */
  known(vocabs: Map<string, Vocab | undefined> | Record<string, Vocab>): Map<string, number> {
    const out = new Map(this.fixed);
    const get = (n: string) => (vocabs instanceof Map ? vocabs.get(n) : vocabs[n]);
    for (const [dim, vocab] of this.vocabDims) {
      const v = get(vocab);
      if (v) out.set(dim, v.size);
    }
    return out;
  }

  /** The dims of the model's vocabularies built from data, with their sizes (part of every `Dims` given to the model). */
  vocabSizes(vocabs: Record<string, Vocab>): Dims {
    const out: Dims = {};
    for (const [dim, vocab] of this.vocabDims) {
      const v = vocabs[vocab];
      if (v) out[dim] = v.size;
    }
    return out;
  }
}

function shapeText(f: FieldInfo): string {
  return `[${f.shape.join(", ")}]${f.vocab !== undefined ? ` of ${f.vocab}` : ""}`;
}

/** The vocabularies of a model: the spec's fixed ones (a saved one must agree), saved ones, or undefined (to build). */
function resolveVocabs(info: ModelInfo, supplied: Record<string, Vocab> = {}): Map<string, Vocab | undefined> {
  const out = new Map<string, Vocab | undefined>();
  for (const v of info.vocabs) {
    const given = supplied[v.name];
    if (v.tokens) {
      const fixed = Vocab.fixed(v.name, v.tokens);
      if (given && given.tokens.join("\u0000") !== fixed.tokens.join("\u0000")) {
        throw new Error(`the saved vocabulary ${v.name} (${given.size} tokens) is not the one the spec lists (${fixed.tokens.map(showToken).join(", ")})`);
      }
      out.set(v.name, fixed);
    } else out.set(v.name, given);
  }
  return out;
}

/** `the string "ab"`, `the number 3`, `an array of 4 items`, as seqc describes values. */
function describe(v: unknown): string {
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

/** The format of a data file from its extension. */
export function formatOf(path: string): DataFormat {
  const ext = extname(path).toLowerCase();
  if (ext === ".jsonl" || ext === ".ndjson") return "jsonl";
  if (ext === ".txt" || ext === ".text") return "text";
  if (ext === ".csv") return "csv";
  throw new UsageError(`cannot tell the format of ${path} from its extension "${ext}": use .jsonl, .txt or .csv`);
}

/** Reads a data file for the model (see readData). Unreadable: IoError; not fitting: DataError. */
export function loadData(path: string, info: ModelInfo, opts: ReadOptions = {}): DataSet {
  const format = opts.format ?? formatOf(path);
  let content: string;
  try {
    content = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new IoError(`cannot read ${path}: ${code === "ENOENT" ? "no such file" : (e as Error).message}`);
  }
  return readData(content, info, { ...opts, format }, path);
}

/** Reads data given as text in a format (JSONL by default), as `seqc train` reads it. */
export function readData(content: string, info: ModelInfo, opts: ReadOptions = {}, file = "<data>"): DataSet {
  const text = content.charCodeAt(0) === 0xfeff ? content.slice(1) : content;
  const issues = new Issues(file, info.name, opts.maxErrors ?? 20);
  let vocabs: Map<string, Vocab | undefined>;
  try {
    vocabs = resolveVocabs(info, opts.vocabularies);
  } catch (e) {
    return issues.fail({ message: (e as Error).message });
  }
  switch (opts.format ?? "jsonl") {
    case "jsonl":
      return readJsonl(text, info, vocabs, issues);
    case "text":
      return readText(text, info, vocabs, opts, issues);
    case "csv":
      return readCsv(text, info, opts, issues);
  }
}

/** What one axis of a field's shape asks for. */
type Axis = { kind: "fixed"; n: number } | { kind: "dim"; atom: string };

function axesOf(f: FieldInfo, dims: DimsOf): Axis[] {
  return f.shape.map((d): Axis => {
    if (typeof d === "number") return { kind: "fixed", n: d };
    const n = dims.fixed.get(d);
    return n !== undefined ? { kind: "fixed", n } : { kind: "dim", atom: d };
  });
}

const where = (field: string, axis: number) => (axis === 0 ? field : `axis ${axis} of ${field}`);

/**
 * Checks one example's extents against the fields' shapes, finding its free
 * dims (first in field order, then axis order) into `found`: the same dim has
 * one length throughout, whole multiples, at least 1.
 */
function solveAxes(info: ModelInfo, dims: DimsOf, extents: Map<string, number[]>, known: Map<string, number>, found: Record<string, number>): DataIssue[] {
  const issues: DataIssue[] = [];
  const from = new Map<string, { field: string; axis: number }>();
  for (const f of info.fields) {
    const e = extents.get(f.name);
    if (!e) continue;
    const axes = axesOf(f, dims);
    for (let axis = 0; axis < axes.length; axis++) {
      const a = axes[axis]!;
      const length = e[axis]!;
      if (a.kind === "fixed") {
        if (length !== a.n) {
          issues.push({ field: f.name, message: `${where(f.name, axis)} has length ${length}, expected ${a.n}${typeof f.shape[axis] === "string" ? ` (${String(f.shape[axis])})` : ""}` });
          break;
        }
        continue;
      }
      const want = known.get(a.atom) ?? found[a.atom];
      if (want !== undefined) {
        if (want === length) continue;
        const src = from.get(a.atom);
        issues.push({
          field: f.name,
          message: src
            ? `${where(f.name, axis)} has length ${length}, but ${where(src.field, src.axis)} has length ${want} (both are ${a.atom})`
            : `${where(f.name, axis)} has length ${length}, expected ${want} (${a.atom})`,
        });
        break;
      }
      const m = dims.multiple.get(a.atom) ?? 1;
      if (length < 1 || length % m !== 0) {
        issues.push({ field: f.name, message: `${where(f.name, axis)} has length ${length}, which does not fit ${a.atom}${m > 1 ? ` (dim ${a.atom} is a multiple of ${m})` : " (at least 1)"}` });
        break;
      }
      found[a.atom] = length;
      from.set(a.atom, { field: f.name, axis });
    }
  }
  return issues;
}

/** The free dims that fields' shapes use (sequence lengths), in the model's order. */
function freeDimsOf(info: ModelInfo, dims: DimsOf): string[] {
  const out: string[] = [];
  for (const f of info.fields) for (const a of axesOf(f, dims)) if (a.kind === "dim" && !dims.vocabDims.has(a.atom) && !out.includes(a.atom)) out.push(a.atom);
  return out;
}

// ---------------------------------------------------------------------- JSONL

type Leaf = string | number;

/**
 * The extents and leaves of one field's value, checking its structure: floats
 * are nested arrays of numbers (a number for rank 0); tokens at their last
 * axis are a string (split per character or word), an array of tokens or an
 * array of ids. `leaf` checks each token and may return a message.
 */
function walkField(f: FieldInfo, value: unknown, mode: TokenMode | undefined, leaf: (t: Leaf, path: string) => string | undefined): { extents: number[]; leaves: Leaf[] } | string {
  const rank = f.shape.length;
  const extents: (number | undefined)[] = new Array<number | undefined>(rank).fill(undefined);
  const firstAt: string[] = new Array<string>(rank).fill("");
  const leaves: Leaf[] = [];
  const isToken = f.vocab !== undefined;
  const extent = (axis: number, n: number, path: string): string | undefined => {
    const e = extents[axis];
    if (e === undefined) {
      extents[axis] = n;
      firstAt[axis] = path;
      return undefined;
    }
    return e === n ? undefined : `${path} has ${n} items but ${firstAt[axis]} has ${e}: the arrays along axis ${axis} must have one length`;
  };
  /** A token leaf: a string token, an id (a whole number), or either (rank 0). */
  const tokenLeaf = (v: unknown, path: string, want: "token" | "id" | "either"): string | undefined => {
    if (typeof v === "string" && want !== "id") {
      if (v === "") return `expected a token (a string) at ${path}, found an empty string`;
    } else if (typeof v === "number" && Number.isInteger(v) && want !== "token") {
      if (v < 0) return `token id ${v} at ${path} is out of range: ids start at 0`;
    } else {
      const what = want === "id" ? "a token id (a whole number)" : want === "token" ? "a token (a string)" : "a token (a string) or a token id (an integer)";
      return `expected ${what} at ${path}, found ${describe(v)}`;
    }
    const m = leaf(v, path);
    if (m) return m;
    leaves.push(v);
    return undefined;
  };
  const go = (v: unknown, axis: number, path: string): string | undefined => {
    if (axis === rank) {
      if (isToken) return tokenLeaf(v, path, "either");
      if (typeof v !== "number" || !Number.isFinite(v)) return `expected a number at ${path}, found ${describe(v)}`;
      leaves.push(v);
      return undefined;
    }
    if (isToken && axis === rank - 1) {
      if (typeof v === "string") {
        const toks = splitTokens(v, mode ?? "char");
        if (toks.length === 0) return `expected at least 1 token at ${path}, found ${describe(v)}`;
        const m = extent(axis, toks.length, path);
        if (m) return m;
        for (let i = 0; i < toks.length; i++) {
          const p = leaf(toks[i]!, `${path}[${i}]`);
          if (p) return p;
          leaves.push(toks[i]!);
        }
        return undefined;
      }
      if (!Array.isArray(v)) return `expected a string of tokens, an array of tokens or an array of token ids at ${path}, found ${describe(v)}`;
      // An array of tokens or of ids, as its first element says.
      const want = typeof v[0] === "number" ? "id" : "token";
      const m = extent(axis, v.length, path);
      if (m) return m;
      for (let i = 0; i < v.length; i++) {
        const p = tokenLeaf(v[i], `${path}[${i}]`, want);
        if (p) return p;
      }
      return undefined;
    }
    if (!Array.isArray(v)) return `expected an array at ${path}, found ${describe(v)}`;
    const m = extent(axis, v.length, path);
    if (m) return m;
    for (let i = 0; i < v.length; i++) {
      const p = go(v[i], axis + 1, `${path}[${i}]`);
      if (p) return p;
    }
    return undefined;
  };
  const problem = go(value, 0, f.name);
  if (problem) return problem;
  return { extents: extents.map((n) => n ?? 0), leaves };
}

function readJsonl(text: string, info: ModelInfo, vocabs: Map<string, Vocab | undefined>, issues: Issues): DataSet {
  const dims = new DimsOf(info);
  const modes = new Map<string, TokenMode>();
  for (const [name, v] of vocabs) modes.set(name, v === undefined || v.isChars ? "char" : "word");
  const names = info.fields.map((f) => f.name);
  const parsed: { line: number; fields: Map<string, { extents: number[]; leaves: Leaf[] }> }[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === "") continue;
    const line = i + 1;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      const msg = (e as Error).message.replace(/\s+/g, " ");
      issues.add({ line, message: `not valid JSON: ${msg.length > 120 ? `${msg.slice(0, 117)}...` : msg}` });
      continue;
    }
    if (!value || typeof value !== "object" || Array.isArray(value)) {
      issues.add({ line, message: `expected a JSON object with the fields ${names.join(", ")}, found ${describe(value)}` });
      continue;
    }
    const obj = value as Record<string, unknown>;
    let bad = false;
    for (const f of info.fields) {
      if (!(f.name in obj)) {
        issues.add({ line, field: f.name, message: `missing field ${f.name} (${f.role}: ${shapeText(f)})` });
        bad = true;
      }
    }
    for (const k of Object.keys(obj)) {
      if (!names.includes(k)) {
        issues.add({ line, field: k, message: `unknown field ${k}: model ${info.name} has ${names.join(", ")}` });
        bad = true;
      }
    }
    const fields = new Map<string, { extents: number[]; leaves: Leaf[] }>();
    for (const f of info.fields) {
      if (!(f.name in obj)) continue;
      const vocab = f.vocab !== undefined ? vocabs.get(f.vocab) : undefined;
      const r = walkField(f, obj[f.name], f.vocab !== undefined ? modes.get(f.vocab) : undefined, (t, path) => {
        if (typeof t === "number") {
          if (!vocab) return `token id ${t} at ${path}: vocabulary ${f.vocab} is built from the data, so its ids are not known; write tokens as strings (or load a saved vocabulary)`;
          if (t >= vocab.size) return `token id ${t} at ${path} is out of range: vocabulary ${vocab.name} has ids 0..${vocab.size - 1}`;
        } else if (vocab && vocab.unk === undefined && !vocab.has(t)) {
          return `unknown token ${JSON.stringify(t)} at ${path}: ${vocab.describe()} and no ${UNK}`;
        }
        return undefined;
      });
      if (typeof r === "string") {
        issues.add({ line, field: f.name, message: r });
        bad = true;
      } else fields.set(f.name, r);
    }
    if (!bad) parsed.push({ line, fields });
  }
  if (parsed.length === 0 && issues.count === 0) issues.fail({ message: "no examples: the file has no lines" });

  // Vocabularies from the data: every string token of the fields that use them.
  const built: Record<string, Vocab> = {};
  for (const [name, known] of vocabs) {
    if (known) {
      built[name] = known;
      continue;
    }
    const tokens: string[] = [];
    for (const f of info.fields) if (f.vocab === name) for (const p of parsed) for (const t of p.fields.get(f.name)!.leaves) if (typeof t === "string") tokens.push(t);
    built[name] = Vocab.build(name, tokens);
  }
  const known = dims.known(built);
  const examples: Example[] = [];
  for (const p of parsed) {
    const found: Record<string, number> = {};
    const extents = new Map([...p.fields].map(([k, v]) => [k, v.extents]));
    const problems = solveAxes(info, dims, extents, known, found);
    for (const q of problems) issues.add({ line: p.line, ...q });
    if (problems.length > 0 || issues.count > 0) continue;
    const fields: Record<string, FieldData> = {};
    for (const f of info.fields) {
      const leaves = p.fields.get(f.name)!.leaves;
      if (f.vocab !== undefined) {
        const v = built[f.vocab]!;
        fields[f.name] = Int32Array.from(leaves, (t) => (typeof t === "number" ? t : v.id(t)!));
      } else fields[f.name] = Float64Array.from(leaves as number[]);
    }
    examples.push({ line: p.line, dims: found, fields });
  }
  issues.throwIfAny();
  return { examples, vocabs: built, freeDims: freeDimsOf(info, dims) };
}

// ---------------------------------------------------------------------- text

/** The token input and target of a language model (one input and one target, both [T] of one vocabulary), or why the model is not one. */
function languageModelFields(info: ModelInfo, dims: DimsOf): { x: FieldInfo; y: FieldInfo; vocab: string; atom: string } | string {
  const inputs = info.fields.filter((f) => f.role === "input");
  const targets = info.fields.filter((f) => f.role === "target");
  const show = (f: FieldInfo) => `${f.role} ${f.name}`;
  if (inputs.length !== 1 || targets.length !== 1)
    return `plain text is read as a language model's data (one token input and one token target, both [T] of one vocabulary); model ${info.name} has ${info.fields.map(show).join(", ")}: use JSONL`;
  const x = inputs[0]!;
  const y = targets[0]!;
  for (const f of [x, y]) {
    if (f.vocab === undefined) return `plain text is read as tokens, but ${show(f)} is not a token tensor (it has no vocabulary): use JSONL or CSV`;
    const a = axesOf(f, dims);
    const first = a[0];
    if (a.length !== 1 || first === undefined || first.kind !== "dim" || dims.vocabDims.has(first.atom)) return `plain text is read as sequences, but ${show(f)} has shape ${shapeText(f)}, not [T] with a free T: use JSONL`;
  }
  if (x.vocab !== y.vocab) return `plain text needs the input and the target in one vocabulary, but ${x.name} is of ${x.vocab} and ${y.name} of ${y.vocab}: use JSONL`;
  if (x.shape[0] !== y.shape[0]) return `plain text needs ${x.name} and ${y.name} of one length, but they are ${shapeText(x)} and ${shapeText(y)}: use JSONL`;
  return { x, y, vocab: x.vocab!, atom: String(x.shape[0]) };
}

function readText(text: string, info: ModelInfo, vocabs: Map<string, Vocab | undefined>, opts: ReadOptions, issues: Issues): DataSet {
  const dims = new DimsOf(info);
  const lm = languageModelFields(info, dims);
  if (typeof lm === "string") return issues.fail({ message: lm });
  const given = vocabs.get(lm.vocab);
  const mode: TokenMode = given && !given.isChars ? "word" : "char";
  const tokens = tokenize(text, mode);
  const vocab = given ?? Vocab.build(lm.vocab, tokens);
  if (vocab.unk === undefined) issues.add(...unknownInText(text, mode, vocab));
  issues.throwIfAny();
  if (tokens.length < 2) issues.fail({ message: `the text has ${tokens.length} ${mode === "char" ? "characters" : "tokens"}; a language model needs at least 2 (input text[t], target text[t+1])` });
  const available = tokens.length - 1;
  const L = Math.min(opts.seqLength ?? available, available);
  if (!Number.isInteger(L) || L < 1) issues.fail({ message: `seqLength ${L} is not a whole number >= 1` });
  const m = dims.multiple.get(lm.atom) ?? 1;
  if (L % m !== 0) issues.fail({ message: `seqLength ${L} does not fit the model: ${lm.x.name} has length ${L}, which does not fit ${lm.atom} (dim ${lm.atom} is a multiple of ${m})` });
  const ids = Int32Array.from(tokens, (t) => vocab.id(t)!);
  const built: Record<string, Vocab> = {};
  for (const [name, v] of vocabs) if (v) built[name] = v;
  built[lm.vocab] = vocab;
  const examples: Example[] = [];
  for (let s = 0; s + L <= available; s += L) {
    examples.push({ dims: { [lm.atom]: L }, fields: { [lm.x.name]: ids.subarray(s, s + L), [lm.y.name]: ids.subarray(s + 1, s + L + 1) } });
  }
  return { examples, vocabs: built, freeDims: [lm.atom] };
}

/** Tokens of a text that a vocabulary without <unk> does not have, with their line and column. */
function unknownInText(text: string, mode: TokenMode, vocab: Vocab): DataIssue[] {
  const out: DataIssue[] = [];
  const seen = new Set<string>();
  const report = (tok: string, line: number, col: number) => {
    if (seen.has(tok)) return;
    seen.add(tok);
    out.push({ line, message: `column ${col}: ${mode === "char" ? "character" : "word"} ${JSON.stringify(tok)} is not in the vocabulary: ${vocab.describe()} and no ${UNK}` });
  };
  const lines = text.split(/\r?\n/);
  lines.forEach((lineText, i) => {
    if (mode === "char") {
      let col = 1;
      for (const c of lineText) {
        if (!vocab.has(c)) report(c, i + 1, col);
        col++;
      }
      if (i < lines.length - 1 && !vocab.has("\n")) report("\n", i + 1, col);
    } else {
      const re = /\S+/g;
      for (let m = re.exec(lineText); m; m = re.exec(lineText)) if (!vocab.has(m[0])) report(m[0], i + 1, m.index + 1);
    }
  });
  if (mode === "word" && !vocab.has(EOS) && /\S/.test(text)) out.push({ message: `word mode ends each line with ${EOS}, but ${vocab.describe()} and no ${EOS} or ${UNK}` });
  return out;
}

// ---------------------------------------------------------------------- CSV

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

function readCsv(text: string, info: ModelInfo, opts: ReadOptions, issues: Issues): DataSet {
  const dims = new DimsOf(info);
  let timeDim: string | undefined;
  const widths = new Map<string, number>();
  for (const f of info.fields) {
    const axes = axesOf(f, dims);
    const k = axes.length === 2 ? (axes[1]!.kind === "fixed" ? axes[1]!.n : undefined) : 1;
    const free = axes.length >= 1 && axes[0]!.kind === "dim";
    if (f.vocab !== undefined || (axes.length !== 1 && axes.length !== 2) || k === undefined || !free) {
      issues.add({ field: f.name, message: `CSV data is a numeric series: every input and target must be [T] or [T, k] of numbers with a free T, but ${f.role} ${f.name} is ${shapeText(f)}: use JSONL` });
      continue;
    }
    const t = String(f.shape[0]);
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
  for (const f of info.fields) {
    const k = widths.get(f.name)!;
    let names = defaultNames(f.name, k);
    if (!names.every((n) => colIndex.has(n)) && f.name.endsWith("_prev")) {
      const base = defaultNames(f.name.slice(0, -"_prev".length), k);
      if (base.every((n) => colIndex.has(n))) names = base;
    }
    const missing = names.filter((n) => !colIndex.has(n));
    if (missing.length > 0) {
      issues.add({ line: headerAt + 1, field: f.name, message: `no column ${missing.join(", ")} in the header (it has ${header.join(", ")}); name the columns after the fields${k > 1 ? ` (${f.name}_0 .. ${f.name}_${k - 1})` : ""}` });
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
      cols.get(c)!.push(n);
    }
  }
  issues.throwIfAny();
  const steps = used.length > 0 ? cols.get(used[0]!)!.length : 0;
  if (steps === 0) issues.fail({ message: "no rows after the header" });
  const W = Math.min(opts.window ?? steps, steps);
  if (!Number.isInteger(W) || W < 1) issues.fail({ message: `window ${W} is not a whole number >= 1` });
  const atom = timeDim!;
  const m = dims.multiple.get(atom) ?? 1;
  if (W % m !== 0) issues.fail({ message: `window ${W} does not fit the model: ${atom} is a multiple of ${m}` });
  const examples: Example[] = [];
  for (let s = 0; s + W <= steps; s += W) {
    const fields: Record<string, FieldData> = {};
    for (const f of info.fields) {
      const cs = columnsOf.get(f.name)!;
      const data = new Float64Array(W * cs.length);
      for (let t = 0; t < W; t++) for (let j = 0; j < cs.length; j++) data[t * cs.length + j] = cols.get(cs[j]!)![s + t]!;
      fields[f.name] = data;
    }
    examples.push({ dims: { [atom]: W }, fields });
  }
  return { examples, vocabs: {}, freeDims: [atom] };
}

// ====================================================================== batches

/** A Fisher-Yates shuffle of 0..n-1 (the order of src/backends/data/dataset.ts for the same generator). */
export function permutation(n: number, rng: { next(): number }): number[] {
  const out = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}

/**
 * Batches of examples of identical lengths: walking `order`, each example
 * joins the open batch of its lengths (a new one when there is none or it is
 * full). Batches come in the order they were opened, so with one length they
 * are consecutive runs of `order`, as the tfjs target's.
 */
export function planBatches(examples: readonly Example[], order: readonly number[], size: number, freeDims: readonly string[]): Example[][] {
  const open = new Map<string, Example[]>();
  const all: Example[][] = [];
  for (const i of order) {
    const ex = examples[i]!;
    const key = freeDims.map((d) => ex.dims[d] ?? 0).join(",");
    let b = open.get(key);
    if (!b || b.length >= size) {
      b = [];
      open.set(key, b);
      all.push(b);
    }
    b.push(ex);
  }
  return all;
}

/** A window along the time dim: steps [t0, t0 + w). */
interface Window {
  t0: number;
  w: number;
}

/** The dim truncated BPTT cuts along: the data's one free dim, when every field has it as its first axis (as the tfjs trainer's windowAxis). */
function windowDim(info: ModelInfo, data: DataSet): string | undefined {
  if (data.freeDims.length !== 1) return undefined;
  const atom = data.freeDims[0]!;
  return info.fields.every((f) => f.shape[0] === atom) ? atom : undefined;
}

function windowsOf(batch: readonly Example[], atom: string | undefined, bptt: number): (Window | undefined)[] {
  if (atom === undefined || bptt <= 0) return [undefined];
  const T = batch[0]!.dims[atom] ?? 0;
  const out: Window[] = [];
  for (let t0 = 0; t0 < T; t0 += bptt) out.push({ t0, w: Math.min(bptt, T - t0) });
  return out.length > 0 ? out : [undefined];
}

/** The model's Batch of some examples (of identical lengths), or of their window along `atom`. */
function batchOf(info: ModelInfo, items: readonly Example[], extraDims: Dims, atom?: string, win?: Window): Batch {
  const first = items[0]!;
  const dims: Dims = { ...extraDims, ...first.dims };
  if (atom !== undefined && win) dims[atom] = win.w;
  const fields: Record<string, Buf | Int32Array> = {};
  for (const f of info.fields) {
    const rows = items.map((ex) => {
      const d = ex.fields[f.name]!;
      if (atom === undefined || !win) return d;
      const per = d.length / (ex.dims[atom] ?? 1);
      return d.subarray(win.t0 * per, (win.t0 + win.w) * per);
    });
    const n = rows.reduce((s, r) => s + r.length, 0);
    const out = f.dtype === "int32" ? new Int32Array(n) : info.precision === "f64" ? new Float64Array(n) : new Float32Array(n);
    let at = 0;
    for (const r of rows) {
      out.set(r, at);
      at += r.length;
    }
    fields[f.name] = out;
  }
  return { size: items.length, dims, fields };
}

/** Copies of the final states of the scans that truncated BPTT carries (the model's buffers are overwritten by the next pass). */
function carriedStates(model: CompiledModel, info: ModelInfo): Record<string, Buf> | undefined {
  if (info.scans.length === 0) return undefined;
  const fin = model.finalStates();
  const out: Record<string, Buf> = {};
  for (const s of info.scans) {
    for (const st of s.states) {
      const key = `${s.name}.${st}`;
      const v = fin[key];
      if (!v) continue;
      const n = v.shape.reduce((a, b) => a * b, 1);
      out[key] = v.data.slice(v.offset, v.offset + n) as Buf; // states are floats
    }
  }
  return out;
}

/** Values of the free dims at their maxima over some examples. */
function maxDims(examples: readonly Example[], freeDims: readonly string[]): Dims {
  const out: Dims = {};
  for (const d of freeDims) out[d] = 0;
  for (const ex of examples) for (const d of freeDims) out[d] = Math.max(out[d]!, ex.dims[d] ?? 0);
  return out;
}

// ====================================================================== model directory

export const MODEL_FORMAT = "seqc-model";
export const MODEL_VERSION = 1;

/** model.json, as src/backends/save.ts writes it. */
export interface ModelFile {
  format: typeof MODEL_FORMAT;
  version: typeof MODEL_VERSION;
  spec: { file: string; source: string };
  model: string;
  dims: Record<string, number>;
  vocabularies: Record<string, VocabJSON>;
  settings: TrainDefaults;
  trained: { epochs: number; seed: number; checksums?: Record<string, string> };
  weightsManifest: { paths: string[]; weights: WeightEntry[] }[];
}

/** Writes a file through a temporary name and a rename: readers never see it half-written. */
function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new IoError(`cannot write ${path}: ${(e as Error).message}`);
  }
}

/**
 * Saves a model directory in the format of seqc's tfjs target: weights.bin
 * (float32 little-endian, in manifest order) first, then model.json. A trainer
 * state left by an earlier `seqc train` (optimizer.json/.bin) is removed: it
 * would not belong to these weights.
 */
export function saveModelDir(
  dir: string,
  info: ModelInfo,
  model: Pick<CompiledModel, "layout">,
  params: Buf,
  meta: { dims: Record<string, number>; vocabularies: Record<string, Vocab>; settings: TrainDefaults; epochs: number },
): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new IoError(`cannot create ${dir}: ${(e as Error).message}`);
  }
  for (const f of ["optimizer.json", "optimizer.bin"]) rmSync(join(dir, f), { force: true });
  const { entries, bytes } = encodeWeights(info, model.layout, params);
  writeAtomic(join(dir, "weights.bin"), bytes);
  const file: ModelFile = {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    spec: info.spec,
    model: info.name,
    dims: meta.dims,
    vocabularies: Object.fromEntries(Object.entries(meta.vocabularies).map(([k, v]) => [k, v.toJSON()])),
    settings: meta.settings,
    trained: { epochs: meta.epochs, seed: meta.settings.seed },
    weightsManifest: [{ paths: ["weights.bin"], weights: entries }],
  };
  writeAtomic(join(dir, "model.json"), JSON.stringify(file, null, 2) + "\n");
}

/** A model directory as read: model.json, its vocabularies, and the weights (every group's, in manifest order). */
export interface LoadedDir {
  meta: ModelFile;
  vocabs: Record<string, Vocab>;
  entries: WeightEntry[];
  bytes: Uint8Array;
}

/** Reads a model directory written by seqc (or by this trainer) for model `info`. IoError when it cannot be read or is another model's. */
export function readModelDir(dir: string, info: ModelInfo): LoadedDir {
  const path = join(dir, "model.json");
  let meta: ModelFile;
  try {
    meta = JSON.parse(readFileSync(path, "utf8")) as ModelFile;
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new IoError(`cannot read ${path}: ${code === "ENOENT" ? "no such file (is it a model directory?)" : (e as Error).message}`);
  }
  if (!meta || meta.format !== MODEL_FORMAT || meta.version !== MODEL_VERSION) throw new IoError(`${dir} is not a seqc model directory (format ${String(meta?.format)} ${String(meta?.version)})`);
  if (meta.model !== info.name) throw new IoError(`${dir} holds model ${meta.model}, not ${info.name}`);
  if (!Array.isArray(meta.weightsManifest)) throw new IoError(`${path} has no weightsManifest`);
  const entries: WeightEntry[] = [];
  const parts: Uint8Array[] = [];
  for (const group of meta.weightsManifest) {
    if (!group || !Array.isArray(group.paths) || !Array.isArray(group.weights)) throw new IoError(`${path}: each weightsManifest entry needs paths and weights`);
    const files = group.paths.map((p) => {
      try {
        return readFileSync(join(dir, p));
      } catch (e) {
        throw new IoError(`cannot read the weights of ${dir}: ${(e as Error).message}`);
      }
    });
    const all = new Uint8Array(files.reduce((n, f) => n + f.byteLength, 0));
    let at = 0;
    for (const f of files) {
      all.set(f, at);
      at += f.byteLength;
    }
    // Each group's file holds its entries' values; trim it so the next group's values follow on.
    const need = group.weights.reduce((n, w) => n + 4 * (Array.isArray(w.shape) ? w.shape.reduce((a, b) => a * b, 1) : 0), 0);
    if (all.byteLength < need) throw new IoError(`${join(dir, group.paths[0] ?? "weights.bin")} is shorter than its manifest (${all.byteLength} bytes, ${need} needed)`);
    entries.push(...group.weights);
    parts.push(all.subarray(0, need));
  }
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.byteLength;
  }
  const vocabs: Record<string, Vocab> = {};
  try {
    for (const [k, v] of Object.entries(meta.vocabularies ?? {})) vocabs[k] = Vocab.fromJSON(k, v);
  } catch (e) {
    throw new IoError(`${path}: ${(e as Error).message}`);
  }
  return { meta, vocabs, entries, bytes };
}

/** Loads a model directory's weights into a model (by name, shapes checked). */
function loadWeights(model: CompiledModel, info: ModelInfo, dir: LoadedDir, source: string): void {
  try {
    decodeWeights(info, model.layout, model.params, dir.entries, dir.bytes, source);
  } catch (e) {
    if (e instanceof WeightsError) throw new IoError(e.message);
    throw e;
  }
}

// ====================================================================== command line

type OptKind = "string" | "int" | "number" | "flag";

interface ParsedArgs {
  values: Map<string, string | number | boolean>;
}

/** Hand-parsed options: `--name value`, `--name=value`, flags; aliases map short names. */
function parseArgs(argv: readonly string[], spec: Record<string, OptKind>, aliases: Record<string, string> = {}): ParsedArgs {
  const values = new Map<string, string | number | boolean>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("-") || arg === "-") throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`);
    let name = arg.replace(/^--?/, "");
    let inline: string | undefined;
    const eq = name.indexOf("=");
    if (eq >= 0) {
      inline = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    name = aliases[name] ?? name;
    const kind = spec[name];
    if (kind === undefined) throw new UsageError(`unknown option ${arg.replace(/=.*$/, "")}`);
    if (kind === "flag") {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      values.set(name, true);
      continue;
    }
    const raw = inline ?? argv[++i];
    if (raw === undefined) throw new UsageError(`--${name} needs a value`);
    if (kind === "string") values.set(name, raw);
    else {
      const n = raw.trim() === "" ? NaN : Number(raw);
      if (!Number.isFinite(n)) throw new UsageError(`--${name} needs a number, not ${JSON.stringify(raw)}`);
      if (kind === "int" && !Number.isInteger(n)) throw new UsageError(`--${name} needs a whole number, not ${raw}`);
      values.set(name, n);
    }
  }
  return { values };
}

function num(a: ParsedArgs, name: string, check?: (n: number) => boolean, what?: string): number | undefined {
  const v = a.values.get(name);
  if (v === undefined) return undefined;
  const n = v as number;
  if (check && !check(n)) throw new UsageError(`--${name} ${n}: expected ${what}`);
  return n;
}

function str(a: ParsedArgs, name: string): string | undefined {
  return a.values.get(name) as string | undefined;
}

function usage(info: ModelInfo): string {
  const s = info.settings;
  const fields = info.fields.map((f) => `${f.name}: ${shapeText(f)} (${f.role})`).join(", ");
  return `Trainer of model ${info.name} (generated by seqc from ${info.spec.file}).

Usage:
  node train.js --data FILE [options]          train, then save a seqc model directory
  node train.js eval --model DIR --data FILE   loss and accuracy of a trained model
  node train.js sample --model DIR [--prime TEXT] [--length N] [--temperature X] [--seed N]
                                               generate along the model's feedback edge

Data (as seqc train reads it): .jsonl, one example per line with the fields
${fields}; .txt, text for a language model (x = text[t], y = text[t+1]);
.csv, a numeric series with a header row naming the columns after the fields.

Training options (defaults from the spec's train block):
  --data FILE          the training data (required)
  --out, -o DIR        where to save the model directory (default ${DEFAULT_OUT})
  --init DIR           start from the weights (and vocabularies) of a model directory
  --epochs N           (${s.epochs})
  --batch N            examples per update (${s.batch}); a batch holds examples of one length
  --optimizer NAME     sgd, momentum, adam or rmsprop (${s.optimizer.name})
  --lr X               learning rate (${s.optimizer.lr})
  --seed N             initial weights and shuffling (${s.seed})
  --clip X             clip the gradient to this global norm, 0 for none (${s.clip})
  --weight-decay X     L2 penalty (${s.weightDecay})
  --bptt N             truncated BPTT window in steps, 0 for none (${s.bptt})
  --validation F       fraction of the examples held out (${s.validation})
  --patience N         stop after N epochs without a better validation loss, 0 for never (${s.patience})
  --seq-length N       text and CSV: steps per sequence (default: the bptt window, else ${DEFAULT_SEQUENCE})
  --quiet, -q          print only the final summary

Eval options: --model DIR, --data FILE, --batch N (64), --format human|json.
Sample options: --model DIR, --prime TEXT, --length N (100), --temperature X (0: greedy), --seed N (1).

Exit codes: 0 done, 1 bad data or a loss that is not finite, 2 usage or I/O error.
`;
}

const DEFAULT_OUT = "model-out";
/** Steps per training sequence cut from a text or a series when neither the settings (bptt) nor --seq-length say. */
const DEFAULT_SEQUENCE = 100;
const EVAL_SEQUENCE = 100;

function out(s: string): void {
  process.stdout.write(s);
}

function err(s: string): void {
  process.stderr.write(s);
}

/**
 * The trainer's command line. Returns the exit code: 0 done, 1 bad data or a
 * non-finite loss, 2 usage or I/O errors, 130 interrupted (the model is saved).
 */
export async function main(argv: string[], info: ModelInfo, create: CreateModel): Promise<number> {
  try {
    const [command, rest] = argv[0] === "eval" || argv[0] === "sample" || argv[0] === "train" ? [argv[0], argv.slice(1)] : ["train", argv];
    if (rest.includes("--help") || rest.includes("-h") || argv[0] === "help") {
      out(usage(info));
      return 0;
    }
    if (command === "eval") return runEval(rest, info, create);
    if (command === "sample") return runSample(rest, info, create);
    return await runTrain(rest, info, create);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`${PROG}: ${e.message}\nRun 'node ${PROG} --help' for usage.\n`);
      return 2;
    }
    if (e instanceof IoError) {
      err(`${PROG}: ${e.message}\n`);
      return 2;
    }
    if (e instanceof DataError) {
      err(`${PROG}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

// ---------------------------------------------------------------------- train

const TRAIN_OPTIONS: Record<string, OptKind> = {
  data: "string",
  out: "string",
  init: "string",
  epochs: "int",
  batch: "int",
  optimizer: "string",
  lr: "number",
  seed: "int",
  clip: "number",
  "weight-decay": "number",
  bptt: "int",
  validation: "number",
  patience: "int",
  "seq-length": "int",
  quiet: "flag",
};

/** The run's settings: the spec's defaults overridden by the command line (an --optimizer other than the spec's starts from its defaults). */
function settingsOf(defaults: TrainDefaults, a: ParsedArgs): TrainDefaults {
  const s: TrainDefaults = { ...defaults, optimizer: { ...defaults.optimizer, options: { ...defaults.optimizer.options } } };
  const name = str(a, "optimizer");
  if (name !== undefined) {
    if (!OPTIMIZERS.includes(name as OptimizerName)) throw new UsageError(`--optimizer ${name}: use ${OPTIMIZERS.join(", ")}`);
    if (name !== s.optimizer.name) s.optimizer = { name: name as OptimizerName, lr: DEFAULT_LR[name as OptimizerName], options: {} };
  }
  const pos = (n: number) => n > 0;
  const lr = num(a, "lr", pos, "a number > 0");
  if (lr !== undefined) s.optimizer.lr = lr;
  const set = <K extends "epochs" | "batch" | "seed" | "clip" | "bptt" | "patience" | "validation" | "weightDecay">(key: K, flag: string, check?: (n: number) => boolean, what?: string) => {
    const v = num(a, flag, check, what);
    if (v !== undefined) s[key] = v;
  };
  set("epochs", "epochs", (n) => n >= 0, "a whole number >= 0");
  set("batch", "batch", (n) => n >= 1, "a whole number >= 1");
  set("seed", "seed");
  set("clip", "clip", (n) => n >= 0, "a number >= 0");
  set("weightDecay", "weight-decay", (n) => n >= 0, "a number >= 0");
  set("bptt", "bptt", (n) => n >= 0, "a whole number >= 0");
  set("validation", "validation", (n) => n >= 0 && n < 1, "a fraction in [0, 1)");
  set("patience", "patience", (n) => n >= 0, "a whole number >= 0");
  return s;
}

/**
 * The training data, as `seqc train` loads it. Text trained with truncated
 * BPTT (and no --seq-length) is laid out as streams: about `batch` consecutive
 * parts of the text, one example each, which the windows then walk, so row i
 * of each update continues the text where row i of the previous one stopped.
 */
function loadTrainingData(path: string, info: ModelInfo, s: TrainDefaults, seqLength: number | undefined, vocabularies: Record<string, Vocab> | undefined): DataSet {
  const format = formatOf(path);
  const base: ReadOptions = { format, ...(vocabularies ? { vocabularies } : {}) };
  if (format === "text" && s.bptt > 0 && seqLength === undefined) {
    const whole = loadData(path, info, base);
    const atom = whole.freeDims[0]!;
    const available = Math.max(...whole.examples.map((e) => e.dims[atom] ?? 0));
    const wanted = s.validation > 0 ? Math.ceil(s.batch / (1 - s.validation)) : s.batch;
    const streams = Math.max(1, Math.min(wanted, Math.floor(available / s.bptt)));
    return loadData(path, info, { ...base, vocabularies: { ...(vocabularies ?? {}), ...whole.vocabs }, seqLength: Math.floor(available / streams) });
  }
  const steps = seqLength ?? (s.bptt || DEFAULT_SEQUENCE);
  return loadData(path, info, { ...base, ...(format === "text" ? { seqLength: steps } : format === "csv" ? { window: steps } : {}) });
}

/** Holds out a fraction of the examples (chosen by the seed) as src/backends/data/dataset.ts's split does. */
function split(examples: Example[], fraction: number, seed: number): { train: Example[]; validation: Example[] } {
  const n = examples.length;
  let k = Math.round(n * fraction);
  if (fraction > 0 && k === 0 && n >= 2) k = 1;
  k = Math.min(k, n - 1);
  if (k <= 0) return { train: examples, validation: [] };
  const order = permutation(n, new Rng(seed));
  const val = order.slice(0, k).sort((a, b) => a - b);
  const train = order.slice(k).sort((a, b) => a - b);
  return { train: train.map((i) => examples[i]!), validation: val.map((i) => examples[i]!) };
}

/** Every dim of the model as the saved model.json gives it: fixed ones, vocabulary sizes and the free ones at their maxima. */
function savedDims(info: ModelInfo, dims: DimsOf, vocabs: Record<string, Vocab>, free: Dims): Record<string, number> {
  const all: Record<string, number> = {};
  const values = { ...Object.fromEntries(dims.fixed), ...dims.vocabSizes(vocabs), ...free };
  for (const d of info.dims) if (values[d.name] !== undefined) all[d.name] = values[d.name]!;
  for (const [k, v] of Object.entries(values)) if (all[k] === undefined) all[k] = v;
  return all;
}

/** Creates the model for data, checking that the data gives every dim the model needs. */
function createFor(info: ModelInfo, create: CreateModel, dims: Dims, maxBatch: number): CompiledModel {
  const missing = info.lengthDims.filter((d) => dims[d] === undefined);
  if (missing.length > 0) throw new UsageError(`the data gives no value of ${missing.join(", ")}: the model's inputs and targets do not use ${missing.length === 1 ? "it" : "them"}`);
  const model = create(dims, maxBatch);
  for (const p of info.params) if (!model.layout[p.name]) throw new Error(`the model has no layout for parameter ${p.name}`);
  return model;
}

class NonFiniteLoss extends Error {}

interface EpochStats {
  loss: number;
  rows: number;
  examples: number;
  updates: number;
}

async function runTrain(argv: string[], info: ModelInfo, create: CreateModel): Promise<number> {
  const a = parseArgs(argv, TRAIN_OPTIONS, { o: "out", q: "quiet" });
  const dataPath = str(a, "data");
  if (dataPath === undefined) throw new UsageError("--data FILE is required (the training data: .jsonl, .txt or .csv)");
  const settings = settingsOf(info.settings, a);
  const seqLength = num(a, "seq-length", (n) => n >= 1, "a whole number >= 1");
  const outDir = str(a, "out") ?? DEFAULT_OUT;
  const quiet = a.values.get("quiet") === true;
  const log = (s: string) => {
    if (!quiet) out(s + "\n");
  };
  try {
    createOptimizer(settings.optimizer, 0, info.precision);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }

  const initPath = str(a, "init");
  const init = initPath !== undefined ? readModelDir(initPath, info) : undefined;
  const dimsOf = new DimsOf(info);
  const data = loadTrainingData(dataPath, info, settings, seqLength, init?.vocabs);
  if (data.examples.length === 0) throw new DataError(dataPath, [{ message: "no examples: the data is shorter than one sequence" }], 0, info.name);
  const { train, validation } = split(data.examples, settings.validation, settings.seed);
  const free = maxDims(data.examples, data.freeDims);
  const vocabDims = dimsOf.vocabSizes(data.vocabs);
  const model = createFor(info, create, { ...free, ...vocabDims }, settings.batch);
  if (init) loadWeights(model, info, init, initPath!);
  else model.init(settings.seed);
  const opt = createOptimizer(settings.optimizer, model.params.length, info.precision);
  const rng = new Rng(settings.seed);
  const atom = settings.bptt > 0 ? windowDim(info, data) : undefined;
  const meta = { dims: savedDims(info, dimsOf, data.vocabs, free), vocabularies: data.vocabs, settings };

  log(`training ${info.name} on ${train.length} examples${validation.length > 0 ? ` (${validation.length} held out)` : ""}${init ? `, starting from ${initPath}` : ""}`);
  if (settings.bptt > 0) {
    log(atom !== undefined
      ? `truncated BPTT: windows of ${settings.bptt} steps, states carried across windows`
      : `note: --bptt ${settings.bptt} is not used: the data cannot be cut into windows (every input and target needs the sequence axis first)`);
  }

  // Updates per epoch: the same every epoch (each length's examples make the same batches, in another order).
  const plan0 = planBatches(train, permutation(train.length, new Rng(0)), settings.batch, data.freeDims);
  const updates = plan0.reduce((n, b) => n + windowsOf(b, atom, settings.bptt).length, 0);
  const tty = process.stdout.isTTY === true && !quiet;

  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
  };
  process.on("SIGINT", onSigint);
  let good = { params: model.params.slice(), epoch: 0 };
  let saved = -1;
  let lastSave = performance.now();
  let lastBreath = performance.now();
  let lastDraw = 0;
  let best: number | null = null;
  let sinceBest = 0;
  let epoch = 0;
  let last: { loss: number; validation?: number } | undefined;
  const save = (params: Buf, epochs: number) => {
    saveModelDir(outDir, info, model, params, { ...meta, epochs });
    saved = epochs;
    lastSave = performance.now();
  };
  const started = performance.now();
  try {
    while (epoch < settings.epochs) {
      const t0 = performance.now();
      const stats: EpochStats = { loss: 0, rows: 0, examples: 0, updates: 0 };
      const batches = planBatches(train, permutation(train.length, rng), settings.batch, data.freeDims);
      for (const items of batches) {
        const wins = windowsOf(items, atom, settings.bptt);
        let carried: Record<string, Buf> | undefined;
        for (let k = 0; k < wins.length; k++) {
          model.setInitialStates(carried);
          const batch = batchOf(info, items, vocabDims, atom, wins[k]);
          const loss = model.forward(batch);
          if (!Number.isFinite(loss)) throw new NonFiniteLoss(`the loss became ${loss} in epoch ${epoch + 1}`);
          carried = wins.length > 1 ? carriedStates(model, info) : undefined;
          model.backward();
          applyWeightDecay(model.grads, model.params, settings.weightDecay);
          clipByGlobalNorm(model.grads, settings.clip);
          opt.step(model.params, model.grads);
          stats.loss += loss * batch.size;
          stats.rows += batch.size;
          stats.updates++;
          if (tty && performance.now() - lastDraw > 100) {
            lastDraw = performance.now();
            const secs = Math.max(1e-9, (performance.now() - t0) / 1000);
            out(`\repoch ${epoch + 1}/${settings.epochs}  step ${stats.updates}/${updates}  loss ${loss.toFixed(5)}  ${Math.round(stats.examples / secs)} examples/s\u001b[K`);
          }
          if (performance.now() - lastBreath > 50) {
            await new Promise<void>((resolve) => setImmediate(resolve));
            lastBreath = performance.now();
          }
        }
        model.setInitialStates(undefined);
        stats.examples += items.length;
        if (interrupted) break;
      }
      if (interrupted) break;
      epoch++;
      const seconds = (performance.now() - t0) / 1000;
      last = { loss: stats.loss / Math.max(1, stats.rows) };
      if (validation.length > 0) last.validation = validationLoss(model, info, validation, data, settings, vocabDims, atom);
      if (Number.isFinite(last.loss)) good = { params: model.params.slice(), epoch };
      if (!quiet) {
        out(`${tty ? "\r" : ""}epoch ${epoch}/${settings.epochs}  step ${stats.updates}/${updates}  loss ${last.loss.toFixed(5)}${last.validation !== undefined ? `  validation ${last.validation.toFixed(5)}` : ""}  ${Math.round(stats.examples / Math.max(seconds, 1e-9))} examples/s${tty ? "\u001b[K" : ""}\n`);
      }
      if (performance.now() - lastSave > 2000) save(model.params, epoch);
      if (last.validation !== undefined && settings.patience > 0) {
        if (best === null || last.validation < best) {
          best = last.validation;
          sinceBest = 0;
        } else if (++sinceBest >= settings.patience) {
          log(`stopping early: no better validation loss for ${settings.patience} epochs`);
          break;
        }
      }
    }
  } catch (e) {
    if (e instanceof NonFiniteLoss) {
      if (tty) out("\n");
      save(good.params, good.epoch);
      err(`${PROG}: ${e.message}; training stopped. The last good weights (epoch ${good.epoch}${good.epoch === 0 ? ": the initial ones" : ""}) are saved in ${outDir}\nTry a smaller learning rate (--lr) or gradient clipping (--clip 5).\n`);
      return 1;
    } else throw e;
  } finally {
    process.off("SIGINT", onSigint);
  }
  if (interrupted) {
    if (tty) out("\n");
    save(model.params, epoch);
    err(`${PROG}: interrupted in epoch ${epoch + 1}; the weights so far are saved in ${outDir}\n`);
    return 130;
  }
  if (saved !== epoch || epoch === 0) save(model.params, epoch);
  const secs = (performance.now() - started) / 1000;
  const lossText = last ? `, loss ${last.loss.toFixed(5)}${last.validation !== undefined ? `, validation ${last.validation.toFixed(5)}` : ""}` : "";
  out(`trained ${info.name}: ${epoch} ${epoch === 1 ? "epoch" : "epochs"} on ${train.length} examples${lossText} (${secs.toFixed(1)} s); saved ${outDir}\n`);
  return 0;
}

/** Mean loss over held-out examples, weighted as the training loss (windows carry states as in training). */
function validationLoss(model: CompiledModel, info: ModelInfo, examples: Example[], data: DataSet, s: TrainDefaults, vocabDims: Dims, atom: string | undefined): number {
  let total = 0;
  let rows = 0;
  for (const items of planBatches(examples, examples.map((_, i) => i), s.batch, data.freeDims)) {
    const wins = windowsOf(items, atom, s.bptt);
    let carried: Record<string, Buf> | undefined;
    for (let k = 0; k < wins.length; k++) {
      model.setInitialStates(carried);
      const batch = batchOf(info, items, vocabDims, atom, wins[k]);
      total += model.forward(batch) * batch.size;
      rows += batch.size;
      carried = wins.length > 1 ? carriedStates(model, info) : undefined;
    }
    model.setInitialStates(undefined);
  }
  return total / Math.max(1, rows);
}

// ---------------------------------------------------------------------- eval

/** Loss and accuracy of a model on data, as `seqc eval` reports them. */
export interface Metrics {
  loss: number;
  outputs: { loss: string; target?: string; stepAccuracy?: number; sequenceAccuracy?: number; perplexity?: number; bitsPerToken?: number }[];
}

function argmax(d: ArrayLike<number>, from: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (d[from + i]! > d[from + best]!) best = i;
  return best;
}

/**
 * Mean loss and, per loss, accuracy per step and per sequence as seqc eval
 * computes them: cross_entropy with token targets compares the argmax of the
 * logits with the token (and gives perplexity and bits per token), with
 * probability targets the two argmaxes; the other losses threshold the
 * prediction (0 for bce_logits, 0.5 otherwise) against target > 0.5.
 */
export function evaluate(model: CompiledModel, info: ModelInfo, data: DataSet, batchSize = 64): Metrics {
  const vocabDims = new DimsOf(info).vocabSizes(data.vocabs);
  const acc = info.losses.map(() => ({ right: 0, steps: 0, sequences: 0, allRight: 0, ce: 0, tokens: 0 }));
  let total = 0;
  let n = 0;
  for (const items of planBatches(data.examples, data.examples.map((_, i) => i), batchSize, data.freeDims)) {
    const batch = batchOf(info, items, vocabDims);
    model.setInitialStates(undefined);
    total += model.forward(batch) * batch.size;
    n += batch.size;
    info.losses.forEach((l, i) => {
      // The target field, or the value the loss compares against (e.g. one_hot(y)).
      const tv = model.lossTarget(i);
      const target = l.target !== undefined ? batch.fields[l.target] : tv.data.subarray(tv.offset, tv.offset + tv.shape.reduce((x, y) => x * y, 1));
      if (!target) return;
      const pred = model.lossValue(i);
      const a = acc[i]!;
      const isTokens = target instanceof Int32Array;
      const V = pred.shape[pred.shape.length - 1] ?? 1;
      // Positions compared: one per token (cross_entropy), per row of V (probability targets), per element (the rest).
      const positions = l.op === "cross_entropy" ? (isTokens ? target.length : target.length / V) : target.length;
      const per = positions / batch.size;
      const right = new Uint8Array(positions);
      for (let p = 0; p < positions; p++) {
        if (l.op === "cross_entropy") {
          const at = pred.offset + p * V;
          const guess = argmax(pred.data, at, V);
          if (isTokens) {
            const t = target[p]!;
            right[p] = guess === t ? 1 : 0;
            let max = -Infinity;
            for (let v = 0; v < V; v++) max = Math.max(max, pred.data[at + v]!);
            let sum = 0;
            for (let v = 0; v < V; v++) sum += Math.exp(pred.data[at + v]! - max);
            a.ce += max + Math.log(sum) - pred.data[at + t]!;
          } else right[p] = guess === argmax(target, p * V, V) ? 1 : 0;
        } else {
          const y = pred.data[pred.offset + p]!;
          const guess = l.op === "bce_logits" ? y > 0 : y > 0.5;
          right[p] = guess === target[p]! > 0.5 ? 1 : 0;
        }
        a.right += right[p]!;
      }
      a.steps += positions;
      if (l.op === "cross_entropy" && isTokens) a.tokens += positions;
      for (let r = 0; r < batch.size; r++) {
        let all = 1;
        for (let p = r * per; p < (r + 1) * per; p++) all &= right[p]!;
        a.allRight += all;
      }
      a.sequences += batch.size;
    });
  }
  return {
    loss: total / Math.max(1, n),
    outputs: info.losses.map((l, i) => {
      const a = acc[i]!;
      const o: Metrics["outputs"][number] = { loss: l.op, ...(l.target !== undefined ? { target: l.target } : {}) };
      if (a.sequences > 0) {
        o.stepAccuracy = a.right / Math.max(1, a.steps);
        o.sequenceAccuracy = a.allRight / Math.max(1, a.sequences);
      }
      if (a.tokens > 0) {
        const perToken = a.ce / a.tokens;
        o.perplexity = Math.exp(perToken);
        o.bitsPerToken = perToken / Math.LN2;
      }
      return o;
    }),
  };
}

/** A saved model of this spec, ready to run on data of `free` lengths. */
function openModel(dirPath: string, info: ModelInfo, create: CreateModel, dir: LoadedDir, vocabs: Record<string, Vocab>, free: Dims, maxBatch: number): CompiledModel {
  const model = createFor(info, create, { ...free, ...new DimsOf(info).vocabSizes(vocabs) }, maxBatch);
  loadWeights(model, info, dir, dirPath);
  return model;
}

function runEval(argv: string[], info: ModelInfo, create: CreateModel): number {
  const a = parseArgs(argv, { model: "string", data: "string", batch: "int", format: "string" }, { m: "model", d: "data" });
  const dirPath = str(a, "model");
  const dataPath = str(a, "data");
  if (dirPath === undefined || dataPath === undefined) throw new UsageError("eval needs --model DIR and --data FILE");
  const format = str(a, "format") ?? "human";
  if (format !== "human" && format !== "json") throw new UsageError(`--format ${format}: use human or json`);
  const batchSize = num(a, "batch", (n) => n >= 1, "a whole number >= 1") ?? 64;
  const dir = readModelDir(dirPath, info);
  const data = loadData(dataPath, info, { vocabularies: dir.vocabs, seqLength: EVAL_SEQUENCE, window: EVAL_SEQUENCE });
  if (data.examples.length === 0) throw new DataError(dataPath, [{ message: "no examples" }], 0, info.name);
  const model = openModel(dirPath, info, create, dir, data.vocabs, maxDims(data.examples, data.freeDims), batchSize);
  const m = evaluate(model, info, data, batchSize);
  if (format === "json") {
    out(JSON.stringify(m, null, 2) + "\n");
    return 0;
  }
  const lines = [`loss ${m.loss.toFixed(5)}`];
  for (const o of m.outputs) {
    const parts = [`${o.loss}(prediction, ${o.target ?? "..."})`];
    if (o.stepAccuracy !== undefined) parts.push(`accuracy per step ${(100 * o.stepAccuracy).toFixed(2)}%`);
    if (o.sequenceAccuracy !== undefined) parts.push(`sequences all right ${(100 * o.sequenceAccuracy).toFixed(2)}%`);
    if (o.perplexity !== undefined) parts.push(`perplexity ${o.perplexity.toFixed(3)}`, `bits per token ${o.bitsPerToken!.toFixed(3)}`);
    lines.push(parts.join("   "));
  }
  out(lines.join("\n") + "\n");
  return 0;
}

// ---------------------------------------------------------------------- sample

function runSample(argv: string[], info: ModelInfo, create: CreateModel): number {
  const a = parseArgs(argv, { model: "string", prime: "string", length: "int", temperature: "number", seed: "int" }, { m: "model" });
  const dirPath = str(a, "model");
  if (dirPath === undefined) throw new UsageError("sample needs --model DIR");
  const length = num(a, "length", (n) => n >= 0, "a whole number >= 0") ?? 100;
  const temperature = num(a, "temperature", (n) => n >= 0, "a number >= 0") ?? 0;
  const seed = num(a, "seed") ?? 1;
  const prime = str(a, "prime") ?? "";
  const fb = info.feedback;
  if (!fb) throw new UsageError(`model ${info.name} has no \`feedback x from logits\`: nothing says how to generate`);
  const input = info.fields.find((f) => f.name === fb.input);
  if (!input || input.vocab === undefined || input.shape.length !== 1 || typeof input.shape[0] !== "string") throw new UsageError(`the feedback input ${fb.input} must be a sequence of tokens, [T] of a vocabulary`);
  const others = info.fields.filter((f) => f.role === "input" && f.name !== fb.input);
  if (others.length > 0) throw new UsageError(`the model needs ${others.map((f) => f.name).join(", ")} to generate; this trainer samples from a prime only (seqc sample --input decodes such models)`);
  const dir = readModelDir(dirPath, info);
  let vocabs: Map<string, Vocab | undefined>;
  try {
    vocabs = resolveVocabs(info, dir.vocabs);
  } catch (e) {
    throw new IoError(`${dirPath}: ${(e as Error).message}`);
  }
  const vocab = vocabs.get(input.vocab);
  if (!vocab) throw new IoError(`no vocabulary ${input.vocab} saved in ${dirPath}`);
  const all: Record<string, Vocab> = {};
  for (const [k, v] of vocabs) if (v) all[k] = v;

  // The prime's ids: characters for a character vocabulary, else words; unknown tokens are <unk> when there is one.
  const tokens = vocab.isChars ? Array.from(prime) : prime.split(/\s+/).filter(Boolean);
  const ids = tokens.map((t) => {
    const id = vocab.id(t);
    if (id === undefined) throw new UsageError(`--prime: unknown token ${JSON.stringify(t)}: ${vocab.describe()} and no ${UNK}`);
    return id;
  });
  if (ids.length === 0) {
    if (!vocab.has("<bos>")) throw new UsageError(`nothing to start generating from: give --prime TEXT (the vocabulary has no <bos>)`);
    ids.push(vocab.id("<bos>")!);
  }
  const atom = input.shape[0] as string;
  const dimsOf = new DimsOf(info);
  const shapeOf = (f: FieldInfo, T: number): number[] =>
    f.shape.map((d) => {
      if (typeof d === "number") return d;
      if (d === atom) return T;
      const n = dimsOf.fixed.get(d) ?? dimsOf.vocabSizes(all)[d];
      if (n === undefined) throw new UsageError(`cannot tell the shape of ${f.role} ${f.name} (${shapeText(f)}) while sampling`);
      return n;
    });
  const targets = info.fields.filter((f) => f.role === "target");
  for (const f of targets) shapeOf(f, 1);
  const maxT = ids.length + length;
  const model = openModel(dirPath, info, create, dir, all, { [atom]: maxT }, 1);
  const vocabDims = dimsOf.vocabSizes(all);
  const stopId = fb.until !== undefined && vocab.has(fb.until) ? vocab.id(fb.until) : undefined;
  const rng = new Rng(seed);
  const seq = [...ids];
  const generated: number[] = [];
  for (let step = 0; step < length; step++) {
    const T = seq.length;
    const fields: Record<string, Buf | Int32Array> = { [input.name]: Int32Array.from(seq) };
    for (const f of targets) {
      const n = shapeOf(f, T).reduce((x, y) => x * y, 1);
      fields[f.name] = f.dtype === "int32" ? new Int32Array(n) : info.precision === "f64" ? new Float64Array(n) : new Float32Array(n);
    }
    model.setInitialStates(undefined);
    model.forward({ size: 1, dims: { ...vocabDims, [atom]: T }, fields });
    const v = model.value(fb.source);
    if (v.shape.length !== 3) throw new UsageError(`the feedback source ${fb.source} must give one vector of scores per step, [T, V]`);
    const V = v.shape[2]!;
    const at = v.offset + (v.shape[1]! - 1) * V;
    let next: number;
    if (temperature === 0) next = argmax(v.data, at, V);
    else {
      // Drawn from softmax(logits / temperature), as seqc sample draws.
      let max = -Infinity;
      for (let i = 0; i < V; i++) max = Math.max(max, v.data[at + i]! / temperature);
      let sum = 0;
      for (let i = 0; i < V; i++) sum += Math.exp(v.data[at + i]! / temperature - max);
      const logZ = max + Math.log(sum);
      let r = rng.next();
      next = V - 1;
      for (let i = 0; i < V; i++) {
        r -= Math.exp(v.data[at + i]! / temperature - logZ);
        if (r < 0) {
          next = i;
          break;
        }
      }
    }
    seq.push(next);
    if (next === stopId) break;
    generated.push(next);
  }
  const text = [...ids, ...generated].map((i) => (vocab.eos !== undefined && i === vocab.eosId ? "\n" : vocab.tokens[i]!));
  out((vocab.isChars ? text.join("") : text.join(" ")) + "\n");
  return 0;
}
