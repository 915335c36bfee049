/**
 * Type-checking the ts target's output with the TypeScript compiler API, each
 * distinct file once: every output holds the same runtime files and the same
 * train.ts (only model.ts differs), so the outputs of many models are written
 * as one directory with one copy of the runtime, each model as
 * LABEL.model.ts with its entry LABEL.train.ts (train.ts importing it), and
 * the tsconfig.json that `seqc compile` writes. `npx tsc -p DIR --typeRoots
 * <repo>/node_modules/@types` reproduces a failure.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { OUTPUT_TSCONFIG, outputFiles, runtimeSources, TRAIN_TS } from "../../../src/backends/ts/compile.js";

export { OUTPUT_TSCONFIG };

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
/** The output folders live in the temporary directory, which has no node_modules: @types/node comes from this repository. */
const TYPE_ROOTS = join(ROOT, "node_modules", "@types");

/** The files that must not need Node (a browser can load the model and train it with its own loop). */
export const BROWSER_SAFE = ["model.ts", "model-api.ts", "gemm.ts", "gemm-js.ts", "gemm-simd.ts", "gemm-wasm.ts", "init.ts", "optim.ts", "settings.ts", "closed-loop.ts"];

/** Writes files and the package.json and tsconfig.json that `seqc compile` writes beside them (outputFiles, no .js). */
export function writeOut(dir: string, files: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(outputFiles(files, { js: false }))) writeFileSync(join(dir, name), text);
}

/** The compiler options of a directory's tsconfig.json with this repository's typeRoots, and overrides of compilerOptions. */
export function optionsOf(dir: string, overrides: Record<string, unknown> = {}): ts.CompilerOptions {
  return parseConfig(dir, overrides).options;
}

/** The root files tsc -p DIR checks (the tsconfig's include). */
export function rootsOf(dir: string): string[] {
  return parseConfig(dir).fileNames;
}

function parseConfig(dir: string, overrides: Record<string, unknown> = {}): ts.ParsedCommandLine {
  const config = ts.readConfigFile(join(dir, "tsconfig.json"), ts.sys.readFile);
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, "\n"));
  const json = config.config as { compilerOptions: Record<string, unknown> };
  const parsed = ts.parseJsonConfigFileContent({ ...json, compilerOptions: { ...json.compilerOptions, typeRoots: [TYPE_ROOTS], ...overrides } }, ts.sys, dir);
  if (parsed.errors.length > 0) throw new Error(parsed.errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")).join("; "));
  return parsed;
}

/** tsc's diagnostics (syntax and types) of one program over these root files, as "file(line,col): TSnnnn: message". */
export function typeCheck(roots: string[], options: ts.CompilerOptions): { errors: string[]; program: ts.Program } {
  const program = ts.createProgram(roots, options);
  const errors = ts.getPreEmitDiagnostics(program).map((d) => {
    const msg = ts.flattenDiagnosticMessageText(d.messageText, "\n");
    if (!d.file || d.start === undefined) return `TS${d.code}: ${msg}`;
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    return `${d.file.fileName}(${line + 1},${character + 1}): TS${d.code}: ${msg}`;
  });
  return { errors, program };
}

/** One output of the ts target (emitFiles), named by a label made of letters, digits, `_` and `-`. */
export interface Output {
  label: string;
  files: Record<string, string>;
}

/**
 * Writes outputs into `dir` as one folder (see the file comment). Every
 * output's files other than model.ts must be the runtime files and train.ts
 * (so that one copy stands for all); an output that differs throws.
 * Returns the models' and entries' paths by label.
 */
export function writeShared(dir: string, outputs: Output[], runtime: Record<string, string>): Map<string, { model: string; train: string }> {
  const shared: Record<string, string> = { ...runtime };
  const paths = new Map<string, { model: string; train: string }>();
  for (const o of outputs) {
    if (!/^[\w-]+$/.test(o.label)) throw new Error(`output label ${o.label}: letters, digits, _ and - only`);
    if (paths.has(o.label)) throw new Error(`two outputs labelled ${o.label}`);
    const { "model.ts": model, "train.ts": train, ...rest } = o.files;
    if (model === undefined || train !== TRAIN_TS) throw new Error(`${o.label}: an output has model.ts and the constant train.ts`);
    const others = Object.keys(rest).sort();
    if (others.join() !== Object.keys(runtimeSources()).sort().join()) throw new Error(`${o.label}: files ${others.join(", ")} are not the runtime's`);
    for (const f of others) if (rest[f] !== runtime[f]) throw new Error(`${o.label}: ${f} is not the runtime's text`);
    shared[`${o.label}.model.ts`] = model;
    shared[`${o.label}.train.ts`] = TRAIN_TS.replace(`from "./model.js"`, `from "./${o.label}.model.js"`);
    paths.set(o.label, { model: join(dir, `${o.label}.model.ts`), train: join(dir, `${o.label}.train.ts`) });
  }
  writeOut(dir, shared);
  return paths;
}
