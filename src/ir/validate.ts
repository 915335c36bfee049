/**
 * Checks an IR module against IR_SCHEMA (./schema.ts) with ajv, reporting each
 * failure as an SEQ0005 diagnostic on the nearest IR node with a `loc`. This is
 * the boundary check for IR that comes from `lowerModule`, from JSON files or
 * from other tools.
 */
// The named export: under NodeNext, the default import of this CommonJS module is typed
// as the whole `module.exports` object (not constructable) although Node gives the class.
import { AJV_OPTIONS, STANDALONE_MODULE } from "./validator-options.js";
import type { ErrorObject, ValidateFunction } from "ajv/dist/2020.js";
import { diagnostic, type Diagnostic } from "../diagnostics/diagnostic.js";
import type { IrModule, Loc } from "./ir.js";
import { IR_SCHEMA, MAX_DIM } from "./schema.js";
import { depth, isUnder, segments } from "./json-pointer.js";

/** At most this many schema diagnostics are reported for one module. */
export const MAX_SCHEMA_DIAGNOSTICS = 20;

// The build writes the compiled validator as code: loading it is much faster than compiling the schema.
// Tests run from source, where it does not exist, and compile instead; so does a browser (web/ bundles
// seqc without it). Imported by URL, which a bundler leaves alone (it would bundle every file here).
const standalone = (
  typeof process === "undefined"
    ? undefined
    : await import(new URL(`./${STANDALONE_MODULE}`, import.meta.url).href).catch((e: NodeJS.ErrnoException) => {
        if (e.code === "ERR_MODULE_NOT_FOUND") return undefined;
        throw e;
      })
) as { default: ValidateFunction<IrModule> } | undefined;
let compiled: ValidateFunction<IrModule> | undefined = standalone?.default;
// Ajv itself (some 50 ms to load) only when there is no compiled validator.
const ajv = compiled ? undefined : await import("ajv/dist/2020.js");

/** The compiled schema; compiled on first use, then shared. */
function validator(): ValidateFunction<IrModule> {
  compiled ??= new ajv!.Ajv2020(AJV_OPTIONS).compile<IrModule>(IR_SCHEMA);
  return compiled;
}

/** True if `x` is an IR module that IR_SCHEMA accepts. */
export function isValidIr(x: unknown): x is IrModule {
  return validator()(x);
}

/**
 * Validates `module` (IR, e.g. from `lowerModule` or `JSON.parse`) against
 * IR_SCHEMA. Returns no diagnostics if it is valid; otherwise one SEQ0005
 * diagnostic per schema error (wrappers and the losing branches of `oneOf` /
 * `anyOf` left out, at most MAX_SCHEMA_DIAGNOSTICS), each on the span of the
 * nearest enclosing node that has a valid `loc` ({start: 0, end: 0} if none).
 * `file` names the file in the diagnostics.
 */
