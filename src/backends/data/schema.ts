/**
 * The JSON form of one training example of a model, as a JSON Schema (draft
 * 2020-12) derived from the model's inputs and targets, and the checks of one
 * JSONL line against it: ajv first, then what a schema cannot say (the same
 * free dim has the same length within an example, words in strings, ids of a
 * vocabulary built from the data).
 *
 * An example is an object with exactly the model's input and target names:
 *   float tensors  nested arrays of numbers, one level per axis (a number for rank 0)
 *   token tensors  at the last axis: a string (one token per character for a
 *                  character vocabulary, whitespace-separated words otherwise),
 *                  an array of tokens (strings) or an array of integer ids
 * Bound dims give exact lengths; free dims (T) any length >= 1.
 *
 * Problems are reported as { line, field, message } with human messages:
 * `line 7: field y: expected 5 numbers at y[2], found 4`.
 */
import { Ajv2020, type ErrorObject, type SchemaObject, type ValidateFunction } from "ajv/dist/2020.js";
import type { Dim, Graph } from "../../graph/graph.js";
import { DimTable, type Units } from "../../graph/dims.js";
import { showToken, splitTokens, UNK, Vocabulary, type TokenMode } from "../../runtime/vocab.js";
import { depth, isUnder, segments } from "../../ir/json-pointer.js";

/** One input or target of a model, as the data layer sees it. */
export interface FieldSpec {
  name: string;
  role: "input" | "target";
  shape: Dim[];
  /** Set for integer token tensors: the name of their vocabulary. */
  vocab?: string;
}

/** One problem in a data file. `line` is 1-based; absent for problems of the whole file. */
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

/** The inputs and targets of a graph, in the order the spec declares them. */
export function dataFields(graph: Graph): FieldSpec[] {
  const out: FieldSpec[] = [];
  for (const n of graph.nodes) {
    if (n.kind !== "input") continue;
    out.push({ name: n.name, role: n.role, shape: n.shape, ...(n.vocab !== undefined ? { vocab: n.vocab } : {}) });
  }
  return out;
}

export interface SchemaOptions {
  /** Saved vocabularies (by vocab name) for the vocabularies the spec takes from the data. */
  vocabularies?: Record<string, Vocabulary>;
  /** How strings are cut into tokens, by vocab name. Default: per character for a vocabulary whose tokens are single characters (and for one built from the data), per word otherwise. */
  tokenize?: Record<string, TokenMode>;
  /** Read only these of the model's fields (e.g. the inputs a decoder starts from); the others may be absent and are not read. Default all. */
  fields?: readonly string[];
}

/**
 * The vocabularies of a graph: fixed ones from the spec, data ones from
 * `supplied` or undefined (to be built from the data). A supplied vocabulary
 * for a fixed vocab must list the same tokens.
 */
