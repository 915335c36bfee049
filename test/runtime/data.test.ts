/**
 * The ts target's trainer reads data as `seqc train` does: the same examples,
 * token ids, lengths and vocabularies as src/backends/data/load.ts for JSONL
 * (strings, token arrays, ids, floats), text (characters, or words with a
 * saved vocabulary) and CSV, and the same problems with the same line numbers.
 */
import { describe, expect, it } from "vitest";
import type { Dataset } from "../../src/backends/tfjs/dataset.js";
import { parseDataset, type LoadOptions } from "../../src/backends/tfjs/dataset.js";
import { planBatches } from "../../src/runtime/batches.js";
import { dataModelOf, Examples, readData, type DataSet, type Example, type ReadOptions } from "../../src/runtime/data.js";
import { Vocabulary } from "../../src/runtime/vocab.js";
import { BIGRAM_SPEC, compile } from "./helpers.js";

/** Our examples equal seqc's (each example's real part of its padded row), and so do the vocabularies. */
function expectSame(ours: DataSet, theirs: Dataset): void {
  expect(ours.examples).toHaveLength(theirs.examples);
  expect(Object.fromEntries(Object.entries(ours.vocabs).map(([k, v]) => [k, v.toJSON()]))).toEqual(Object.fromEntries(Object.entries(theirs.vocabularies).map(([k, v]) => [k, v.toJSON()])));
  ours.examples.map((ex, i) => {
    for (const [atom, steps] of Object.entries(theirs.steps)) expect(ex.dims[atom], `example ${i} ${atom}`).toBe(steps[i]);
    for (const [name, f] of Object.entries(theirs.fields)) {
      const per = f.shape.reduce((a, b) => a * b, 1);
      const row = Array.from(f.data.subarray(i * per, (i + 1) * per));
      // Floats are kept as float32 here (float64 for a trainer in f64), as seqc keeps them.
      const mine = Array.from(ex.fields[name]!, (v) => (f.data instanceof Float32Array ? Math.fround(v) : v));
      // The real steps come first in a padded row (the length axis is the first).
      expect(mine, `example ${i} field ${name}`).toEqual(row.slice(0, mine.length));
      expect(row.slice(mine.length).every((v) => v === 0), `example ${i} field ${name}: padding`).toBe(true);
    }
  });
}

/** The problems of some data as seqc reports them, and as the runtime does. */
function problems(content: string, source: string, opts: ReadOptions = {}): { ours: string; theirs: string } {
  const { graph, info } = compile(source);
  const message = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error("expected a DataError");
  };
  const { vocabularies, ...rest } = opts;
  const seqcOpts: LoadOptions = { ...rest, ...(vocabularies ? { vocabularies: Object.fromEntries(Object.entries(vocabularies).map(([k, v]) => [k, new Vocabulary(v.tokens, { ...v.toJSON(), name: k })])) } : {}) };
  return { ours: message(() => readData(content, dataModelOf(info), opts, "f")), theirs: message(() => parseDataset(content, graph, seqcOpts, "f")) };
}

const TAGGER = `model tagger {
  vocab tags[K] = [N, V, D]
  vocab words[W]
  dim T
  input x: [T] of words
  input f: [T, 2]
  target y: [T] of tags
  h = dense<K>(concat(one_hot(x), f))
  loss cross_entropy(h, y)
}
`;

