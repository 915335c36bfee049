/**
 * The ts target: a checked model's graph -> the files of a standalone trainer.
 * `model.ts` is generated (src/backends/ts/emit.ts); `train.ts` is a two-line
 * entry; every file of src/runtime/ (kernels, initialisers, optimizers, data,
 * model directory, the trainer) is copied next to them. `emitFiles` is pure; reading the
 * runtime's text from the package is `runtimeSources`.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { lossTerms, NodeError, type Dim, type Graph, type Source } from "../../graph/graph.js";
import { dimTable, vocabInfos } from "../../graph/dims.js";
import { fuseProgram } from "../../kernel/fuse.js";
import { KERNEL_DEFAULTS, lowerGraph, type KernelOptions } from "../../kernel/lower.js";
import type { ModelInfo as CheckedModel } from "../../check/infer.js";
import type { Program } from "../../ir/program.js";
import { specSettings, type TrainSettings } from "../settings.js";
import { emitModel } from "./emit.js";
import { packageRoot } from "../package-root.js";
import type { FieldInfo, ModelInfo } from "../../runtime/model-api.js";


export interface TsOptions {
  precision: "f32" | "f64";
  /** The lowering's speed choices (all on unless given; the benchmark turns them off one at a time). */
  kernel?: Partial<KernelOptions>;
}

/** A compile problem that is the spec's, not a bug: reported to the user with exit code 1 (`src`: where in the spec). */
export class TsTargetError extends NodeError {}

/** The texts of the runtime files, read from this package's sources. */
export function runtimeSources(): Record<string, string> {
  const runtime = join(packageRoot(), "src", "runtime");
  const files = readdirSync(runtime).filter((f) => f.endsWith(".ts")).sort();
  return Object.fromEntries(files.map((f) => [f, readFileSync(join(runtime, f), "utf8")]));
}

function fieldShape(graph: Graph, d: Dim, what: string, src?: Source): number | string {
  const table = dimTable(graph);
  const fixed = table.evaluate(d, table.bound());
  if (fixed !== undefined) return fixed;
  if (d.length === 1 && !d[0]![0].includes("*")) {
    const [atom, coef] = d[0]!;
    const multiple = table.atoms.get(atom)!.multiple;
    if (coef === multiple) return atom;
    // A part or multiple of a dim, e.g. T/4 of `dim T multiple of 4`: written as such.
    const g = gcd(coef, multiple);
    return `${coef / g === 1 ? "" : `${coef / g}*`}${atom}${multiple / g === 1 ? "" : `/${multiple / g}`}`;
  }
  throw new TsTargetError(`the ts target reads data whose axes are numbers or a dim, a part or a multiple of one (T, T/2, 2*T); ${what} has another axis: keep the length through the model (pad: same or causal keeps T) and declare ${what.split(" ")[1]} over T`, src);
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** What the runtime needs to know about the model (data fields, parameters, settings). */
export function modelInfo(graph: Graph, settings: TrainSettings, spec: { file: string; source: string }, opts: TsOptions): ModelInfo {
  const vocabs = vocabInfos(graph);
  const vocabDims = new Set(vocabs.flatMap((v) => (v.sizeDim !== undefined ? [v.sizeDim] : [])));
  const fields: FieldInfo[] = [];
  for (const n of graph.nodes) {
    if (n.kind !== "input") continue;
    const f: FieldInfo = { name: n.name, role: n.role, dtype: n.vocab !== undefined ? "int32" : "float32", shape: n.shape.map((d) => fieldShape(graph, d, `${n.role} ${n.name}`, n.src)) };
    if (n.vocab !== undefined) f.vocab = n.vocab;
    fields.push(f);
  }
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const losses = lossTerms(graph).map((n) => {
    const t = byId.get(n.args[1]!);
    const out: ModelInfo["losses"][number] = { op: n.op as ModelInfo["losses"][number]["op"] };
    if (t?.kind === "input") out.target = t.name;
    const p = Object.entries(graph.values).find(([, id]) => id === n.args[0])?.[0];
    if (p !== undefined) out.prediction = p;
    return out;
  });
  const info: ModelInfo = {
    name: graph.model,
    spec,
    dims: graph.dims.map((a) => (a.value !== undefined ? { name: a.name, multiple: a.multiple, value: a.value } : { name: a.name, multiple: a.multiple })),
    lengthDims: graph.dims.filter((a) => a.value === undefined && !vocabDims.has(a.name)).map((a) => a.name),
    vocabs,
    fields,
    params: graph.params.map((p) => ({ name: p.name, shape: p.shape, init: p.init, ...(p.trainable === false ? { trainable: false as const } : {}) })),
    losses,
    // The scans whose final states truncated BPTT carries into the next window: forward ones.
    scans: graph.nodes.flatMap((n) => (n.kind === "scan" && !n.scan.reverse ? [{ name: n.scan.name, states: n.scan.states.map((s) => s.name) }] : [])),
    settings: { ...settings, optimizer: { ...settings.optimizer, options: { ...settings.optimizer.options } } },
    precision: opts.precision,
  };
  if (graph.feedback) info.feedback = { ...graph.feedback };
  return info;
}

/** The train.ts entry: the runtime's trainer with this model. */
export const TRAIN_TS = `// Generated by seqc: trains, evaluates and samples the model of model.ts (node train.js --help).
// First: turns on relaxed SIMD where Node has it behind a flag, before gemm.js compiles its module.
import "./relaxed-simd.js";
import { main } from "./trainer.js";
import { createModel, INFO } from "./model.js";

main(process.argv.slice(2), INFO, createModel).then((code) => {
  process.exitCode = code;
});
`;

/** Every file of the standalone trainer, by name. */
export function emitFiles(graph: Graph, sources: Map<string, string>, settings: TrainSettings, spec: { file: string; source: string }, opts: TsOptions, runtime: Record<string, string>): Record<string, string> {
  let program;
  try {
    // Vector math is f32's (vmath.wat): f64 keeps Math.exp and Math.tanh in its fused loops.
    const kernel = { ...KERNEL_DEFAULTS, vectorMath: opts.precision === "f32", ...opts.kernel };
    program = fuseProgram(lowerGraph(graph, kernel), kernel);
  } catch (e) {
    if (e instanceof Error && /ts target/.test(e.message)) throw new TsTargetError(e.message, e instanceof NodeError ? e.src : undefined);
    throw e;
  }
  const info = modelInfo(graph, settings, spec, opts);
  return { ...runtime, "model.ts": emitModel(program, info, opts, sources), "train.ts": TRAIN_TS };
}

/** tsconfig.json of the output: strict, ES2022 modules as Node runs them. */
export const OUTPUT_TSCONFIG = {
  compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: true, lib: ["ES2022"], types: ["node"] },
  include: ["*.ts"],
};

