/**
 * Examples kept as columns (src/runtime/examples.ts): packed one after another
 * or as windows of one array, subsets sharing the columns, and the packer
 * growing its arrays past their first size.
 */
import { describe, expect, it } from "vitest";
import { ExamplePacker, Examples, type Example } from "../../src/runtime/examples.js";

const plain = (ex: Example) => ({ ...ex, fields: Object.fromEntries(Object.entries(ex.fields).map(([k, v]) => [k, Array.from(v)])) });

describe("Examples", () => {
  const list: Example[] = [
    { line: 1, dims: { T: 2 }, fields: { x: Uint8Array.of(1, 2), y: Float32Array.of(0.5, 1, 1.5, 2) } },
    { line: 3, dims: { T: 1, S: 4 }, fields: { x: Uint8Array.of(3), y: Float32Array.of(7, 8) } },
    { line: 4, dims: { T: 3 }, fields: { x: Uint8Array.of(4, 5, 6), y: Float32Array.of(1, 2, 3, 4, 5, 6) } },
  ];

  it("packs examples into a column per field and gives them back as they were", () => {
    const ex = Examples.of(list);
    expect(ex.length).toBe(3);
    expect([...ex].map(plain)).toEqual(list.map(plain));
    expect(ex.field("x", 2)).toBeInstanceOf(Uint8Array);
    expect(ex.field("y", 1)).toEqual(Float32Array.of(7, 8));
    expect([ex.dim("S", 0), ex.dim("S", 1)]).toEqual([undefined, 4]);
    expect(ex.dims(1)).toEqual({ T: 1, S: 4 });
  });

  it("takes subsets in any order, sharing the columns", () => {
    const ex = Examples.of(list);
    const sub = ex.subset([2, 0]);
    expect(sub.map((e) => e.line)).toEqual([4, 1]);
    expect(sub.subset([1]).at(0).line).toBe(1);
    expect(sub.field("x", 0).buffer).toBe(ex.field("x", 2).buffer);
    expect(Array.from(sub.field("x", 0))).toEqual(Array.from(ex.field("x", 2)));
    expect(Array.from(sub.field("x", 1))).toEqual(Array.from(ex.field("x", 0)));
    expect(Array.from(sub.field("x", 0))).not.toEqual(Array.from(sub.field("x", 1)));
    expect(() => sub.at(2)).toThrow(new RangeError("example 2 is out of range 0..1"));
    expect(() => ex.subset([3])).toThrow(RangeError);
  });

  it("reads windows of one array, which may overlap (sequences of a text)", () => {
    const ids = Uint8Array.of(10, 11, 12, 13, 14, 15);
    const ex = new Examples({ count: 2, fields: { x: { data: ids, first: 0, stride: 2, size: 3 }, y: { data: ids, first: 1, stride: 2, size: 3 } }, dims: { T: Int32Array.of(3, 3) } });
    expect(ex.map((e) => [Array.from(e.fields["x"]!), Array.from(e.fields["y"]!), e.dims])).toEqual([
      [[10, 11, 12], [11, 12, 13], { T: 3 }],
      [[12, 13, 14], [13, 14, 15], { T: 3 }],
    ]);
  });
});

describe("ExamplePacker", () => {
  it("grows its arrays past their first size and cuts them to what was added", () => {
    const packer = new ExamplePacker([{ name: "x", make: (n) => new Uint16Array(n) }, { name: "f", make: (n) => new Float32Array(n) }], ["T"]);
    const n = 3000;
    for (let i = 0; i < n; i++) {
      const T = (i % 5) + 1;
      packer.values("x", T).set(Array.from({ length: T }, (_, t) => i + t));
      packer.values("f", 2 * T).fill(i / 2);
      packer.add(i + 1, { T });
    }
    const ex = packer.done();
    expect(ex.length).toBe(n);
    for (const i of [0, 1023, 1024, 2999]) {
      const T = (i % 5) + 1;
      expect(ex.at(i)).toEqual({ line: i + 1, dims: { T }, fields: { x: Uint16Array.from({ length: T }, (_, t) => i + t), f: new Float32Array(2 * T).fill(i / 2) } });
    }
    // Cut to size: the values of 3000 examples of 1..5 steps, not the doubled capacity.
    expect(ex.field("x", n - 1).buffer.byteLength).toBe(2 * 3 * n);
  });
});
