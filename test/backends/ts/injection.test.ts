/**
 * Nothing from a spec can break the TypeScript the ts target writes. The
 * language's names are identifiers ([A-Za-z_][A-Za-z0-9_]*, grammar/tokens.ts)
 * that are not its own keywords, so they can be JavaScript keywords (new,
 * class, this, return), globals (Math, Object), the emitted file's own names
 * (F, gemm, INFO, unit, initParam, createModel, Model) and the members of the
 * emitted class (params, grads, layout, info, init, forward, constructor,
 * __proto__, ...). Strings ("..." with \" \\ \n \t \uXXXX escapes, raw
 * characters except line breaks) become vocabulary tokens and the feedback
 * stop token: quotes, backslashes, comment ends, ${, backticks, newlines,
 * U+2028/U+2029 (line terminators in JavaScript comments), a lone surrogate,
 * NUL. Comments (# to the end of the line) can hold anything but \n and \r,
 * raw U+2028 included, and they reach the emitted comments through the source
 * lines quoted there; so can the spec's file name.
 *
 * For such specs: the output passes tsc --strict (and model.ts needs no Node),
 * it runs (finite loss, gradients equal central differences), and INFO
 * carries the names, the tokens, the file name and the source exactly.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { checkProgram } from "../../../src/check/check.js";
import { buildGraph } from "../../../src/graph/build.js";
import { loadProgram } from "../../../src/ir/program.js";
import { specSettings } from "../../../src/backends/settings.js";
import { emitFiles, runtimeSources } from "../../../src/backends/ts/compile.js";
import type { Batch, CompiledModel, Dims, ModelInfo } from "../../../src/backends/ts/runtime/model-api.js";
import { perturb, randomBatch, Rng, transpile } from "../../helpers/emitted.js";
import { compiledLoss, gradientCheck } from "../../helpers/gradcheck.js";
import { BROWSER_SAFE, optionsOf, typeCheck, writeOut } from "./tsc.js";

const LS = "\u2028";
const PS = "\u2029";

/** Spec text from a template where <LS>, <PS>, <D> and <BT> stand for U+2028, U+2029, $ and a backtick (so that this file stays plain). */
const spec = (t: string): string => t.replace(/<LS>/g, LS).replace(/<PS>/g, PS).replace(/<D>/g, "$").replace(/<BT>/g, "`");

/** Tokens as the spec writes them (inside the quotes), and the strings they stand for. */
const TOKENS: [written: string, value: string][] = [
  [String.raw`a\"b`, 'a"b'],
  [String.raw`\"`, '"'],
  [String.raw`back\\slash`, "back\\slash"],
  ["*/", "*/"],
  ["/*", "/*"],
  ["<D>{x}", "${x}"],
  ["<BT>tick<BT>", "`tick`"],
  ["<BT>; throw 1; //", "`; throw 1; //"],
  [String.raw`new\nline`, "new\nline"],
  [String.raw`tab\t`, "tab\t"],
  [String.raw`\u2028sep`, `${LS}sep`],
  [`raw<LS>sep`, `raw${LS}sep`],
  [String.raw`para\u2029`, `para${PS}`],
  [`raw<PS>para`, `raw${PS}para`],
  ["\u00e9\u20ac\u{1f600}", "\u00e9\u20ac\u{1f600}"],
  [String.raw`\ud800`, "\ud800"],
  [String.raw`nul\u0000`, "nul\u0000"],
  [" ", " "],
  [String.raw`\\u0041`, "\\u0041"],
  ["__proto__", "__proto__"],
  ["constructor", "constructor"],
  [String.raw`*/\u2028<BT><D>{x}<BT>`, `*/${LS}\`\${x}\``],
];
/** Unquoted tokens (names and numbers) after the strings. */
const BARE: [written: string, value: string][] = [
  ["new", "new"],
  ["toString", "toString"],
  ["12", "12"],
];
const STOP = `*/${LS}\`\${x}\``;