/**
 * The runtime's and train.ts's JavaScript, transpiled by `npm run build`
 * (./runtime-cache.ts), next to compile.js in dist/ (never in src/): every
 * `seqc compile` would otherwise spend half a second transpiling the same
 * files again.
 */
export const RUNTIME_JS_MODULE = "runtime-js.generated.json";

/** One transpiled file: its TypeScript text and the JavaScript made from it. */
export interface TranspiledFile {
  text: string;
  js: string;
}

/** The build's transpiled runtime by TypeScript text; empty when it is missing (running from source) or unreadable. */
function readRuntimeJs(): Map<string, string> {
  try {
    const files = JSON.parse(readFileSync(new URL(`./${RUNTIME_JS_MODULE}`, import.meta.url), "utf8")) as TranspiledFile[];
    return new Map(files.map((f) => [f.text, f.js]));
  } catch {
    return new Map();
  }
}

/** The files whose text never changes between models (the runtime and train.ts), with their JavaScript once made. */
let constantJs: Map<string, string> | undefined;

/** How the output's .ts files become JavaScript: ES2022 modules, types removed. */
export const TRANSPILE_OPTIONS: ts.TranspileOptions = { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } };

/** A .ts file of the output as JavaScript (TRANSPILE_OPTIONS). */
export function transpile(name: string, text: string): string {
  constantJs ??= readRuntimeJs();
  const known = constantJs.get(text);
  if (known !== undefined) return known;
  const js = ts.transpileModule(text, { ...TRANSPILE_OPTIONS, fileName: name }).outputText;
  // model.ts differs for every model: only the constant files are kept, so the map stays as small as the runtime.
  if (name !== "model.ts") constantJs.set(text, js);
  return js;
}

/**
 * The output directory of `seqc compile`: the files, package.json (ES modules),
 * tsconfig.json, and (js) a .js beside each .ts, so `node DIR/train.js` runs.
 */
export function outputFiles(files: Record<string, string>, opts: { js: boolean }): Record<string, string> {
  const out: Record<string, string> = { ...files, "package.json": `${JSON.stringify({ type: "module", private: true }, null, 2)}\n`, "tsconfig.json": `${JSON.stringify(OUTPUT_TSCONFIG, null, 2)}\n` };
  if (opts.js) {
    for (const [name, text] of Object.entries(files)) {
      if (name.endsWith(".ts")) out[name.replace(/\.ts$/, ".js")] = transpile(name, text);
    }
  }
  return out;
}

/**
 * What `seqc compile --target ts` writes for a checked model (and the API's
 * `compile` returns): the trainer's files with the spec's `train {}` settings
 * and this package's runtime, then outputFiles. A TsTargetError says what the
 * target cannot compile.
 */
export function trainerFiles(program: Program, model: CheckedModel, graph: Graph, opts: TsOptions & { js: boolean }): Record<string, string> {
  const spec = { file: program.root.file, source: program.sources.get(program.root.file) ?? "" };
  const files = emitFiles(graph, program.sources, specSettings(model.model), spec, { precision: opts.precision }, runtimeSources());
  return outputFiles(files, { js: opts.js });
}
