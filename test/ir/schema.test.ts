import { Ajv2020, type ErrorObject } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../../src/diagnostics/diagnostic.js";
import type { IrModule } from "../../src/ir/ir.js";
import { lowerModule } from "../../src/ir/lower.js";
import { OP_KINDS } from "../../src/ir/ops.js";
import { IR_SCHEMA, SPECIAL_OPS, type JsonSchema } from "../../src/ir/schema.js";
import { isValidIr, MAX_SCHEMA_DIAGNOSTICS, selectErrors, validateIr } from "../../src/ir/validate.js";
import { parseText } from "../../src/parse/parse.js";

const FILE = "sample.seq";

/** Every item and statement kind, generics, ctx inputs, output types, initialisers, primes, members, all call forms. */
const SAMPLE = `# a sample covering the whole IR
import "lib.seq"

dim H = 128
dim T multiple of 4
dim B
vocab abc[V] = [A, B, C]
vocab chars[W]

cell lstm<H, k = 2>(x: [X], ctx mem: [S, M]) -> [H] {
  param W: [4*H, H + X] = glorot
  param b: [4*H] = zeros
  param U: [H, H]
  state h: [H] = 0
  state c: [H] = 0
  state n: [H]
  let i, f, o, g = split<4>(W @ concat(h, x) + b)
  c' = sigmoid(f) * c + sigmoid(i) * tanh(g) # the cell state
  h' = sigmoid(o) * tanh(c')
  n' = U @ h' - n / 2
  out h'
}

fn dense2<N>(x: [D]) {
  out -relu(x)
}

model m {
  dim E = 2 * H
  vocab local[L] = ["<eos>", "a b", "7"]
  input x: [T] of abc
  target y: [T, 1]
  e = lstm<H>(one_hot(x), m)
  d = reverse lstm<H>(one_hot(x)) with { h: e.h, c: e.c }
  z = bidirectional lstm<H>(one_hot(x))
  r = repeat<3> dense<H>(e)
  s = softmax(r, axis: -1)
  q = maxpool(s, size: 2, pad: "same")
  p = sigmoid(dense<1>(d))
  loss mse(p, y)
  train {
    optimizer: adam(lr: 0.001)
    batch: 32
    clip: 5.0
  }
  feedback x from p until "<eos>"
  # the end
}
`;

/** The span of the `nth` occurrence of `needle` in `text`. */
function at(text: string, needle: string, nth = 0): { start: number; end: number } {
  let start = -1;
  for (let i = 0; i <= nth; i++) {
    start = text.indexOf(needle, start + 1);
    if (start < 0) throw new Error(`not in the text: ${needle}`);
  }
  return { start, end: start + needle.length };
}

/** Parses and lowers `text`, expecting no diagnostics on the way. */
function lower(text: string): IrModule {
  const parsed = parseText(FILE, text);
  expect(parsed.diagnostics).toEqual([]);
  const lowered = lowerModule(FILE, parsed.module);
  expect(lowered.diagnostics).toEqual([]);
  return lowered.module;
}

type Obj = Record<string, unknown>;

/** Every object in a JSON tree, parents first. */
function* objects(x: unknown): Generator<Obj> {
  if (Array.isArray(x)) for (const v of x) yield* objects(v);
  else if (x && typeof x === "object") {
    yield x as Obj;
    for (const v of Object.values(x)) yield* objects(v);
  }
}

/** The first node with a `loc` equal to the span of `needle` in SAMPLE (and matching `also`). */
function nodeAt(ir: unknown, needle: string, also: (o: Obj) => boolean = () => true): Obj {
  const span = at(SAMPLE, needle);
  for (const o of objects(ir)) {
    const loc = o["loc"] as { start: number; end: number } | undefined;
    if (loc && loc.start === span.start && loc.end === span.end && also(o)) return o;
  }
  throw new Error(`no IR node at ${needle}`);
}

const primary = (d: Diagnostic) => ({ start: d.labels[0]!.start, end: d.labels[0]!.end });

function only(diags: Diagnostic[]): Diagnostic {
  expect(diags).toHaveLength(1);
  expect(diags[0]!.code).toBe("SEQ0005");
  expect(diags[0]!.severity).toBe("error");
  expect(diags[0]!.labels[0]!.file).toBe(FILE);
  return diags[0]!;
}

