/**
 * The real command line: `node bin/seqc.js ...` run as a child process from the
 * repository root, against the compiled dist/ (built once here if it is missing
 * or older than the sources).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, runSeqc, type Run } from "../helpers/cli.js";
import { compileStd, STD_CACHE_MODULE } from "../../src/ir/program.js";

const MAIN_JS = join(ROOT, "dist/src/cli/main.js");

const seqc = (args: string[], env: Record<string, string | undefined> = {}): Run => runSeqc(args, { env });

/** A failure is reported in a few lines for people, never as a stack trace. */
function expectNoStack(r: Run): void {
  expect(r.stderr).not.toMatch(/^ {4}at /m);
  expect(r.stdout).not.toMatch(/^ {4}at /m);
  expect(r.stderr).not.toContain("internal error");
}

/** How check and summary name a file in diagnostics: relative to the working directory (the root). */
const shown = (file: string) => relative(ROOT, file);

function seqFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir))
    .filter((n) => n.endsWith(".seq"))
    .sort()
    .map((n) => `${dir}/${n}`);
}

/** Every .ts under dir (recursively), as paths relative to the root. */
function tsSources(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(join(ROOT, d), { withFileTypes: true })) {
      const p = `${d}/${e.name}`;
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(p);
    }
  };
  if (existsSync(join(ROOT, dir))) walk(dir);
  return out;
}

/** Sources whose compiled .js in dist/ is missing or older (what tsconfig.build.json compiles). */
function staleOutputs(): string[] {
  const sources = [...tsSources("src"), ...tsSources("grammar").filter((p) => !p.startsWith("grammar/generated/") && !p.startsWith("grammar/scripts/"))];
  return sources.filter((src) => {
    const out = join(ROOT, "dist", src.replace(/\.ts$/, ".js"));
    return !existsSync(out) || statSync(out).mtimeMs < statSync(join(ROOT, src)).mtimeMs;
  });
}

let tmp: string;

