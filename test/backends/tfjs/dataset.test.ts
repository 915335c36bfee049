/** The tfjs target's data set (src/backends/tfjs/dataset.ts): examples padded to the longest, batches, a seeded validation split. */
import { describe, expect, it } from "vitest";
import { Rng } from "../../../src/runtime/init.js";
import { parseDataset } from "../../../src/backends/tfjs/dataset.js";
import { loadEngine } from "../../../src/backends/tfjs/engine.js";
import { batchTensors } from "../../../src/backends/tfjs/train.js";
import { graphOf, specGraph } from "../../helpers/spec.js";

const ids = (a: ArrayLike<number>) => Array.from(a);
const rows = (data: ArrayLike<number>, width: number) => Array.from({ length: data.length / width }, (_, i) => ids(Array.prototype.slice.call(data, i * width, (i + 1) * width)));

describe("Dataset", () => {
  const g = () => specGraph("ab_recognizer.seq");
  const lines = Array.from({ length: 23 }, (_, i) => JSON.stringify({ x: "AB".repeat(1 + (i % 4)), y: Array.from({ length: 2 * (1 + (i % 4)) }, (_, t) => [t % 2]) }));
  const data = () => parseDataset(lines.join("\n"), g());

  it("pads with 0 to the longest example and records each length", () => {
    const ds = data();
    expect(ds.examples).toBe(23);
    expect(ds.dims).toEqual({ V: 3, T: 8 });
    expect(ds.fields.x!.shape).toEqual([8]);
    expect(ds.fields.y!.shape).toEqual([8, 1]);
    expect(ids(ds.fields.x!.lengths!).slice(0, 5)).toEqual([2, 4, 6, 8, 2]);
    expect(ids(ds.steps.T!).slice(0, 5)).toEqual([2, 4, 6, 8, 2]);
    expect(ids(ds.fields.x!.data.slice(0, 8))).toEqual([0, 1, 0, 0, 0, 0, 0, 0]);
    expect(ids(ds.fields.y!.data.slice(8, 16))).toEqual([0, 1, 0, 1, 0, 0, 0, 0]);
  });

  it("batches cover every example once per epoch, deterministically for a seed", () => {
    const ds = data();
    const epoch = (rng: Rng) => [...ds.batches(5, rng, true)];
    const a = epoch(new Rng(3));
    expect(a.map((b) => b.examples)).toEqual([5, 5, 5, 5, 3]);
    const seen = a.flatMap((b) => ids(b.indices));
    expect([...seen].sort((p, q) => p - q)).toEqual(Array.from({ length: 23 }, (_, i) => i));
    expect(seen).not.toEqual(Array.from({ length: 23 }, (_, i) => i));
    expect(epoch(new Rng(3)).map((b) => ids(b.indices))).toEqual(a.map((b) => ids(b.indices)));
    // One generator over two epochs: each a permutation, not the same one.
    const rng = new Rng(3);
    const e1 = epoch(rng).flatMap((b) => ids(b.indices));
    const e2 = epoch(rng).flatMap((b) => ids(b.indices));
    expect(e2).not.toEqual(e1);
    expect([...e2].sort((p, q) => p - q)).toEqual(Array.from({ length: 23 }, (_, i) => i));
    // A batch holds its examples' rows.
    const b = a[0]!;
    b.indices.forEach((src, i) => {
      expect(ids(b.fields.x!.data.slice(i * 8, i * 8 + 8))).toEqual(ids(ds.fields.x!.data.slice(src * 8, src * 8 + 8)));
      expect(b.fields.x!.lengths![i]).toBe(ds.fields.x!.lengths![src]);
    });
    expect(b.fields.y!.shape).toEqual([8, 1]);
    expect(b.vocabularies).toBe(ds.vocabularies);
  });

  it("batches in order without shuffling, drop the last short batch on request, trim padding on request", () => {
    const ds = data();
    expect([...ds.batches(10, 0, false)].map((b) => ids(b.indices))).toEqual([Array.from({ length: 10 }, (_, i) => i), Array.from({ length: 10 }, (_, i) => i + 10), [20, 21, 22]]);
    expect([...ds.batches(10, 1, true, { dropLast: true })].map((b) => b.examples)).toEqual([10, 10]);
    expect(ds.batchCount(10)).toBe(3);
    expect(ds.batchCount(10, true)).toBe(2);
    const trimmed = ds.subset([0, 4, 1], { trim: true });
    expect(trimmed.dims.T).toBe(4);
    expect(trimmed.fields.x!.shape).toEqual([4]);
    expect(trimmed.fields.y!.shape).toEqual([4, 1]);
    expect(rows(trimmed.fields.x!.data, 4)).toEqual([
      [0, 1, 0, 0],
      [0, 1, 0, 0],
      [0, 1, 0, 1],
    ]);
    expect(ids(trimmed.fields.y!.lengths!)).toEqual([2, 2, 4]);
    expect([...ds.batches(4, 0, false, { trim: true })].map((b) => b.dims.T)).toEqual([8, 8, 8, 8, 8, 6]);
    expect(() => [...ds.batches(0)]).toThrow("batch size 0");
  });

  it("splits off a validation set by a seed", () => {
    const ds = data();
    const { train, validation } = ds.split(0.2, 42);
    expect(validation.examples).toBe(5);
    expect(train.examples).toBe(18);
    const all = [...ids(train.indices), ...ids(validation.indices)].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 23 }, (_, i) => i));
    expect(ids(ds.split(0.2, 42).validation.indices)).toEqual(ids(validation.indices));
    expect(ids(ds.split(0.2, 43).validation.indices)).not.toEqual(ids(validation.indices));
    // Indices of a batch of a part refer to the loaded data set.
    const b = [...validation.batches(2, 0, false)][1]!;
    expect(ids(b.indices)).toEqual(ids(validation.indices).slice(2, 4));
    expect(ds.split(0, 1).validation.examples).toBe(0);
    expect(ds.split(0.01, 1).validation.examples).toBe(1);
    expect(() => ds.split(1, 1)).toThrow("not in [0, 1)");
  });
});

