/**
 * The invalid specs, specs/invalid/*.seq: small specs with one mistake each.
 * A file opens with what the checker must report, one line per diagnostic:
 *
 *   # expect: SEQ0305 at line 7
 *
 * An expectation may be followed by the help the diagnostic must give, where
 * the fix is mechanical:
 *
 *   # help: declare the length as `dim T multiple of 2`
 *
 * For each file: every stated (code, line) is reported in that file (with the
 * stated help), no other error code is reported, and there is at least one error. Together the files
 * cover every error code of CODES. The CLI, run on the whole folder, fails
 * with exit status 1, without a stack trace, and reports in every file.
 *
 * "The diagnostics of a file" are those whose primary label is in that file,
 * found by checking every spec of the folder as a root (as `seqc check
 * specs/invalid/*.seq` does). This matters for the import-cycle pair: the
 * cycle is reported at the import that closes it, so checking
 * import_cycle_a.seq reports it in import_cycle_b.seq and the other way round.
 *
 * Paths are relative to the repository root, the working directory of vitest.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { checkProgram } from "../../src/check/check.js";
import { ALL_CODES, CODES, type Code } from "../../src/diagnostics/codes.js";
import { primaryLabel } from "../../src/diagnostics/diagnostic.js";
import { loadProgram } from "../../src/ir/program.js";

const DIR = "specs/invalid";

/** Spec paths relative to the repository root, sorted. */
const FILES: string[] = readdirSync(DIR)
  .filter((n) => n.endsWith(".seq"))
  .sort()
  .map((n) => `${DIR}/${n}`);

/** The name diagnostics use for a file (loadProgram: relative to the working directory). */
function displayName(path: string): string {
  return relative(process.cwd(), resolve(path));
}

interface Expectation {
  code: Code;
  line: number;
  /** The help the diagnostic gives, when stated. */
  help?: string;
}

const EXPECT_LINE = /^# expect: (SEQ\d{4}) at line (\d+)\s*$/;
const HELP_LINE = /^# help: (.+)$/;

/** The `# expect:` lines (each maybe with a `# help:` line) that open a spec. Anything that looks like one but does not parse is an error. */
function expectations(path: string): Expectation[] {
  const lines = readFileSync(path, "utf8").split("\n");
  const out: Expectation[] = [];
  for (const line of lines) {
    if (line.startsWith("# help")) {
      const h = HELP_LINE.exec(line);
      const last = out[out.length - 1];
      if (!h || !last || last.help !== undefined) throw new Error(`${path}: a \`# help: TEXT\` line follows its \`# expect:\` line, once (${JSON.stringify(line)})`);
      last.help = h[1]!;
      continue;
    }
    if (!line.startsWith("# expect")) break;
    const m = EXPECT_LINE.exec(line);
    if (!m) throw new Error(`${path}: malformed expectation ${JSON.stringify(line)} (write \`# expect: SEQ0305 at line 6\`)`);
    const code = m[1]!;
    if (!Object.hasOwn(CODES, code)) throw new Error(`${path}: ${code} is not a diagnostic code`);
    out.push({ code: code as Code, line: Number(m[2]) });
  }
  return out;
}

/** A diagnostic reduced to what the tests compare. */
interface Found {
  code: Code;
  severity: string;
  file: string;
  line: number;
  message: string;
  help?: string;
}

function show(d: Found): string {
  return `${d.code} ${d.file}:${d.line} ${d.message}`;
}

/** Checks one spec as the root, in-process; each diagnostic with the line of its primary label. */
function checkSpec(path: string): Found[] {
  const program = loadProgram(path, { readFile: (p) => readFileSync(p, "utf8") });
  const { diagnostics } = checkProgram(program);
  return diagnostics.map((d) => {
    const label = primaryLabel(d);
    const file = label?.file ?? "";
    const source = program.sources.get(file);
    if (label === undefined || source === undefined) throw new Error(`${path}: ${d.code} has no primary label in a known source`);
    let line = 1;
    for (let i = 0; i < label.start; i++) if (source.charCodeAt(i) === 10) line++;
    return { code: d.code, severity: d.severity, file, line, message: d.message, ...(d.help !== undefined && { help: d.help }) };
  });
}

/** Per spec: the diagnostics of checking it as the root. Filled once, before the tests. */
const byRoot = new Map<string, Found[]>();
/** Per display name: the diagnostics located in that file, from every root. */
const byLocation = new Map<string, Found[]>();

beforeAll(() => {
  for (const path of FILES) {
    const found = checkSpec(path);
    byRoot.set(path, found);
    for (const d of found) {
      const list = byLocation.get(d.file) ?? [];
      if (!list.some((x) => show(x) === show(d))) list.push(d);
      byLocation.set(d.file, list);
    }
  }
});

describe("specs/invalid", () => {
  it("has specs", () => {
    expect(FILES.length).toBeGreaterThan(0);
  });

  it.each(FILES)("%s", (path) => {
    const expected = expectations(path);
    expect(expected.length, `${path} must open with \`# expect: CODE at line N\``).toBeGreaterThan(0);
    const codes = new Set<string>(expected.map((e) => e.code));
    const own = byLocation.get(displayName(path)) ?? [];
    const all = [...new Map([...own, ...(byRoot.get(path) ?? [])].map((d) => [show(d), d])).values()];
    const report = all.map(show).join("\n") || "(nothing)";

    // Every stated (code, line) is reported in this file, with the stated help.
    for (const e of expected) {
      const hits = own.filter((d) => d.code === e.code && d.line === e.line);
      expect(hits.length > 0, `${path}: expected ${e.code} at line ${e.line}; reported:\n${report}`).toBe(true);
      if (e.help !== undefined) expect(hits.map((d) => d.help), `${path}: the help of ${e.code} at line ${e.line}`).toContain(e.help);
    }
    // No other error code: neither in this file nor anywhere when this file is the root.
    const unexpected = all.filter((d) => d.severity === "error" && !codes.has(d.code));
    expect(unexpected.map(show), `${path}: unexpected errors`).toEqual([]);
    // Checking this file on its own fails.
    expect((byRoot.get(path) ?? []).filter((d) => d.severity === "error").length, `${path}: no error when checked on its own`).toBeGreaterThan(0);
  });
});

describe("coverage", () => {
  it("every error code has an invalid spec", () => {
    const covered = new Set<string>(FILES.flatMap((p) => expectations(p).map((e) => e.code)));
    const errorCodes = ALL_CODES.filter((c) => CODES[c].severity === "error");
    expect(errorCodes.filter((c) => !covered.has(c)), "error codes with no spec in specs/invalid").toEqual([]);
  });
});

describe("seqc check specs/invalid/*.seq", () => {
  const run = (...extra: string[]) => {
    expect(existsSync("dist/src/cli/main.js"), "build the CLI first: npm run build").toBe(true);
    return spawnSync(process.execPath, ["bin/seqc.js", "check", ...FILES, ...extra], {
      cwd: process.cwd(),
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
    });
  };

  it("exits with status 1 and no stack trace", () => {
    const r = run("--color=false");
    expect(r.error).toBeUndefined();
    expect(r.stderr).not.toMatch(/^ {4}at /m);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.status, r.stderr).toBe(1);
  });

  it("--format json reports the expected diagnostics in every file", () => {
    const r = run("--format", "json");
    expect(r.stderr).not.toMatch(/^ {4}at /m);
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
