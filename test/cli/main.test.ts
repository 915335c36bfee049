/**
 * src/cli/main.ts through the real command line: usage errors (exit 2, a
 * pointer to --help, no command run), --help and --version, and what starting
 * a command loads (commands are imported when they run; seqc check loads the
 * parser and the checker, not yargs, TypeScript or TensorFlow.js).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { compileStd, STD_CACHE_MODULE } from "../../src/ir/program.js";
import { ROOT, runSeqc, scratch } from "../helpers/cli.js";

const MAIN_JS = join(ROOT, "dist/src/cli/main.js");
const tmp = scratch("seqc-main-");
const run = (args: string[]) => runSeqc(args);

describe("usage", () => {
  it("exits 2 on an unknown flag with a usage message", () => {
    const r = run(["check", "specs/ab_recognizer.seq", "--bogus"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/seqc: Unknown argument: bogus/i);
    expect(r.stderr).toContain("seqc --help");
  });

  it("exits 2 on an unknown command with a usage message", () => {
    const r = run(["frobnicate", "specs/ab_recognizer.seq"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/frobnicate/);
    expect(r.stderr).toContain("seqc --help");
    expect(r.stdout).toBe("");
  });

  it("exits 2 without a command", () => {
    const r = run([]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("name a command");
    expect(r.stderr).toContain("seqc --help");
  });

  it("exits 2 when a command misses its files", () => {
    const r = run(["check"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("Not enough non-option arguments");
    expect(r.stderr).toContain("seqc --help");
  });

  it("--help exits 0 and lists every command and format", () => {
    const r = run(["--help"]);
    expect(r.status).toBe(0);
    for (const word of ["check", "summary", "ir", "fmt", "--format", "human", "json", "sarif", "github", "Exit codes"]) {
      expect(r.stdout).toContain(word);
    }
    expect(r.stdout).toMatch(/seqc check/);
    expect(r.stdout).toMatch(/seqc summary/);
    expect(r.stdout).toMatch(/seqc ir/);
    expect(r.stdout).toMatch(/seqc fmt/);
    expect(r.stdout).toMatch(/seqc graph <spec> +draw a model as a diagram/);
    expect(r.stdout).toMatch(/seqc plot <logs\.\.> +draw training curves/);
    expect(r.stdout).toContain("no PNG");
  });

  it("--version prints the version", () => {
    const r = run(["--version"]);
    expect(r.status).toBe(0);
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  // Regression: on a usage error the command still ran before the error is reported: `fmt FILE --bogus`
  it("a usage error runs no command", () => {
    const file = tmp.file("usage_untouched.seq", "dim   A = 2\n");
    const r = run(["fmt", file, "--bogus"]);
    expect(r.status).toBe(2);
    expect(readFileSync(file, "utf8")).toBe("dim   A = 2\n");
    expect(r.stderr).not.toContain("formatted");
  });

  // Regression: `seqc check` without files prints "checked 0 files: no problems" before the
  // usage error, and `seqc summary` without a file tries to read "undefined" instead of printing usage.
  it("a missing positional argument is reported as usage only", () => {
    const check = run(["check"]);
    expect(check.stderr).not.toContain("no problems");
    const summary = run(["summary"]);
    expect(summary.status).toBe(2);
    expect(summary.stderr).not.toContain("undefined");
    expect(summary.stderr).toContain("seqc --help");
  });

  // Regression: an invalid --format choice was not a usage error: the handler ran with it and the
  // renderer crashes ("seqc: internal error: RENDERERS[format] is not a function", exit 70).
  it("exits 2 on an unknown --format", () => {
    const r = run(["check", "--format", "yaml", "specs/ab_recognizer.seq"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("seqc --help");
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
    expect([...packages].filter((p) => p.startsWith("@tensorflow/") || ["typescript", "yargs", "@hpcc-js/wasm-graphviz", "asciichart", "cli-progress"].includes(p))).toEqual([]);
  });

  it("seqc check loads the parser and the checker, not yargs, ajv, TypeScript, TensorFlow.js or Graphviz", () => {
    // Every module the process loads: ES modules through a load hook, CommonJS ones from require.cache at exit.
    // (The hooks run on a thread of their own: a synchronous write, or the lines could be lost at exit.)
    writeFileSync(join(tmp.dir, "trace-hooks.mjs"), `import { writeSync } from "node:fs";\nexport async function load(url, context, next) {\n  writeSync(2, "LOADED " + url + "\\n");\n  return next(url, context);\n}\n`);
    writeFileSync(
      join(tmp.dir, "trace.mjs"),
      `import { register, createRequire } from "node:module";\nimport { writeSync } from "node:fs";\nregister("./trace-hooks.mjs", import.meta.url);\n` +
        `process.on("exit", () => { for (const f of Object.keys(createRequire(import.meta.url).cache)) writeSync(2, "LOADED " + f + "\\n"); });\n`,
    );
    const r = spawnSync(process.execPath, ["--import", pathToFileURL(join(tmp.dir, "trace.mjs")).href, "bin/seqc.js", "check", "specs/char_lstm.seq"], { cwd: ROOT, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const loaded = r.stderr.split("\n").filter((l) => l.startsWith("LOADED ")).map((l) => l.slice(7));
    // The build's standalone IR validator needs one helper of ajv's runtime (ajv/dist/runtime/ucs2length.js), not ajv.
    const packages = new Set(loaded.filter((f) => !/node_modules\/ajv\/dist\/runtime\//.test(f)).flatMap((f) => [...f.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)/g)].slice(-1).map((m) => m[1]!)));
    expect(loaded.some((f) => f.endsWith("/dist/src/check/check.js"))).toBe(true);
    expect(packages.has("chevrotain")).toBe(true);
    // Nor the modules of the other commands: diagrams, training curves and logs, the trainers (tfjs/engine.js is its list of backends).
    expect(loaded.filter((f) => /\/dist\/src\/(?:graph\/(?:dot|svg)|cli\/plot|cli\/commands\/(?!check)|runtime\/train-log|backends\/(?:tfjs\/(?!engine\.js)|ts\/|pytorch\/))/.test(f))).toEqual([]);
    expect([...packages].filter((p) => ["yargs", "ajv", "typescript", "tinyglobby", "@babel/code-frame", "vscode-languageserver", "@hpcc-js/wasm-graphviz", "asciichart", "cli-progress"].includes(p) || p.startsWith("@tensorflow/"))).toEqual([]);
  });

  it("seqc check does not load the language server (seqc lsp imports it when it runs)", () => {
    const { files, packages } = importGraph(MAIN_JS);
    expect([...packages].filter((p) => p.startsWith("vscode-"))).toEqual([]);
    expect(files.filter((f) => f.startsWith("dist/src/lsp/"))).toEqual([]);
    expect(importGraph(join(ROOT, "dist/src/cli/commands/lsp.js")).packages.has("vscode-languageserver")).toBe(true);
  });
});
