/**
 * The JSON Schema (draft 2020-12) of the IR (./ir.ts). It describes exactly
 * what `lowerModule` produces: every object is closed
 * (`additionalProperties: false`), expression ops come from the op vocabulary
 * (./ops.ts), names are identifiers and offsets are non-negative integers.
 *
 * Tagged unions (items by `kind`, statements by `kind`, expressions by `op`,
 * call modifiers by `kind`) are written as a dispatcher: the tag must be one of
 * the known values (one clear error if not), and an `if`/`then` per tag applies
 * the closed definition of that variant. This reports the errors of the one
 * variant that was meant instead of the errors of every `oneOf` branch.
 *
 * Besides structure, the schema enforces a few range rules that the grammar
 * cannot (a spec that breaks them gets an SEQ0005 diagnostic from
 * ./validate.ts): a `dim` bound to a plain number is a whole number from 1 to
 * 2^31 - 1, `multiple of` is a whole number from 2 to 2^31 - 1, vocabulary
 * tokens are non-empty and unique, and numbers are at most 2^53 in magnitude.
 */
import { OP_KINDS } from "./ops.js";

/** Largest value of a dim (and of `multiple of`): dims are 32-bit signed integers in the backends. */
export const MAX_DIM = 2147483647;

/** Largest magnitude of a number literal in the IR (beyond it, integers lose precision). */
export const MAX_ABS_NUMBER = 2 ** 53;

/** The `$id` of IR_SCHEMA. */
export const IR_SCHEMA_ID = "https://seqc.dev/ir/1.json";

/** The expression ops that are not in the op vocabulary: literals, names, and calls of cells, fns, initialisers, optimizers. */
export const SPECIAL_OPS = ["num", "str", "ref", "next", "member", "call"] as const;

/** Pattern of every name in the IR (the lexer's Identifier). */
export const NAME_PATTERN = "^[A-Za-z_][A-Za-z0-9_]*$";

/** A JSON Schema (sub)schema, as plain JSON data. */
export type JsonSchema = { [keyword: string]: unknown };

const ref = (def: string): JsonSchema => ({ $ref: `#/$defs/${def}` });

/** A closed object: these properties (`required` of them mandatory), nothing else. */
function closed(properties: Record<string, JsonSchema>, required: string[]): JsonSchema {
  return { type: "object", properties, required, additionalProperties: false };
}

/** Dispatches on the string property `tag`: it must be one of the variants' values; each value applies its closed definition. */
function tagged(tag: string, variants: [values: readonly string[], def: string][]): JsonSchema {
  return {
    type: "object",
    required: [tag],
    properties: { [tag]: { enum: variants.flatMap(([values]) => values) } },
    allOf: variants.map(([values, def]) => ({
      if: {
        required: [tag],
        properties: { [tag]: values.length === 1 ? { const: values[0] } : { enum: [...values] } },
      },
      then: ref(def),
    })),
  };
}

/** `kind` of a node: one value, or one of several. */
const kind = (...values: string[]): JsonSchema => (values.length === 1 ? { const: values[0] } : { enum: values });

/** The common properties of items and statements: `loc` and `comments`. */
const node = { loc: ref("loc"), comments: ref("comments") };

const list = (items: JsonSchema): JsonSchema => ({ type: "array", items });

/** The expression containers shared by builtin ops and calls. */
const applyProps = {
  args: list(ref("expr")),
  generic: list(ref("arg")),
  named: list(ref("namedArg")),
  loc: ref("loc"),
};

/**
 * The JSON Schema of `IrModule`. Validate with ./validate.ts (`validateIr`,
 * `isValidIr`), which compiles it once with ajv.
 */