describe("the data of seqc train", () => {
  it("JSONL: strings, token arrays and ids, floats, fixed and built vocabularies", () => {
    const { graph, info } = compile(TAGGER);
    const jsonl = [
      { x: "abc", f: [[1, 2], [3, 4], [5, 6]], y: "NVD" },
      { x: ["b", "dd"], f: [[0.5, -1], [2, 2]], y: ["D", "D"] },
      { x: "c", f: [[7, 8]], y: [2] },
      { x: ["<eos>", "a", "zz"], f: [[0, 0], [1, 1], [2, 2]], y: [0, 1, 2] },
    ].map((l) => JSON.stringify(l)).join("\n");
    const ours = readData(jsonl, dataModelOf(info));
    expectSame(ours, parseDataset(jsonl, graph, { format: "jsonl" }));
    expect(ours.vocabs["words"]!.tokens).toEqual(["a", "b", "c", "dd", "zz", "<unk>", "<eos>"]);
    expect(ours.freeDims).toEqual(["T"]);
    // With a saved word vocabulary, strings are split into words and unknown words are <unk>.
    const saved = new Vocabulary(["the", "cat", "sat", "<unk>"], { unk: "<unk>", name: "words" });
    const words = [{ x: "the cat sat", f: [[1, 1], [2, 2], [3, 3]], y: "NVD" }, { x: "the dog", f: [[1, 1], [2, 2]], y: "NV" }].map((l) => JSON.stringify(l)).join("\n");
    const withSaved = readData(words, dataModelOf(info), { vocabularies: { words: saved } });
    expectSame(withSaved, parseDataset(words, graph, { vocabularies: { words: new Vocabulary(saved.tokens, { unk: "<unk>", name: "words" }) } }));
    expect(Array.from(withSaved.examples.at(1).fields["x"]!)).toEqual([0, 3]);
  });

  it("text: characters with a vocabulary built from the data, cut into sequences", () => {
    const { graph, info } = compile(BIGRAM_SPEC);
    const text = "hello world\nhello there\n";
    for (const seqLength of [4, 7, 100]) {
      const ours = readData(text, dataModelOf(info), { format: "text", seqLength });
      expectSame(ours, parseDataset(text, graph, { format: "text", seqLength }));
    }
  });

  it("text: words with a saved word vocabulary", () => {
    const { graph, info } = compile(BIGRAM_SPEC);
    const tokens = ["hello", "world", "there", "<unk>", "<eos>"];
    const text = "hello world\nhello there friend\n";
    const ours = readData(text, dataModelOf(info), { format: "text", seqLength: 3, vocabularies: { chars: new Vocabulary(tokens, { unk: "<unk>", eos: "<eos>", name: "chars" }) } });
    expectSame(ours, parseDataset(text, graph, { format: "text", seqLength: 3, vocabularies: { chars: new Vocabulary(tokens, { unk: "<unk>", eos: "<eos>", name: "chars" }) } }));
    expect(ours.examples).toHaveLength(2);
  });

  it("CSV: columns named after the fields ([T, k]), a _prev field reading its base column, windows", () => {
    const spec = `model narx {
  dim T
  input u: [T, 2]
  input y_prev: [T]
  target y: [T]
  p = dense<1>(concat(u, y_prev))
  loss mse(p, y)
}
`;
    const { graph, info } = compile(spec.replace("target y: [T]", "target y: [T, 1]").replace("input y_prev: [T]", "input y_prev: [T, 1]"));
    const csv = "u_0,u_1,y\n" + Array.from({ length: 11 }, (_, t) => `${t},${t * 2},"${t / 10}"`).join("\n") + "\n";
    for (const window of [3, 5]) {
      const ours = readData(csv, dataModelOf(info), { format: "csv", window });
      expectSame(ours, parseDataset(csv, graph, { format: "csv", window }));
    }
    expect(readData(csv, dataModelOf(info), { format: "csv", window: 5 }).examples).toHaveLength(2);
  });

  it("batches hold examples of one length, in the order their first example comes", () => {
    // Each example's line is its position, so that a batch's examples can be told apart.
    const of = (...Ts: number[]) => Examples.of(Ts.map((T, line): Example => ({ line, dims: { T }, fields: {} })));
    const positions = (plan: Examples[]) => plan.map((b) => b.map((e) => e.line));
    const examples = of(2, 3, 2, 2, 3, 2, 4);
    expect(positions(planBatches(examples, [0, 1, 2, 3, 4, 5, 6], 2, ["T"]))).toEqual([[0, 2], [1, 4], [3, 5], [6]]);
    // One length: consecutive runs of the order, as the tfjs target's batches.
    expect(positions(planBatches(of(5, 5, 5, 5, 5), [4, 0, 3, 1, 2], 2, ["T"]))).toEqual([[4, 0], [3, 1], [2]]);
  });
});

