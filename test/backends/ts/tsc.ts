/** Writing ts-target output directories as `seqc compile` does, and type-checking them with the TypeScript compiler API. */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { OUTPUT_TSCONFIG } from "../../../src/backends/ts/compile.js";

export { OUTPUT_TSCONFIG };

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
/** The output folders live in the temporary directory, which has no node_modules: @types/node comes from this repository. */
const TYPE_ROOTS = join(ROOT, "node_modules", "@types");

/** The files that must not need Node (a browser can load the model and train it with its own loop). */
export const BROWSER_SAFE = ["model.ts", "model-api.ts", "gemm.ts", "init.ts", "optim.ts", "settings.ts"];

/** Writes an output directory as `seqc compile` does (the files, package.json, tsconfig.json; typeRoots added). */
export function writeOut(dir: string, files: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module", private: true }, null, 2) + "\n");
  const tsconfig = { ...OUTPUT_TSCONFIG, compilerOptions: { ...OUTPUT_TSCONFIG.compilerOptions, typeRoots: [TYPE_ROOTS] } };
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(tsconfig, null, 2) + "\n");
}

/** The compiler options of a directory's tsconfig.json, with overrides of compilerOptions. */
export function optionsOf(dir: string, overrides: Record<string, unknown> = {}): ts.CompilerOptions {
  const config = ts.readConfigFile(join(dir, "tsconfig.json"), ts.sys.readFile);
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, "\n"));
  const json = config.config as { compilerOptions: Record<string, unknown> };
  const parsed = ts.parseJsonConfigFileContent({ ...json, compilerOptions: { ...json.compilerOptions, ...overrides } }, ts.sys, dir);
  if (parsed.errors.length > 0) throw new Error(parsed.errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")).join("; "));
  return parsed.options;
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
