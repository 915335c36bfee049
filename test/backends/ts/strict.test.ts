/**
 * Every file the ts target writes type-checks with `tsc --strict`: the output
 * directories of several specs (f32 and f64) with the tsconfig.json that
 * `seqc compile` writes (src/cli/commands/compile.ts OUTPUT_TSCONFIG: ES2022,
 * NodeNext, strict, lib ES2022 only, types ["node"]), and the browser-safe
 * files (model.ts and the runtime files it and the optimizers need:
 * model-api.ts, gemm.ts, init.ts, optim.ts) again with `types: []`, i.e.
 * without Node's globals or modules (and lib ES2022 has no DOM either).
 *
 * One TypeScript program covers all the directories (faster than one tsc per
 * directory). The directories are written to a temporary folder whose path
 * the failure message shows, with the tsconfig.json in each, so that
 * `npx tsc -p DIR` reproduces a failure. (typeRoots points at this
 * repository's node_modules/@types, since the folder has no node_modules.)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildGraph } from "../../../src/graph/build.js";
import { specSettings } from "../../../src/backends/settings.js";
import { emitFiles, RUNTIME_FILES, runtimeSources } from "../../../src/backends/ts/compile.js";
import { checkFile } from "../../helpers/spec.js";
import { BROWSER_SAFE, optionsOf, OUTPUT_TSCONFIG, typeCheck, writeOut } from "./tsc.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** Specs (all their models) whose outputs are checked: recurrent, attention, conv, feedback, several losses, T/4 axes. */
const SPECS = ["ab_recognizer", "char_lstm", "lenet5", "seq2seq_attention", "caption_decoder", "conv_arith", "mut3", "pyramid_rnn"];

interface Out {
  label: string;
  dir: string;
  files: string[];
}

let base: string;
const outs: Out[] = [];

/** Kept for reproducing a failure with `npx tsc -p DIR`; removed when every test passed. */
let keep = false;
beforeEach(({ onTestFailed }) => onTestFailed(() => void (keep = true)));
afterAll(() => {
  if (base && !keep) rmSync(base, { recursive: true, force: true });
});

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), "seqc-strict-"));
  const runtime = runtimeSources();
  for (const name of SPECS) {
    const { models, sources, file, source } = checkFile(join(ROOT, "specs", `${name}.seq`));
    for (const m of models) {
      for (const precision of ["f32", "f64"] as const) {
        const files = emitFiles(buildGraph(m), sources, specSettings(m.model), { file, source }, { precision }, runtime);
        const dir = join(base, `${m.name}-${precision}`);
        writeOut(dir, files);
        outs.push({ label: `${name}.seq ${m.name} ${precision}`, dir, files: Object.keys(files) });
      }
    }
  }
});

describe("tsc --strict on the ts target's output", () => {
  it("the outputs hold model.ts, train.ts and every runtime file", () => {
    expect(outs.length).toBeGreaterThanOrEqual(2 * (SPECS.length + 6)); // conv_arith has 7 models
    for (const o of outs) expect(o.files.sort(), o.label).toEqual(["model.ts", "train.ts", ...RUNTIME_FILES].sort());
    expect(OUTPUT_TSCONFIG.compilerOptions).toMatchObject({ strict: true, module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022" });
  });

  it("every file of every output passes tsc --strict (with Node's types)", () => {
    const roots = outs.flatMap((o) => o.files.filter((f) => f.endsWith(".ts")).map((f) => join(o.dir, f)));
    const { errors, program } = typeCheck(roots, optionsOf(outs[0]!.dir));
    expect(errors, `outputs in ${base}`).toEqual([]);
    // The program did check them all (and the options were the strict ones).
    expect(program.getCompilerOptions().strict).toBe(true);
    for (const r of roots) expect(program.getSourceFile(r), r).toBeDefined();
  });

  it("model.ts, model-api.ts, gemm.ts, init.ts and optim.ts need no Node (types: [], lib ES2022 only)", () => {
    const roots = outs.flatMap((o) => BROWSER_SAFE.map((f) => join(o.dir, f)));
    const options = optionsOf(outs[0]!.dir, { types: [] });
    expect(options.types).toEqual([]);
    expect(options.lib).toEqual(["lib.es2022.d.ts"]);
    const { errors, program } = typeCheck(roots, options);
    expect(errors, `outputs in ${base}`).toEqual([]);
    // Nothing else was pulled in by an import (e.g. trainer.ts, or @types/node).
    const own = program.getSourceFiles().filter((f) => !program.isSourceFileDefaultLibrary(f)).map((f) => f.fileName);
    expect(own.sort()).toEqual(roots.sort());
  });

  it("the browser-safe check would catch a Node built-in", () => {
    const dir = join(base, "node-use");
    writeOut(dir, { "model.ts": 'import { readFileSync } from "node:fs";\nexport const x: string = readFileSync("a", "utf8") + process.argv[0];\n' });
    const { errors } = typeCheck([join(dir, "model.ts")], optionsOf(dir, { types: [] }));
    expect(errors.join("\n")).toMatch(/node:fs/);
    expect(errors.join("\n")).toMatch(/process/);
  });
});