describe("a corpus is held once", () => {
  const LM = "model lm {\n  vocab chars[V]\n  dim T\n  input x: [T] of chars\n  target y: [T] of chars\n  loss cross_entropy(dense<V>(one_hot(x)), y)\n}\n";

  it("windows copied from the examples equal the padded fields' steps, in every subset", () => {
    const ds = parseDataset("the cat sat on the mat. ".repeat(20), graphOf(LM), { format: "text", seqLength: 37 });
    const sub = ds.subset([3, 0, 5], { trim: true });
    for (const set of [ds, sub]) {
      const T = set.fields.x!.shape[0]!;
      for (const [t0, w] of [[0, 10], [30, 10], [10, 27]] as const) {
        const win = set.window("x", t0, w);
        for (let r = 0; r < set.examples; r++) {
          const want = Array.from({ length: w }, (_, t) => (t0 + t < T ? set.fields.x!.data[r * T + t0 + t]! : 0));
          expect(ids(win.subarray(r * w, (r + 1) * w)), `row ${r} at ${t0}`).toEqual(want);
        }
      }
    }
  });

  it("ids of a vocabulary over 256 tokens take two bytes, and become int32 tensors of the same values", async () => {
    const chars = Array.from({ length: 300 }, (_, i) => String.fromCodePoint(0x100 + i)).join("");
    const ds = parseDataset(chars + chars, graphOf(LM), { format: "text", seqLength: 50 });
    expect(ds.vocabularies["chars"]!.size).toBe(302);
    expect(ds.fields.x!.data).toBeInstanceOf(Uint16Array);
    const { tf } = await loadEngine("cpu");
    const batch = ds.subset([4, 5]);
    const { inputs } = batchTensors(tf, batch);
    expect(inputs["x"]!.dtype).toBe("int32");
    expect(ids(inputs["x"]!.dataSync())).toEqual(ids(batch.fields.x!.data));
    expect(Math.max(...ids(batch.fields.x!.data))).toBeGreaterThan(255);
    for (const t of Object.values(inputs)) t.dispose();
  });
});
