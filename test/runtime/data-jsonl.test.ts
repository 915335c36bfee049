import { describe, expect, it } from "vitest";
import { parseDataset } from "../../src/backends/tfjs/dataset.js";
import { dataModel } from "../../src/graph/data-model.js";
import { readData, type DataSet } from "../../src/runtime/data.js";
import { DataError } from "../../src/runtime/problems.js";
import { formatIssue } from "../../src/runtime/problems.js";
import { Vocabulary } from "../../src/runtime/vocab.js";
import { problemLines } from "../helpers/data.js";
import { graphOf, specGraph } from "../helpers/spec.js";

const jsonl = (...rows: (string | object)[]) => rows.map((r) => (typeof r === "string" ? r : JSON.stringify(r))).join("\n") + "\n";

describe("a graph's data model", () => {
  it("lists the inputs and targets in declaration order, with the spec's dims", () => {
    expect(dataModel(specGraph("seq2seq_attention.seq")).fields.map((f) => `${f.role} ${f.name} ${f.vocab}`)).toEqual(["input x src", "input y_in tgt", "target y tgt"]);
    expect(dataModel(specGraph("ab_recognizer.seq")).fields.map((f) => f.shape.map((a) => a.text))).toEqual([["T"], ["T", "1"]]);
  });
});

describe("problems are reported by line and all collected", () => {
  const ab = () => specGraph("ab_recognizer.seq");
  const good = { x: "ABC", y: [[0], [1], [0]] };

  it("reports each bad line among good ones, in line order, before returning anything", () => {
    const data = jsonl(
      good,
      { x: "AB" }, // 2: missing field
      { x: "AB", y: [[0], [1, 0]] }, // 3: wrong length
      { x: "AB", y: [[0], ["1"]] }, // 4: wrong type
      good,
      { x: "ABD", y: [[0], [1], [0]] }, // 6: unknown token, fixed vocabulary without <unk>
      '{"x": "AB", "y": [[0], [1]]', // 7: invalid JSON
      { x: "ABCA", y: [[0], [1], [0]] }, // 8: x and y both [T], different lengths
      { x: "AB", y: [[0], [1]], z: 3 }, // 9: unknown field
      { x: [0, 3], y: [[0], [1]] }, // 10: id out of range
      { x: 2, y: 1 }, // 11: wrong types, two fields
      good,
      "", // blank lines are skipped
      "[]", // 14: not an object
    );
    expect(problemLines(() => parseDataset(data, ab(), {}, "ab.jsonl"))).toEqual([
      "line 2: missing field y (target: [T, 1])",
      "line 3: field y: expected 1 number at y[1], found 2",
      'line 4: field y: expected a number at y[1][0], found the string "1"',
      'line 6: field x: unknown token "D" at x[2]: vocabulary abc has A, B, C and no <unk>',
      "line 7: not valid JSON: Expected ',' or '}' after property value in JSON at position 27",
      "line 8: field y: y has length 3, but x has length 4 (both are T)",
      "line 9: unknown field z: model ab_recognizer has x, y",
      "line 10: field x: token id 3 at x[1] is out of range: vocabulary abc has ids 0..2",
      "line 11: field x: expected a string of tokens, an array of tokens or an array of token ids at x, found the number 2",
      "line 11: field y: expected an array of at least 1 array of 1 number at y, found the number 1",
      "line 14: expected a JSON object with the fields x, y, found an empty array",
    ]);
  });

  it("numbers a float32 cannot hold, and tokens with control characters, which are shown escaped", () => {
    const data = jsonl(
      good,
      { x: "AB", y: [[1e39], [0]] }, // 2: overflows float32
      '{"x": "AB", "y": [[-1e308], [0]]}', // 3
      { x: "A\u001b[2JB", y: [[0], [1], [0], [0], [0], [0]] }, // 4: an escape sequence
      { x: "AB", y: [[3.4e38], [0]] }, // 5: fits
    );
    expect(problemLines(() => parseDataset(data, ab(), {}, "ab.jsonl"))).toEqual([
      "line 2: field y: 1e+39 at y[0][0] is too large for a float32 (at most 3.4e38 in size)",
      "line 3: field y: -1e+308 at y[0][0] is too large for a float32 (at most 3.4e38 in size)",
      'line 4: field x: unknown token "\\u001b" at x[1]: vocabulary abc has A, B, C and no <unk>',
    ]);
  });

  it("lengths that disagree where a string of a data vocabulary holds spaces: a hint that strings are read per character", () => {
    const TAGGER = "model tagger {\n  vocab words[W]\n  vocab tags[K]\n  dim T\n  input x: [T] of words\n  target y: [T] of tags\n  loss cross_entropy(dense<K>(one_hot(x)), y)\n}\n";
    const data = jsonl({ x: "the cat sat", y: ["DT", "NN", "VB"] }, { x: ["the", "cat", "sat"], y: ["DT", "NN", "VB"] });
    expect(problemLines(() => parseDataset(data, graphOf(TAGGER), {}, "t.jsonl"))).toEqual([
      'line 1: field y: y has length 3, but x has length 11 (both are T); x is read one token per character (its string holds spaces): for words, write an array of tokens such as ["the", "cat"]',
    ]);
  });

  it("throws a DataError with { line, field, message } and a summary", () => {
    let err: unknown;
    try {
      parseDataset(jsonl(good, { x: "AB", y: [[0], [1, 0]] }), ab(), {}, "ab.jsonl");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataError);
    const d = err as DataError;
    expect(d.issues).toEqual([{ line: 2, field: "y", message: "expected 1 number at y[1], found 2" }]);
    expect(d.message.split("\n")[0]).toBe("ab.jsonl: 1 problem in the data for model ab_recognizer");
    expect(formatIssue(d.issues[0]!)).toBe("line 2: field y: expected 1 number at y[1], found 2");
  });

  it("lists at most 20 problems and counts the rest", () => {
    const rows = Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? good : { x: "A", y: [[0], [0]] }));
    const errorOf = (f: () => unknown): DataError => {
      let caught: unknown;
      try {
        f();
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(DataError);
      return caught as DataError;
    };
    const d1 = errorOf(() => parseDataset(jsonl(...rows), ab(), {}, "ab.jsonl"));
    expect(d1.issues.length).toBe(15);
    expect(d1.more).toBe(0);
    const many = Array.from({ length: 50 }, () => ({ x: "A", y: [[0], [0]] }));
    const d = errorOf(() => parseDataset(jsonl(...many), ab(), {}, "ab.jsonl"));
    expect(d.issues.length).toBe(20);
    expect(d.more).toBe(30);
    expect(d.issues.map((i) => i.line)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(d.message.split("\n")[0]).toBe("ab.jsonl: 50 problems in the data for model ab_recognizer (the first 20 shown)");
  });

  it("reports an empty file", () => {
    expect(problemLines(() => parseDataset("\n\n", ab()))).toEqual(["no examples: the file has no lines"]);
  });
});

