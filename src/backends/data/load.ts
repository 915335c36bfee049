/**
 * Reads the training data of `seqc train` for a model's graph:
 *
 *   .jsonl  one example per line, fields named after the model's inputs and
 *           targets, every line checked against the schema derived from the
 *           model (./schema.ts) before anything is returned: all problems (up
 *           to `maxErrors`) are thrown together as a DataError.
 *   .txt    plain text for a language model (one token input x and one token
 *           target y of one vocabulary, both [T]): x = text[t], y = text[t+1],
 *           cut into sequences of `seqLength` tokens every `stride` tokens;
 *           characters or words.
 *   .csv    a numeric series: a header row naming columns after the model's
 *           float inputs and targets ([T] or [T, k]; `name_0 .. name_{k-1}`
 *           for k > 1), one row per time step, cut into sequences of `window`
 *           rows. A column can feed several fields (`columns`, and a field
 *           `<name>_prev` reads column `<name>` when it has none of its own).
 *
 * Vocabularies the spec takes from the data are built here (or taken from
 * `vocabularies`, as saved with a trained model) and returned with the data.
 */
import { readFileSync } from "node:fs";
import { extname } from "node:path";
import type { Dim, Graph } from "../../graph/graph.js";
import { Dataset, type Layout, type Row } from "./dataset.js";
import { DimTable, type Units } from "../../graph/dims.js";
import { dataFields, ExampleValidator, formatIssue, resolveVocabularies, solveAxes, type DataIssue, type FieldSpec, type SchemaOptions } from "./schema.js";
import { EOS, tokenize, Vocabulary, type TokenMode } from "../../runtime/vocab.js";

export type DataFormat = "jsonl" | "text" | "csv";

export interface LoadOptions extends SchemaOptions {
  /** The format; by default from the file's extension (.jsonl/.ndjson, .txt, .csv). */
  format?: DataFormat;
  /** At most this many problems are listed in a DataError (the rest are counted). Default 20. */
  maxErrors?: number;
  /** Vocabularies built from the data leave out tokens seen fewer times than this (they become `<unk>`). Default 1. */
  minCount?: number;
  /** Text: characters or words. Default: as the vocabulary's tokens suggest (single characters: char), char for one built from the data. */
  mode?: TokenMode;
  /** Text: steps per sequence. Default: the whole text as one sequence. */
  seqLength?: number;
  /** Text and CSV: steps between the starts of consecutive sequences. Default: seqLength / window (no overlap). */
  stride?: number;
  /** CSV: rows per sequence. Default: the whole series as one sequence. */
  window?: number;
  /** CSV: the column(s) of a field, when not named after it: `{ y_prev: "y" }`, `{ x: ["a", "b"] }`. */
  columns?: Record<string, string | string[]>;
}

/** The data does not fit the model: every problem found (up to maxErrors), with line numbers. */
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

/** The format of a data file, from the option or the file's extension. */
export function formatOf(path: string, format?: DataFormat): DataFormat {
  if (format) return format;
  const ext = extname(path).toLowerCase();
  if (ext === ".jsonl" || ext === ".ndjson") return "jsonl";
  if (ext === ".txt" || ext === ".text") return "text";
  if (ext === ".csv") return "csv";
  throw new DataError(path, [{ message: `cannot tell the format of the data from its extension "${ext}": use .jsonl, .txt or .csv, or name the format` }]);
}

/** The data file cannot be read at all (an I/O problem, not a problem with its contents). */
export class DataReadError extends Error {}

/** Reads a data file for a model (see the module comment); throws a DataError listing what does not fit, DataReadError if unreadable. */
export function loadDataset(path: string, graph: Graph, opts: LoadOptions = {}): Dataset {
  const format = formatOf(path, opts.format);
  let content: string;
  try {
    content = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataReadError(`cannot read ${path}: ${code === "ENOENT" ? "no such file" : (e as Error).message}`);
  }
  return parseDataset(content, graph, { ...opts, format }, path);
}

/** Reads data given as text (the contents of a file in `opts.format`, JSONL by default). */
export function parseDataset(content: string, graph: Graph, opts: LoadOptions = {}, file = "<data>"): Dataset {
  const text = content.charCodeAt(0) === 0xfeff ? content.slice(1) : content;
  switch (opts.format ?? "jsonl") {
    case "jsonl":
      return parseJsonl(text, graph, opts, file);
    case "text":
      return parseText(text, graph, opts, file);
    case "csv":
      return parseCsv(text, graph, opts, file);
  }
}

