/**
 * The programmatic API (src/api.ts), as code that imports the package uses it:
 * what each function returns, and that every failure is a typed error (never
 * printed, never an exit).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { check, compile, CompileError, loadModel, ModelChoiceError, ModelFileError, SpecError, summary } from "../src/api.js";
import { saveModel } from "../src/runtime/model-dir.js";
import { ROOT } from "./helpers/cli.js";

const XOR = "model xor {\n  input x: [2]\n  target y: [1]\n  h = sigmoid(dense<4>(x))\n  p = sigmoid(dense<1>(h))\n  loss mse(p, y)\n}\n";

/** `mse(h, y)` compares [4] with [2]: SEQ0308 at 5:8. */
const BAD = "model m {\n  input x: [3]\n  target y: [2]\n  let h = dense<4>(x)\n  loss mse(h, y)\n}\n";

/** Checks, but the ts target cannot read a target of length T - 2 (a CompileError at 4:3). */
const SHORT_TARGET = "model m {\n  dim T\n  input x: [T, 2]\n  target y: [T - 2, 2]\n  loss mse(conv1d<K=2, F=3>(x), y)\n}\n";

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "seqc-api-"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("check", () => {
  it("a spec that checks: ok, no diagnostics, each model's values, parameters and total", () => {
    const r = check(XOR, { file: "xor.seq" });
    expect(r.ok).toBe(true);
    expect(r.diagnostics).toEqual([]);
    const [m] = r.models;
    expect(m?.model).toBe("xor");
    expect(m?.values.find((v) => v.name === "h")).toMatchObject({ kind: "value", shape: "[4]", dtype: "float32", params: { value: 12 } });
    expect(m?.parameters.map((p) => p.shape)).toEqual([["4", "2"], ["4"], ["1", "4"], ["1"]]);
    expect(m?.total).toEqual({ symbolic: "17", value: 17 });
  });

  it("token values are int32 with their vocabulary", () => {
    const r = check(readFileSync(join(ROOT, "specs/char_rnn_hello.seq"), "utf8"), { file: "specs/char_rnn_hello.seq" });
    expect(r.models[0]?.values.find((v) => v.name === "x")).toMatchObject({ kind: "input", dtype: "int32", vocab: "chars" });
  });

  it("a spec with errors: diagnostics with file, line and column; no exception", () => {
    const r = check(BAD, { file: "bad.seq" });
    expect(r.ok).toBe(false);
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ code: "SEQ0308", severity: "error", file: "bad.seq", line: 5, column: 8, endLine: 5 });
    expect(r.diagnostics[0]!.message).toContain("mse cannot compare [4] with [2]");
    expect(r.diagnostics[0]!.labels[0]).toMatchObject({ file: "bad.seq", line: 5, column: 8, primary: true });
    expect(check("model {", { file: "syntax.seq" }).diagnostics[0]).toMatchObject({ severity: "error", file: "syntax.seq", line: 1 });
  });

  it("without a file name the spec is <input>; imports are read with readFile, a missing one is a diagnostic", () => {
    expect(check(BAD).diagnostics[0]?.file).toBe("<input>");
    const lib = "fn twice(x: [N]) -> [N] {\n  out x + x\n}\n";
    const main = 'import "lib.seq"\nmodel m {\n  input x: [3]\n  target y: [3]\n  loss mse(twice(x), y)\n}\n';
    const read = (p: string) => {
      if (p === "/project/lib.seq") return lib;
      throw new Error(`no ${p}`);
    };
    expect(check(main, { file: "main.seq", cwd: "/project", readFile: read }).ok).toBe(true);
    const missing = check(main, { file: "main.seq", cwd: "/project", readFile: () => { throw new Error("none"); } });
    expect(missing.diagnostics[0]).toMatchObject({ code: "SEQ0003", file: "main.seq", line: 1, column: 1 });
  });
});

