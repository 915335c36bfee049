/**
 * Data files read for a model, as `seqc train` and emitted trainers read
 * them: JSONL with one example per line and a field per input and target,
 * plain text for a language model (x = text[t], y = text[t+1]), or a CSV
 * series. Each example keeps its own lengths (the values of its free dims).
 * Runtime file: imports only its siblings and Node built-ins.
 */
import { readFileSync } from "node:fs";
import { extname } from "node:path";
import type { Dims, FieldInfo, ModelInfo } from "./model-api.js";
import { IoError, UsageError } from "./errors.js";
import { describe, Issues, type DataIssue } from "./problems.js";
import { EOS, showToken, splitTokens, tokenize, UNK, Vocabulary, type TokenMode } from "./vocab.js";

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
  vocabs: Record<string, Vocabulary>;
  /** The free dims the examples' lengths give (e.g. T). */
  freeDims: string[];
}

export type DataFormat = "jsonl" | "text" | "csv";

export interface ReadOptions {
  format?: DataFormat;
  /** Saved vocabularies (by name) for the ones the spec takes from the data. */
  vocabularies?: Record<string, Vocabulary>;
  /** Text: steps per sequence (a maximum; default the whole text). */
  seqLength?: number;
  /** CSV: rows per sequence (a maximum; default the whole series). */
  window?: number;
  /** At most this many problems are listed. Default 20. */
  maxErrors?: number;
}

/** What the runtime knows of the model's dims: fixed values, multiples, vocabulary sizes. */
export class DimsOf {
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
  known(vocabs: Map<string, Vocabulary | undefined> | Record<string, Vocabulary>): Map<string, number> {
    const out = new Map(this.fixed);
    const get = (n: string) => (vocabs instanceof Map ? vocabs.get(n) : vocabs[n]);
    for (const [dim, vocab] of this.vocabDims) {
      const v = get(vocab);
      if (v) out.set(dim, v.size);
    }
    return out;
  }

  /** The dims of the model's vocabularies built from data, with their sizes (part of every `Dims` given to the model). */
  vocabSizes(vocabs: Record<string, Vocabulary>): Dims {
    const out: Dims = {};
    for (const [dim, vocab] of this.vocabDims) {
      const v = vocabs[vocab];
      if (v) out[dim] = v.size;
    }
    return out;
  }
}

export function shapeText(f: FieldInfo): string {
  return `[${f.shape.join(", ")}]${f.vocab !== undefined ? ` of ${f.vocab}` : ""}`;
}