/** Collects problems up to a limit, counting the rest. */
class Issues {
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

function layoutOf(table: DimTable, fields: FieldSpec[]): Layout {
  const lengthAtoms: string[] = [];
  for (const f of fields)
    for (const d of f.shape)
      for (const a of table.atomsOf(d)) {
        const atom = table.atoms.get(a);
        if (atom && atom.value === undefined && !table.vocabAtoms.has(a) && !lengthAtoms.includes(a)) lengthAtoms.push(a);
      }
  return { table, fields, lengthAtoms };
}

/** Unit values of the sizes of the given vocabularies. */
function vocabUnits(table: DimTable, vocabs: Record<string, Vocabulary>, into: Units): Units {
  for (const [atom, name] of table.vocabAtoms) {
    const v = vocabs[name];
    if (v) {
      const u = table.unit(atom, v.size);
      if (u !== undefined) into.set(atom, u);
    }
  }
  return into;
}

/** An axis of some value of the model (scan bodies included) whose size depends on a dim the spec leaves free, and what it is. */
interface FreeAxis {
  dim: Dim;
  what: string;
}

/** The model's distinct axes that depend on free dims (sequence lengths), worked out once per data file. */
function freeAxes(graph: Graph, table: DimTable): FreeAxis[] {
  const bound = table.bound();
  const seen = new Set<string>();
  const out: FreeAxis[] = [];
  const visit = (nodes: Graph["nodes"]) => {
    for (const n of nodes) {
      for (const d of n.shape) {
        const key = JSON.stringify(d);
        if (seen.has(key) || [...table.atomsOf(d)].every((a) => bound.has(a))) continue;
        seen.add(key);
        out.push({ dim: d, what: n.kind === "op" ? `the ${n.op}${n.name ? ` of ${n.name}` : ""}` : n.kind === "scan" ? `the scan ${n.scan.name}` : (n.name ?? n.kind) });
      }
      if (n.kind === "scan") visit(n.scan.body);
    }
  };
  visit(graph.nodes);
  return out;
}

/**
 * Why examples with these dim values are too short for the model, if they
 * are: one of its axes would have fewer than one step (a valid convolution or
 * pool of width F needs T >= F). Such an example alone gives an empty
 * sequence, and padded among longer ones it would be all padding.
 */
function tooShort(axes: FreeAxis[], table: DimTable, units: Units): string | undefined {
  for (const { dim, what } of axes) {
    const size = table.evaluate(dim, units);
    if (size === undefined || size >= 1) continue;
    const given = [...table.atomsOf(dim)].filter((a) => units.has(a)).map((a) => `${a} = ${table.value(a, units.get(a)!)}`);
    return `too short for the model: ${what} has ${table.format(dim)} steps, ${size} when ${given.join(", ")}`;
  }
  return undefined;
}

// ---------------------------------------------------------------------- JSONL

function parseJsonl(text: string, graph: Graph, opts: LoadOptions, file: string): Dataset {
  const issues = new Issues(file, graph.model, opts.maxErrors ?? 20);
  let v: ExampleValidator;
  try {
    v = new ExampleValidator(graph, opts);
  } catch (e) {
    return issues.fail({ message: (e as Error).message });
  }
  const parsed: { line: number; value: Record<string, unknown> }[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    if (raw.trim() === "") return;
    const r = v.checkLine(raw, i + 1);
    issues.add(...r.issues);
    if (r.value) parsed.push({ line: i + 1, value: r.value });
  });
  if (parsed.length === 0 && issues.count === 0) issues.fail({ message: "no examples: the file has no lines" });

  // Vocabularies from the data: every string token of the fields that use them.
  const vocabularies: Record<string, Vocabulary> = {};
  for (const [name, known] of v.vocabularies) {
    if (known) {
      vocabularies[name] = known;
      continue;
    }
    const tokens: string[] = [];
    for (const f of v.fields) if (f.vocab === name) for (const p of parsed) for (const t of v.tokens(f, p.value[f.name])) if (typeof t === "string") tokens.push(t);
    vocabularies[name] = Vocabulary.build(tokens, { name, ...(opts.minCount !== undefined ? { minCount: opts.minCount } : {}) });
  }

  const known = vocabUnits(v.table, vocabularies, v.knownUnits());
  const rows: Row[] = [];
  const axes = freeAxes(graph, v.table);
  for (const p of parsed) {
    const s = v.solve(p.value, p.line, known);
    issues.add(...s.issues);
    if (s.issues.length > 0) continue;
    const short = tooShort(axes, v.table, s.units);
    if (short) issues.add({ line: p.line, message: `the example is ${short}` });
    if (short || issues.count > 0) continue;
    const values: Row["values"] = new Map();
    for (const f of v.fields) {
      const value = p.value[f.name];
      const data = f.vocab !== undefined ? v.tokens(f, value).map((t) => (typeof t === "number" ? t : vocabularies[f.vocab!]!.id(t))) : flatten(value);
      values.set(f.name, { extents: s.extents.get(f.name)!, data });
    }
    rows.push({ units: s.units, values });
  }
  issues.throwIfAny();
  return Dataset.assemble(layoutOf(v.table, v.fields), vocabularies, known, rows);
}

