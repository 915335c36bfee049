/**
 * The dims of a model (src/runtime/dims.ts): atoms kept in units of their
 * multiple, the spec's bound atoms, free ones given by value, the sizes of
 * vocabularies built from data, evaluating a symbolic dim, solving its one
 * unknown atom from a length, and from the shapes of saved parameters.
 */
import { describe, expect, it } from "vitest";
import { DimTable } from "../../src/runtime/dims.js";
import type { DimTerms } from "../../src/runtime/model-api.js";

/**
 * `dim K = 2` (the size of `vocab tags[K]`, listed), `dim H = 3`,
 * `dim B multiple of 2 = 6`, `dim T multiple of 4`, `dim W`; the data's
 * `vocab chars[V]` and `vocab pairs[E]` with E a multiple of 2, and a
 * vocabulary with no size dim.
 */
const table = new DimTable(
  [
    { name: "V", multiple: 1 },
    { name: "K", multiple: 1, value: 2 },
    { name: "H", multiple: 1, value: 3 },
    { name: "B", multiple: 2, value: 6 },
    { name: "T", multiple: 4 },
    { name: "E", multiple: 2 },
    { name: "W", multiple: 1 },
  ],
  [
    { name: "chars", sizeDim: "V" },
    { name: "tags", sizeDim: "K", tokens: ["a", "b"] },
    { name: "pairs", sizeDim: "E" },
    { name: "loose" },
  ],
);
const units = (o: Record<string, number>) => new Map(Object.entries(o));

describe("values and units", () => {
  it("keeps the spec's atoms in units, and converts with an atom's multiple", () => {
    expect(Object.fromEntries(table.bound())).toEqual({ K: 2, H: 3, B: 3 });
    expect(table.value("T", 3)).toBe(12);
    expect(table.value("nope", 5)).toBe(5);
    expect(table.unit("T", 12)).toBe(3);
    expect(table.unit("T", 10)).toBeUndefined();
    expect(table.unit("nope", 7)).toBe(7);
    // Only vocabularies built from data have their size as a free atom.
    expect([...table.vocabAtoms]).toEqual([["V", "chars"], ["E", "pairs"]]);
  });

  it("unitsOf: the spec's values win, free atoms come by value, data vocabularies by size", () => {
    const u = table.unitsOf({ T: 8, H: 99, Q: 5 }, { chars: { size: 5 }, tags: { size: 9 }, pairs: { size: 7 } });
    // H stays bound, Q is no atom, tags is listed, 7 pairs is not a multiple of 2.
    expect(Object.fromEntries(u)).toEqual({ K: 2, H: 3, B: 3, T: 2, V: 5 });
    expect(Object.fromEntries(table.unitsOf({}, new Map([["chars", undefined], ["pairs", { size: 8 }]])))).toEqual({ K: 2, H: 3, B: 3, E: 4 });
  });

  it("freeValues and vocabSizes give the values of free atoms only", () => {
    expect(table.freeValues(units({ T: 2, H: 3, E: 4, Q: 1 }))).toEqual({ T: 8, E: 8 });
    expect(table.vocabSizes({ chars: { size: 5 }, pairs: { size: 8 } })).toEqual({ V: 5, E: 8 });
    expect(table.vocabSizes({})).toEqual({});
  });
});

describe("symbolic dims", () => {
  it("evaluates a dim once every atom it uses has a unit value", () => {
    const d: DimTerms = [["H*T", 4], ["", 1]]; // 4*H*T + 1 in units: H = 3, T = 8
    expect([...table.atomsOf(d)]).toEqual(["H", "T"]);
    expect(table.evaluate(d, units({ H: 3, T: 2 }))).toBe(25);
    expect(table.evaluate(d, units({ H: 3 }))).toBeUndefined();
    expect(table.evaluate([["", 7]], new Map())).toBe(7);
    expect(table.evaluate([], new Map())).toBe(0);
  });

  it("solves a dim for its one unknown atom when it is linear in it", () => {
    expect(table.solve([["T", 4], ["", 1]], 9, new Map())).toEqual({ atom: "T", unit: 2 });
    expect(table.solve([["H*W", 1], ["", 2]], 14, units({ H: 3 }))).toEqual({ atom: "W", unit: 4 });
    // 4T + 4VT with V = 2 is 12 units of T.
    expect(table.solve([["T", 4], ["V*T", 4]], 24, units({ V: 2 }))).toEqual({ atom: "T", unit: 2 });
  });

  it("names the atom but gives no unit when no whole positive value fits", () => {
    expect(table.solve([["T", 4], ["", 1]], 11, new Map())).toEqual({ atom: "T", unit: undefined });
    expect(table.solve([["T", 4], ["", 1]], 1, new Map())).toEqual({ atom: "T", unit: undefined });
    expect(table.solve([["W", 1], ["", 5]], 2, new Map())).toEqual({ atom: "W", unit: undefined });
  });

  it("has nothing to solve without exactly one unknown atom, linearly", () => {
    const none = new Map<string, number>();
    expect(table.solve([["H", 1]], 3, units({ H: 3 }))).toBeUndefined();
    expect(table.solve([["T", 4], ["W", 1]], 9, none)).toBeUndefined();
    expect(table.solve([["W*W", 1]], 9, none)).toBeUndefined();
    expect(table.solve([["V*W", 1]], 9, none)).toBeUndefined();
    expect(table.solve([["W", 0], ["", 3]], 3, none)).toBeUndefined();
  });

  it("explains a length that does not fit by the multiples of the dim's atoms", () => {
    expect(table.why([["T", 4], ["E*H", 2]])).toBe(" (dim T is a multiple of 4, dim E is a multiple of 2)");
    expect(table.why([["H", 1], ["W", 1]])).toBe("");
  });
});

describe("dims from the shapes of saved parameters", () => {
  const params: { name: string; shape: DimTerms[] }[] = [
    { name: "proj", shape: [[["V*W", 1]]] }, // solvable once V is known
    { name: "emb", shape: [[["V", 1]], [["H", 1]]] },
    { name: "pos", shape: [[["E", 2]]] }, // saved with another rank: ignored (else E = 8)
    { name: "gone", shape: [[["E", 1]]] }, // not saved
  ];
  const saved = (proj: number) => new Map([["proj", [proj]], ["emb", [5, 3]], ["pos", [8, 1]]]);

  it("solves until nothing more is solved, keeping the given dims", () => {
    expect(table.solveFromShapes(params, { T: 12 }, saved(10))).toEqual({ T: 12, V: 5, W: 2 });
  });

  it("never overrides a given dim, and skips a length that does not fit", () => {
    expect(table.solveFromShapes(params, { V: 2 }, saved(10))).toEqual({ V: 2, W: 5 });
    expect(table.solveFromShapes(params, {}, saved(11))).toEqual({ V: 5 });
  });
});