describe("summary", () => {
  it("the table seqc summary prints, and its data", () => {
    const s = summary(XOR, { file: "xor.seq" });
    expect(s.text).toContain("model xor   (xor.seq)");
    expect(s.text).toMatch(/total params: 17\n/);
    expect(s.models.map((m) => m.model)).toEqual(["xor"]);
  });

  it("SpecError for a spec with errors: located diagnostics, the sources, a one-line message", () => {
    let error: unknown;
    try {
      summary(BAD, { file: "bad.seq" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SpecError);
    const e = error as SpecError;
    expect(e.message).toMatch(/^bad\.seq:5:8: error\[SEQ0308\]: mse cannot compare/);
    expect(e.diagnostics[0]).toMatchObject({ code: "SEQ0308", line: 5, column: 8 });
    expect(e.sources.get("bad.seq")).toBe(BAD);
  });

  it("ModelChoiceError for a model the spec does not have", () => {
    expect(() => summary(XOR, { model: "nope" })).toThrow(ModelChoiceError);
  });
});

describe("compile", () => {
  it("the files of a standalone trainer, as seqc compile writes them", async () => {
    const files = await compile(XOR, { file: "xor.seq" });
    expect(Object.keys(files).sort()).toEqual(expect.arrayContaining(["model.ts", "model.js", "train.ts", "train.js", "trainer.ts", "gemm.ts", "package.json", "tsconfig.json"]));
    expect(files["model.ts"]).toContain("Float32Array");
  });

  it("precision f64, and no .js", async () => {
    const files = await compile(XOR, { precision: "f64", js: false });
    expect(files["model.ts"]).toContain("Float64Array");
    expect(Object.keys(files).filter((f) => f.endsWith(".js"))).toEqual([]);
  });

  it("CompileError where the target cannot compile the model; SpecError, RangeError for bad options", async () => {
    const e = await compile(SHORT_TARGET, { file: "short.seq" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CompileError);
    expect(e).toMatchObject({ model: "m", at: { file: "short.seq", line: 4, column: 3 } });
    expect((e as Error).message).toMatch(/^short\.seq:4:3: model m: .*declare y over T/);
    await expect(compile(BAD)).rejects.toThrow(SpecError);
    await expect(compile(XOR, { target: "js" as "ts" })).rejects.toThrow(RangeError);
  });
});

describe("loadModel", () => {
  const weights = () =>
    new Map([
      ["h.dense.W", { shape: [4, 2], values: new Float32Array(8).fill(0.5) }],
      ["h.dense.b", { shape: [4], values: new Float32Array(4) }],
      ["p.dense.W", { shape: [1, 4], values: new Float32Array(4) }],
      ["p.dense.b", { shape: [1], values: new Float32Array(1) }],
    ]);
  const save = (name: string, source: string, w = weights()) => {
    const dir = join(tmp, name);
    saveModel(dir, { spec: { file: "xor.seq", source }, model: "xor", dims: {}, vocabularies: {}, settings: {} as never, trained: { epochs: 3, seed: 1 } }, w);
    return dir;
  };

  it("a model directory: its name, weights, model.json and summary", async () => {
    const m = await loadModel(save("xor", XOR));
    expect(m.name).toBe("xor");
    expect(m.meta.trained.epochs).toBe(3);
    expect(m.weights.get("h.dense.W")?.values[0]).toBe(0.5);
    expect(m.summary.total.value).toBe(17);
    expect(m.graph.params.map((p) => p.name).sort()).toEqual(["h.dense.W", "h.dense.b", "p.dense.W", "p.dense.b"]);
  });

  it("ModelFileError for a missing directory and for weights that do not fit; SpecError for a spec that no longer checks", async () => {
    await expect(loadModel(join(tmp, "nothing"))).rejects.toThrow(ModelFileError);
    const w = weights();
    w.set("h.dense.W", { shape: [2, 4], values: new Float32Array(8) });
    await expect(loadModel(save("transposed", XOR, w))).rejects.toThrow(/the weight h\.dense\.W is \[2, 4\]/);
    await expect(loadModel(save("broken", XOR.replace("dense<1>(h)", "dense<1>(q)")))).rejects.toThrow(SpecError);
  });
});