function flatten(v: unknown, out: number[] = []): number[] {
  if (Array.isArray(v)) for (const x of v) flatten(x, out);
  else out.push(v as number);
  return out;
}

// ---------------------------------------------------------------------- text

/**
 * The token input and target of a language model (x = text[t], y =
 * text[t+1]), or why the model is not one: exactly one input and one target,
 * both [T] of the same vocabulary.
 */
export function languageModelFields(graph: Graph): { x: FieldSpec; y: FieldSpec; vocab: string } | string {
  const fields = dataFields(graph);
  const inputs = fields.filter((f) => f.role === "input");
  const targets = fields.filter((f) => f.role === "target");
  const show = (f: FieldSpec) => `${f.role} ${f.name}`;
  if (inputs.length !== 1 || targets.length !== 1)
    return `plain text is read as a language model's data (one token input and one token target, both [T] of one vocabulary); model ${graph.model} has ${fields.map(show).join(", ")}: use JSONL`;
  const [x, y] = [inputs[0]!, targets[0]!];
  const table = new DimTable(graph);
  for (const f of [x, y]) {
    if (f.vocab === undefined) return `plain text is read as tokens, but ${show(f)} is not a token tensor (it has no vocabulary): use JSONL or CSV`;
    if (f.shape.length !== 1 || table.evaluate(f.shape[0]!, table.bound()) !== undefined)
      return `plain text is read as sequences, but ${show(f)} has shape [${f.shape.map((d) => table.format(d)).join(", ")}], not [T] with a free T: use JSONL`;
  }
  if (x.vocab !== y.vocab) return `plain text needs the input and the target in one vocabulary, but ${x.name} is of ${x.vocab} and ${y.name} of ${y.vocab}: use JSONL`;
  if (table.format(x.shape[0]!) !== table.format(y.shape[0]!)) return `plain text needs ${x.name} and ${y.name} of one length, but they are [${table.format(x.shape[0]!)}] and [${table.format(y.shape[0]!)}]: use JSONL`;
  return { x, y, vocab: x.vocab! };
}

function parseText(text: string, graph: Graph, opts: LoadOptions, file: string): Dataset {
  const issues = new Issues(file, graph.model, opts.maxErrors ?? 20);
  const lm = languageModelFields(graph);
  if (typeof lm === "string") return issues.fail({ message: lm });
  let resolved: Map<string, Vocabulary | undefined>;
  try {
    resolved = resolveVocabularies(graph, opts.vocabularies);
  } catch (e) {
    return issues.fail({ message: (e as Error).message });
  }
  const given = resolved.get(lm.vocab);
  const mode: TokenMode = opts.mode ?? (given && !given.isChars ? "word" : "char");
  const tokens = tokenize(text, mode);
  const vocab = given ?? Vocabulary.build(tokens, { name: lm.vocab, ...(opts.minCount !== undefined ? { minCount: opts.minCount } : {}) });
  if (vocab.unk === undefined) for (const i of unknownInText(text, mode, vocab)) issues.add(i);
  issues.throwIfAny();
  if (tokens.length < 2) issues.fail({ message: `the text has ${tokens.length} ${mode === "char" ? "characters" : "tokens"}; a language model needs at least 2 (input text[t], target text[t+1])` });

  const available = tokens.length - 1;
  // seqLength is a maximum: a text shorter than that is one sequence.
  const L = Math.min(opts.seqLength ?? available, available);
  const stride = opts.stride ?? L;
  checkWhole(issues, "seqLength", L);
  checkWhole(issues, "stride", stride);

  const ids = vocab.ids(tokens);
  const table = new DimTable(graph);
  const vocabularies: Record<string, Vocabulary> = {};
  for (const [name, v] of resolved) {
    if (name === lm.vocab) vocabularies[name] = vocab;
    else if (v) vocabularies[name] = v;
  }
  const known = vocabUnits(table, vocabularies, table.bound());
  const fields = [lm.x, lm.y];
  const units: Units = new Map(known);
  const problems = solveAxes(table, fields, new Map([[lm.x.name, [L]], [lm.y.name, [L]]]), units);
  if (problems.length > 0) issues.fail({ message: `seqLength ${L} does not fit the model: ${problems[0]!.message}` });
  const short = tooShort(freeAxes(graph, table), table, units);
  if (short) issues.fail({ message: `seqLength ${L} is ${short}` });
  const rows: Row[] = [];
  for (let s = 0; s + L <= available; s += stride) {
    rows.push({
      units,
      values: new Map([
        [lm.x.name, { extents: [L], data: ids.subarray(s, s + L) }],
        [lm.y.name, { extents: [L], data: ids.subarray(s + 1, s + L + 1) }],
      ]),
    });
  }
  return Dataset.assemble(layoutOf(table, fields), vocabularies, known, rows);
}

