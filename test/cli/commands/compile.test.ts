/**
 * `seqc compile SPEC --target ts -o DIR` through the real command line: the
 * files it writes, its exit codes and messages (1 for a spec with errors, 2
 * for usage and unwritable output, never a stack trace), that what it writes
 * is exactly the ts target's output (outputFiles of emitFiles), which
 * test/backends/ts/strict.test.ts type-checks, and how the emitted trainer
 * reports bad data.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import ts from "typescript";
import { outputFiles, RUNTIME_JS_MODULE, runtimeSources, TRAIN_TS, TRANSPILE_OPTIONS, type TranspiledFile } from "../../../src/backends/ts/compile.js";
import { BAD_SHAPES, expectNoStack, ROOT, runNode, runSeqc, scratch } from "../../helpers/cli.js";
import { tsFiles } from "../../helpers/emitted.js";
import { checkFile } from "../../helpers/spec.js";

const seqc = (...args: string[]) => runSeqc(args);
const tmp = scratch("seqc-compile-");

/** Every file of src/runtime/, then the two emitted ones. */
const TS_FILES = [...readdirSync(join(ROOT, "src", "runtime")).filter((f) => f.endsWith(".ts")), "model.ts", "train.ts"].sort();
const JS_FILES = TS_FILES.map((f) => f.replace(/\.ts$/, ".js"));
const OTHER_FILES = ["package.json", "tsconfig.json"];

describe("seqc compile --target ts", () => {
  it("writes model.ts, train.ts, the runtime, a .js beside each, package.json and tsconfig.json", () => {
    const out = join(tmp.dir, "ab");
    const r = seqc("compile", "specs/ab_recognizer.seq", "-o", out);
    expect(r.status).toBe(0);
    // Weights as seqc summary counts them (its total: 4*V + 25 = 37).
    expect(r.stdout).toContain(`compiled ab_recognizer (5 parameter tensors, 4*V + 25 = 37 weights, f32) to ${out}`);
    expect(r.stdout).toContain(`node ${join(out, "train.js")}`);
    expect(readdirSync(out).sort()).toEqual([...TS_FILES, ...JS_FILES, ...OTHER_FILES].sort());
    expect(JSON.parse(readFileSync(join(out, "package.json"), "utf8"))).toMatchObject({ type: "module" });
    expect(JSON.parse(readFileSync(join(out, "tsconfig.json"), "utf8"))).toMatchObject({ compilerOptions: { strict: true, noEmit: true } });
    const model = readFileSync(join(out, "model.ts"), "utf8");
    expect(model).toContain("Float32Array");
    expect(model).not.toContain("Float64Array");
    // --target ts is the default; naming it changes nothing.
    const again = join(tmp.dir, "ab-explicit");
    expect(seqc("compile", "specs/ab_recognizer.seq", "--target", "ts", "-o", again, "-q").status).toBe(0);
    expect(readFileSync(join(again, "model.ts"), "utf8")).toBe(model);
  });

  it("--no-js writes the .ts files only; --precision f64 makes model.ts use Float64Array", () => {
    const out = join(tmp.dir, "ab-f64");
    const r = seqc("compile", "specs/ab_recognizer.seq", "-o", out, "--no-js", "--precision", "f64");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("(5 parameter tensors, 4*V + 25 = 37 weights, f64)");
    expect(readdirSync(out).sort()).toEqual([...TS_FILES, ...OTHER_FILES].sort());
    const model = readFileSync(join(out, "model.ts"), "utf8");
    expect(model).toContain("Float64Array");
    expect(model).not.toContain("Float32Array");
  });

  it("writes exactly the ts target's output, which strict.test.ts type-checks (f32 and f64)", () => {
    const { models, sources, file, source } = checkFile("specs/ab_recognizer.seq");
    for (const precision of ["f32", "f64"] as const) {
      const out = join(tmp.dir, `same-${precision}`);
      expect(seqc("compile", "specs/ab_recognizer.seq", "-o", out, "--precision", precision, "-q").status).toBe(0);
      const want = outputFiles(tsFiles(models[0]!, sources, { file, source }, precision), { js: true });
      expect(readdirSync(out).sort()).toEqual(Object.keys(want).sort());
      for (const [name, text] of Object.entries(want)) expect(readFileSync(join(out, name), "utf8"), `${precision} ${name}`).toBe(text);
    }
  });

  it("the build's transpiled runtime is the runtime and train.ts transpiled now", () => {
    const built = JSON.parse(readFileSync(join(ROOT, "dist/src/backends/ts", RUNTIME_JS_MODULE), "utf8")) as TranspiledFile[];
    const now = Object.entries({ ...runtimeSources(), "train.ts": TRAIN_TS });
    expect(built.map((f) => f.text)).toEqual(now.map(([, text]) => text));
    for (const [name, text] of now) {
      const js = ts.transpileModule(text, { ...TRANSPILE_OPTIONS, fileName: name }).outputText;
      expect(built.find((f) => f.text === text)!.js, name).toBe(js);
    }
  });

  it("a spec with errors: exit 1, the diagnostic at its line and column, no stack trace, nothing written", () => {
    const spec = join(tmp.dir, "bad_shapes.seq");
    writeFileSync(spec, BAD_SHAPES);
    const out = join(tmp.dir, "bad-out");
    const r = seqc("compile", spec, "-o", out);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error[SEQ0308]: mse cannot compare [2] with [3]");
    expect(r.stderr).toMatch(/bad_shapes\.seq:6:8/);
    expect(r.stdout).toBe("");
    expect(existsSync(out)).toBe(false);
  });

  it("a spec the ts target cannot read data for: exit 1, the spec line, what to write instead, nothing written", () => {
    const spec = join(tmp.dir, "short_target.seq");
    writeFileSync(spec, "model m {\n  dim T\n  input x: [T, 2]\n  target y: [T - 2, 2]\n  loss mse(conv1d<K=2, F=3>(x), y)\n}\n");
    const out = join(tmp.dir, "short-out");
    const r = seqc("compile", spec, "-o", out);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/short_target\.seq:4:3 \(target y: \[T - 2, 2\]\): model m: .*declare y over T/);
    expect(existsSync(out)).toBe(false);
  });

  it("a spec with errors, --format json: the diagnostic as JSON on stdout", () => {
    const spec = join(tmp.dir, "bad_shapes_json.seq");
    writeFileSync(spec, BAD_SHAPES);
    const r = seqc("compile", spec, "-o", join(tmp.dir, "bad-json-out"), "--format", "json");
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toContain("SEQ0308");
    expect(existsSync(join(tmp.dir, "bad-json-out"))).toBe(false);
  });

  it("an unknown --target is a usage error (exit 2)", () => {
    const r = seqc("compile", "specs/ab_recognizer.seq", "--target", "js", "-o", join(tmp.dir, "js"));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/target/);
    expect(r.stderr).toMatch(/"ts"/);
    expect(existsSync(join(tmp.dir, "js"))).toBe(false);
  });

  it("a missing -o is a usage error (exit 2)", () => {
    const r = seqc("compile", "specs/ab_recognizer.seq");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/Missing required argument: out/);
  });

  it("an unwritable -o (under a regular file, or a regular file) is exit 2 with a clear message", () => {
    const file = join(tmp.dir, "a-file");
    writeFileSync(file, "not a directory\n");
    for (const out of [join(file, "sub"), file]) {
      const r = seqc("compile", "specs/ab_recognizer.seq", "-o", out);
        expect(r.status, out).toBe(2);
      expect(r.stderr).toContain(`cannot write ${out}`);
      expect(r.stdout).toBe("");
    }
    expect(readFileSync(file, "utf8")).toBe("not a directory\n");
  });
});