describe("problems in the data, as seqc reports them", () => {
  it("JSONL with a vocabulary built from the data", () => {
    const lines = [
      '{"x": "ab", "y": "bc"}',
      '{"x": "ab", "y": "b"}',
      "",
      '{"x": "ab"}',
      "{nope",
      '{"x": [1], "y": "a"}',
      '{"x": "a", "y": "b", "z": 1}',
      '{"x": "", "y": ""}',
      '{"x": ["a", 1], "y": "ab"}',
      '{"x": [["a"]], "y": "a"}',
      "[1]",
      '{"x": "abc", "y": [-1, 0, 1]}',
    ];
    const { ours, theirs } = problems(lines.join("\n"), BIGRAM_SPEC);
    expect(ours).toBe(theirs);
    expect(ours.split("\n")).toHaveLength(12);
  });

  it("JSONL with a fixed vocabulary, floats and bound dims", () => {
    const spec = `model m {
  vocab abc[V] = [a, b, c]
  dim T
  input x: [T] of abc
  input f: [T, 2]
  target y: [T, 1]
  p = sigmoid(dense<1>(concat(one_hot(x), f)))
  loss mse(p, y)
}
`;
    const lines = [
      '{"x": "ab", "f": [[1, 2], [3, 4]], "y": [[1], [0]]}',
      '{"x": "ad", "f": [[1, 2], [3, 4]], "y": [[1], [0]]}',
      '{"x": [0, 7], "f": [[1, 2], [3, 4]], "y": [[1], [0]]}',
      '{"x": ["a", "q"], "f": [[1, 2], [3, 4]], "y": [[1], [0]]}',
      '{"x": "abc", "f": [[1, 2], [3, 4]], "y": [[1], [0], [1]]}',
    ];
    const { ours, theirs } = problems(lines.join("\n"), spec);
    expect(ours).toBe(theirs);
    expect(ours).toContain("line 5:");
  });

  it("more than 20 problems: the first 20 are listed and the rest counted", () => {
    const lines = Array.from({ length: 25 }, (_, i) => (i % 2 === 0 ? '{"x": "ab", "y": "bc"}' : '{"x": "ab", "y": "b"}'));
    const { ours, theirs } = problems(lines.join("\n"), BIGRAM_SPEC);
    expect(ours).toBe(theirs);
    expect(ours.split("\n")[0]).toBe("f: 12 problems in the data for model bigram");
    const many = Array.from({ length: 30 }, () => '{"x": "ab"}');
    const r = problems(many.join("\n"), BIGRAM_SPEC);
    expect(r.ours).toBe(r.theirs);
    expect(r.ours.split("\n")[0]).toBe("f: 30 problems in the data for model bigram (the first 20 shown)");
  });

  it("text and CSV", () => {
    const fixed = BIGRAM_SPEC.replace("vocab chars[V]", "vocab chars[V] = [a, b, c]");
    for (const text of ["abc\nabd\n", "a", ""]) {
      const { ours, theirs } = problems(text, fixed, { format: "text" });
      expect(ours, JSON.stringify(text)).toBe(theirs);
    }
    const series = `model s {
  dim T
  input u: [T]
  target y: [T]
  p = dense<1>(u)
  loss mse(p, y)
}
`.replace("p = dense<1>(u)", "p = u");
    for (const csv of ["u,y\n1,2\n3,x\n4\n", "a,b\n1,2\n", "", "u,y\n"]) {
      const { ours, theirs } = problems(csv, series, { format: "csv" });
      expect(ours, JSON.stringify(csv)).toBe(theirs);
    }
    const { graph, info } = compile(series);
    const good = "u,y\n" + Array.from({ length: 7 }, (_, t) => `${t},${-t}`).join("\n");
    expectSame(readData(good, dataModelOf(info), { format: "csv", window: 3 }), parseDataset(good, graph, { format: "csv", window: 3 }));
    const { ours } = problems("hello", TAGGER, { format: "text" });
    expect(ours).toMatch(/plain text is read as a language model's data .* use JSONL/);
  });
});