describe("token fields", () => {
  it("reads a string, an array of tokens and an array of ids alike", () => {
    const ds = parseDataset(jsonl({ x: "ABC", y: [[0], [1], [0]] }, { x: ["A", "B", "C"], y: [[0], [1], [0]] }, { x: [0, 1, 2], y: [[0], [1], [0]] }), specGraph("ab_recognizer.seq"));
    expect(Array.from(ds.fields.x!.data)).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2]);
    expect(ds.fields.x!.dtype).toBe("int32");
  });

  it("reads digit tokens of a fixed vocabulary as strings and integers as ids", () => {
    const g = specGraph("seq_completion.seq");
    const ds = parseDataset(jsonl({ x: "AB", y: "1223" }, { x: ["A", "B"], y: ["1", "2", "2", "3"] }, { x: [0, 1], y: [0, 1, 1, 2] }), g);
    expect(Array.from(ds.fields.y!.data)).toEqual([0, 1, 1, 2, 0, 1, 1, 2, 0, 1, 1, 2]);
    expect(problemLines(() => parseDataset(jsonl({ x: "AB", y: [1, 2, 2, 3] }), g))).toEqual(["line 1: field y: token id 3 at y[3] is out of range: vocabulary digits has ids 0..2"]);
    expect(problemLines(() => parseDataset(jsonl({ x: "ABC", y: "1223" }), g))).toEqual(["line 1: field x: expected 2 tokens (characters) at x, found 3"]);
    expect(problemLines(() => parseDataset(jsonl({ x: ["A", 1], y: "1223" }), g))).toEqual(["line 1: field x: expected a token (a string) at x[1], found the number 1"]);
  });

  it("reads a single token for a rank-0 target, and words for a vocabulary of words", () => {
    const g = graphOf(`model m {
  vocab tags[K] = [O, "B-PER", "I-PER"]
  vocab labels[C] = [negative, positive]
  vocab words[W]
  dim T
  input x: [T] of words
  target t: [T] of tags
  target y: [] of labels
  e = one_hot(x)
  loss cross_entropy(dense<K>(e), t)
  loss cross_entropy(dense<C>(last(e)), y)
}`);
    const ds = parseDataset(jsonl({ x: ["Ada", "met", "Tom"], t: "B-PER O B-PER", y: "positive" }, { x: ["Tom"], t: [2], y: 0 }), g);
    expect(Array.from(ds.fields.t!.data)).toEqual([1, 0, 1, 2, 0, 0]);
    expect(Array.from(ds.fields.y!.data)).toEqual([1, 0]);
    expect(ds.fields.y!.shape).toEqual([]);
    expect(ds.fields.y!.lengths).toBeUndefined();
    expect(ds.vocabularies.words!.tokens).toEqual(["Ada", "Tom", "met", "<unk>", "<eos>"]);
    // A string for a vocabulary built from the data is read per character unless told otherwise.
    expect(parseDataset(jsonl({ x: "ab", t: "O O", y: "positive" }), g).vocabularies.words!.tokens).toEqual(["a", "b", "<unk>", "<eos>"]);
    const words = parseDataset(jsonl({ x: "Ada met Tom", t: "B-PER O B-PER", y: "positive" }), g, { tokenize: { words: "word" } });
    expect(words.vocabularies.words!.tokens).toEqual(["Ada", "Tom", "met", "<unk>", "<eos>"]);
    expect(problemLines(() => parseDataset(jsonl({ x: ["a", "b"], t: "O B-LOC", y: "neutral" }), g))).toEqual([
      'line 1: field t: unknown token "B-LOC" at t[1]: vocabulary tags has O, B-PER, I-PER and no <unk>',
      'line 1: field y: unknown token "neutral" at y: vocabulary labels has negative, positive and no <unk>',
    ]);
    expect(problemLines(() => parseDataset(jsonl({ x: ["a", "b"], t: "O", y: "negative" }), g))).toEqual(["line 1: field t: t has length 1, but x has length 2 (both are T)"]);
    expect(problemLines(() => parseDataset(jsonl({ x: [1, 2], t: "O O", y: "negative" }), g))).toEqual([
      "line 1: field x: token id 1 at x[0]: vocabulary words is built from the data, so its ids are not known; write tokens as strings (or load a saved vocabulary)",
    ]);
  });

  it("maps unknown tokens of a saved vocabulary to <unk>, and accepts its ids", () => {
    const g = specGraph("char_lstm.seq");
    const chars = Vocabulary.fromText("abc", "char");
    const ds = parseDataset(jsonl({ x: "abz", y: [0, 1, 2] }), g, { vocabularies: { chars } });
    expect(Array.from(ds.fields.x!.data)).toEqual([0, 1, 3]);
    expect(ds.dims.V).toBe(5);
    expect(ds.vocabularies.chars!.toJSON()).toEqual(chars.toJSON());
    expect(ds.vocabularies.chars!.tokens).toEqual(chars.tokens);
    expect(problemLines(() => parseDataset(jsonl({ x: "ab", y: [0, 5] }), g, { vocabularies: { chars } }))).toEqual([
      "line 1: field y: token id 5 at y[1] is out of range: vocabulary chars has ids 0..4",
    ]);
  });

  it("builds a data vocabulary from every field that uses it", () => {
    const ds = parseDataset(jsonl({ x: ["3", "1"], y_in: ["<bos>", "1", "3"], y: ["1", "3", "<eos>"] }), specGraph("seq2seq_attention.seq"));
    expect(ds.vocabularies.src!.tokens).toEqual(["1", "3", "<unk>", "<eos>"]);
    expect(ds.vocabularies.tgt!.tokens).toEqual(["1", "3", "<bos>", "<unk>", "<eos>"]);
    expect(ds.dims).toMatchObject({ VS: 4, VT: 5, S: 2, U: 3, E: 32, H: 64 });
  });
});

