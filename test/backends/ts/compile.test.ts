/**
 * src/backends/ts/compile.ts in-process: what the runtime learns of a model
 * (modelInfo: dims, length dims, vocabularies, data fields with their axes,
 * parameters, losses, carried scans, settings, precision), the files of an
 * output, and the spec problems it reports as TsTargetError with a place.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULTS, specSettings } from "../../../src/backends/settings.js";
import { emitFiles, modelInfo, OUTPUT_TSCONFIG, outputFiles, runtimeSources, TRAIN_TS, TsTargetError } from "../../../src/backends/ts/compile.js";
import { ROOT } from "../../helpers/cli.js";
import { checkedInline } from "../../helpers/spec.js";

const SPEC = `vocab chars[V]
vocab tags[K] = [x, y]
model tagger {
  dim T multiple of 2
  input x: [T] of chars
  input feats: [T, 3]
  target y: [T] of tags
  target z: [T/2, 1]
  e = embedding<4>(one_hot(x))
  h = lstm<5>(concat(e, feats))
  r = reverse elman<2>(h)
  logits = dense<2>(h)
  loss cross_entropy(logits, y)
  loss mse(dense<1>(fold<2>(r)), z)
  train { optimizer: sgd(0.5), batch: 8 }
}
`;

function infoOf(text: string, precision: "f32" | "f64" = "f32") {
  const c = checkedInline(text);
  return modelInfo(c.graph, specSettings(c.model.model), { file: "spec.seq", source: text }, { precision });
}

describe("modelInfo", () => {
  const info = infoOf(SPEC);

  it("names the model and keeps the spec's file and text", () => {
    expect(info.name).toBe("tagger");
    expect(info.spec).toEqual({ file: "spec.seq", source: SPEC });
    expect(info.precision).toBe("f32");
    expect(infoOf(SPEC, "f64").precision).toBe("f64");
  });

  it("dims with their multiples; the length dims are the free ones that are not a data vocabulary's size", () => {
    expect(info.dims).toEqual(expect.arrayContaining([{ name: "T", multiple: 2 }, { name: "V", multiple: 1 }]));
    expect(info.lengthDims).toEqual(["T"]);
    expect(info.vocabs).toEqual([{ name: "chars", sizeDim: "V" }, { name: "tags", sizeDim: "K", tokens: ["x", "y"] }]);
  });

  it("data fields in order, with role, type, vocabulary and axes (a part of a dim written as such)", () => {
    expect(info.fields).toEqual([
      { name: "x", role: "input", dtype: "int32", shape: ["T"], vocab: "chars" },
      { name: "feats", role: "input", dtype: "float32", shape: ["T", 3] },
      { name: "y", role: "target", dtype: "int32", shape: ["T"], vocab: "tags" },
      { name: "z", role: "target", dtype: "float32", shape: ["T/2", 1] },
    ]);
  });

  it("parameters as the graph has them, losses with their targets, forward scans with their states", () => {
    const c = checkedInline(SPEC);
    expect(info.params.map((p) => p.name)).toEqual(c.graph.params.map((p) => p.name));
    expect(info.losses).toEqual([{ op: "cross_entropy", prediction: "logits", target: "y" }, { op: "mse", target: "z" }]);
    // The reverse scan's state is not carried from one window to the next.
    expect(info.scans).toEqual([{ name: "h", states: ["h", "c"] }]);
    expect("feedback" in info).toBe(false);
    const lm = infoOf("model lm {\n  vocab chars[V]\n  dim T\n  input x: [T] of chars\n  target y: [T] of chars\n  logits = dense<V>(one_hot(x))\n  loss cross_entropy(logits, y)\n  feedback x from logits until \"z\"\n}\n");
    expect(lm.feedback).toEqual({ input: "x", source: "logits", until: "z" });
  });

  it("the spec's settings, copied", () => {
    expect(info.settings).toMatchObject({ ...DEFAULTS, batch: 8, optimizer: { name: "sgd", lr: 0.5, options: {} } });
    const c = checkedInline(SPEC);
    const settings = specSettings(c.model.model);
    const again = modelInfo(c.graph, settings, { file: "spec.seq", source: SPEC }, { precision: "f32" });
    again.settings.optimizer.options["x"] = 1;
    expect(settings.optimizer.options).toEqual({});
  });

  it("a fixed dim's axis is a number; a multiple of a dim is written so", () => {
    const i = infoOf("model m {\n  dim T\n  dim F = 6\n  input x: [2*T, F]\n  target y: [2*T, F]\n  loss mse(x, y)\n}\n");
    expect(i.fields.map((f) => f.shape)).toEqual([["2*T", 6], ["2*T", 6]]);
  });

  it("a data axis it cannot read (T - 2) is a TsTargetError at the field, saying what to write instead", () => {
    const text = "model m {\n  dim T\n  input x: [T, 2]\n  target y: [T - 2, 2]\n  loss mse(conv1d<K=2, F=3>(x), y)\n}\n";
    const c = checkedInline(text);
    let error: unknown;
    try {
      modelInfo(c.graph, DEFAULTS, { file: "spec.seq", source: text }, { precision: "f32" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TsTargetError);
    expect((error as TsTargetError).message).toMatch(/target y has another axis.*declare y over T/);
    expect((error as TsTargetError).src?.loc.start).toBe(text.indexOf("target y"));
  });
});

describe("the files of an output", () => {
  const c = checkedInline(SPEC);
  const runtime = runtimeSources();

  it("runtimeSources: every .ts file of src/runtime, verbatim", () => {
    const files = readdirSync(join(ROOT, "src/runtime")).filter((f) => f.endsWith(".ts")).sort();
    expect(Object.keys(runtime)).toEqual(files);
    expect(files).toContain("trainer.ts");
    for (const f of files) expect(runtime[f]).toBe(readFileSync(join(ROOT, "src/runtime", f), "utf8"));
  });

  it("emitFiles: model.ts with INFO, the constant train.ts, the runtime given", () => {
    const files = emitFiles(c.graph, c.program.sources, specSettings(c.model.model), { file: "spec.seq", source: SPEC }, { precision: "f64" }, runtime);
    expect(Object.keys(files).sort()).toEqual(["model.ts", "train.ts", ...Object.keys(runtime)].sort());
    expect(files["train.ts"]).toBe(TRAIN_TS);
    expect(files["model.ts"]).toContain("export const INFO: ModelInfo = ");
    expect(files["model.ts"]).toContain('"name": "tagger"');
    expect(files["model.ts"]).toContain("Float64Array");
  });

  it("f32: softmax and cross-entropy run as WebAssembly loops and vmath rows; no JavaScript loop goes over the classes", () => {
    const text = `vocab chars[V]
model lm {
  dim T
  input x: [T] of chars
  target y: [T] of chars
  target p: [T, V]
  logits = dense<V>(one_hot(x))
  loss cross_entropy(logits, y)
  loss cross_entropy(dense<V>(softmax(logits)), p)
}
`;
    const lm = checkedInline(text);
    const model = emitFiles(lm.graph, lm.program.sources, specSettings(lm.model.model), { file: "spec.seq", source: text }, { precision: "f32" }, runtime)["model.ts"]!;
    const lines = model.split("\n");
    // A loop nest opens with "{" and its buffers (emit.ts emitMaps); one without a WebAssembly call before it, not after "else {".
    const jsOnly = lines.flatMap((l, i) => {
      if (l.trim() !== "{" || !/^\s*const \w+ = this\./.test(lines[i + 1]!) || lines[i - 1]!.trim() === "else {") return [];
      const indent = l.indexOf("{");
      const end = lines.findIndex((m, j) => j > i && m.indexOf("}") === indent && m.trim() === "}");
      return [lines.slice(i, end + 1).join("\n")];
    });
    // A row's log (of its sum of exponentials) and the loss's seed (1 / B: a size) are loops over rows.
    expect(jsOnly.some((loop) => /= Math\.log\(/.test(loop))).toBe(true);
    for (const loop of jsOnly) expect(loop).not.toContain("$i1");
    expect(model).toContain('vmath("exp"');
    expect(model).not.toContain("Math.exp");
  });

  it("outputFiles: package.json (ES modules) and tsconfig.json beside the files, and a .js for each .ts when asked", () => {
    const files = { "model.ts": "export const x: number = 1;\n", "notes.txt": "hi" };
    const out = outputFiles(files, { js: true });
    expect(Object.keys(out).sort()).toEqual(["model.js", "model.ts", "notes.txt", "package.json", "tsconfig.json"]);
    expect(JSON.parse(out["package.json"]!)).toEqual({ type: "module", private: true });
    expect(JSON.parse(out["tsconfig.json"]!)).toEqual(OUTPUT_TSCONFIG);
    expect(out["model.js"]!.trim()).toBe("export const x = 1;");
    expect(Object.keys(outputFiles(files, { js: false })).sort()).toEqual(["model.ts", "notes.txt", "package.json", "tsconfig.json"]);
  });
});