describe("the emitted trainer's errors", () => {
  let dir: string;
  beforeAll(() => {
    dir = join(tmp.dir, "trainer");
    const r = seqc("compile", "specs/ab_recognizer.seq", "-o", dir, "-q");
    expect(r.status).toBe(0);
  });
  const trainer = (...args: string[]) => {
    const r = runNode([join(dir, "train.js"), ...args]);
    return r;
  };

  /** Three good lines of the training data, then a line cut short. */
  function badJsonl(): string {
    const good = readFileSync(join(ROOT, "specs/data/ab_recognizer.jsonl"), "utf8").split("\n").slice(0, 3);
    const p = join(tmp.dir, "bad.jsonl");
    writeFileSync(p, `${good.join("\n")}\n{"x":"ABC","y":[[0],[1],\n${good[0]}\n`);
    return p;
  }

  it("a malformed JSONL line: the line number, exit 1, no stack trace, no model written", () => {
    const data = badJsonl();
    const model = join(tmp.dir, "bad-model");
    const r = trainer("--data", data, "--out", model);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(data);
    expect(r.stderr).toMatch(/line 4: not valid JSON/);
    expect(existsSync(model)).toBe(false);
  });

  it("eval of malformed data: the line number, exit 1", () => {
    const model = join(tmp.dir, "good-model");
    expect(trainer("--data", "specs/data/ab_recognizer.jsonl", "--out", model, "--epochs", "1", "-q").status).toBe(0);
    const r = trainer("eval", "--model", model, "--data", badJsonl());
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/line 4: not valid JSON/);
  });

  it("a token outside the vocabulary: the line, the field and the token", () => {
    const p = join(tmp.dir, "bad-token.jsonl");
    writeFileSync(p, `{"x":"AB","y":[[0],[1]]}\n{"x":"AZ","y":[[0],[0]]}\n`);
    const r = trainer("--data", p, "--out", join(tmp.dir, "bad-token-model"));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/line 2: field x: unknown token "Z"/);
  });

  it("a missing data file or an unknown option: exit 2, no stack trace", () => {
    const missing = trainer("--data", join(tmp.dir, "nope.jsonl"));
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(`cannot read ${join(tmp.dir, "nope.jsonl")}`);
    const unknown = trainer("--data", "specs/data/ab_recognizer.jsonl", "--bogus");
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown option --bogus");
  });
});
