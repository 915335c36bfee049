/**
 * The invalid specs, specs/invalid/*.seq: small specs with one mistake each.
 * A file opens with what the checker must report, one line per diagnostic:
 *
 *   # expect: SEQ0305 at line 7
 *
 * An expectation may be followed by the help the diagnostic must give
 * (`# help: TEXT`, see test/helpers/invalid-specs.ts). For each file: every
 * stated (code, line) is reported in that file (with the stated help), no other
 * error code is reported, and there is at least one error. Together the files
 * cover every error code of CODES. (The CLI on the whole folder is
 * test/cli/commands/check.test.ts's.)
 *
 * "The diagnostics of a file" are those whose primary label is in that file,
 * found by checking every spec of the folder as a root (as `seqc check
 * specs/invalid/*.seq` does). This matters for the import-cycle pair: the
 * cycle is reported at the import that closes it, so checking
 * import_cycle_a.seq reports it in import_cycle_b.seq and the other way round.
 *
 * Paths are relative to the repository root, the working directory of vitest.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ALL_CODES, CODES, type Code } from "../../src/diagnostics/codes.js";
import { primaryLabel } from "../../src/diagnostics/diagnostic.js";
import { position } from "../../src/diagnostics/render/lines.js";
import { checkSpec } from "../../src/driver.js";
import { displayName, expectations, FILES } from "../helpers/invalid-specs.js";

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
function diagnosticsOf(path: string): Found[] {
  const { program, diagnostics } = checkSpec(path);
  return diagnostics.map((d) => {
    const label = primaryLabel(d);
    const file = label?.file ?? "";
    const source = program.sources.get(file);
    if (label === undefined || source === undefined) throw new Error(`${path}: ${d.code} has no primary label in a known source`);
    return { code: d.code, severity: d.severity, file, line: position(source, label.start).line, message: d.message, ...(d.help !== undefined && { help: d.help }) };
  });
}

/** Per spec: the diagnostics of checking it as the root. Filled once, before the tests. */
const byRoot = new Map<string, Found[]>();
/** Per display name: the diagnostics located in that file, from every root. */
const byLocation = new Map<string, Found[]>();

beforeAll(() => {
  for (const path of FILES) {
    const found = diagnosticsOf(path);
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
