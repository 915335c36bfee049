/** src/cli/output.ts in-process: when to color, where diagnostics go per format, the exit code of a spec that does not check, and a node's place as file:line:col. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { compiledOrExit, describeSource, emitDiagnostics, useColor, VERSION } from "../../src/cli/output.js";
import { loadStd } from "../../src/ir/program.js";
import { scratch } from "../helpers/cli.js";
import { compileInline } from "../helpers/spec.js";

const tmp = scratch("seqc-output-");

/** What a call wrote to stdout and stderr. */
function captured(f: () => unknown): { value: unknown; stdout: string; stderr: string } {
  let stdout = "";
  let stderr = "";
  const o = vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
  const e = vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
  try {
    return { value: f(), stdout, stderr };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

afterEach(() => vi.unstubAllEnvs());

const BAD = "model m {\n  input x: [3]\n  target y: [2]\n  loss mse(x, y)\n}\n";
const GOOD = "model m {\n  input x: [3]\n  target y: [3]\n  loss mse(x, y)\n}\n";

describe("useColor", () => {
  const tty = { isTTY: true } as NodeJS.WriteStream;
  const pipe = { isTTY: false } as NodeJS.WriteStream;

  it("--color / --no-color decide", () => {
    expect(useColor(true, pipe)).toBe(true);
    expect(useColor(false, tty)).toBe(false);
  });

  it("by default: a terminal without NO_COLOR", () => {
    vi.stubEnv("NO_COLOR", "");
    expect(useColor(undefined, tty)).toBe(true);
    expect(useColor(undefined, pipe)).toBe(false);
    vi.stubEnv("NO_COLOR", "1");
    expect(useColor(undefined, tty)).toBe(false);
    expect(useColor(true, tty)).toBe(true);
  });
});

describe("emitDiagnostics", () => {
  const c = compileInline(BAD, { file: "bad.seq" });

  it("human: a code frame on stderr, nothing on stdout (and nothing at all for no diagnostics)", () => {
    const r = captured(() => emitDiagnostics(c.diagnostics, c.program.sources, { format: "human", color: false }));
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^error\[SEQ0308\]/);
    expect(r.stderr).toContain("bad.seq:4:8");
    expect(r.stderr).not.toContain("\x1b[");
    expect(captured(() => emitDiagnostics([], c.program.sources, { format: "human", color: false }))).toMatchObject({ stdout: "", stderr: "" });
  });

  it("machine formats: the report on stdout (json names the tool's version in sarif), even with no diagnostics", () => {
    const json = captured(() => emitDiagnostics(c.diagnostics, c.program.sources, { format: "json", color: undefined }));
    expect(json.stderr).toBe("");
    expect(JSON.parse(json.stdout)).toMatchObject({ summary: { errors: 1, warnings: 0 }, diagnostics: [{ code: "SEQ0308", line: 4, column: 8 }] });
    const sarif = captured(() => emitDiagnostics(c.diagnostics, c.program.sources, { format: "sarif", color: undefined }));
    expect(JSON.parse(sarif.stdout).runs[0].tool.driver.version).toBe(VERSION);
    expect(JSON.parse(captured(() => emitDiagnostics([], c.program.sources, { format: "json", color: undefined })).stdout)).toMatchObject({ diagnostics: [] });
  });
});

describe("compiledOrExit", () => {
  it("a spec that checks: the compiled spec with its model and graph, nothing printed", () => {
    const r = captured(() => compiledOrExit(compileInline(GOOD), { format: "human", color: false }));
    expect(r.stderr + r.stdout).toBe("");
    const v = r.value as Exclude<ReturnType<typeof compiledOrExit>, number>;
    expect(v.model.name).toBe("m");
    expect(v.graph.model).toBe("m");
  });

  it("a spec with errors: exit code 1 after printing its diagnostics", () => {
    const r = captured(() => compiledOrExit(compileInline(BAD), { format: "human", color: false }));
    expect(r.value).toBe(1);
    expect(r.stderr).toContain("SEQ0308");
  });
});

describe("describeSource", () => {
  it("file:line:col and the line, read from the file", () => {
    const text = "model m {\n  input x: [3]\n  target y: [3]\n}\n";
    const file = tmp.file("place.seq", text);
    const start = text.indexOf("target");
    expect(describeSource({ file, loc: { start, end: start + 6 } })).toBe(`${file}:3:3 (target y: [3])`);
  });

  it("a place in the standard library, which is not a file of the user's", () => {
    const text = loadStd().sources.get("std/recurrent.seq")!;
    const start = text.indexOf("h' = tanh(W @ x + U @ h + b)");
    expect(describeSource({ file: "std/recurrent.seq", loc: { start, end: start + 2 } })).toMatch(/^std\/recurrent\.seq:\d+:3 \(h' = tanh\(W @ x \+ U @ h \+ b\)\)$/);
  });

  it("a long line is cut at 80 characters; an unreadable file is its name; no place is said so", () => {
    const long = `# ${"x".repeat(200)}\n`;
    const file = tmp.file("long.seq", long);
    const shown = describeSource({ file, loc: { start: 0, end: 1 } });
    expect(shown).toMatch(/^.*long\.seq:1:1 \(# x+\.\.\.\)$/);
    expect(shown.slice(shown.indexOf("(") + 1, -1)).toHaveLength(80);
    expect(describeSource({ file: `${tmp.dir}/gone.seq`, loc: { start: 0, end: 1 } })).toBe(`${tmp.dir}/gone.seq`);
    expect(describeSource(undefined)).toBe("an unknown place");
  });
});
