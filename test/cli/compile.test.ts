/**
 * `seqc compile SPEC --target ts -o DIR` through the real command line: the
 * files it writes, its exit codes and messages (1 for a spec with errors, 2
 * for usage and unwritable output, never a stack trace), that `tsc -p DIR`
 * type-checks what it wrote, and how the emitted trainer reports bad data.
 */
import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function node(args: string[]): Run {
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: undefined }, timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const seqc = (...args: string[]) => node(["bin/seqc.js", ...args]);

function nodeAsync(args: string[]): Promise<Run> {
  return new Promise((done, fail) => {
    execFile(process.execPath, args, { cwd: ROOT, encoding: "utf8", timeout: 90_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") fail(error);
      else done({ status: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

/** A failure is a few lines for people, never a stack trace. */
function expectNoStack(r: Run): void {
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stdout).not.toMatch(/^\s+at /m);
  expect(r.stderr).not.toContain("internal error");
}

let tmp: string;

beforeAll(() => {
  if (!existsSync(join(ROOT, "dist/src/cli/main.js"))) throw new Error("dist/ is missing: run npm run build");
  tmp = mkdtempSync(join(tmpdir(), "seqc-compile-"));
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Every file of src/runtime/, then the two emitted ones. */
const TS_FILES = [...readdirSync(join(ROOT, "src", "runtime")).filter((f) => f.endsWith(".ts")), "model.ts", "train.ts"].sort();
const JS_FILES = TS_FILES.map((f) => f.replace(/\.ts$/, ".js"));
const OTHER_FILES = ["package.json", "tsconfig.json"];

/** A spec with one shape error: `loss mse(p, y)` on line 6, column 8, compares [2] with [3]. */
const BAD_SHAPES = `model m {
  dim H = 4
  input x: [H]
  target y: [3]
  p = dense<2>(x)
  loss mse(p, y)
}
`;

describe("seqc compile --target ts", () => {
  it("writes model.ts, train.ts, the runtime, a .js beside each, package.json and tsconfig.json", () => {
    const out = join(tmp, "ab");
    const r = seqc("compile", "specs/ab_recognizer.seq", "-o", out);
    expectNoStack(r);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`compiled ab_recognizer (5 parameters, f32) to ${out}`);
    expect(r.stdout).toContain(`node ${join(out, "train.js")}`);
    expect(readdirSync(out).sort()).toEqual([...TS_FILES, ...JS_FILES, ...OTHER_FILES].sort());
    expect(JSON.parse(readFileSync(join(out, "package.json"), "utf8"))).toMatchObject({ type: "module" });
    expect(JSON.parse(readFileSync(join(out, "tsconfig.json"), "utf8"))).toMatchObject({ compilerOptions: { strict: true, noEmit: true } });
    const model = readFileSync(join(out, "model.ts"), "utf8");
    expect(model).toContain("Float32Array");
    expect(model).not.toContain("Float64Array");
    // --target ts is the default; naming it changes nothing.
    const again = join(tmp, "ab-explicit");
    expect(seqc("compile", "specs/ab_recognizer.seq", "--target", "ts", "-o", again, "-q").status).toBe(0);
    expect(readFileSync(join(again, "model.ts"), "utf8")).toBe(model);
  });

  it("--no-js writes the .ts files only; --precision f64 makes model.ts use Float64Array", () => {
    const out = join(tmp, "ab-f64");
    const r = seqc("compile", "specs/ab_recognizer.seq", "-o", out, "--no-js", "--precision", "f64");
    expectNoStack(r);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("(5 parameters, f64)");
    expect(readdirSync(out).sort()).toEqual([...TS_FILES, ...OTHER_FILES].sort());
    const model = readFileSync(join(out, "model.ts"), "utf8");
    expect(model).toContain("Float64Array");
    expect(model).not.toContain("Float32Array");
  });

  it("tsc -p OUT type-checks what it wrote, as a user runs it", { timeout: 120_000 }, async () => {
    const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
    // The user's command on one output; that every output of many specs type-checks (f32 and f64) is
    // test/backends/ts/strict.test.ts's job, in one TypeScript program.
    const cases = [["ab_recognizer", "f32"]] as const;
    const results = await Promise.all(
      cases.map(async ([spec, precision]) => {
        const out = join(tmp, `tsc-${spec}`);
        const c = await nodeAsync(["bin/seqc.js", "compile", `specs/${spec}.seq`, "-o", out, "--no-js", "--precision", precision, "-q"]);
        if (c.status !== 0) return [`${spec} ${precision}`, `seqc compile: exit ${c.status} ${c.stderr}`] as const;
        // @types/node comes from this repository (the output's tsconfig names it; an output outside a project installs it).
        const r = await nodeAsync([tsc, "-p", out, "--typeRoots", join(ROOT, "node_modules/@types")]);
        return [`${spec} ${precision}`, `exit ${r.status} ${r.stdout}${r.stderr}`.trim()] as const;
      }),
    );
    expect(Object.fromEntries(results)).toEqual(Object.fromEntries(cases.map(([spec, precision]) => [`${spec} ${precision}`, "exit 0"])));
  });

  it("a spec with errors: exit 1, the diagnostic at its line and column, no stack trace, nothing written", () => {
    const spec = join(tmp, "bad_shapes.seq");
    writeFileSync(spec, BAD_SHAPES);
    const out = join(tmp, "bad-out");
    const r = seqc("compile", spec, "-o", out);
    expectNoStack(r);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error[SEQ0308]: mse cannot compare [2] with [3]");
    expect(r.stderr).toMatch(/bad_shapes\.seq:6:8/);
    expect(r.stdout).toBe("");
    expect(existsSync(out)).toBe(false);
  });

  it("a spec the ts target cannot read data for: exit 1, the spec line, what to write instead, nothing written", () => {
    const spec = join(tmp, "short_target.seq");
    writeFileSync(spec, "model m {\n  dim T\n  input x: [T, 2]\n  target y: [T - 2, 2]\n  loss mse(conv1d<K=2, F=3>(x), y)\n}\n");
    const out = join(tmp, "short-out");
    const r = seqc("compile", spec, "-o", out);
    expectNoStack(r);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/short_target\.seq:4:3 \(target y: \[T - 2, 2\]\): model m: .*declare y over T/);
    expect(existsSync(out)).toBe(false);
  });

  it("a spec with errors, --format json: the diagnostic as JSON on stdout", () => {
    const spec = join(tmp, "bad_shapes_json.seq");
    writeFileSync(spec, BAD_SHAPES);
    const r = seqc("compile", spec, "-o", join(tmp, "bad-json-out"), "--format", "json");
    expectNoStack(r);
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toContain("SEQ0308");
    expect(existsSync(join(tmp, "bad-json-out"))).toBe(false);
  });

  it("an unknown --target is a usage error (exit 2)", () => {
    const r = seqc("compile", "specs/ab_recognizer.seq", "--target", "js", "-o", join(tmp, "js"));
    expectNoStack(r);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/target/);
    expect(r.stderr).toMatch(/"ts"/);
    expect(existsSync(join(tmp, "js"))).toBe(false);
  });

  it("a missing -o is a usage error (exit 2)", () => {
    const r = seqc("compile", "specs/ab_recognizer.seq");
    expectNoStack(r);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/Missing required argument: out/);
  });

  it("an unwritable -o (under a regular file, or a regular file) is exit 2 with a clear message", () => {
    const file = join(tmp, "a-file");
    writeFileSync(file, "not a directory\n");
    for (const out of [join(file, "sub"), file]) {
      const r = seqc("compile", "specs/ab_recognizer.seq", "-o", out);
      expectNoStack(r);
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
    dir = join(tmp, "trainer");
    const r = seqc("compile", "specs/ab_recognizer.seq", "-o", dir, "-q");
    expect(r.status).toBe(0);
  });
  const trainer = (...args: string[]) => node([join(dir, "train.js"), ...args]);

  /** Three good lines of the training data, then a line cut short. */
  function badJsonl(): string {
    const good = readFileSync(join(ROOT, "specs/data/ab_recognizer.jsonl"), "utf8").split("\n").slice(0, 3);
    const p = join(tmp, "bad.jsonl");
    writeFileSync(p, `${good.join("\n")}\n{"x":"ABC","y":[[0],[1],\n${good[0]}\n`);
    return p;
  }

  it("a malformed JSONL line: the line number, exit 1, no stack trace, no model written", () => {
    const data = badJsonl();
    const model = join(tmp, "bad-model");
    const r = trainer("--data", data, "--out", model);
    expectNoStack(r);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(data);
    expect(r.stderr).toMatch(/line 4: not valid JSON/);
    expect(existsSync(model)).toBe(false);
  });

  it("eval of malformed data: the line number, exit 1", () => {
    const model = join(tmp, "good-model");
    expect(trainer("--data", "specs/data/ab_recognizer.jsonl", "--out", model, "--epochs", "1", "-q").status).toBe(0);
    const r = trainer("eval", "--model", model, "--data", badJsonl());
    expectNoStack(r);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/line 4: not valid JSON/);
  });

  it("a token outside the vocabulary: the line, the field and the token", () => {
    const p = join(tmp, "bad-token.jsonl");
    writeFileSync(p, `{"x":"AB","y":[[0],[1]]}\n{"x":"AZ","y":[[0],[0]]}\n`);
    const r = trainer("--data", p, "--out", join(tmp, "bad-token-model"));
    expectNoStack(r);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/line 2: field x: unknown token "Z"/);
  });

  it("a missing data file or an unknown option: exit 2, no stack trace", () => {
    const missing = trainer("--data", join(tmp, "nope.jsonl"));
    expectNoStack(missing);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(`cannot read ${join(tmp, "nope.jsonl")}`);
    const unknown = trainer("--data", "specs/data/ab_recognizer.jsonl", "--bogus");
    expectNoStack(unknown);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown option --bogus");
  });
});
