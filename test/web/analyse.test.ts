/**
 * web/src/analyse.ts: what the playground
 * shows for a spec, computed in Node over the very sources the page bundles
 * (web/build.ts's webSources): the report `seqc check` prints, located
 * diagnostics, the summary table, each model's DOT; imports read from the
 * shipped specs.
 */
import { describe, expect, it } from "vitest";
import { hasErrors } from "../../src/diagnostics/diagnostic.js";
import { checkSpec } from "../../src/driver.js";
import { loadStd } from "../../src/ir/program.js";
import { analyse, SPEC_FILE } from "../../web/src/analyse.js";
import { webSources } from "../../web/build.js";
import { BAD_SHAPES } from "../helpers/cli.js";

const { std, specs } = webSources();
const files = { std, specs: new Map(specs) };
const FIXED = BAD_SHAPES.replace("target y: [3]", "target y: [2]");

describe("webSources", () => {
  it("bundles the standard library as it is on disk, and every shipped spec", () => {
    const disk = loadStd();
    expect(std.files.map((f) => `std/${f.name}`)).toEqual(disk.modules.map((m) => m.file));
    for (const f of std.files) expect(f.text).toBe(disk.sources.get(`std/${f.name}`));
    expect(specs.map(([name]) => name)).toEqual(expect.arrayContaining(["mlp_xor.seq", "lstm_peephole.seq"]));
    expect(specs.every(([name]) => name.endsWith(".seq"))).toBe(true);
  });
});

describe("analyse", () => {
  it("a shape error: seqc check's report with its code frame (no color), located on its line; no summary, no diagram", () => {
    const a = analyse(BAD_SHAPES, files);
    expect(a.diagnostics.map((d) => [d.code, d.file, d.line, d.column])).toEqual([["SEQ0308", SPEC_FILE, 6, 8]]);
    expect(a.report).toContain(`--> ${SPEC_FILE}:6:8`);
    expect(a.report).toContain("> 6 |   loss mse(p, y)");
    expect(a.report).toContain("- [3]");
    expect(a.report).not.toContain("\x1b");
    expect(a.summary).toBe("");
    expect(a.models).toEqual([]);
  });

  it("fixed: no diagnostics, the summary seqc prints, and the model's graph as DOT (params, inputs, ops, edges)", () => {
    const a = analyse(FIXED, files);
    expect(a.report).toBe("");
    expect(a.diagnostics).toEqual([]);
    expect(a.summary).toContain("total params: 2*H + 2 = 10");
    expect(a.models.map((m) => m.name)).toEqual(["m"]);
    const dot = a.models[0]!.dot!;
    expect(dot).toMatch(/^digraph "m" \{/);
    // seqc graph's DOT (src/graph/dot.ts): names, ops, shapes (numeric where bound) and parameter counts.
    for (const label of ["<b>x</b>  <i>input</i>", "[H] = [4]", "<b>y</b>  <i>target</i>", "<i>matmul</i>", "p.W: 2*H = 8 params", "<b>p</b>  <i>add</i>", "p.b: 2 params", "<i>loss: mse</i>"]) {
      expect(dot).toContain(label);
    }
    // x -> matmul -> add -> mse <- y: four edges (the parameters are in their ops' boxes).
    expect(dot.match(/ -> /g)).toHaveLength(4);
  });

  it("the same diagnostics as the checker on disk, for every shipped spec; a graph for each model of those that check", () => {
    for (const [name, text] of specs) {
      const a = analyse(text, files);
      const disk = checkSpec(`specs/${name}`);
      expect(a.diagnostics.map((d) => d.code), name).toEqual(disk.diagnostics.map((d) => d.code));
      const checked = hasErrors(disk.diagnostics) ? [] : disk.models;
      expect(a.models.map((m) => [m.name, m.error]), name).toEqual(checked.map((m) => [m.name, undefined]));
    }
  });

  it("imports read the shipped specs; a missing one is SEQ0003 at its import", () => {
    const a = analyse('import "mlp_xor.seq"\nimport "nope.seq"\n', files);
    expect(a.diagnostics.map((d) => [d.code, d.line])).toEqual([["SEQ0003", 2]]);
  });
});