/**
 * Keywords and the emitted class's members as names of cells, params,
 * states, dims, vocabularies, inputs, targets and model values; raw U+2028
 * and U+2029 in comments, on lines that the emitted comments quote.
 */
const KEYWORDS = spec(`# Names that JavaScript or the emitted code use. */ /* <D>{x} <BT> raw U+2028 [<LS>] and U+2029 [<PS>]
cell toString<valueOf>(hasOwnProperty: [X]) -> [valueOf] {
  param constructor: [valueOf, X + valueOf] = glorot  # */ <BT><D>{ [<LS>] ends a // comment
  param __proto__: [valueOf] = zeros
  param prototype: [valueOf, valueOf] = orthogonal
  state this: [valueOf] = 0
  this' = tanh(constructor @ concat(hasOwnProperty, this) + __proto__ + prototype @ this)  # [<PS>] too
  out this'
}

fn gemm<F>(x: [D]) -> [F] {
  param INFO: [F, D] = glorot
  param unit: [F] = 0.1
  out INFO @ x + unit
}

model class {
  vocab constructor[__proto__] = [${[...TOKENS.map(([w]) => `"${w}"`), ...BARE.map(([w]) => w)].join(", ")}]
  dim this
  input new: [this] of constructor
  input Math: [this, 2]
  target return: [this] of constructor
  target F: [this, 1]
  params = gemm<3>(concat(one_hot(new), Math))  # */ <D>{x} <BT> [<LS>] }
  grads = toString<4>(params)
  layout = dense<__proto__>(grads)
  info = sigmoid(gemm<1>(grads))
  init = info * 1
  forward = first(grads)
  initial = dense<1>(forward)
  B = mean(initial)
  loss cross_entropy(layout, return)
  loss mse(init, F)
  loss mse(B, B * 0)
  feedback new from layout until "${STOP}"
  train { optimizer: adam(lr: 0.01), batch: 2, epochs: 1 }
}
`);

/** Object.prototype's names as a free length dim and a data vocabulary's size dim (a plain object's `in` sees them). */
const PROTO_DIMS = spec(`model toString {
  vocab hasOwnProperty[constructor]  # from the data; its size dim is "constructor"
  dim __proto__
  input valueOf: [__proto__] of hasOwnProperty
  target prototype: [__proto__] of hasOwnProperty
  __defineGetter__ = elman<4>(one_hot(valueOf))
  isPrototypeOf = dense<constructor>(__defineGetter__)
  loss cross_entropy(isPrototypeOf, prototype)
}
`);

/** A file name with a line break, a comment end, a template hole and U+2028 (it is quoted in the emitted comments and INFO). */
const FILE = spec("we\"ird */ <D>{x} <BT>\n<LS>name.seq");

let base: string;
let keep = false;
beforeEach(({ onTestFailed }) => onTestFailed(() => void (keep = true)));
afterAll(() => {
  if (base && !keep) rmSync(base, { recursive: true, force: true });
});

interface Compiled {
  files: Record<string, string>;
  dir: string;
  info: ModelInfo;
  createModel: (dims: Dims, maxBatch: number) => CompiledModel;
}

/** Checks a spec given as text under a file name, emits it (both precisions) and imports the f64 model. */
async function compile(text: string, file: string): Promise<Compiled & { f32dir: string }> {
  base ??= mkdtempSync(join(tmpdir(), "seqc-injection-"));
  const program = loadProgram(file, {
    text,
    cwd: "/virtual",
    readFile: (p) => {
      throw new Error(`no file ${p}`);
    },
  });
  const result = checkProgram(program);
  expect([...program.diagnostics, ...result.diagnostics].map((d) => `${d.code} ${d.message}`)).toEqual([]);
  expect(result.models).toHaveLength(1);
  const m = result.models[0]!;
  const graph = buildGraph(m);
  const specRef = { file: program.root.file, source: text };
  const out: Record<string, string> = {};
  for (const precision of ["f32", "f64"] as const) {
    const files = emitFiles(graph, program.sources, specSettings(m.model), specRef, { precision }, runtimeSources());
    const dir = mkdtempSync(join(base, `${m.name}-${precision}-`));
    writeOut(dir, files);
    out[precision] = dir;
    if (precision === "f64") {
      transpile(dir, files);
      const mod = (await import(pathToFileURL(join(dir, "model.js")).href)) as { INFO: ModelInfo; createModel: Compiled["createModel"] };
      return { files, dir, f32dir: out.f32!, info: mod.INFO, createModel: mod.createModel };
    }
  }
  throw new Error("unreachable");
}