export const IR_SCHEMA: JsonSchema = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: IR_SCHEMA_ID,
  title: "seqc IR, version 1",
  description: "A .seq spec lowered to the op vocabulary, with its structure, comments and source offsets.",
  ...closed({ version: { const: 1 }, items: list(ref("item")), endComments: ref("commentLines") }, ["version", "items"]),
  $defs: {
    name: { type: "string", pattern: NAME_PATTERN },
    loc: {
      description: "Offsets into the file's text: start inclusive, end exclusive.",
      ...closed({ start: { type: "integer", minimum: 0 }, end: { type: "integer", minimum: 0 } }, ["start", "end"]),
    },
    comment: { type: "string", pattern: "^#[^\\r\\n]*$" },
    commentLines: list(ref("comment")),
    comments: closed({ before: ref("commentLines"), after: ref("comment"), gap: { type: "boolean" } }, []),

    // Expressions.
    expr: tagged("op", [
      [["num"], "numExpr"],
      [["str"], "strExpr"],
      [["ref"], "refExpr"],
      [["next"], "nextExpr"],
      [["member"], "memberExpr"],
      [OP_KINDS, "opExpr"],
      [["call"], "callExpr"],
    ]),
    numExpr: closed(
      { op: { const: "num" }, value: { type: "number", minimum: -MAX_ABS_NUMBER, maximum: MAX_ABS_NUMBER }, loc: ref("loc") },
      ["op", "value", "loc"],
    ),
    strExpr: closed({ op: { const: "str" }, value: { type: "string" }, loc: ref("loc") }, ["op", "value", "loc"]),
    refExpr: closed({ op: { const: "ref" }, name: ref("name"), loc: ref("loc") }, ["op", "name", "loc"]),
    nextExpr: closed({ op: { const: "next" }, name: ref("name"), loc: ref("loc") }, ["op", "name", "loc"]),
    memberExpr: closed({ op: { const: "member" }, of: ref("name"), name: ref("name"), loc: ref("loc") }, ["op", "of", "name", "loc"]),
    opExpr: closed({ op: { enum: [...OP_KINDS] }, ...applyProps }, ["op", "args", "loc"]),
    callExpr: closed(
      { op: { const: "call" }, callee: ref("name"), calleeLoc: ref("loc"), ...applyProps, with: list(ref("namedArg")), modifier: ref("modifier") },
      ["op", "callee", "calleeLoc", "args", "loc"],
    ),
    modifier: tagged("kind", [
      [["reverse", "bidirectional"], "plainModifier"],
      [["repeat"], "repeatModifier"],
    ]),
    plainModifier: closed({ kind: kind("reverse", "bidirectional") }, ["kind"]),
    repeatModifier: closed({ kind: kind("repeat"), count: ref("expr") }, ["kind", "count"]),
    arg: closed({ name: ref("name"), value: ref("expr"), loc: ref("loc") }, ["value", "loc"]),
    namedArg: closed({ name: ref("name"), value: ref("expr"), loc: ref("loc") }, ["name", "value", "loc"]),
    shapeType: closed({ dims: list(ref("expr")), vocab: ref("name"), loc: ref("loc") }, ["dims", "loc"]),

    // Items.
    item: tagged("kind", [
      [["import"], "import"],
      [["dim"], "dim"],
      [["vocab"], "vocab"],
      [["cell", "fn"], "def"],
      [["model"], "model"],
    ]),
    import: closed({ kind: kind("import"), path: { type: "string" }, ...node }, ["kind", "path", "loc"]),
    dim: {
      ...closed(
        {
          kind: kind("dim"),
          name: ref("name"),
          value: ref("expr"),
          multipleOf: { type: "integer", minimum: 2, maximum: MAX_DIM },
          ...node,
        },
        ["kind", "name", "loc"],
      ),
      // A dim bound to a plain number: a whole number from 1 to MAX_DIM. Other expressions are the checker's.
      if: {
        required: ["value"],
        properties: { value: { type: "object", required: ["op"], properties: { op: { const: "num" } } } },
      },
      then: {
        properties: { value: { type: "object", properties: { value: { type: "integer", minimum: 1, maximum: MAX_DIM } } } },
      },
    },
    vocab: closed(
      {
        kind: kind("vocab"),
        name: ref("name"),
        size: ref("name"),
        tokens: { type: "array", items: { type: "string", minLength: 1 }, minItems: 1, uniqueItems: true },
        ...node,
      },
      ["kind", "name", "size", "loc"],
    ),
    def: closed(
      {
        kind: kind("cell", "fn"),
        name: ref("name"),
        nameLoc: ref("loc"),
        generics: list(ref("genericParam")),
        inputs: list(ref("sigParam")),
        output: ref("shapeType"),
        body: list(ref("stmt")),
        endComments: ref("commentLines"),
        ...node,
      },
      ["kind", "name", "nameLoc", "generics", "inputs", "body", "loc"],
    ),
    genericParam: closed({ name: ref("name"), default: ref("expr"), loc: ref("loc") }, ["name", "loc"]),
    sigParam: closed({ name: ref("name"), type: ref("shapeType"), ctx: { type: "boolean" }, loc: ref("loc") }, ["name", "type", "ctx", "loc"]),
    model: closed(
      { kind: kind("model"), name: ref("name"), nameLoc: ref("loc"), body: list(ref("stmt")), endComments: ref("commentLines"), ...node },
      ["kind", "name", "nameLoc", "body", "loc"],
    ),

    // Statements.
    stmt: tagged("kind", [
      [["dim"], "dim"],
      [["vocab"], "vocab"],
      [["input", "target"], "io"],
      [["param"], "param"],
      [["state"], "state"],
      [["const"], "const"],
      [["assign"], "assign"],
      [["out"], "out"],
      [["loss"], "loss"],
      [["train"], "train"],
      [["feedback"], "feedback"],
    ]),
    io: closed({ kind: kind("input", "target"), name: ref("name"), type: ref("shapeType"), ...node }, ["kind", "name", "type", "loc"]),
    param: closed({ kind: kind("param"), name: ref("name"), type: ref("shapeType"), init: ref("expr"), ...node }, ["kind", "name", "type", "loc"]),
    state: closed({ kind: kind("state"), name: ref("name"), type: ref("shapeType"), init: ref("expr"), ...node }, ["kind", "name", "type", "loc"]),
    const: closed(
      { kind: kind("const"), name: ref("name"), type: ref("shapeType"), value: ref("tensorLiteral"), valueLoc: ref("literalLoc"), ...node },
      ["kind", "name", "type", "value", "valueLoc", "loc"],
    ),
    literalLoc: {
      description: "A tensor literal's offsets, mirroring it: a list's with its entries' (items), a number's.",
      ...closed({ start: { type: "integer", minimum: 0 }, end: { type: "integer", minimum: 0 }, items: list(ref("literalLoc")) }, ["start", "end"]),
    },
    tensorLiteral: { anyOf: [{ type: "number", minimum: -MAX_ABS_NUMBER, maximum: MAX_ABS_NUMBER }, { type: "array", items: ref("tensorLiteral") }] },
    assign: closed(
      { kind: kind("assign"), targets: { type: "array", items: ref("assignTarget"), minItems: 1 }, value: ref("expr"), ...node },
      ["kind", "targets", "value", "loc"],
    ),
    assignTarget: closed({ name: ref("name"), next: { type: "boolean" }, loc: ref("loc") }, ["name", "next", "loc"]),
    out: closed({ kind: kind("out"), value: ref("expr"), ...node }, ["kind", "value", "loc"]),
    loss: closed({ kind: kind("loss"), value: ref("expr"), ...node }, ["kind", "value", "loc"]),
    train: closed(
      { kind: kind("train"), entries: list(ref("trainEntry")), endComments: ref("commentLines"), ...node },
      ["kind", "entries", "loc"],
    ),
    trainEntry: closed({ key: ref("name"), value: ref("expr"), ...node }, ["key", "value", "loc"]),
    feedback: closed(
      { kind: kind("feedback"), input: ref("name"), source: ref("name"), until: { type: "string" }, ...node },
      ["kind", "input", "source", "loc"],
    ),
  },
};
