/**
 * Every file the ts target writes type-checks with `tsc --strict`, and this is
 * the one place the tests type-check emitted code: the outputs of several
 * specs (f32 and f64) and of the hostile specs of injection.test.ts, with the
 * tsconfig.json that `seqc compile` writes (src/backends/ts/compile.ts
 * OUTPUT_TSCONFIG: ES2022, NodeNext, strict, lib ES2022 only, types ["node"]),
 * and the browser-safe files (model.ts and the runtime files it and the
 * optimizers need: model-api.ts, gemm.ts, init.ts, optim.ts; and closed-loop.ts,
 * the closed loop a page could run over model.ts) again with
 * `types: []`, i.e. without Node's globals or modules (and lib ES2022 has no
 * DOM either).
 *
 * Every output holds the same runtime files and train.ts; only model.ts
 * differs. So each distinct file is checked once, in one TypeScript program:
 * the outputs are written as one directory (tsc.ts writeShared: the runtime
 * once, each model as LABEL.model.ts with its entry LABEL.train.ts). That a
 * directory as `seqc compile` writes it hands tsc -p every file is checked on
 * one written as it does; that the CLI writes these same files is
 * test/cli/commands/compile.test.ts's. The folder's path is in the failure
 * message; `npx tsc -p DIR --typeRoots <repo>/node_modules/@types`
 * reproduces a failure.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runtimeSources } from "../../../src/backends/ts/compile.js";
import { tsFiles } from "../../helpers/emitted.js";
import { checkFile, compileInline } from "../../helpers/spec.js";
import { FILE, KEYWORDS, PROTO_DIMS } from "./hostile-specs.js";
import { BROWSER_SAFE, optionsOf, OUTPUT_TSCONFIG, type Output, rootsOf, typeCheck, writeOut, writeShared } from "./tsc.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** Specs (all their models) whose outputs are checked: recurrent, dropout, attention, conv, feedback, several losses, T/4 axes. */
const SPECS = ["ab_recognizer", "char_lstm", "char_lstm_dropout", "tdnn_bn", "lenet5", "seq2seq_attention", "caption_decoder", "conv_arith", "mut3", "pyramid_rnn"];
/** Specs given as text, under their file names: names and strings that would break TypeScript (injection.test.ts runs them). */
const HOSTILE: [label: string, text: string, file: string][] = [
  ["keywords", KEYWORDS, FILE],
  ["proto_dims", PROTO_DIMS, "proto.seq"],
];

let base: string;
/** The one folder of every output (see the file comment), and one output written as `seqc compile` writes it. */
let shared: string;
let single: string;
const outputs: Output[] = [];
let paths: Map<string, { model: string; train: string }>;

/** Kept for reproducing a failure with `npx tsc -p DIR`; removed when every test passed. */
let keep = false;
beforeEach(({ onTestFailed }) => onTestFailed(() => void (keep = true)));
afterAll(() => {
  if (base && !keep) rmSync(base, { recursive: true, force: true });
});

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), "seqc-strict-"));
  for (const name of SPECS) {
    const { models, sources, file, source } = checkFile(join(ROOT, "specs", `${name}.seq`));
    for (const m of models) {
      for (const precision of ["f32", "f64"] as const) outputs.push({ label: `${name}-${m.name}-${precision}`, files: tsFiles(m, sources, { file, source }, precision) });
    }
  }
  for (const [label, text, file] of HOSTILE) {
    const c = compileInline(text, { file });
    expect(c.diagnostics.map((d) => `${d.code} ${d.message}`), label).toEqual([]);
    for (const precision of ["f32", "f64"] as const) outputs.push({ label: `${label}-${precision}`, files: tsFiles(c.model!, c.program.sources, { file: c.program.root.file, source: text }, precision, c.graph) });
  }
  shared = join(base, "outputs");
  paths = writeShared(shared, outputs, runtimeSources());
  single = join(base, "ab_recognizer");
  writeOut(single, outputs[0]!.files);
});

describe("tsc --strict on the ts target's output", () => {
  it("the outputs hold model.ts, train.ts and every runtime file, the runtime's and train.ts the same in all", () => {
    expect(outputs.length).toBeGreaterThanOrEqual(2 * (SPECS.length + 6 + HOSTILE.length)); // conv_arith has 7 models
    for (const o of outputs) expect(Object.keys(o.files).sort(), o.label).toEqual(["model.ts", "train.ts", ...Object.keys(runtimeSources())].sort());
    // (writeShared threw if any runtime file or train.ts differed from one output to another.)
    expect(paths.size).toBe(outputs.length);
    expect(OUTPUT_TSCONFIG.compilerOptions).toMatchObject({ strict: true, module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022" });
  });

  it("tsc -p on a directory as seqc compile writes it checks each of its .ts files, with the strict options", () => {
    const written = readdirSync(single).sort();
    expect(written).toEqual([...Object.keys(outputs[0]!.files), "package.json", "tsconfig.json"].sort());
    expect(rootsOf(single).map((f) => basename(f)).sort()).toEqual(written.filter((f) => f.endsWith(".ts")));
    expect(optionsOf(single)).toMatchObject({ strict: true, noEmit: true, lib: ["lib.es2022.d.ts"], types: ["node"] });
  });

  it("every file of every output passes tsc --strict (with Node's types)", () => {
    const roots = rootsOf(shared);
    expect(roots.length).toBe(Object.keys(runtimeSources()).length + 2 * outputs.length);
    const { errors, program } = typeCheck(roots, optionsOf(shared));
    expect(errors, `outputs in ${shared}`).toEqual([]);
    // The program did check them all (and the options were the strict ones).
    expect(program.getCompilerOptions().strict).toBe(true);
    for (const r of roots) expect(program.getSourceFile(r), r).toBeDefined();
    for (const { model, train } of paths.values()) expect(roots).toEqual(expect.arrayContaining([model, train]));
  });

  it("model.ts, model-api.ts, gemm.ts, init.ts, optim.ts, settings.ts and closed-loop.ts need no Node (types: [], lib ES2022 only)", () => {
    const runtime = BROWSER_SAFE.filter((f) => f !== "model.ts").map((f) => join(shared, f));
    const roots = [...runtime, ...[...paths.values()].map((p) => p.model)];
    const options = optionsOf(shared, { types: [] });
    expect(options.types).toEqual([]);
    expect(options.lib).toEqual(["lib.es2022.d.ts"]);
    const { errors, program } = typeCheck(roots, options);
    expect(errors, `outputs in ${shared}`).toEqual([]);
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
