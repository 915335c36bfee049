/**
 * The npm package as a user gets it: `npm pack` of a clean copy of the
 * repository (its tracked and new files, and this checkout's dist/, which the
 * e2e setup keeps fresh: packing with `prepare` would build the same again,
 * and CI's own install runs `prepare` on a clean clone), then
 * `npm install ./seqc-X.tgz` in an empty project outside the repository, and
 * there: the CLI through npx (version, check, compile), the API through
 * `import("seqc")`, and a TypeScript file type-checked against the shipped
 * declarations with the installed TypeScript.
 *
 * The install uses --prefer-offline: the npm cache answers when it can. On a
 * fresh machine `npm ci` has cached the dependencies' tarballs but not the
 * registry's metadata an install of a version range reads, so a strict
 * --offline install fails there (ENOTCACHED); only that metadata then comes
 * from the registry.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../helpers/cli.js";

/** This machine is small and shared: every step may take minutes. */
const STEP_TIMEOUT = 300_000;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a user's shell: none of the npm_* variables `npm test` sets for its scripts. */
const USER_ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));

function run(cmd: string, args: string[], cwd: string): Run {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...USER_ENV, NO_COLOR: "1" }, timeout: STEP_TIMEOUT, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a command that must succeed; its stdout. */
function ok(cmd: string, args: string[], cwd: string): string {
  const r = run(cmd, args, cwd);
  expect(r.status, `${cmd} ${args.join(" ")}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

/** `npx seqc ...` in the user's project (`--no`: never fetch another package of that name from the registry). */
const npxSeqc = (...args: string[]) => run("npx", ["--no", "--", "seqc", ...args], project);

/** A copy of the repository as a clone would have it: tracked and new (not ignored) files, node_modules linked. */
function cleanCopy(to: string): void {
  const files = ok("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], ROOT).split("\0");
  for (const f of files) {
    if (f === "" || f === "node_modules" || !existsSync(join(ROOT, f))) continue;
    mkdirSync(dirname(join(to, f)), { recursive: true });
    copyFileSync(join(ROOT, f), join(to, f));
  }
  symlinkSync(join(ROOT, "node_modules"), join(to, "node_modules"), "dir");
}

const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;

/** A spec with a shape error on line 5, column 8 (`mse(h, y)`: [4] against [2]). */
const BAD_SPEC = "model m {\n  input x: [3]\n  target y: [2]\n  let h = dense<4>(x)\n  loss mse(h, y)\n}\n";

let tmp: string;
let project: string;
let packed: string[];

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "seqc-pack-"));
  const clone = join(tmp, "clone");
  cleanCopy(clone);
  cpSync(join(ROOT, "dist"), join(clone, "dist"), { recursive: true });
  const out = ok("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", tmp], clone);
  const [info] = JSON.parse(out.slice(out.indexOf("["))) as { filename: string; files: { path: string }[] }[];
  packed = info!.files.map((f) => f.path);
  project = join(tmp, "project");
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "user-project", version: "1.0.0", private: true, type: "module" }, null, 2));
  ok("npm", ["install", join(tmp, info!.filename), "--prefer-offline", "--no-audit", "--no-fund"], project);
  copyFileSync(join(ROOT, "specs/ab_recognizer.seq"), join(project, "ab_recognizer.seq"));
  writeFileSync(join(project, "bad.seq"), BAD_SPEC);
}, 4 * STEP_TIMEOUT);

// The installed project's node_modules is some 300 MB of small files: removing them takes a while on a loaded machine.
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}, STEP_TIMEOUT);

describe("the npm package, installed from its tarball", { timeout: STEP_TIMEOUT }, () => {
  it("ships the build, the declarations, the standard library and the ts and pytorch targets' runtimes; not the tests or the specs", () => {
    expect(packed).toEqual(expect.arrayContaining(["package.json", "README.md", "bin/seqc.js", "dist/src/cli/main.js", "dist/src/api.js", "dist/src/api.d.ts", "dist/src/ir/ir-validator.generated.js", "src/std/recurrent.seq", "src/runtime/trainer.ts", "src/backends/pytorch/py/train.py", "src/backends/pytorch/py/seqc_torch.py", "docs/language.md"]));
    expect(packed.filter((p) => /^(test|specs|bench|dist\/bench)\//.test(p) || p.endsWith(".map"))).toEqual([]);
  });

  it("npx seqc --version", () => {
    const r = npxSeqc("--version");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(VERSION);
  });

  it("npx seqc check of a shipped spec", () => {
    const r = npxSeqc("check", "ab_recognizer.seq");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain("no problems");
  });

  it("npx seqc check of a spec with an error: exit 1, file:line:col", () => {
    const r = npxSeqc("check", "bad.seq");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error[SEQ0308]");
    expect(r.stderr).toContain("bad.seq:5:8");
  });

  it("npx seqc compile writes a trainer that runs with node alone", () => {
    const r = npxSeqc("compile", "ab_recognizer.seq", "-o", "trainer");
    expect(r.status, r.stderr).toBe(0);
    for (const f of ["model.ts", "model.js", "train.js", "trainer.js", "gemm.ts", "package.json"]) expect(existsSync(join(project, "trainer", f)), f).toBe(true);
    expect(ok(process.execPath, ["trainer/train.js", "--help"], project)).toContain("--data");
  });

  it("npx seqc graph draws SVG with the installed Graphviz in WebAssembly", () => {
    const r = npxSeqc("graph", "ab_recognizer.seq", "--expand", "-o", "ab.svg");
    expect(r.status, r.stderr).toBe(0);
    const svg = readFileSync(join(project, "ab.svg"), "utf8");
    expect(svg).toMatch(/<svg width="\d+pt"/);
    expect(svg).toContain("model ab_recognizer");
  });

  it("import('seqc'): check reports a bad spec's diagnostics with line and column", () => {
    const script = `import("seqc").then((m) => {
      const r = m.check(require("node:fs").readFileSync("bad.seq", "utf8"), { file: "bad.seq" });
      const pkg = require(require.resolve("seqc/package.json"));
      console.log(JSON.stringify({ ok: r.ok, diagnostics: r.diagnostics.map((d) => ({ code: d.code, file: d.file, line: d.line, column: d.column })), exports: Object.keys(m).sort(), version: pkg.version }));
    });`;
    const result = JSON.parse(ok(process.execPath, ["-e", script], project)) as { ok: boolean; diagnostics: unknown[]; exports: string[]; version: string };
    expect(result.ok).toBe(false);
    expect(result.diagnostics).toEqual([{ code: "SEQ0308", file: "bad.seq", line: 5, column: 8 }]);
    expect(result.exports).toEqual(expect.arrayContaining(["check", "summary", "compile", "loadModel", "SpecError", "CompileError", "ModelChoiceError", "ModelFileError"]));
    expect(result.version).toBe(VERSION);
  });

  it("a TypeScript file using the API type-checks against the shipped declarations (strict, lib checks on)", () => {
    writeFileSync(
      join(project, "use.ts"),
      `import { check, compile, loadModel, summary, CompileError, ModelChoiceError, ModelFileError, SpecError, type CheckResult, type LoadedModel, type ModelSummary, type SpecDiagnostic } from "seqc";

const result: CheckResult = check("model m {}\\n", { file: "m.seq" });
const first: SpecDiagnostic | undefined = result.diagnostics[0];
const where: string = first ? \`\${first.file}:\${first.line}:\${first.column} \${first.code} \${first.severity}\` : "";
const models: ModelSummary[] = result.models;
const total: number | null = models[0]?.total.value ?? null;
const table: string = summary("model m {}\\n").text;
const files: Promise<Record<string, string>> = compile("model m {}\\n", { model: "m", target: "ts", precision: "f64", js: false });
const loaded: Promise<LoadedModel> = loadModel("out/m");
export async function names(): Promise<string[]> {
  return [...(await loaded).weights.keys()];
}
const errors = [SpecError, CompileError, ModelChoiceError, ModelFileError].map((e) => e.name);
// The declarations are real types, not any:
// @ts-expect-error diagnostics are objects, not numbers
const wrong: number[] = result.diagnostics;
export { where, total, table, files, errors, wrong };
`,
    );
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: false, types: [] }, files: ["use.ts"] }, null, 2),
    );
    const r = run(process.execPath, [join(project, "node_modules/typescript/bin/tsc"), "-p", "."], project);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
});