/** Both output directories pass tsc --strict, and their model.ts (with the runtime it imports) needs no Node. */
function expectStrict(c: { dir: string; f32dir: string; files: Record<string, string> }): void {
  const names = Object.keys(c.files).filter((f) => f.endsWith(".ts"));
  const all = typeCheck(
    [c.dir, c.f32dir].flatMap((d) => names.map((f) => join(d, f))),
    optionsOf(c.dir),
  );
  expect(all.errors).toEqual([]);
  const browser = typeCheck(
    [c.dir, c.f32dir].flatMap((d) => BROWSER_SAFE.map((f) => join(d, f))),
    optionsOf(c.dir, { types: [] }),
  );
  expect(browser.errors).toEqual([]);
}

/** A batch from a seeded generator, with the dims as own properties (JSON.parse, so "__proto__" is an own key too). */
function seededBatch(info: ModelInfo, dims: Dims, seed: number): Batch {
  const batch = randomBatch(info, dims, 2, new Rng(seed), "f64");
  return { ...batch, dims: JSON.parse(JSON.stringify(dims)) as Dims };
}

describe("names and strings that would break TypeScript", () => {
  let c: Awaited<ReturnType<typeof compile>>;

  it("the spec checks and compiles; every output file passes tsc --strict; model.ts needs no Node", async () => {
    c = await compile(KEYWORDS, FILE);
    expectStrict(c);
  });

  it("no raw line terminator reaches the text (a U+2028 in a // comment would end it)", () => {
    for (const [name, text] of Object.entries(c.files)) expect(text, name).not.toMatch(/[\r\u2028\u2029]/);
    // The spec's comments and file name do reach model.ts (quoted in // comments), minus their line breaks.
    const model = c.files["model.ts"]!;
    expect(model).toContain("# */ ${x} ` [ ] }");
    expect(model).toContain("// Generated by seqc from we\"ird */ ${x} ` name.seq, model class.");
  });

  it("INFO carries the tokens, the stop token, the names, the file name and the source exactly", () => {
    const info = c.info;
    expect(info.name).toBe("class");
    expect(info.spec.file).toBe(FILE);
    expect(info.spec.source).toBe(KEYWORDS);
    expect(info.vocabs).toHaveLength(1);
    expect(info.vocabs[0]!.name).toBe("constructor");
    expect(info.vocabs[0]!.tokens).toEqual([...TOKENS.map(([, v]) => v), ...BARE.map(([, v]) => v)]);
    expect(info.feedback).toEqual({ input: "new", source: "layout", until: STOP });
    expect(info.fields.map((f) => [f.name, f.role, f.shape, f.vocab ?? null])).toEqual([
      ["new", "input", ["this"], "constructor"],
      ["Math", "input", ["this", 2], null],
      ["return", "target", ["this"], "constructor"],
      ["F", "target", ["this", 1], null],
    ]);
    expect(info.dims.map((d) => d.name).sort()).toEqual(["__proto__", "this"]);
    expect(info.dims.find((d) => d.name === "__proto__")!.value).toBe(TOKENS.length + BARE.length);
    expect(info.params.map((p) => p.name)).toEqual(expect.arrayContaining(["grads.constructor", "grads.__proto__", "grads.prototype", "params.INFO", "params.unit", "info.gemm.INFO"]));
  });

  it("runs: a finite loss, every value readable by its name, and gradients equal central differences", () => {
    const dims: Dims = { this: 3 };
    const model = c.createModel(dims, 2);
    expect(Object.keys(model.layout).sort()).toEqual(c.info.params.map((p) => p.name).sort());
    expect(Object.getPrototypeOf(model.layout)).toBe(Object.prototype);
    model.init(5);
    const rng = new Rng(9);
    perturb(model, rng);
    const batch = seededBatch(c.info, dims, 21);
    const loss = model.forward(batch);
    expect(Number.isFinite(loss)).toBe(true);
    // The class's own members still work after values named params, grads, layout, info, init, forward, initial, B.
    expect(model.params.length).toBe(Object.values(model.layout).reduce((n, l) => n + l.size, 0));
    expect(typeof model.forward).toBe("function");
    expect(model.info).toBe(c.info);
    for (const [name, shape] of [["params", [2, 3, 3]], ["grads", [2, 3, 4]], ["layout", [2, 3, TOKENS.length + BARE.length]], ["info", [2, 3, 1]], ["init", [2, 3, 1]], ["forward", [2, 4]], ["initial", [2, 1]], ["B", [2]], ["new", [2, 3]], ["Math", [2, 3, 2]]] as const) {
      expect(model.value(name).shape, name).toEqual(shape);
    }
    for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty"]) expect(() => model.value(name), name).toThrow();
    // The value named B is the mean over time of `initial`, per example.
    const init = model.value("initial");
    const b = model.value("B");
    for (let i = 0; i < 2; i++) expect(b.data[b.offset + i]).toBeCloseTo(init.data[init.offset + i]!, 12);
    model.backward();
    const g = Float64Array.from(model.grads);
    expect(g.every(Number.isFinite)).toBe(true);
    const r = gradientCheck(compiledLoss(model, batch), g, loss, rng);
    expect(r.failures).toEqual([]);
    expect(r.notTiny).toBeGreaterThan(r.entries / 2);
    expect(Object.keys(model.finalStates())).toEqual(["grads.this"]);
  });
});

