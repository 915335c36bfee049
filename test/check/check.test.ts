/**
 * src/check/check.ts: the rules run over a loaded program and their
 * diagnostics come back sorted and deduplicated, with the typed models; a
 * syntax error stops it before the rules. (Each rule is tested in rules/; a
 * spec nested too deeply for the stack is fuzz.test.ts's.)
 */
import { describe, expect, it } from "vitest";
import { checkProgram } from "../../src/check/check.js";
import { primaryLabel } from "../../src/diagnostics/diagnostic.js";
import { loadProgram } from "../../src/ir/program.js";
import { inline } from "../helpers/spec.js";

const load = (text: string) => loadProgram("spec.seq", inline(text));

describe("checkProgram", () => {
  it("a clean spec: no diagnostics, every model typed", () => {
    const r = checkProgram(load("model m {\n  input x: [3]\n  target y: [3]\n  loss mse(x, y)\n}\n"));
    expect(r.diagnostics).toEqual([]);
    expect(r.models.map((m) => m.name)).toEqual(["m"]);
  });

  it("errors of several rules, in the order of the file", () => {
    const text = "model m {\n  input x: [3]\n  target y: [3]\n  target z: [2]\n  loss mse(x, y)\n  train { epoch: 3 }\n}\nmodel n {\n  input x: [3]\n}\n";
    const r = checkProgram(load(text));
    expect(r.diagnostics.map((d) => d.code)).toEqual(["SEQ0406", "SEQ0501", "SEQ0405"]);
    const starts = r.diagnostics.map((d) => primaryLabel(d)!.start);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
  });

  it("a syntax error: only the parser's diagnostics, no rules run, no models", () => {
    const program = load("model m {\n  input x: [3]\n  target y: [3]\n  loss mse(x,, y)\n  target z: [2]\n}\n");
    const r = checkProgram(program);
    expect(r.diagnostics.length).toBeGreaterThan(0);
    expect(r.diagnostics.every((d) => d.code === "SEQ0002")).toBe(true);
    expect(r.models).toEqual([]);
  });
});
