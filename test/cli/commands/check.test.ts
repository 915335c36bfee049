/**
 * `seqc check` through the real command line: exit codes (0 clean, 1 errors,
 * 2 unreadable input or usage), code frames, the machine formats (json,
 * sarif, github), standard input, globs, and every file of specs/invalid/
 * reported where its `# expect:` lines say. (runSeqc fails a test on a stack
 * trace or an internal error in any output.)
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BAD_SHAPES, BAD_SYNTAX, ROOT, runSeqc, scratch, shown, type Run, type RunOptions } from "../../helpers/cli.js";
import { displayName, expectations, FILES } from "../../helpers/invalid-specs.js";

const tmp = scratch("seqc-check-");
const run = (args: string[], opts: RunOptions = {}): Run => runSeqc(args, opts);

const SPECS = readdirSync(join(ROOT, "specs"))
  .filter((n) => n.endsWith(".seq"))
  .sort()
  .map((n) => `specs/${n}`);

describe("seqc check", () => {
  it("exits 0 on every spec (paths expanded by the shell)", () => {
    expect(SPECS.length).toBeGreaterThan(0);
    const r = run(["check", ...SPECS]);
    expect(r.stderr).toBe(`checked ${SPECS.length} files: no problems\n`);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("");
  });

  it("expands a quoted glob itself", () => {
    const r = run(["check", "specs/*.seq"]);
    expect(r.stderr).toBe(`checked ${SPECS.length} files: no problems\n`);
    expect(r.status).toBe(0);
  });

  it("--quiet prints nothing on success", () => {
    const r = run(["check", "--quiet", "specs/ab_recognizer.seq"]);
    expect(r.status).toBe(0);
    expect(r.stdout + r.stderr).toBe("");
  });

  it("exits 1 on a spec with errors and prints a code frame on stderr", () => {
    const file = tmp.file("bad_shapes.seq", BAD_SHAPES);
    const r = run(["check", file]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    const lines = r.stderr.split("\n");
    expect(lines[0]).toMatch(/^error\[SEQ0308\]: /);
    expect(lines).toContain(`  --> ${shown(file)}:6:8`);
    expect(lines).toContain("> 6 |   loss mse(p, y)");
    expect(lines.some((l) => /^ +\| +\^+/.test(l))).toBe(true);
    expect(r.stderr).toMatch(/\n1 error\n$/);
    expect(r.stderr).not.toContain("\x1b[");
  });

  it("exits 1 when one of several files has errors, and reports only that one", () => {
    const file = tmp.file("bad_shapes_2.seq", BAD_SHAPES);
    const r = run(["check", "specs/ab_recognizer.seq", file, "specs/mlp_xor.seq"]);
    expect(r.status).toBe(1);
    expect(r.stderr.match(/^error\[/gm)).toHaveLength(1);
    expect(r.stderr).not.toContain("specs/ab_recognizer.seq");
  });

  it("reports syntax errors with a code frame", () => {
    const file = tmp.file("bad_syntax.seq", BAD_SYNTAX);
    const r = run(["check", file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error\[SEQ0002\]: expected /);
    expect(r.stderr).toContain(`  --> ${shown(file)}:3:`);
    expect(r.stderr).toMatch(/^> 3 \|/m);
  });

  it("colors the human output with --color", () => {
    const r = run(["check", "--color", tmp.file("bad_color.seq", BAD_SHAPES)]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("\x1b[");
  });

  it("--format json prints a JSON report on stdout with lines and columns", () => {
    const file = tmp.file("bad_json.seq", BAD_SHAPES);
    const r = run(["check", "--format", "json", file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("");
    const report = JSON.parse(r.stdout);
    expect(report.version).toBe(1);
    expect(report.summary).toEqual({ errors: 1, warnings: 0, omitted: 0 });
    expect(report.omitted).toEqual([]);
    expect(report.diagnostics).toHaveLength(1);
    expect(report.diagnostics[0]).toMatchObject({ code: "SEQ0308", severity: "error", file: shown(file), line: 6, column: 8, endLine: 6 });
    expect(report.diagnostics[0].labels.length).toBeGreaterThan(0);
  });

  it("--format json reports no diagnostics for clean specs", () => {
    const r = run(["check", "-f", "json", "specs/ab_recognizer.seq", "specs/char_lstm.seq"]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toMatchObject({ version: 1, diagnostics: [], summary: { errors: 0, warnings: 0 } });
  });

  it("--format sarif prints a SARIF 2.1.0 log with the results", () => {
    const file = tmp.file("bad_sarif.seq", BAD_SHAPES);
    const r = run(["check", "--format", "sarif", file]);
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
    const file = tmp.file("bad_github.seq", BAD_SHAPES);
    const r = run(["check", "--format", "github", file]);
    expect(r.status).toBe(1);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^::error file=[^,]+,line=6,col=8,endLine=6,endColumn=\d+,title=SEQ0308::mse /);
    expect(lines[0]).toContain(`file=${shown(file).replaceAll(":", "%3A").replaceAll(",", "%2C")},`);
  });

  it("--format github prints nothing for clean specs", () => {
    const r = run(["check", "--format", "github", "specs/ab_recognizer.seq"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("");
  });

  it("exits 2 on a missing file, in one line", () => {
    const missing = join(tmp.dir, "no_such_spec.seq");
    const r = run(["check", missing]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`seqc: cannot read ${missing}: no such file\n`);
  });

  it("exits 2 on a glob that matches nothing", () => {
    const r = run(["check", "specs/*.nothing"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^seqc: no files match/);
  });

  it("exits 2 on a directory", () => {
    const r = run(["check", "specs"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^seqc: cannot read specs/);
  });
});

describe("seqc check in CI", () => {
  it("- reads the spec from standard input: a clean one passes, a bad one fails at <stdin>:line:col", () => {
    const good = run(["check", "-"], { input: "model m {\n  input x: [3]\n  target y: [3]\n  loss mse(x, y)\n}\n" });
    expect(good.status).toBe(0);
    expect(good.stderr).toContain("checked 1 file: no problems");
    const bad = run(["check", "-"], { input: "model m {\n  input x: [3]\n  target y: [2]\n  loss mse(x, y)\n}\n" });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/<stdin>:4:8/);
  });

  it("no files at all is a usage error (exit 2), not 'checked 0 files'", () => {
    const r = run(["check"]);
    expect(r.status).toBe(2);
    expect(r.stderr).not.toContain("checked 0 files");
  });
});

describe("seqc check specs/invalid/*.seq", () => {
  const check = (...extra: string[]) => runSeqc(["check", ...FILES, ...extra]);

  it("exits with status 1 and no stack trace", () => {
    const r = check("--color=false");
    expect(r.status, r.stderr).toBe(1);
  });

  it("--format json reports the expected diagnostics in every file", () => {
    const r = check("--format", "json");
    expect(r.status, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as { diagnostics: { code: string; file: string | null; line: number | null; help?: string }[] };
    for (const path of FILES) {
      const file = displayName(path);
      const inFile = report.diagnostics.filter((d) => d.file === file);
      expect(inFile.length, `no diagnostic for ${file}`).toBeGreaterThan(0);
      for (const e of expectations(path)) {
        const hits = inFile.filter((d) => d.code === e.code && d.line === e.line);
        expect(hits.length > 0, `${file}: ${e.code} at line ${e.line} in the JSON output`).toBe(true);
        if (e.help !== undefined) expect(hits.map((d) => d.help), `${file}: the help of ${e.code} at line ${e.line} in the JSON output`).toContain(e.help);
      }
    }
  });
});