describe("Object.prototype's names as dims", () => {
  let c: Awaited<ReturnType<typeof compile>>;

  it("compiles, passes tsc --strict and runs, also when a batch leaves out the dims the model was made with", async () => {
    c = await compile(PROTO_DIMS, "proto.seq");
    expectStrict(c);
    expect(c.info.lengthDims).toEqual(["__proto__"]);
    expect(c.info.vocabs).toEqual([{ name: "hasOwnProperty", sizeDim: "constructor" }]);
    // JSON.parse makes "__proto__" an own property, as reading dims from a file does.
    const dims = JSON.parse('{"__proto__": 3, "constructor": 5}') as Dims;
    const model = c.createModel(dims, 2);
    model.init(1);
    const fields = { valueOf: Int32Array.from([0, 1, 2, 3, 4, 0]), prototype: Int32Array.from([1, 2, 3, 4, 0, 1]) };
    const loss = model.forward({ size: 2, dims: JSON.parse('{"__proto__": 3, "constructor": 5}') as Dims, fields });
    expect(Number.isFinite(loss)).toBe(true);
    // The vocabulary's size need not come with every batch (fixed for the run): "constructor" in {} is true, but it is not given.
    expect(model.forward({ size: 2, dims: JSON.parse('{"__proto__": 3}') as Dims, fields })).toBe(loss);
    expect(model.forward({ size: 2, dims: {}, fields })).toBe(loss);
    model.backward();
    const g = Float64Array.from(model.grads);
    const r = gradientCheck(compiledLoss(model, { size: 2, dims: JSON.parse('{"__proto__": 3, "constructor": 5}') as Dims, fields }), g, loss, new Rng(3));
    expect(r.failures).toEqual([]);
  });
});