export function resolveVocabularies(graph: Graph, supplied: Record<string, Vocabulary> = {}): Map<string, Vocabulary | undefined> {
  const out = new Map<string, Vocabulary | undefined>();
  for (const v of graph.vocabs) {
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

type Json = unknown;
type Example = Record<string, Json>;

/** Checks JSONL examples of one model: ajv against `exampleSchema`, then the checks a schema cannot express. */
export class ExampleValidator {
  readonly fields: FieldSpec[];
  readonly table: DimTable;
  readonly schema: SchemaObject;
  /** Vocabularies by name; undefined for those still to be built from the data. */
  readonly vocabularies: Map<string, Vocabulary | undefined>;
  /** How strings are cut into tokens, by vocab name. */
  readonly modes = new Map<string, TokenMode>();
  private readonly validate: ValidateFunction;
  private readonly byName = new Map<string, FieldSpec>();
  /** The model's fields that are not read (SchemaOptions.fields): allowed in a line, not checked. */
  private readonly others: string[];

  constructor(readonly graph: Graph, opts: SchemaOptions = {}) {
    const all = dataFields(graph);
    this.fields = opts.fields ? all.filter((f) => opts.fields!.includes(f.name)) : all;
    this.others = all.filter((f) => !this.fields.includes(f)).map((f) => f.name);
    for (const f of this.fields) this.byName.set(f.name, f);
    this.table = new DimTable(graph);
    this.vocabularies = resolveVocabularies(graph, opts.vocabularies);
    for (const [name, v] of this.vocabularies) this.modes.set(name, opts.tokenize?.[name] ?? (v === undefined || v.isChars ? "char" : "word"));
    this.schema = this.build();
    this.validate = new Ajv2020({ allErrors: true, verbose: true }).compile(this.schema);
  }

  /** Unit values known before reading data: bound dims and the sizes of known vocabularies. */
  knownUnits(): Units {
    const units = this.table.bound();
    for (const [atom, vocab] of this.table.vocabAtoms) {
      const v = this.vocabularies.get(vocab);
      if (v) {
        const u = this.table.unit(atom, v.size);
        if (u !== undefined) units.set(atom, u);
      }
    }
    return units;
  }

  // ------------------------------------------------------------------ schema

  private build(): SchemaObject {
    const units = this.knownUnits();
    const properties: Record<string, SchemaObject> = {};
    for (const f of this.fields) {
      const s = f.vocab !== undefined ? this.tokenSchema(f, units) : this.floatSchema(f.shape, 0, units);
      properties[f.name] = { ...s, description: `${f.role} ${f.name}: [${f.shape.map((d) => this.table.format(d)).join(", ")}]${f.vocab !== undefined ? ` of ${f.vocab}` : ""}` };
    }
    for (const name of this.others) properties[name] = { description: `not read here` };
    return {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      title: `one example of model ${this.graph.model}`,
      type: "object",
      properties,
      required: this.fields.map((f) => f.name),
      additionalProperties: false,
    };
  }

  private length(d: Dim, units: Units): { minItems: number; maxItems?: number } {
    const n = this.table.evaluate(d, units);
    return n !== undefined ? { minItems: n, maxItems: n } : { minItems: 1 };
  }

  private floatSchema(shape: Dim[], axis: number, units: Units): SchemaObject {
    if (axis === shape.length) return { type: "number" };
    return { type: "array", ...this.length(shape[axis]!, units), items: this.floatSchema(shape, axis + 1, units) };
  }

  private tokenSchema(f: FieldSpec, units: Units): SchemaObject {
    const vocab = this.vocabularies.get(f.vocab!);
    const restrict = vocab !== undefined && vocab.unk === undefined;
    const token: SchemaObject = restrict ? { type: "string", enum: [...vocab.tokens] } : { type: "string", minLength: 1 };
    const id: SchemaObject = { type: "integer", minimum: 0, ...(vocab ? { maximum: vocab.size - 1 } : {}) };
    if (f.shape.length === 0) return { anyOf: [token, id] };
    const last = (d: Dim): SchemaObject => {
      const len = this.length(d, units);
      const text: SchemaObject =
        this.modes.get(f.vocab!) === "char"
          ? {
              type: "string",
              minLength: len.minItems,
              ...(len.maxItems !== undefined ? { maxLength: len.maxItems } : {}),
              ...(restrict && vocab.isChars ? { pattern: `^[${vocab.tokens.map((t) => [...t].map((c) => `\\u{${c.codePointAt(0)!.toString(16)}}`).join("")).join("")}]*$` } : {}),
            }
          : { type: "string", pattern: "\\S" };
      return { anyOf: [text, { type: "array", ...len, items: token }, { type: "array", ...len, items: id }] };
    };
    const nest = (axis: number): SchemaObject =>
      axis === f.shape.length - 1 ? last(f.shape[axis]!) : { type: "array", ...this.length(f.shape[axis]!, units), items: nest(axis + 1) };
    return nest(0);
  }

  // ------------------------------------------------------------------ checks

  /** Parses one JSONL line and checks it (see `check`). */
  checkLine(text: string, line: number): { value?: Example; issues: DataIssue[] } {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      const msg = (e as Error).message.replace(/\s+/g, " ");
      return { issues: [{ line, message: `not valid JSON: ${msg.length > 120 ? `${msg.slice(0, 117)}...` : msg}` }] };
    }
    const issues = this.check(value, line);
    return issues.length === 0 ? { value: value as Example, issues } : { issues };
  }

  /**
   * The problems of one example: ajv against the schema (one message per
   * field, the most basic first), then words of strings for fixed
   * vocabularies and ids of vocabularies still to be built. Free-dim
   * agreement is checked by `solve`, once the data vocabularies are known.
   */
  check(value: Json, line: number): DataIssue[] {
    if (this.validate(value)) return this.tokenChecks(value as Example, line, new Set());
    const issues = this.explain(this.validate.errors ?? [], line);
    if (!value || typeof value !== "object" || Array.isArray(value)) return issues;
    // Fields that passed the schema still get the token checks.
    const more = this.tokenChecks(value as Example, line, new Set(issues.map((i) => i.field ?? "")));
    const order = new Map(this.fields.map((f, i) => [f.name, i]));
    const rank = (i: DataIssue) => (i.field === undefined ? -1 : (order.get(i.field) ?? 1e9));
    return [...issues, ...more].sort((a, b) => rank(a) - rank(b));
  }

  private tokenChecks(ex: Example, line: number, skip: Set<string>): DataIssue[] {
    const issues: DataIssue[] = [];
    for (const f of this.fields) {
      if (f.vocab === undefined || skip.has(f.name) || !(f.name in ex)) continue;
      const vocab = this.vocabularies.get(f.vocab);
      const mode = this.modes.get(f.vocab)!;
      const problem = walkLeaves(ex[f.name], f.shape.length, mode, f.name, (leaf, path) => {
        if (typeof leaf === "number") {
          if (!vocab) return `token id ${leaf} at ${path}: vocabulary ${f.vocab} is built from the data, so its ids are not known; write tokens as strings (or load a saved vocabulary)`;
        } else if (vocab && vocab.unk === undefined && !vocab.has(leaf)) {
          return unknownToken(leaf, path, vocab);
        }
        return undefined;
      });
      if (problem) issues.push({ line, field: f.name, message: problem });
    }
    return issues;
  }

  /** The token leaves of a token field (strings split into tokens), in row-major order. */
  tokens(f: FieldSpec, value: Json): (string | number)[] {
    const out: (string | number)[] = [];
    walkLeaves(value, f.shape.length, this.modes.get(f.vocab!)!, f.name, (leaf) => {
      out.push(leaf);
      return undefined;
    });
    return out;
  }

  /** The lengths of a field's axes in one example, or a message when they are ragged. */
  extents(f: FieldSpec, value: Json): number[] | string {
    const rank = f.shape.length;
    const mode = f.vocab !== undefined ? this.modes.get(f.vocab)! : undefined;
    const out: (number | undefined)[] = new Array(rank).fill(undefined);
    const firstAt: string[] = new Array(rank).fill("");
    let problem: string | undefined;
    const visit = (v: Json, axis: number, path: string): void => {
      if (problem || axis === rank) return;
      const items = typeof v === "string" && mode !== undefined ? splitTokens(v, mode) : (v as Json[]);
      const n = items.length;
      if (out[axis] === undefined) {
        out[axis] = n;
        firstAt[axis] = path;
      } else if (out[axis] !== n) {
        problem = `${path} has ${n} items but ${firstAt[axis]} has ${out[axis]}: the arrays along axis ${axis} must have one length`;
        return;
      }
      if (typeof v !== "string") items.forEach((x, i) => visit(x, axis + 1, `${path}[${i}]`));
    };
    visit(value, 0, f.name);
    return problem ?? out.map((n) => n ?? 0);
  }

  /**
   * Solves the free dims of one example from its lengths, given the unit
   * values known for the whole data set (bound dims, vocabulary sizes), and
   * checks that every axis agrees: `x` and `y` both [T] must have one length.
   */
  solve(ex: Example, line: number, known: Units): { units: Units; extents: Map<string, number[]>; issues: DataIssue[] } {
    const units: Units = new Map(known);
    const extents = new Map<string, number[]>();
    const issues: DataIssue[] = [];
    for (const f of this.fields) {
      const e = this.extents(f, ex[f.name]);
      if (typeof e === "string") issues.push({ line, field: f.name, message: e });
      else extents.set(f.name, e);
    }
    if (issues.length > 0) return { units, extents, issues };
    const issuesOf = solveAxes(this.table, this.fields, extents, units);
    for (const i of issuesOf) issues.push({ line, ...i });
    return { units, extents, issues };
  }

  // ------------------------------------------------------------------ ajv errors -> messages

  private explain(errors: readonly ErrorObject[], line: number): DataIssue[] {
    const selected = selectBranches(errors);
    const issues: DataIssue[] = [];
    const fieldsDone = new Set<string>();
    // The most basic problem first: shortest path, in ajv's order otherwise.
    const ordered = selected.map((e, i) => ({ e, i })).sort((a, b) => depth(a.e.instancePath) - depth(b.e.instancePath) || a.i - b.i);
    for (const { e } of ordered) {
      const segs = segments(e.instancePath);
      if (segs.length === 0) {
        const m = this.rootMessage(e);
        if (m) issues.push({ line, ...m });
        continue;
      }
      const field = segs[0]!;
      if (fieldsDone.has(field)) continue;
      fieldsDone.add(field);
      issues.push({ line, field, message: this.message(e, field, segs) });
    }
    // Keep the fields in the spec's order.
    const order = new Map(this.fields.map((f, i) => [f.name, i]));
    return issues.sort((a, b) => (a.field === undefined ? -1 : (order.get(a.field) ?? 1e9)) - (b.field === undefined ? -1 : (order.get(b.field) ?? 1e9)));
  }

  private rootMessage(e: ErrorObject): { field?: string; message: string } | undefined {
    switch (e.keyword) {
      case "type":
        return { message: `expected a JSON object with the fields ${this.fields.map((f) => f.name).join(", ")}, found ${describe(e.data)}` };
      case "required": {
        const name = (e.params as { missingProperty: string }).missingProperty;
        const f = this.byName.get(name);
        return { field: name, message: `missing field ${name}${f ? ` (${f.role}: ${this.typeText(f)})` : ""}` };
      }
      case "additionalProperties": {
        const name = (e.params as { additionalProperty: string }).additionalProperty;
        return { field: name, message: `unknown field ${name}: model ${this.graph.model} has ${this.fields.map((f) => f.name).join(", ")}` };
      }
      default:
        return { message: e.message ?? `fails ${e.keyword}` };
    }
  }

  private typeText(f: FieldSpec): string {
    return `[${f.shape.map((d) => this.table.format(d)).join(", ")}]${f.vocab !== undefined ? ` of ${f.vocab}` : ""}`;
  }

  private message(e: ErrorObject, field: string, segs: string[]): string {
    const at = showPath(segs);
    const s = (e.parentSchema ?? {}) as SchemaObject;
    const f = this.byName.get(field);
    const vocab = f?.vocab !== undefined ? this.vocabularies.get(f.vocab) : undefined;
    switch (e.keyword) {
      case "type":
        return `expected ${expected(s)} at ${at}, found ${describe(e.data)}`;
      case "anyOf":
        return `expected ${expected(s)} at ${at}, found ${describe(e.data)}`;
      case "minItems":
      case "maxItems": {
        const [one, many] = noun(s.items as SchemaObject);
        const n = (e.data as unknown[]).length;
        if (s.maxItems === undefined) return `expected at least ${s.minItems} ${s.minItems === 1 ? one : many} at ${at}, found ${n === 0 ? "none" : n}`;
        return `expected ${s.minItems} ${s.minItems === 1 ? one : many} at ${at}, found ${n}`;
      }
      case "minLength":
      case "maxLength": {
        const n = [...(e.data as string)].length;
        if (s.maxLength === undefined) return `expected at least ${s.minLength} ${s.minLength === 1 ? "token" : "tokens"} at ${at}, found ${n === 0 ? "an empty string" : n}`;
        return `expected ${s.minLength} ${s.minLength === 1 ? "token" : "tokens"} (characters) at ${at}, found ${n}`;
      }
      case "pattern": {
        const text = e.data as string;
        if (s.pattern === "\\S") return `expected at least 1 token at ${at}, found ${describe(text)}`;
        const chars = [...text];
        const i = chars.findIndex((c) => !vocab?.has(c));
        return vocab && i >= 0 ? unknownToken(chars[i]!, `${at}[${i}]`, vocab) : `unknown token in ${describe(text)} at ${at}`;
      }
      case "enum":
        return vocab ? unknownToken(String(e.data), at, vocab) : `unexpected value ${describe(e.data)} at ${at}`;
      case "minimum":
      case "maximum": {
        const size = vocab?.size;
        return `token id ${String(e.data)} at ${at} is out of range${size !== undefined ? `: ${vocab?.name !== undefined ? `vocabulary ${vocab.name}` : "the vocabulary"} has ids 0..${size - 1}` : ": ids start at 0"}`;
      }
      default:
        return `${at}: ${e.message ?? `fails ${e.keyword}`}`;
    }
  }
}

/**
 * Checks the axes of one example's fields against the shapes, solving free
 * atoms into `units` as they are met (fields in order, axes in order). Used
 * for JSONL examples, text and CSV sequences alike.
 */
export function solveAxes(table: DimTable, fields: FieldSpec[], extents: Map<string, number[]>, units: Units): DataIssue[] {
  const issues: DataIssue[] = [];
  const from = new Map<string, { field: string; axis: number; length: number; dim: Dim }>();
  const pending: { f: FieldSpec; axis: number; length: number }[] = [];
  for (const f of fields) {
    const e = extents.get(f.name);
    if (!e) continue;
    f.shape.forEach((_, axis) => pending.push({ f, axis, length: e[axis]! }));
  }
  const bad = new Set<string>();
  const where = (field: string, axis: number) => (axis === 0 ? field : `axis ${axis} of ${field}`);
  let progress = true;
  while (pending.length > 0 && progress) {
    progress = false;
    for (let k = 0; k < pending.length; k++) {
      const { f, axis, length } = pending[k]!;
      if (bad.has(f.name)) {
        pending.splice(k--, 1);
        continue;
      }
      const d = f.shape[axis]!;
      const want = table.evaluate(d, units);
      if (want !== undefined) {
        pending.splice(k--, 1);
        progress = true;
        if (want === length) continue;
        bad.add(f.name);
        const atoms = [...table.atomsOf(d)].filter((a) => from.has(a));
        if (atoms.length === 0) {
          issues.push({ field: f.name, message: `${where(f.name, axis)} has length ${length}, expected ${want}${table.format(d) !== String(want) ? ` (${table.format(d)})` : ""}` });
        } else {
          const src = from.get(atoms[0]!)!;
          const other = where(src.field, src.axis);
          const message =
            table.format(src.dim) === table.format(d)
              ? `${where(f.name, axis)} has length ${length}, but ${other} has length ${src.length} (both are ${table.format(d)})`
              : `${where(f.name, axis)} has length ${length}, but ${other} has length ${src.length}, so ${table.format(d)} = ${want}`;
          issues.push({ field: f.name, message });
        }
        continue;
      }
      const s = table.solve(d, length, units);
      if (!s) continue;
      pending.splice(k--, 1);
      progress = true;
      if (s.unit === undefined) {
        bad.add(f.name);
        issues.push({ field: f.name, message: `${where(f.name, axis)} has length ${length}, which does not fit ${table.format(d)}${table.why(d)}` });
        continue;
      }
      units.set(s.atom, s.unit);
      from.set(s.atom, { field: f.name, axis, length, dim: d });
    }
  }
  for (const { f, axis } of pending) {
    if (bad.has(f.name)) continue;
    issues.push({ field: f.name, message: `cannot find the dims of ${where(f.name, axis)} (${table.format(f.shape[axis]!)}) from the lengths in the data` });
  }
  return issues;
}

/**
 * Walks the token leaves of a token field (strings at the last axis split
 * into tokens), calling `visit` with each leaf and its path; stops at the
 * first message `visit` returns. Assumes the value passed the schema.
 */
function walkLeaves(value: Json, rank: number, mode: TokenMode, name: string, visit: (leaf: string | number, path: string) => string | undefined): string | undefined {
  const go = (v: Json, axis: number, path: string): string | undefined => {
    if (axis === rank) return visit(v as string | number, path);
    if (axis === rank - 1 && typeof v === "string") {
      const toks = splitTokens(v, mode);
      for (let i = 0; i < toks.length; i++) {
        const m = visit(toks[i]!, `${path}[${i}]`);
        if (m) return m;
      }
      return undefined;
    }
    const arr = v as Json[];
    for (let i = 0; i < arr.length; i++) {
      const m = go(arr[i], axis + 1, `${path}[${i}]`);
      if (m) return m;
    }
    return undefined;
  };
  return go(value, 0, name);
}

function unknownToken(token: string, at: string, vocab: Vocabulary): string {
  return `unknown token ${JSON.stringify(token)} at ${at}: ${vocab.describe()} and no ${UNK}`;
}

/**
 * Keeps, for each failed `anyOf`, only the errors of the branch the value was
 * meant for (a string, an array of tokens or an array of ids, judged by the
 * value's type and first element); when no branch fits the value's type, the
 * `anyOf` error itself.
 */
function selectBranches(errors: readonly ErrorObject[]): ErrorObject[] {
  let keep = errors.filter((e) => e.keyword !== "anyOf");
  for (const a of errors) {
    if (a.keyword !== "anyOf") continue;
    const prefix = `${a.schemaPath}/`;
    const under = (e: ErrorObject) => e.schemaPath.startsWith(prefix) && isUnder(e.instancePath, a.instancePath);
    const chosen = pickBranch(a.data, a.schema as SchemaObject[]);
    if (chosen === undefined) keep = [...keep.filter((e) => !under(e)), a];
    else keep = keep.filter((e) => !under(e) || e.schemaPath.startsWith(`${prefix}${chosen}/`));
  }
  return keep;
}

function pickBranch(value: Json, branches: SchemaObject[]): number | undefined {
  const find = (pred: (s: SchemaObject) => boolean) => {
    const i = branches.findIndex(pred);
    return i < 0 ? undefined : i;
  };
  if (typeof value === "string") return find((s) => s.type === "string");
  if (typeof value === "number") return find((s) => s.type === "integer");
  if (Array.isArray(value)) {
    const ids = typeof value[0] === "number";
    return find((s) => s.type === "array" && ((s.items as SchemaObject).type === "integer") === ids);
  }
  return undefined;
}

/** `y[2][0]` for the segments y, 2, 0. */
function showPath(segs: string[]): string {
  return segs[0]! + segs.slice(1).map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s}`)).join("");
}

/** A value as found in the data: `the number 3`, `the string "ab"`, `an array of 4 items`. */
export function describe(v: Json): string {
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

/** Singular and plural names of what an array schema holds. */
function noun(items: SchemaObject | undefined): [string, string] {
  if (!items) return ["item", "items"];
  if (items.anyOf) return ["row of tokens", "rows of tokens"];
  switch (items.type) {
    case "number":
      return ["number", "numbers"];
    case "integer":
      return ["token id", "token ids"];
    case "string":
      return ["token", "tokens"];
    case "array": {
      const inner = items.items as SchemaObject | undefined;
      const count = items.maxItems !== undefined ? String(items.minItems) : `at least ${items.minItems}`;
      const [one, many] = noun(inner);
      const what = `${count} ${items.minItems === 1 ? one : many}`;
      return [`array of ${what}`, `arrays of ${what}`];
    }
    default:
      return ["item", "items"];
  }
}

/** What a schema node wants, for `expected ... at`. */
function expected(s: SchemaObject): string {
  if (s.anyOf) {
    const branches = s.anyOf as SchemaObject[];
    if (branches.some((b) => b.type === "array")) return "a string of tokens, an array of tokens or an array of token ids";
    return "a token (a string) or a token id (an integer)";
  }
  switch (s.type) {
    case "number":
      return "a number";
    case "integer":
      return "a token id (a whole number)";
    case "string":
      return "a token (a string)";
    case "array": {
      const [one, many] = noun(s.items as SchemaObject);
      const count = s.maxItems !== undefined ? String(s.minItems) : `at least ${s.minItems}`;
      return `an array of ${count} ${s.minItems === 1 ? one : many}`;
    }
    case "object":
      return "a JSON object";
    default:
      return String(s.type);
  }
}