function checkWhole(issues: Issues, name: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) issues.fail({ message: `${name} ${n} is not a whole number >= 1` });
}

/** Tokens of a text that a vocabulary without <unk> does not have, with their line and column. */
function unknownInText(text: string, mode: TokenMode, vocab: Vocabulary): DataIssue[] {
  const out: DataIssue[] = [];
  const seen = new Set<string>();
  const report = (tok: string, line: number, col: number) => {
    if (seen.has(tok)) return;
    seen.add(tok);
    out.push({ line, message: `column ${col}: ${mode === "char" ? "character" : "word"} ${JSON.stringify(tok)} is not in the vocabulary: ${vocab.describe()} and no <unk>` });
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
  if (mode === "word" && !vocab.has(EOS) && /\S/.test(text)) out.push({ message: `word mode ends each line with ${EOS}, but ${vocab.describe()} and no ${EOS} or <unk>` });
  return out;
}

// ---------------------------------------------------------------------- CSV

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

function parseCsv(text: string, graph: Graph, opts: LoadOptions, file: string): Dataset {
  const issues = new Issues(file, graph.model, opts.maxErrors ?? 20);
  const table = new DimTable(graph);
  const fields = dataFields(graph);
  const bound = table.bound();
  // Every field must be a float series [T] or [T, k] over one free T.
  let timeDim: string | undefined;
  const widths = new Map<string, number>();
  for (const f of fields) {
    const shapeText = `[${f.shape.map((d) => table.format(d)).join(", ")}]${f.vocab !== undefined ? ` of ${f.vocab}` : ""}`;
    const k = f.shape.length === 2 ? table.evaluate(f.shape[1]!, bound) : 1;
    const free = f.shape.length >= 1 && table.evaluate(f.shape[0]!, bound) === undefined;
    if (f.vocab !== undefined || (f.shape.length !== 1 && f.shape.length !== 2) || k === undefined || !free) {
      issues.add({ field: f.name, message: `CSV data is a numeric series: every input and target must be [T] or [T, k] of numbers with a free T, but ${f.role} ${f.name} is ${shapeText}: use JSONL` });
      continue;
    }
    const t = table.format(f.shape[0]!);
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
        message: `no column ${missing.join(", ")} in the header (it has ${header.join(", ")}); name the columns after the fields${k > 1 ? ` (${f.name}_0 .. ${f.name}_${k - 1})` : ""} or map them with the columns option`,
      });
      continue;
    }
    columnsOf.set(f.name, names.map((n) => colIndex.get(n)!));
  }
  issues.throwIfAny();

  const used = [...new Set([...columnsOf.values()].flat())];
  const series: Float64Array[] = header.map(() => new Float64Array(0));
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
  for (const [c, values] of cols) series[c] = Float64Array.from(values);
  const steps = cols.size > 0 ? cols.values().next().value!.length : 0;
  if (steps === 0) issues.fail({ message: "no rows after the header" });

  // window is a maximum: a series shorter than that is one sequence.
  const W = Math.min(opts.window ?? steps, steps);
  const stride = opts.stride ?? W;
  checkWhole(issues, "window", W);
  checkWhole(issues, "stride", stride);
  const units: Units = new Map(bound);
  const problems = solveAxes(table, fields, new Map(fields.map((f) => [f.name, f.shape.length === 2 ? [W, widths.get(f.name)!] : [W]])), units);
  if (problems.length > 0) issues.fail({ message: `window ${W} does not fit the model: ${problems[0]!.message}` });
  const short = tooShort(freeAxes(graph, table), table, units);
  if (short) issues.fail({ message: `window ${W} is ${short}` });

  const rows: Row[] = [];
  for (let s = 0; s + W <= steps; s += stride) {
    const values: Row["values"] = new Map();
    for (const f of fields) {
      const cs = columnsOf.get(f.name)!;
      const data = new Float64Array(W * cs.length);
      for (let t = 0; t < W; t++) for (let j = 0; j < cs.length; j++) data[t * cs.length + j] = series[cs[j]!]![s + t]!;
      values.set(f.name, { extents: f.shape.length === 2 ? [W, cs.length] : [W], data });
    }
    rows.push({ units, values });
  }
  const vocabularies: Record<string, Vocabulary> = {};
  return Dataset.assemble(layoutOf(table, fields), vocabularies, bound, rows);
}