export function validateIr(file: string, module: unknown): Diagnostic[] {
  const validate = validator();
  try {
    if (validate(module)) return [];
  } catch (e) {
    // The validator recurses through expressions; the parser keeps them shallow, hand-made IR may not.
    if (!(e instanceof RangeError)) throw e;
    return [diagnostic("SEQ0005", "IR: nested too deeply to validate", { file, start: 0, end: 0 })];
  }
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  let dropped = 0;
  for (const error of selectErrors(validate.errors ?? [])) {
    const { loc, value, parents } = locate(module, error.instancePath);
    const message = rangeMessage(error, value, parents) ?? `IR ${error.instancePath || "/"}: ${ajvMessage(error, value)}`;
    const key = `${message}|${loc.start}|${loc.end}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (out.length >= MAX_SCHEMA_DIAGNOSTICS) {
      dropped++;
      continue;
    }
    out.push(diagnostic("SEQ0005", message, { file, start: loc.start, end: loc.end }));
  }
  if (dropped > 0) {
    const last = out[out.length - 1]!;
    last.notes = [...(last.notes ?? []), `${dropped} more IR schema error${dropped === 1 ? "" : "s"} not shown`];
  }
  return out;
}

/**
 * The errors worth reporting, in order: drops the `if` wrappers ("must match
 * then schema", whose real errors are reported too) and replaces each failed
 * `oneOf` / `anyOf` and the errors of its branches by the most specific of
 * those (the longest instancePath). Ajv reports a branch's errors just before
 * the `oneOf` / `anyOf` error itself, so they are the run of errors under its
 * instancePath that precedes it. Exported for tests.
 */
export function selectErrors(errors: readonly ErrorObject[]): ErrorObject[] {
  const out: ErrorObject[] = [];
  for (const e of errors) {
    if (e.keyword === "if") continue;
    if (e.keyword !== "oneOf" && e.keyword !== "anyOf") {
      out.push(e);
      continue;
    }
    let from = out.length;
    while (from > 0 && isUnder(out[from - 1]!.instancePath, e.instancePath)) from--;
    const branch = out.splice(from);
    if (branch.length === 0) {
      out.push(e);
      continue;
    }
    const deepest = Math.max(...branch.map((b) => depth(b.instancePath)));
    out.push(...branch.filter((b) => depth(b.instancePath) === deepest));
  }
  return out;
}

function isLoc(x: unknown): x is Loc {
  if (!x || typeof x !== "object") return false;
  const { start, end } = x as Record<string, unknown>;
  return Number.isSafeInteger(start) && Number.isSafeInteger(end) && (start as number) >= 0 && (end as number) >= (start as number);
}

/**
 * Walks a JSON pointer through `root`: the last valid `loc` on the way (the
 * node itself included), the value at the pointer, and the values above it
 * (nearest last).
 */
function locate(root: unknown, pointer: string): { loc: Loc; value: unknown; parents: unknown[] } {
  let loc: Loc = { start: 0, end: 0 };
  let node: unknown = root;
  const parents: unknown[] = [];
  const visit = (n: unknown) => {
    if (n && typeof n === "object" && !Array.isArray(n)) {
      const l = (n as Record<string, unknown>)["loc"];
      if (isLoc(l)) loc = { start: l.start, end: l.end };
    }
  };
  visit(node);
  for (const s of segments(pointer)) {
    if (!node || typeof node !== "object" || !Object.hasOwn(node, s)) {
      node = undefined;
      break;
    }
    parents.push(node);
    node = (node as Record<string, unknown>)[s];
    visit(node);
  }
  return { loc, value: node, parents };
}

const field = (x: unknown, key: string): unknown =>
  x && typeof x === "object" && !Array.isArray(x) ? (x as Record<string, unknown>)[key] : undefined;

/** A natural message for the range rules of dims and vocabularies, or undefined for other errors. */
function rangeMessage(error: ErrorObject, value: unknown, parents: unknown[]): string | undefined {
  const path = segments(error.instancePath);
  const last = path[path.length - 1];
  const up = (n: number) => parents[parents.length - n];
  // dim H = <num>: the error is on /value/value of the dim.
  if (last === "value" && path[path.length - 2] === "value" && field(up(2), "kind") === "dim" && field(up(1), "op") === "num") {
    return `dim ${String(field(up(2), "name"))} = ${String(value)} is out of range: dims are whole numbers from 1 to ${MAX_DIM}`;
  }
  if (last === "multipleOf" && field(up(1), "kind") === "dim" && typeof value === "number") {
    return `dim ${String(field(up(1), "name"))} multiple of ${String(value)} is out of range: \`multiple of\` takes a whole number from 2 to ${MAX_DIM}`;
  }
  const vocabAt = (n: number) => (field(up(n), "kind") === "vocab" ? String(field(up(n), "name")) : undefined);
  if (last === "tokens" && Array.isArray(value) && vocabAt(1) !== undefined) {
    if (error.keyword === "uniqueItems") {
      const { i } = error.params as { i: number; j: number };
      return `vocab ${vocabAt(1)} lists the token ${JSON.stringify(value[i])} more than once`;
    }
    if (error.keyword === "minItems") return `vocab ${vocabAt(1)} = [] has no tokens: list at least one, or leave out \`= [...]\` to take them from the data`;
  }
  if (path[path.length - 2] === "tokens" && error.keyword === "minLength" && vocabAt(2) !== undefined) {
    return `vocab ${vocabAt(2)} has an empty token`;
  }
  return undefined;
}

/** Ajv's message, with the offending property or value where ajv leaves it out. */
function ajvMessage(error: ErrorObject, value: unknown): string {
  const message = error.message ?? `fails ${error.keyword}`;
  switch (error.keyword) {
    case "additionalProperties":
      return `${message}: ${String((error.params as { additionalProperty: string }).additionalProperty)}`;
    case "enum": {
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
      const list = allowed.length <= 12 ? ` (${allowed.map((v) => JSON.stringify(v)).join(", ")})` : "";
      return `${message}${list}, got ${brief(value)}`;
    }
    case "const":
    case "pattern":
      return `${message}, got ${brief(value)}`;
    default:
      return message;
  }
}

function brief(x: unknown): string {
  const s = JSON.stringify(x) ?? String(x);
  return s.length > 40 ? s.slice(0, 40) + "…" : s;
}
