/** The graph's dims: values of dims from the free atoms' values, and free atoms solved from saved weight shapes. */
import { describe, expect, it } from "vitest";
import { dimTable, dimValue, solveDimsFromShapes } from "../../src/graph/dims.js";
import { graphOf } from "../helpers/spec.js";

const graph = graphOf(`model m {
  vocab words[V]
  dim T multiple of 4
  dim H = 3
  input x: [T] of words
  target y: [T/4] of words
  e = embedding<H>(one_hot(x))
  h = elman<2*H>(fold<4>(e))
  loss cross_entropy(dense<V>(h), y)
}
`);

const byName = (name: string) => graph.params.find((p) => p.name === name)!;

describe("dimValue", () => {
  it("evaluates a dim from bound atoms and the given free ones (T/4 from T, 2*H + 4*H from H)", () => {
    const input = graph.nodes.find((n) => n.kind === "input" && n.name === "y")!;
    expect(dimValue(graph, input.shape[0]!, { T: 12 })).toBe(3);
    expect(byName("h.W").shape.map((d) => dimValue(graph, d, { V: 7 }))).toEqual([6, 12]);
    expect(byName("e.W").shape.map((d) => dimValue(graph, d, { V: 7 }))).toEqual([7, 3]);
  });

  it("names the free dims that have no value", () => {
    expect(() => dimValue(graph, byName("e.W").shape[0]!, {})).toThrow(/the dims .*V.* have no value/);
  });
});

describe("solveDimsFromShapes", () => {
  it("solves a data vocabulary's size from a weight's shape", () => {
    const solved = solveDimsFromShapes(graph, {}, new Map([["e.W", [9, 3]]]));
    expect(solved["V"]).toBe(9);
  });

  it("keeps what is given and leaves alone what no shape tells", () => {
    expect(solveDimsFromShapes(graph, { V: 4 }, new Map([["e.W", [9, 3]]]))["V"]).toBe(4);
    expect(solveDimsFromShapes(graph, {}, new Map())).toEqual({});
  });

  it("a shape that no whole value fits solves nothing", () => {
    // dense.W is [V, 2*H] = [V, 6]: its first axis is V itself; a zero-sized axis is no vocabulary.
    expect(solveDimsFromShapes(graph, {}, new Map([["dense.W", [0, 6]]]))["V"]).toBeUndefined();
    expect(solveDimsFromShapes(graph, {}, new Map([["dense.W", [5, 6]]]))["V"]).toBe(5);
  });

  it("the table knows which atoms are vocabulary sizes and which are lengths (with their multiple)", () => {
    const t = dimTable(graph);
    expect([...t.vocabAtoms]).toEqual([["V", "words"]]);
    expect(t.atoms.get("T")?.multiple).toBe(4);
    expect(dimTable(graph)).toBe(t);
  });
});