describe("IR_SCHEMA", () => {
  it("is a draft 2020-12 schema that ajv compiles in strict mode", () => {
    expect(IR_SCHEMA["$schema"]).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(IR_SCHEMA["$id"]).toMatch(/^https:\/\//);
    expect(() => new Ajv2020({ strict: true, allErrors: true }).compile(IR_SCHEMA)).not.toThrow();
  });

  it("closes every object schema (dispatchers route to closed variants)", () => {
    const open: string[] = [];
    const visit = (s: unknown, path: string) => {
      if (Array.isArray(s)) return s.forEach((v, i) => visit(v, `${path}/${i}`));
      if (!s || typeof s !== "object") return;
      const schema = s as JsonSchema;
      const isDispatcher = Array.isArray(schema["allOf"]);
      if (schema["type"] === "object" && schema["properties"] && !isDispatcher && schema["additionalProperties"] !== false) open.push(path);
      for (const [k, v] of Object.entries(schema)) if (k !== "if" && k !== "then") visit(v, `${path}/${k}`);
    };
    visit(IR_SCHEMA, "#");
    expect(open).toEqual([]);
  });

  it("takes the expression ops from the op vocabulary", () => {
    const defs = IR_SCHEMA["$defs"] as Record<string, JsonSchema>;
    const ops = ((defs["expr"]!["properties"] as Obj)["op"] as { enum: string[] }).enum;
    expect([...ops].sort()).toEqual([...OP_KINDS, ...SPECIAL_OPS].sort());
    expect(((defs["opExpr"]!["properties"] as Obj)["op"] as { enum: string[] }).enum).toEqual(OP_KINDS);
  });
});

describe("validateIr on lowered specs", () => {
  const ir = lower(SAMPLE);

  it("covers every item and statement kind in the sample", () => {
    const kinds = new Set([...objects(ir)].map((o) => o["kind"]).filter((k) => typeof k === "string"));
    for (const k of ["import", "dim", "vocab", "cell", "fn", "model", "input", "target", "param", "state", "assign", "out", "loss", "train", "feedback"]) {
      expect(kinds).toContain(k);
    }
    for (const k of ["reverse", "bidirectional", "repeat"]) expect(kinds).toContain(k);
    const ops = new Set([...objects(ir)].map((o) => o["op"]).filter((k) => typeof k === "string"));
    for (const op of SPECIAL_OPS) expect(ops).toContain(op);
    expect([...objects(ir)].some((o) => o["comments"] !== undefined)).toBe(true);
    expect([...objects(ir)].some((o) => o["endComments"] !== undefined)).toBe(true);
  });

  it("accepts the sample", () => {
    expect(validateIr(FILE, ir)).toEqual([]);
    expect(isValidIr(ir)).toBe(true);
  });

  it("accepts the sample's JSON round trip, which equals it", () => {
    const back: unknown = JSON.parse(JSON.stringify(ir));
    expect(back).toEqual(ir);
    expect(validateIr(FILE, back)).toEqual([]);
    expect(isValidIr(back)).toBe(true);
  });

  it("a const's literal keeps each row's and number's span; a number out of range is SEQ0006 at it, not a schema error", () => {
    const text = "model m {\n  const t: [2, 2] = [[1, -2], [0.5, 4]]\n}\n";
    const ir = lower(text);
    const c = (ir.items[0] as { body: { valueLoc: unknown }[] }).body[0]!;
    const span = (needle: string) => at(text, needle);
    expect(c.valueLoc).toEqual({ ...span("[[1, -2], [0.5, 4]]"), items: [{ ...span("[1, -2]"), items: [span("1"), span("-2")] }, { ...span("[0.5, 4]"), items: [span("0.5"), span("4")] }] });
    expect(validateIr(FILE, ir)).toEqual([]);
    const big = "model m {\n  const m: [2] = [1, 1e999]\n}\n";
    const lowered = lowerModule(FILE, parseText(FILE, big).module);
    expect(lowered.diagnostics.map((d) => [d.code, d.message, primary(d)])).toEqual([["SEQ0006", "the number 1e999 is out of range", at(big, "1e999")]]);
    expect(validateIr(FILE, lowered.module)).toEqual([]);
  });

  it("leaves dims bound to expressions to the checker", () => {
    expect(validateIr(FILE, lower("dim K = 4\ndim H = 2 * K\ndim N = -5\ndim M = 2147483647\ndim O = 1\n"))).toEqual([]);
  });

  it("reports dim = 0 on the number, in words", () => {
    const text = "dim H = 128\ndim K = 0\n";
    const d = only(validateIr(FILE, lower(text)));
    expect(d.message).toBe("dim K = 0 is out of range: dims are whole numbers from 1 to 2147483647");
    expect(primary(d)).toEqual(at(text, "0"));
  });

  it("reports dim = 99999999999 on the number, in words", () => {
    const text = "model m {\n  dim H = 99999999999\n}\n";
    const d = only(validateIr(FILE, lower(text)));
    expect(d.message).toBe("dim H = 99999999999 is out of range: dims are whole numbers from 1 to 2147483647");
    expect(primary(d)).toEqual(at(text, "99999999999"));
  });

  it("reports a dim that is not a whole number once", () => {
    const text = "dim H = 0.5\n";
    const d = only(validateIr(FILE, lower(text)));
    expect(d.message).toMatch(/^dim H = 0.5 is out of range/);
  });

  it("reports `multiple of` below 2 on the dim", () => {
    const text = "dim T multiple of 1\n";
    const d = only(validateIr(FILE, lower(text)));
    expect(d.message).toBe("dim T multiple of 1 is out of range: `multiple of` takes a whole number from 2 to 2147483647");
    expect(primary(d)).toEqual(at(text, "dim T multiple of 1"));
  });

  it("reports duplicate, empty and missing vocabulary tokens on the vocab", () => {
    const text = 'vocab abc[V] = [A, B, A]\nvocab e[E] = []\nvocab s[S] = ["", x]\n';
    const diags = validateIr(FILE, lower(text));
    expect(diags.map((d) => [d.code, d.message, primary(d)])).toEqual([
      ["SEQ0005", 'vocab abc lists the token "A" more than once', at(text, "vocab abc[V] = [A, B, A]")],
      ["SEQ0005", expect.stringMatching(/^vocab e = \[\] has no tokens/), at(text, "vocab e[E] = []")],
      ["SEQ0005", "vocab s has an empty token", at(text, 'vocab s[S] = ["", x]')],
    ]);
  });
});

describe("validateIr on broken IR", () => {
  const fresh = (): IrModule => structuredClone(lower(SAMPLE));

  it("reports an unknown op on its expression", () => {
    const ir = fresh();
    nodeAt(ir, "sigmoid(f)")["op"] = "frobnicate";
    const d = only(validateIr(FILE, ir));
    expect(d.message).toMatch(/^IR \/items\/\d+\/body\/\d+\/value\/args\/0\/args\/0\/op: must be equal to one of the allowed values, got "frobnicate"$/);
    expect(primary(d)).toEqual(at(SAMPLE, "sigmoid(f)"));
    expect(isValidIr(ir)).toBe(false);
  });

  it("reports an extra property on its node", () => {
    const ir = fresh();
    nodeAt(ir, "state h: [H] = 0")["extra"] = true;
    const d = only(validateIr(FILE, ir));
    expect(d.message).toMatch(/^IR \/items\/\d+\/body\/\d+: must NOT have additional properties: extra$/);
    expect(primary(d)).toEqual(at(SAMPLE, "state h: [H] = 0"));
  });

  it("reports an extra property on an expression variant", () => {
    const ir = fresh();
    nodeAt(ir, "e.h", (o) => o["op"] === "member")["extra"] = 1;
    const d = only(validateIr(FILE, ir));
    expect(d.message).toMatch(/additional properties: extra$/);
    expect(primary(d)).toEqual(at(SAMPLE, "e.h"));
  });

  it("reports a negative loc on the nearest node with a valid loc", () => {
    const ir = fresh();
    const gAt = at(SAMPLE, "tanh(g)").start + "tanh(".length;
    const g = [...objects(ir)].find((o) => o["op"] === "ref" && (o["loc"] as Obj)["start"] === gAt)!;
    expect(g["name"]).toBe("g");
    (g["loc"] as Obj)["start"] = -1;
    const d = only(validateIr(FILE, ir));
    expect(d.message).toMatch(/\/loc\/start: must be >= 0$/);
    expect(primary(d)).toEqual(at(SAMPLE, "tanh(g)"));
  });

  it("reports a bad name, a missing property and an unknown statement kind", () => {
    const ir = fresh();
    nodeAt(ir, "e.c", (o) => o["op"] === "member")["of"] = "e-x";
    delete nodeAt(ir, "out h'")["value"];
    nodeAt(ir, "loss mse(p, y)")["kind"] = "cost";
    const diags = validateIr(FILE, ir);
    expect(diags.map((d) => [d.message.replace(/^IR \S+: /, ""), primary(d)])).toEqual([
      ["must have required property 'value'", at(SAMPLE, "out h'")],
      ['must match pattern "^[A-Za-z_][A-Za-z0-9_]*$", got "e-x"', at(SAMPLE, "e.c")],
      [expect.stringMatching(/^must be equal to one of the allowed values \("dim", .*"feedback"\), got "cost"$/), at(SAMPLE, "loss mse(p, y)")],
    ]);
  });

  it("reports the version at the start of the file", () => {
    const ir = { ...fresh(), version: 2 };
    const d = only(validateIr(FILE, ir));
    expect(d.message).toBe("IR /version: must be equal to constant, got 2");
    expect(primary(d)).toEqual({ start: 0, end: 0 });
  });

  it("rejects what is not a module", () => {
    expect(only(validateIr(FILE, null)).message).toBe("IR /: must be object");
    expect(isValidIr([])).toBe(false);
    expect(isValidIr({ version: 1, items: [] })).toBe(true);
  });

  it("rejects numbers that are not finite or beyond 2^53", () => {
    for (const value of [Number.POSITIVE_INFINITY, Number.NaN, 2 ** 53 + 2, -(2 ** 53) - 2]) {
      const ir = fresh();
      nodeAt(ir, "0.001")["value"] = value;
      expect(isValidIr(ir)).toBe(false);
    }
    const ir = fresh();
    nodeAt(ir, "0.001")["value"] = -(2 ** 53);
    expect(isValidIr(ir)).toBe(true);
  });

  it("caps the diagnostics and says how many were left out", () => {
    const ir = fresh();
    let n = 0;
    for (const o of objects(ir)) if (o["op"] === "ref") (o["extra" + n++] = 1);
    expect(n).toBeGreaterThan(MAX_SCHEMA_DIAGNOSTICS);
    const diags = validateIr(FILE, ir);
    expect(diags).toHaveLength(MAX_SCHEMA_DIAGNOSTICS);
    expect(diags[diags.length - 1]!.notes).toEqual([`${n - MAX_SCHEMA_DIAGNOSTICS} more IR schema errors not shown`]);
  });
});

describe("selectErrors", () => {
  const err = (keyword: string, instancePath: string, message = keyword): ErrorObject => ({ keyword, instancePath, schemaPath: "#", params: {}, message });

  it("keeps the deepest errors of a failed oneOf / anyOf and drops if wrappers", () => {
    const errors = [
      err("required", "/a"),
      err("type", "/items/0/x"),
      err("const", "/items/0/x/y/z"),
      err("enum", "/items/0/x/y/w"),
      err("if", "/items/0"),
      err("oneOf", "/items/0"),
      err("anyOf", "/b"),
    ];
    expect(selectErrors(errors).map((e) => `${e.keyword} ${e.instancePath}`)).toEqual(["required /a", "const /items/0/x/y/z", "enum /items/0/x/y/w", "anyOf /b"]);
  });

  it("collapses nested groups from the inside out", () => {
    const errors = [err("type", "/x/a"), err("const", "/x/a/b/c"), err("oneOf", "/x/a"), err("required", "/x"), err("oneOf", "/x")];
    expect(selectErrors(errors).map((e) => `${e.keyword} ${e.instancePath}`)).toEqual(["const /x/a/b/c"]);
  });
});