function tempFile(name: string, text: string): string {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "seqc-cli-"));
  const stale = staleOutputs();
  if (stale.length === 0 && existsSync(MAIN_JS)) return;
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const r = spawnSync(npm, ["run", "build"], { cwd: ROOT, encoding: "utf8", timeout: 180_000 });
  if (!existsSync(MAIN_JS)) throw new Error(`npm run build did not produce dist/src/cli/main.js:\n${r.stdout}\n${r.stderr}`);
  // tsc emits even with type errors (others may be editing sources); say so, but test what was built
  if (r.status !== 0) console.warn(`npm run build exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
}, 200_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const SPECS = seqFiles("specs");
const STD = seqFiles("src/std");

/** A spec with one shape error: `loss mse(p, y)` on line 6 compares [2] with [3]. */
const BAD_SHAPES = `model m {
  dim H = 4
  input x: [H]
  target y: [3]
  p = dense<2>(x)
  loss mse(p, y)
}
`;

/** A spec with a syntax error on line 3. */
const BAD_SYNTAX = `# keep me
model m {
  a = f(x,, y)  # two commas
}
`;

describe("seqc check", () => {
  it("exits 0 on every spec (paths expanded by the shell)", () => {
    expect(SPECS.length).toBeGreaterThan(0);
    const r = seqc(["check", ...SPECS]);
    expect(r.stderr).toBe(`checked ${SPECS.length} files: no problems\n`);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("");
  });

  it("expands a quoted glob itself", () => {
    const r = seqc(["check", "specs/*.seq"]);
    expect(r.stderr).toBe(`checked ${SPECS.length} files: no problems\n`);
    expect(r.status).toBe(0);
  });

  it("--quiet prints nothing on success", () => {
    const r = seqc(["check", "--quiet", "specs/ab_recognizer.seq"]);
    expect(r.status).toBe(0);
    expect(r.stdout + r.stderr).toBe("");
  });

  it("exits 1 on a spec with errors and prints a code frame on stderr", () => {
    const file = tempFile("bad_shapes.seq", BAD_SHAPES);
    const r = seqc(["check", file]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    const lines = r.stderr.split("\n");
    expect(lines[0]).toMatch(/^error\[SEQ0308\]: /);
    expect(lines).toContain(`  --> ${shown(file)}:6:8`);
    expect(lines).toContain("> 6 |   loss mse(p, y)");
    expect(lines.some((l) => /^ +\| +\^+/.test(l))).toBe(true);
    expect(r.stderr).toMatch(/\n1 error\n$/);
    expect(r.stderr).not.toContain("\x1b[");
    expectNoStack(r);
  });

  it("exits 1 when one of several files has errors, and reports only that one", () => {
    const file = tempFile("bad_shapes_2.seq", BAD_SHAPES);
    const r = seqc(["check", "specs/ab_recognizer.seq", file, "specs/mlp_xor.seq"]);
    expect(r.status).toBe(1);
    expect(r.stderr.match(/^error\[/gm)).toHaveLength(1);
    expect(r.stderr).not.toContain("specs/ab_recognizer.seq");
  });

  it("reports syntax errors with a code frame", () => {
    const file = tempFile("bad_syntax.seq", BAD_SYNTAX);
    const r = seqc(["check", file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error\[SEQ0002\]: expected /);
    expect(r.stderr).toContain(`  --> ${shown(file)}:3:`);
    expect(r.stderr).toMatch(/^> 3 \|/m);
    expectNoStack(r);
  });

  it("colors the human output with --color", () => {
    const r = seqc(["check", "--color", tempFile("bad_color.seq", BAD_SHAPES)]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("\x1b[");
  });

  it("--format json prints a JSON report on stdout with lines and columns", () => {
    const file = tempFile("bad_json.seq", BAD_SHAPES);
    const r = seqc(["check", "--format", "json", file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("");
    const report = JSON.parse(r.stdout);
    expect(report.version).toBe(1);
    expect(report.summary).toEqual({ errors: 1, warnings: 0 });
    expect(report.diagnostics).toHaveLength(1);
    expect(report.diagnostics[0]).toMatchObject({ code: "SEQ0308", severity: "error", file: shown(file), line: 6, column: 8, endLine: 6 });
    expect(report.diagnostics[0].labels.length).toBeGreaterThan(0);
  });

  it("--format json reports no diagnostics for clean specs", () => {
    const r = seqc(["check", "-f", "json", "specs/ab_recognizer.seq", "specs/char_lstm.seq"]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toMatchObject({ version: 1, diagnostics: [], summary: { errors: 0, warnings: 0 } });
  });

  it("--format sarif prints a SARIF 2.1.0 log with the results", () => {
    const file = tempFile("bad_sarif.seq", BAD_SHAPES);
    const r = seqc(["check", "--format", "sarif", file]);
    expect(r.status).toBe(1);
    const log = JSON.parse(r.stdout);
    expect(log.version).toBe("2.1.0");
    expect(log.$schema).toMatch(/sarif-2\.1\.0/);
    expect(log.runs).toHaveLength(1);
    expect(log.runs[0].tool.driver.name).toBe("seqc");
    const results = log.runs[0].results;
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ ruleId: "SEQ0308", level: "error" });
    expect(log.runs[0].tool.driver.rules[results[0].ruleIndex].id).toBe("SEQ0308");
    expect(results[0].locations[0].physicalLocation).toMatchObject({
      artifactLocation: { uri: shown(file).replaceAll("\\", "/") },
      region: { startLine: 6, startColumn: 8 },
    });
  });

  it("--format github prints workflow annotations", () => {
    const file = tempFile("bad_github.seq", BAD_SHAPES);
    const r = seqc(["check", "--format", "github", file]);
    expect(r.status).toBe(1);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^::error file=[^,]+,line=6,col=8,endLine=6,endColumn=\d+,title=SEQ0308::mse /);
    expect(lines[0]).toContain(`file=${shown(file).replaceAll(":", "%3A").replaceAll(",", "%2C")},`);
  });

  it("--format github prints nothing for clean specs", () => {
    const r = seqc(["check", "--format", "github", "specs/ab_recognizer.seq"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("");
  });

  it("exits 2 on a missing file, in one line", () => {
    const missing = join(tmp, "no_such_spec.seq");
    const r = seqc(["check", missing]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`seqc: cannot read ${missing}: no such file\n`);
    expectNoStack(r);
  });

  it("exits 2 on a glob that matches nothing", () => {
    const r = seqc(["check", "specs/*.nothing"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^seqc: no files match/);
    expectNoStack(r);
  });

  it("exits 2 on a directory", () => {
    const r = seqc(["check", "specs"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^seqc: cannot read specs/);
    expectNoStack(r);
  });
});

describe("usage", () => {
  it("exits 2 on an unknown flag with a usage message", () => {
    const r = seqc(["check", "specs/ab_recognizer.seq", "--bogus"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/seqc: Unknown argument: bogus/i);
    expect(r.stderr).toContain("seqc --help");
    expectNoStack(r);
  });

  it("exits 2 on an unknown command with a usage message", () => {
    const r = seqc(["frobnicate", "specs/ab_recognizer.seq"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/frobnicate/);
    expect(r.stderr).toContain("seqc --help");
    expect(r.stdout).toBe("");
    expectNoStack(r);
  });

  it("exits 2 without a command", () => {
    const r = seqc([]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("name a command");
    expect(r.stderr).toContain("seqc --help");
    expectNoStack(r);
  });

  it("exits 2 when a command misses its files", () => {
    const r = seqc(["check"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("Not enough non-option arguments");
    expect(r.stderr).toContain("seqc --help");
    expectNoStack(r);
  });

  it("--help exits 0 and lists every command and format", () => {
    const r = seqc(["--help"]);
    expect(r.status).toBe(0);
    for (const word of ["check", "summary", "ir", "fmt", "--format", "human", "json", "sarif", "github", "Exit codes"]) {
      expect(r.stdout).toContain(word);
    }
    expect(r.stdout).toMatch(/seqc check/);
    expect(r.stdout).toMatch(/seqc summary/);
    expect(r.stdout).toMatch(/seqc ir/);
    expect(r.stdout).toMatch(/seqc fmt/);
  });

  it("--version prints the version", () => {
    const r = seqc(["--version"]);
    expect(r.status).toBe(0);
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  // Regression: on a usage error the command still ran before the error is reported: `fmt FILE --bogus`
  it("a usage error runs no command", () => {
    const file = tempFile("usage_untouched.seq", "dim   A = 2\n");
    const r = seqc(["fmt", file, "--bogus"]);
    expect(r.status).toBe(2);
    expect(readFileSync(file, "utf8")).toBe("dim   A = 2\n");
    expect(r.stderr).not.toContain("formatted");
  });

  // Regression: `seqc check` without files prints "checked 0 files: no problems" before the
  // usage error, and `seqc summary` without a file tries to read "undefined" instead of printing usage.
  it("a missing positional argument is reported as usage only", () => {
    const check = seqc(["check"]);
    expect(check.stderr).not.toContain("no problems");
    const summary = seqc(["summary"]);
    expect(summary.status).toBe(2);
    expect(summary.stderr).not.toContain("undefined");
    expect(summary.stderr).toContain("seqc --help");
  });

  // Regression: an invalid --format choice was not a usage error: the handler ran with it and the
  // renderer crashes ("seqc: internal error: RENDERERS[format] is not a function", exit 70).
  it("exits 2 on an unknown --format", () => {
    const r = seqc(["check", "--format", "yaml", "specs/ab_recognizer.seq"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("seqc --help");
    expectNoStack(r);
  });
});

describe("seqc summary and ir", () => {
  it("summary prints shapes and parameter counts", () => {
    const r = seqc(["summary", "specs/conv_arith.seq"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("[32, 32, 10]");
    expect(r.stdout).toMatch(/total params: 760\b/);
    expect(r.stdout).toContain("760");
  });

  it("summary --format json prints parseable JSON", () => {
    const r = seqc(["summary", "--format", "json", "specs/conv_arith.seq"]);
    expect(r.status).toBe(0);
    const models = JSON.parse(r.stdout) as { model: string; total: { value: number }; values: { shape: string }[] }[];
    expect(Array.isArray(models)).toBe(true);
    const big = models.find((m) => m.values.some((v) => v.shape === "[32, 32, 10]"));
    expect(big?.total.value).toBe(760);
  });

  it("summary exits 1 with a code frame on a spec with errors", () => {
    const r = seqc(["summary", tempFile("bad_summary.seq", BAD_SHAPES)]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error\[SEQ0308\]/);
    expectNoStack(r);
  });

  it("summary exits 2 on a missing file", () => {
    const r = seqc(["summary", "specs/no_such_spec.seq"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^seqc: cannot read specs\/no_such_spec\.seq/);
    expectNoStack(r);
  });

  it("ir prints the IR as JSON", () => {
    const r = seqc(["ir", "specs/ab_recognizer.seq"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('"version": 1');
    const ir = JSON.parse(r.stdout) as { version: number; items: { kind: string; name?: string }[] };
    expect(ir.version).toBe(1);
    expect(ir.items).toContainEqual(expect.objectContaining({ kind: "model", name: "ab_recognizer" }));
  });

  it("ir exits 1 on a syntax error and 2 on a missing file", () => {
    const bad = seqc(["ir", tempFile("bad_ir.seq", BAD_SYNTAX)]);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toMatch(/^error\[SEQ0002\]/);
    expectNoStack(bad);
    const missing = seqc(["ir", "specs/no_such_spec.seq"]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^seqc: cannot read/);
    expectNoStack(missing);
  });
});

describe("seqc fmt", () => {
  /** The same spec, badly laid out: wide indentation and extra blank lines, comments unchanged. */
  function mangle(text: string): string {
    return text.replace(/^ {2}/gm, "      ").replace(/^model /m, "\n\n\nmodel ").replace(/ = /g, "   =  ");
  }
  const SAMPLE = "specs/char_lstm.seq";
  const commentCount = (text: string) => text.split("\n").filter((l) => l.includes("#")).length;

  it("--check exits 0 on the specs and the standard library", () => {
    const r = seqc(["fmt", "--check", ...SPECS, ...STD]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("--check exits 0 on a quoted glob", () => {
    const r = seqc(["fmt", "--check", "specs/*.seq"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("--check exits 1 on a badly formatted file and leaves it untouched", () => {
    const original = readFileSync(join(ROOT, SAMPLE), "utf8");
    const bad = mangle(original);
    expect(bad).not.toBe(original);
    const file = tempFile("check_only.seq", bad);
    const before = statSync(file).mtimeMs;
    const r = seqc(["fmt", "--check", file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`would reformat ${file}`);
    expect(readFileSync(file, "utf8")).toBe(bad);
    expect(statSync(file).mtimeMs).toBe(before);
    expectNoStack(r);
  });

  it("rewrites a badly formatted file in place, keeping its comments, atomically", () => {
    const dir = mkdtempSync(join(tmp, "fmt-"));
    const original = readFileSync(join(ROOT, SAMPLE), "utf8");
    const file = join(dir, "char_lstm.seq");
    writeFileSync(file, mangle(original));
    const r = seqc(["fmt", file]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`formatted ${file}`);
    const after = readFileSync(file, "utf8");
    expect(after).toBe(original);
    expect(commentCount(after)).toBe(commentCount(original));
    expect(commentCount(after)).toBeGreaterThan(0);
    expect(readdirSync(dir)).toEqual(["char_lstm.seq"]);
    expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
    const again = seqc(["fmt", "--check", file]);
    expect(again.status).toBe(0);
    expect(again.stderr).toBe("");
  });

  it("leaves a formatted file alone", () => {
    const file = tempFile("already.seq", readFileSync(join(ROOT, SAMPLE), "utf8"));
    const before = statSync(file).mtimeMs;
    const r = seqc(["fmt", file]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    expect(statSync(file).mtimeMs).toBe(before);
  });

  it("exits 1 on a syntax error and leaves the file byte-identical", () => {
    const dir = mkdtempSync(join(tmp, "fmt-bad-"));
    const file = join(dir, "bad.seq");
    const bytes = Buffer.from(`${BAD_SYNTAX}model   n {\n      a = 1\n}\n`, "utf8");
    writeFileSync(file, bytes);
    const r = seqc(["fmt", file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/error\[SEQ0002\]/);
    expect(readFileSync(file).equals(bytes)).toBe(true);
    expect(readdirSync(dir)).toEqual(["bad.seq"]);
    expectNoStack(r);
  });

  it("exits 2 on a missing file", () => {
    const r = seqc(["fmt", join(tmp, "nothing_here.seq")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^seqc: cannot read /);
    expectNoStack(r);
  });
});

describe("startup", () => {
  /** Static import specifiers of an ES module: `import ... from "x"`, `import "x"`, `export ... from "x"`. */
  function specifiers(code: string): string[] {
    const out: string[] = [];
    const re = /(?:^|[;\s])(?:import|export)\s*(?:[\w*${}\s,]+?\s*from\s*)?["']([^"']+)["']/g;
    for (const m of code.matchAll(re)) out.push(m[1]!);
    return out;
  }

  function packageName(spec: string): string {
    const parts = spec.split("/");
    return spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
  }

  /** Walks the static import graph of the compiled CLI: visited first-party files and bare packages reached. */
  function importGraph(entry: string): { files: string[]; packages: Set<string> } {
    const seen = new Set<string>();
    const packages = new Set<string>();
    const queue = [entry];
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      for (const spec of specifiers(readFileSync(file, "utf8"))) {
        if (spec.startsWith(".") || spec.startsWith("/")) {
          const target = resolve(dirname(file), spec);
          expect(existsSync(target), `${relative(ROOT, file)} imports missing ${spec}`).toBe(true);
          if (/\.(?:js|mjs)$/.test(target)) queue.push(target);
        } else if (!spec.startsWith("node:")) {
          packages.add(packageName(spec));
        }
      }
    }
    return { files: [...seen].map((f) => relative(ROOT, f)), packages };
  }

  it("parses import specifiers", () => {
    const code = `import { a } from "./a.js";\nimport * as b from '../b.js';\nimport "side";\nexport { c } from "@scope/pkg/sub";\nexport * from "./d.js";\nimport e, { f } from "node:fs";\nconst s = "import x from 'not/real'";`;
    expect(specifiers(code)).toEqual(["./a.js", "../b.js", "side", "@scope/pkg/sub", "./d.js", "node:fs"]);
    expect(packageName("@tensorflow/tfjs-node/dist/x.js")).toBe("@tensorflow/tfjs-node");
    expect(packageName("yargs/helpers")).toBe("yargs");
  });

  it("the build's compiled standard library is the standard library compiled now", () => {
    const built = JSON.parse(readFileSync(join(ROOT, "dist/src/ir", STD_CACHE_MODULE), "utf8")) as unknown;
    expect(built).toStrictEqual(JSON.parse(JSON.stringify(compileStd())));
  });

  it("main.js imports no command: each is loaded when it runs", () => {
    const { files, packages } = importGraph(MAIN_JS);
    expect(files).toContain("dist/src/cli/check-args.js");
    expect(files.filter((f) => f.startsWith("dist/src/cli/commands/"))).toEqual([]);
    expect([...packages].filter((p) => p.startsWith("@tensorflow/") || p === "typescript")).toEqual([]);
  });

  it("seqc check loads the parser and the checker, not yargs, ajv, TypeScript or TensorFlow.js", () => {
    // Every module the process loads: ES modules through a load hook, CommonJS ones from require.cache at exit.
    // (The hooks run on a thread of their own: a synchronous write, or the lines could be lost at exit.)
    writeFileSync(join(tmp, "trace-hooks.mjs"), `import { writeSync } from "node:fs";\nexport async function load(url, context, next) {\n  writeSync(2, "LOADED " + url + "\\n");\n  return next(url, context);\n}\n`);
    writeFileSync(
      join(tmp, "trace.mjs"),
      `import { register, createRequire } from "node:module";\nimport { writeSync } from "node:fs";\nregister("./trace-hooks.mjs", import.meta.url);\n` +
        `process.on("exit", () => { for (const f of Object.keys(createRequire(import.meta.url).cache)) writeSync(2, "LOADED " + f + "\\n"); });\n`,
    );
    const r = spawnSync(process.execPath, ["--import", pathToFileURL(join(tmp, "trace.mjs")).href, "bin/seqc.js", "check", "specs/char_lstm.seq"], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const loaded = r.stderr.split("\n").filter((l) => l.startsWith("LOADED ")).map((l) => l.slice(7));
    // The build's standalone IR validator needs one helper of ajv's runtime (ajv/dist/runtime/ucs2length.js), not ajv.
    const packages = new Set(loaded.filter((f) => !/node_modules\/ajv\/dist\/runtime\//.test(f)).flatMap((f) => [...f.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)/g)].slice(-1).map((m) => m[1]!)));
    expect(loaded.some((f) => f.endsWith("/dist/src/check/check.js"))).toBe(true);
    expect(packages.has("chevrotain")).toBe(true);
    expect([...packages].filter((p) => ["yargs", "ajv", "typescript", "tinyglobby", "@babel/code-frame"].includes(p) || p.startsWith("@tensorflow/"))).toEqual([]);
  });
});