describe("free dims", () => {
  const folded = () =>
    graphOf(`model m {
  dim T multiple of 2
  input x: [T, 1]
  target y: [T/2, 2]
  loss mse(fold<2>(x), y)
}`);

  it("solves a dim declared as a multiple, and checks the lengths that depend on it", () => {
    const g = folded();
    const ds = parseDataset(jsonl({ x: [[1], [2], [3], [4]], y: [[1, 2], [3, 4]] }, { x: [[1], [2]], y: [[1, 2]] }), g);
    expect(ds.dims.T).toBe(4);
    expect(Array.from(ds.steps.T!)).toEqual([4, 2]);
    expect(ds.fields.y!.shape).toEqual([2, 2]);
    expect(Array.from(ds.fields.y!.lengths!)).toEqual([2, 1]);
    expect(
      problemLines(() => parseDataset(jsonl({ x: [[1], [2], [3]], y: [[1, 2]] }, { x: [[1], [2], [3], [4]], y: [[1, 2]] }, { x: [[1], [2]], y: [[1, 2, 3]] }), g)),
    ).toEqual([
      "line 1: field x: x has length 3, which does not fit T (dim T is a multiple of 2)",
      "line 2: field y: y has length 1, but x has length 4, so T/2 = 2",
      "line 3: field y: expected 2 numbers at y[0], found 3",
    ]);
  });

  it("rejects ragged arrays along a free axis", () => {
    const g = graphOf(`model m {
  dim T
  dim D
  input x: [T, D]
  target y: [T, D]
  loss mse(x, y)
}`);
    expect(problemLines(() => parseDataset(jsonl({ x: [[1, 2], [3]], y: [[1, 2], [3, 4]] }), g))).toEqual([
      "line 1: field x: x[1] has 1 items but x[0] has 2: the arrays along axis 1 must have one length",
    ]);
    expect(problemLines(() => parseDataset(jsonl({ x: [[1, 2], [3, 4]], y: [[1], [3]] }), g))).toEqual(["line 1: field y: axis 1 of y has length 1, but axis 1 of x has length 2 (both are D)"]);
  });
});

