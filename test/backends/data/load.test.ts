import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Rng } from "../../../src/runtime/init.js";
import { DataError, dataModel, formatOf, loadDataset, parseDataset } from "../../../src/backends/data/load.js";
import { IoError, UsageError } from "../../../src/runtime/errors.js";
import { languageModelFields } from "../../../src/runtime/data.js";
import { Vocabulary } from "../../../src/runtime/vocab.js";
import { graphOf, problemLines, specGraph } from "./helpers.js";
import { compileSpec } from "../../../src/driver.js";

const ids = (a: ArrayLike<number>) => Array.from(a);
const rows = (data: ArrayLike<number>, width: number) => Array.from({ length: data.length / width }, (_, i) => ids(Array.prototype.slice.call(data, i * width, (i + 1) * width)));

describe("plain text for language models", () => {
  it("shifts by one: x = text[t], y = text[t+1]", () => {
    const ds = parseDataset("hello", specGraph("char_rnn_hello.seq"), { format: "text" });
    const v = ds.vocabularies.chars!;
    expect(v.tokens).toEqual(["h", "e", "l", "o"]);
    expect(ds.examples).toBe(1);
    expect(ids(ds.fields.x!.data).map((i) => v.token(i)).join("")).toBe("hell");
    expect(ids(ds.fields.y!.data).map((i) => v.token(i)).join("")).toBe("ello");
    expect(ds.dims).toEqual({ V: 4, T: 4 });
    expect(ids(ds.fields.x!.lengths!)).toEqual([4]);
  });

  it("cuts sequences of seqLength every stride tokens, dropping a short tail", () => {
    const g = specGraph("char_lstm.seq");
    const ds = parseDataset("abcdefghij", g, { format: "text", seqLength: 3 });
    const v = ds.vocabularies.chars!;
    expect(v.tokens).toEqual([..."abcdefghij", "<unk>", "<eos>"]);
    const text = (a: number[]) => a.map((i) => v.token(i)).join("");
    expect(rows(ds.fields.x!.data, 3).map(text)).toEqual(["abc", "def", "ghi"]);
    expect(rows(ds.fields.y!.data, 3).map(text)).toEqual(["bcd", "efg", "hij"]);
    expect(ds.dims).toEqual({ V: 12, H: 128, T: 3 });
    const overlapping = parseDataset("abcdefghij", g, { format: "text", seqLength: 4, stride: 2 });
    expect(rows(overlapping.fields.x!.data, 4).map(text)).toEqual(["abcd", "cdef", "efgh"]);
    expect(rows(overlapping.fields.y!.data, 4).map(text)).toEqual(["bcde", "defg", "fghi"]);
  });

  it("reads words, ending each line with <eos>, with a min count", () => {
    const g = specGraph("char_lstm.seq");
    const ds = parseDataset("the cat sat\nthe dog sat\n", g, { format: "text", mode: "word", seqLength: 3 });
    const v = ds.vocabularies.chars!;
    expect(v.tokens).toEqual(["cat", "dog", "sat", "the", "<unk>", "<eos>"]);
    const words = (a: number[]) => a.map((i) => v.token(i)).join(" ");
    expect(rows(ds.fields.x!.data, 3).map(words)).toEqual(["the cat sat", "<eos> the dog"]);
    expect(rows(ds.fields.y!.data, 3).map(words)).toEqual(["cat sat <eos>", "the dog sat"]);
    const rare = parseDataset("the cat sat\nthe dog sat\n", g, { format: "text", mode: "word", minCount: 2 });
    expect(rare.vocabularies.chars!.tokens).toEqual(["sat", "the", "<unk>", "<eos>"]);
    expect(ids(rare.fields.x!.data).slice(0, 3)).toEqual([1, 2, 0]);
  });

  it("reuses a saved vocabulary", () => {
    const chars = Vocabulary.fromText("abc", "char");
    const ds = parseDataset("abz", specGraph("char_lstm.seq"), { format: "text", vocabularies: { chars } });
    expect(ids(ds.fields.x!.data)).toEqual([0, 1]);
    expect(ids(ds.fields.y!.data)).toEqual([1, 3]);
    expect(ds.dims.V).toBe(5);
  });

  it("reports characters a fixed vocabulary lacks, with line and column", () => {
    expect(problemLines(() => parseDataset("hello\nhelp\n", specGraph("char_rnn_hello.seq"), { format: "text" }))).toEqual([
      'line 1: column 6: character "\\n" is not in the vocabulary: vocabulary chars has h, e, l, o and no <unk>',
      'line 2: column 4: character "p" is not in the vocabulary: vocabulary chars has h, e, l, o and no <unk>',
    ]);
  });

  it("says when a model is not a language model, or the text is too short", () => {
    expect(languageModelFields(dataModel(specGraph("char_lstm.seq")))).toMatchObject({ vocab: "chars" });
    expect(problemLines(() => parseDataset("ABAB", specGraph("ab_recognizer.seq"), { format: "text" }))).toEqual([
      "plain text is read as tokens, but target y is not a token tensor (it has no vocabulary): use JSONL or CSV",
    ]);
    expect(languageModelFields(dataModel(specGraph("seq2seq_attention.seq")))).toMatch(/^plain text is read as a language model's data .* model seq2seq_attention has input x, input y_in, target y: use JSONL$/);
    expect(problemLines(() => parseDataset("h", specGraph("char_rnn_hello.seq"), { format: "text" }))).toEqual([
      "the text has 1 characters; a language model needs at least 2 (input text[t], target text[t+1])",
    ]);
    // seqLength is a maximum: "hello" gives one sequence of 4 steps.
    const short = parseDataset("hello", specGraph("char_rnn_hello.seq"), { format: "text", seqLength: 100 });
    expect([short.examples, short.fields["x"]!.shape]).toEqual([1, [4]]);
  });
});

describe("CSV numeric series", () => {
  const csv = "x,y\n" + Array.from({ length: 5 }, (_, t) => `${t},${10 + t}`).join("\n") + "\n";

  it("cuts the series into windows of rows", () => {
    const g = specGraph("tdnn.seq");
    const ds = parseDataset(csv, g, { format: "csv", window: 2 });
    expect(ds.examples).toBe(2);
    expect(ds.fields.x!.shape).toEqual([2, 1]);
    expect(ids(ds.fields.x!.data)).toEqual([0, 1, 2, 3]);
    expect(ids(ds.fields.y!.data)).toEqual([10, 11, 12, 13]);
    expect(ds.dims).toEqual({ T: 2, DELAYS: 4 });
    const sliding = parseDataset(csv, g, { format: "csv", window: 3, stride: 1 });
    expect(sliding.examples).toBe(3);
    expect(rows(sliding.fields.x!.data, 3)).toEqual([
      [0, 1, 2],
      [1, 2, 3],
      [2, 3, 4],
    ]);
    const whole = parseDataset(csv, g, { format: "csv" });
    expect(whole.examples).toBe(1);
    expect(whole.dims.T).toBe(5);
    expect(whole.fields.y!.dtype).toBe("float32");
  });

  it("feeds one column to several fields (NARX y and y_prev)", () => {
    const g = specGraph("narx.seq");
    const ds = parseDataset(csv, g, { format: "csv", window: 5 });
    expect(ids(ds.fields.y_prev!.data)).toEqual(ids(ds.fields.y!.data));
    expect(ids(ds.fields.y_prev!.data)).toEqual([10, 11, 12, 13, 14]);
    const mapped = parseDataset("u,out\n1,2\n3,4\n", g, { format: "csv", columns: { x: "u", y: "out", y_prev: "out" } });
    expect(ids(mapped.fields.x!.data)).toEqual([1, 3]);
    expect(ids(mapped.fields.y_prev!.data)).toEqual([2, 4]);
  });

  it("reads [T, k] fields from columns name_0 .. name_{k-1}", () => {
    const g = graphOf(`model m {
  dim T
  input x: [T, 2]
  target y: [T, 1]
  loss mse(dense<1>(x), y)
}`);
    const ds = parseDataset('"x_1",x_0,y\n1,2,3\n4,5,6\n', g, { format: "csv" });
    expect(ds.fields.x!.shape).toEqual([2, 2]);
    expect(ids(ds.fields.x!.data)).toEqual([2, 1, 5, 4]);
    expect(ids(ds.fields.y!.data)).toEqual([3, 6]);
  });

  it("reports bad cells with line numbers, missing columns and models that are not series", () => {
    const g = specGraph("tdnn.seq");
    expect(problemLines(() => parseDataset("x,y\n1,2\n3\n4,abc\n5,\n", g, { format: "csv" }))).toEqual([
      "line 3: expected 2 values (x, y), found 1",
      'line 4: column y: not a number: "abc"',
      "line 5: column y: empty cell",
    ]);
    expect(problemLines(() => parseDataset("x,z\n1,2\n", g, { format: "csv" }))).toEqual([
      "line 1: field y: no column y in the header (it has x, z); name the columns after the fields",
    ]);
    // window is a maximum: a 5-row series with window 6 is one sequence of 5 steps.
    expect(parseDataset(csv, g, { format: "csv", window: 6 }).examples).toBe(1);
    expect(problemLines(() => parseDataset(csv, specGraph("ab_recognizer.seq"), { format: "csv" }))).toEqual([
      "field x: CSV data is a numeric series: every input and target must be [T] or [T, k] of numbers with a free T, but input x is [T] of abc: use JSONL",
    ]);
  });
});

describe("files", () => {
  const dir = mkdtempSync(join(tmpdir(), "seqc-data-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("chooses the format by extension or option", () => {
    expect(formatOf("a.jsonl")).toBe("jsonl");
    expect(formatOf("a.TXT")).toBe("text");
    expect(formatOf("a.csv")).toBe("csv");
    expect(formatOf("a.data", "csv")).toBe("csv");
    expect(() => formatOf("a.json")).toThrow(UsageError);
    expect(() => formatOf("a.json")).toThrow('cannot tell the format of a.json from its extension ".json": use .jsonl, .txt or .csv');
  });

  it("loads a file and names it in errors", () => {
    const p = join(dir, "xor.jsonl");
    writeFileSync(p, '{"x":[0,1],"y":[1]}\n{"x":[1],"y":[1]}\n');
    expect(() => loadDataset(p, specGraph("mlp_xor.seq"))).toThrow(`${p}: 1 problem in the data for model mlp_xor\n  line 2: field x: expected 2 numbers at x, found 1`);
    // An unreadable file is an I/O problem (IoError, exit 2 in the CLI), not a problem in the data.
    expect(() => loadDataset(join(dir, "missing.csv"), specGraph("tdnn.seq"))).toThrow(IoError);
    expect(() => loadDataset(join(dir, "missing.csv"), specGraph("tdnn.seq"))).toThrow("missing.csv: no such file");
  });
});

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

describe("a vocabulary whose size the model fixes (seqc --dim V=..., a trainer compiled with it)", () => {
  const LM = "model lm {\n  vocab chars[V]\n  dim T\n  input x: [T] of chars\n  target y: [T] of chars\n  loss cross_entropy(dense<V>(one_hot(x)), y)\n}\n";
  const TAGS = "model t {\n  vocab words[W]\n  dim T\n  input x: [T] of words\n  target y: [T, 1]\n  loss mse(dense<1>(one_hot(x)), y)\n}\n";
  const bound = (text: string, dims: Record<string, number>) => {
    const c = compileSpec("spec.seq", { text, dims: new Map(Object.entries(dims)) });
    expect(c.diagnostics).toEqual([]);
    return c.graph!;
  };

  it("text: the data's vocabulary must have that many tokens", () => {
    const free = parseDataset("abcabc", graphOf(LM), { format: "text" });
    const size = free.vocabularies["chars"]!.size;
    expect(parseDataset("abcabc", bound(LM, { V: size }), { format: "text" }).examples).toBe(1);
    expect(() => parseDataset("abcabc", bound(LM, { V: size + 1 }), { format: "text" })).toThrow(`the vocabulary chars has ${size} tokens, but the model is built for V = ${size + 1}`);
  });

  it("JSONL: the same", () => {
    const line = JSON.stringify({ x: ["a", "b"], y: [[1], [0]] });
    const size = parseDataset(line, graphOf(TAGS)).vocabularies["words"]!.size;
    expect(() => parseDataset(line, bound(TAGS, { W: size + 2 }))).toThrow(`the vocabulary words has ${size} tokens, but the model is built for W = ${size + 2}`);
  });
});
