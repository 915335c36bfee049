/** Text and CSV data (src/runtime/data.ts) for graphs of the catalogue and written inline, and data files by extension. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadDataset, parseDataset } from "../../src/backends/tfjs/dataset.js";
import { dataModel } from "../../src/graph/data-model.js";
import { IoError, UsageError } from "../../src/runtime/errors.js";
import { formatOf, languageModelFields, loadData, readData, type DataSet } from "../../src/runtime/data.js";
import { tokenize, Vocabulary } from "../../src/runtime/vocab.js";
import { problemLines } from "../helpers/data.js";
import { graphOf, specGraph } from "../helpers/spec.js";
import { compileSpec } from "../../src/driver.js";

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

  describe("words read a chunk of the file at a time", () => {
    const model = dataModel(specGraph("char_lstm.seq"));
    const dir = mkdtempSync(join(tmpdir(), "seqc-words-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    /** The whole text as the examples give it back: x of the one sequence, then y's last token. */
    const tokensOf = (ds: DataSet) => {
      const v = ds.vocabs["chars"]!;
      const ex = ds.examples.at(0);
      return [...ex.fields["x"]!, ex.fields["y"]![ex.fields["y"]!.length - 1]!].map((i) => v.token(i));
    };
    const TEXTS = [
      "the cat sat\r\non the mat\n\n\n  a dog  \t barked\nlast line",
      "\ufeffcafé über naïve\nthe 😀 cat 😀😀\n€uro €\n",
      "wide\u3000space and\u00a0nbsp\u2028line sep\n\n",
      "one " + "wörd€ ".repeat(200) + "\n" + "x".repeat(500) + "\nend\n",
    ];
    for (const [k, text] of TEXTS.entries()) {
      it(`as cutting the whole string gives them (text ${k + 1}), for every chunk size`, () => {
        const want = tokenize(text.replace(/^\ufeff/, ""), "word");
        const vocab = Vocabulary.build(want, { name: "chars" });
        for (const chunkSize of [1, 2, 3, 5, 64, undefined]) {
          const ds = readData(text, model, { format: "text", mode: "word", ...(chunkSize ? { chunkSize } : {}) });
          expect(ds.vocabs["chars"]!.toJSON(), `chunks of ${chunkSize}`).toEqual(vocab.toJSON());
          expect(tokensOf(ds), `chunks of ${chunkSize}`).toEqual(want);
        }
      });
    }

    it("from a file, in ids as small as the vocabulary allows", () => {
      const text = Array.from({ length: 300 }, (_, i) => `w${i} w${i % 7} and\u00a0more`).join("\r\n");
      const path = join(dir, "words.txt");
      writeFileSync(path, text);
      const ds = loadData(path, model, { mode: "word", chunkSize: 7 });
      expect(tokensOf(ds)).toEqual(tokenize(text, "word"));
      expect(ds.examples.field("x", 0)).toBeInstanceOf(Uint16Array);
    });

    it("reports each unknown word at its first line and column, and a vocabulary without <eos>, for every chunk size", () => {
      const chars = new Vocabulary(["the", "cat", "<eos>"], { eos: "<eos>", name: "chars" });
      const text = "the cat\nthe  dög cat\r\ncat dög émû\n";
      const want = [
        'line 2: column 6: word "dög" is not in the vocabulary: vocabulary chars has the, cat, <eos> and no <unk>',
        'line 3: column 9: word "émû" is not in the vocabulary: vocabulary chars has the, cat, <eos> and no <unk>',
      ];
      for (const chunkSize of [1, 4, 100]) expect(problemLines(() => readData(text, model, { format: "text", vocabularies: { chars }, chunkSize }))).toEqual(want);
      const noEos = new Vocabulary(["the", "cat"], { name: "chars" });
      expect(problemLines(() => readData("the cat\n", model, { format: "text", mode: "word", vocabularies: { chars: noEos }, chunkSize: 2 }))).toEqual([
        "word mode ends each line with <eos>, but vocabulary chars has the, cat and no <eos> or <unk>",
      ]);
    });
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

describe("text laid out as streams for truncated BPTT", () => {
  const LM = "model lm {\n  vocab chars[V]\n  dim T\n  input x: [T] of chars\n  target y: [T] of chars\n  loss cross_entropy(dense<V>(one_hot(x)), y)\n}\n";
  // Pseudo-random letters: text[249..252) occurs once, so a stream that starts elsewhere reads other characters.
  let r = 12345;
  const text = Array.from({ length: 1000 }, () => String.fromCharCode(97 + (((r = (r * 1103515245 + 12345) % 2147483648) >>> 16) % 26))).join("");

  it("about `batch` consecutive parts, one more share per held-out fraction, each one example; no more parts than windows", () => {
    const read = (streams: { bptt: number; batch: number; validation: number }) => parseDataset(text, graphOf(LM), { format: "text", streams });
    // 999 steps (input text[t], target text[t+1]) in 4 streams of 249.
    const four = read({ bptt: 10, batch: 4, validation: 0 });
    expect([four.examples, four.dims["T"]]).toEqual([4, 249]);
    // The second stream starts at text[249].
    const chars = four.vocabularies["chars"]!;
    expect(Array.from(four.fields["x"]!.data.subarray(249, 252))).toEqual([...text.slice(249, 252)].map((c) => chars.id(c)));
    expect(Array.from(four.fields["x"]!.data.subarray(0, 3))).toEqual([...text.slice(0, 3)].map((c) => chars.id(c)));
    // batch 4 with a fifth held out: ceil(4 / 0.8) = 5 streams of 199.
    expect([read({ bptt: 10, batch: 4, validation: 0.2 }).examples, read({ bptt: 10, batch: 4, validation: 0.2 }).dims["T"]]).toEqual([5, 199]);
    // 999 steps hold only 3 windows of 300: 3 streams.
    expect(read({ bptt: 300, batch: 8, validation: 0 }).examples).toBe(3);
  });
});