/** The vocabularies of a model: the spec's fixed ones (a saved one must agree), saved ones, or undefined (to build). */
export function resolveVocabs(info: ModelInfo, supplied: Record<string, Vocabulary> = {}): Map<string, Vocabulary | undefined> {
  const out = new Map<string, Vocabulary | undefined>();
  for (const v of info.vocabs) {
    const given = supplied[v.name];
    if (v.tokens) {
      const fixed = Vocabulary.fixed(v.tokens, v.name);
      if (given && given.tokens.join("\u0000") !== fixed.tokens.join("\u0000")) {
        throw new Error(`the saved vocabulary ${v.name} (${given.size} tokens) is not the one the spec lists (${fixed.tokens.map(showToken).join(", ")})`);
      }
      out.set(v.name, fixed);
    } else out.set(v.name, given);
  }
  return out;
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
  let vocabs: Map<string, Vocabulary | undefined>;
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
export type Axis = { kind: "fixed"; n: number } | { kind: "dim"; atom: string };

export function axesOf(f: FieldInfo, dims: DimsOf): Axis[] {
  return f.shape.map((d): Axis => {
    if (typeof d === "number") return { kind: "fixed", n: d };
    const n = dims.fixed.get(d);
    return n !== undefined ? { kind: "fixed", n } : { kind: "dim", atom: d };
  });
}

export const where = (field: string, axis: number) => (axis === 0 ? field : `axis ${axis} of ${field}`);

/**
 * Checks one example's extents against the fields' shapes, finding its free
 * dims (first in field order, then axis order) into `found`: the same dim has
 * one length throughout, whole multiples, at least 1.
 */
export function solveAxes(info: ModelInfo, dims: DimsOf, extents: Map<string, number[]>, known: Map<string, number>, found: Record<string, number>): DataIssue[] {
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
export function freeDimsOf(info: ModelInfo, dims: DimsOf): string[] {
  const out: string[] = [];
  for (const f of info.fields) for (const a of axesOf(f, dims)) if (a.kind === "dim" && !dims.vocabDims.has(a.atom) && !out.includes(a.atom)) out.push(a.atom);
  return out;
}

// ---------------------------------------------------------------------- JSONL

export type Leaf = string | number;

/**
 * The extents and leaves of one field's value, checking its structure: floats
 * are nested arrays of numbers (a number for rank 0); tokens at their last
 * axis are a string (split per character or word), an array of tokens or an
 * array of ids. `leaf` checks each token and may return a message.
 */
export function walkField(f: FieldInfo, value: unknown, mode: TokenMode | undefined, leaf: (t: Leaf, path: string) => string | undefined): { extents: number[]; leaves: Leaf[] } | string {
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

export function readJsonl(text: string, info: ModelInfo, vocabs: Map<string, Vocabulary | undefined>, issues: Issues): DataSet {
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
  const built: Record<string, Vocabulary> = {};
  for (const [name, known] of vocabs) {
    if (known) {
      built[name] = known;
      continue;
    }
    const tokens: string[] = [];
    for (const f of info.fields) if (f.vocab === name) for (const p of parsed) for (const t of p.fields.get(f.name)!.leaves) if (typeof t === "string") tokens.push(t);
    built[name] = Vocabulary.build(tokens, { name: name });
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
export function languageModelFields(info: ModelInfo, dims: DimsOf): { x: FieldInfo; y: FieldInfo; vocab: string; atom: string } | string {
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

export function readText(text: string, info: ModelInfo, vocabs: Map<string, Vocabulary | undefined>, opts: ReadOptions, issues: Issues): DataSet {
  const dims = new DimsOf(info);
  const lm = languageModelFields(info, dims);
  if (typeof lm === "string") return issues.fail({ message: lm });
  const given = vocabs.get(lm.vocab);
  const mode: TokenMode = given && !given.isChars ? "word" : "char";
  const tokens = tokenize(text, mode);
  const vocab = given ?? Vocabulary.build(tokens, { name: lm.vocab });
  if (vocab.unk === undefined) issues.add(...unknownInText(text, mode, vocab));
  issues.throwIfAny();
  if (tokens.length < 2) issues.fail({ message: `the text has ${tokens.length} ${mode === "char" ? "characters" : "tokens"}; a language model needs at least 2 (input text[t], target text[t+1])` });
  const available = tokens.length - 1;
  const L = Math.min(opts.seqLength ?? available, available);
  if (!Number.isInteger(L) || L < 1) issues.fail({ message: `seqLength ${L} is not a whole number >= 1` });
  const m = dims.multiple.get(lm.atom) ?? 1;
  if (L % m !== 0) issues.fail({ message: `seqLength ${L} does not fit the model: ${lm.x.name} has length ${L}, which does not fit ${lm.atom} (dim ${lm.atom} is a multiple of ${m})` });
  const ids = Int32Array.from(tokens, (t) => vocab.id(t)!);
  const built: Record<string, Vocabulary> = {};
  for (const [name, v] of vocabs) if (v) built[name] = v;
  built[lm.vocab] = vocab;
  const examples: Example[] = [];
  for (let s = 0; s + L <= available; s += L) {
    examples.push({ dims: { [lm.atom]: L }, fields: { [lm.x.name]: ids.subarray(s, s + L), [lm.y.name]: ids.subarray(s + 1, s + L + 1) } });
  }
  return { examples, vocabs: built, freeDims: [lm.atom] };
}

/** Tokens of a text that a vocabulary without <unk> does not have, with their line and column. */
export function unknownInText(text: string, mode: TokenMode, vocab: Vocabulary): DataIssue[] {
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

export function csvCells(line: string): string[] {
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

export function readCsv(text: string, info: ModelInfo, opts: ReadOptions, issues: Issues): DataSet {
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