describe("JSONL read a chunk at a time", () => {
  const model = dataModel(graphOf("model t {\n  vocab words[W]\n  dim T\n  input x: [T] of words\n  target y: [T, 2]\n  loss mse(dense<2>(one_hot(x)), y)\n}\n"));
  const lines = [
    "\ufeff" + JSON.stringify({ x: ["the", "cät"], y: [[0.1, 1], [2, 3]] }),
    "",
    JSON.stringify({ x: ["😀", "€", "the"], y: [[1, 1], [2, 2], [3, 3.5]] }) + "\r",
    "   ",
    JSON.stringify({ x: Array.from({ length: 40 }, (_, i) => `wörd${i % 9}`), y: Array.from({ length: 40 }, (_, i) => [i, -i]) }),
    JSON.stringify({ x: ["the"], y: [[5, 6]] }),
  ];
  const plain = (ds: DataSet) => ({ vocabs: ds.vocabs["words"]!.toJSON(), examples: ds.examples.map((e) => ({ ...e, fields: Object.fromEntries(Object.entries(e.fields).map(([k, v]) => [k, Array.from(v)])) })) });

  it("gives the examples and vocabulary of the whole string, for every chunk size, with or without a final newline", () => {
    for (const text of [lines.join("\n"), lines.join("\n") + "\n"]) {
      const whole = plain(readData(text, model, { chunkSize: 1 << 20 }));
      expect(whole.examples.map((e) => [e.line, e.dims["T"], e.fields["y"]!.length])).toEqual([
        [1, 2, 4],
        [3, 3, 6],
        [5, 40, 80],
        [6, 1, 2],
      ]);
      for (const chunkSize of [1, 2, 3, 7, 50]) expect(plain(readData(text, model, { chunkSize })), `chunks of ${chunkSize}`).toEqual(whole);
    }
  });

  it("keeps token ids and floats in typed arrays (float64 when asked for)", () => {
    const text = lines.join("\n");
    const ds = readData(text, model, { chunkSize: 5 });
    expect(ds.examples.field("x", 0)).toBeInstanceOf(Uint8Array);
    expect(ds.examples.field("y", 0)).toEqual(Float32Array.of(0.1, 1, 2, 3));
    expect(readData(text, model, { floats: "f64", chunkSize: 5 }).examples.field("y", 0)).toEqual(Float64Array.of(0.1, 1, 2, 3));
  });

  it("reports problems at the same lines, for every chunk size", () => {
    const text = ["", JSON.stringify({ x: ["a"], y: [[1, 2]] }), '{"x": ["é"], "y": [[1]]}\r', "{bad", JSON.stringify({ x: ["a", "b"], y: [[1, 2]] })].join("\r\n");
    const want = problemLines(() => readData(text, model, {}, "w.jsonl"));
    expect(want.map((l) => l.slice(0, 8))).toEqual(["line 3: ", "line 4: ", "line 5: "]);
    for (const chunkSize of [1, 3, 16]) expect(problemLines(() => readData(text, model, { chunkSize }, "w.jsonl"))).toEqual(want);
  });
});
