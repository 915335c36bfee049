/** The data files of specs/data/ are up to date with their generator and load for their specs. */
import { readFileSync, statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadDataset } from "../../src/backends/tfjs/dataset.js";
import { abTargets, generateAll } from "../../specs/data/generate.js";
import { specGraph } from "../helpers/spec.js";

const DIR = "specs/data";
const ids = (a: ArrayLike<number>) => Array.from(a);

describe("specs/data", () => {
  it("holds exactly what generate.ts writes", () => {
    for (const [name, text] of Object.entries(generateAll())) expect(readFileSync(`${DIR}/${name}`, "utf8"), name).toBe(text);
  });

  it("ab_recognizer: y_t = 1 iff x_t = B and an A came since the last B", () => {
    expect(abTargets("ABBCAACB").map((y) => y[0])).toEqual([0, 1, 0, 0, 0, 0, 0, 1]);
    expect(abTargets("BAB").map((y) => y[0])).toEqual([0, 0, 1]);
    const g = specGraph("ab_recognizer.seq");
    const train = loadDataset(`${DIR}/ab_recognizer.jsonl`, g);
    expect(train.examples).toBe(500);
    expect(train.dims).toEqual({ V: 3, T: 12 });
    const lengths = ids(train.fields.x!.lengths!);
    expect(Math.min(...lengths)).toBe(3);
    expect(Math.max(...lengths)).toBe(12);
    for (const [file, T] of [
      ["ab_recognizer_test5.jsonl", 5],
      ["ab_recognizer_test20.jsonl", 20],
    ] as const) {
      const test = loadDataset(`${DIR}/${file}`, g);
      expect(test.examples).toBe(200);
      expect(test.dims).toEqual({ V: 3, T });
      expect(new Set(ids(test.fields.x!.lengths!))).toEqual(new Set([T]));
    }
    // Every line's targets follow the rule, and both classes occur.
    let ones = 0;
    for (const line of readFileSync(`${DIR}/ab_recognizer.jsonl`, "utf8").trim().split("\n")) {
      const { x, y } = JSON.parse(line) as { x: string; y: number[][] };
      expect(y).toEqual(abTargets(x));
      ones += y.filter((v) => v[0] === 1).length;
    }
    expect(ones).toBeGreaterThan(300);
  });

  it("seq_completion: the 20 training and 5 test items of seed 000", () => {
    const g = specGraph("seq_completion.seq");
    const train = loadDataset(`${DIR}/seq_completion_train.jsonl`, g);
    const test = loadDataset(`${DIR}/seq_completion_test.jsonl`, g);
    expect(train.examples).toBe(20);
    expect(test.examples).toBe(5);
    expect(train.dims).toEqual({ L: 5, K: 3 });
    expect(train.fields.x!.shape).toEqual([2]);
    expect(train.fields.y!.shape).toEqual([4]);
    const show = (ds: typeof test) =>
      Array.from({ length: ds.examples }, (_, i) => {
        const x = ids(ds.fields.x!.data.slice(2 * i, 2 * i + 2)).map((t) => ds.vocabularies.letters!.token(t));
        const y = ids(ds.fields.y!.data.slice(4 * i, 4 * i + 4)).map((t) => ds.vocabularies.digits!.token(t));
        return [...x, ...y].join("");
      }).join(" ");
    expect(show(test)).toBe("AB1223 BD2321 CA3112 DE2113 EC1331");
    expect(show(train)).toBe("AA1212 AC1231 AD1221 AE1213 BA2312 BB2323 BC2331 BE2313 CB3123 CC3131 CD3121 CE3113 DA2112 DB2123 DC2131 DD2121 EA1312 EB1323 ED1321 EE1313");
  });

  it("hello.txt: x = hell, y = ello", () => {
    const ds = loadDataset(`${DIR}/hello.txt`, specGraph("char_rnn_hello.seq"));
    expect(ds.examples).toBe(1);
    expect(ids(ds.fields.x!.data)).toEqual([0, 1, 2, 2]);
    expect(ids(ds.fields.y!.data)).toEqual([1, 2, 2, 3]);
    expect(ds.dims).toEqual({ V: 4, T: 4 });
  });

  it("char_lm.txt: about 20 KB of prose for the character LSTM", () => {
    expect(statSync(`${DIR}/char_lm.txt`).size).toBeGreaterThan(18_000);
    const ds = loadDataset(`${DIR}/char_lm.txt`, specGraph("char_lstm.seq"), { seqLength: 100 });
    const text = readFileSync(`${DIR}/char_lm.txt`, "utf8");
    expect(ds.examples).toBe(Math.floor((text.length - 1) / 100));
    const v = ds.vocabularies.chars!;
    expect(v.tokens.slice(-2)).toEqual(["<unk>", "<eos>"]);
    expect(ds.dims).toEqual({ V: v.size, H: 128, T: 100 });
    expect(v.size).toBeLessThan(90);
    expect(ids(ds.fields.x!.data.slice(0, 20)).map((i) => v.token(i)).join("")).toBe(text.slice(0, 20));
    expect(ids(ds.fields.y!.data.slice(0, 20)).map((i) => v.token(i)).join("")).toBe(text.slice(1, 21));
    const { train, validation } = ds.split(0.05, 42);
    expect(validation.examples).toBe(Math.round(ds.examples * 0.05));
    expect(train.examples + validation.examples).toBe(ds.examples);
  });

  it("xor.jsonl: the four rows", () => {
    const ds = loadDataset(`${DIR}/xor.jsonl`, specGraph("mlp_xor.seq"));
    expect(ds.examples).toBe(4);
    expect(ids(ds.fields.x!.data)).toEqual([0, 0, 0, 1, 1, 0, 1, 1]);
    expect(ids(ds.fields.y!.data)).toEqual([0, 1, 1, 0]);
    expect(ds.dims).toEqual({});
  });

  it("reverse.jsonl: digit strings and their reversal for the seq2seq model", () => {
    const ds = loadDataset(`${DIR}/reverse.jsonl`, specGraph("seq2seq_attention.seq"));
    expect(ds.examples).toBe(2000);
    expect(ds.vocabularies.src!.tokens).toEqual([..."0123456789", "<unk>", "<eos>"]);
    expect(ds.vocabularies.tgt!.tokens).toEqual([..."0123456789", "<bos>", "<unk>", "<eos>"]);
    expect(ds.dims).toMatchObject({ VS: 12, VT: 13, S: 6, U: 7 });
    expect(new Set(ids(ds.steps.S!))).toEqual(new Set([3, 4, 5, 6]));
    ds.steps.S!.forEach((s, i) => expect(ds.steps.U![i]).toBe(s + 1));
    const tgt = ds.vocabularies.tgt!;
    const src = ds.vocabularies.src!;
    for (let i = 0; i < 20; i++) {
      const S = ds.steps.S![i]!;
      const x = ids(ds.fields.x!.data.slice(6 * i, 6 * i + S)).map((t) => src.token(t));
      const yIn = ids(ds.fields.y_in!.data.slice(7 * i, 7 * i + S + 1)).map((t) => tgt.token(t));
      const y = ids(ds.fields.y!.data.slice(7 * i, 7 * i + S + 1)).map((t) => tgt.token(t));
      expect(yIn).toEqual(["<bos>", ...[...x].reverse()]);
      expect(y).toEqual([...[...x].reverse(), "<eos>"]);
    }
  });

  it("series.csv: a NARX series for narx.seq and tdnn.seq", () => {
    const narx = loadDataset(`${DIR}/series.csv`, specGraph("narx.seq"), { window: 100 });
    expect(narx.examples).toBe(20);
    expect(narx.dims).toEqual({ T: 100, KX: 4, KY: 3, H: 32 });
    expect(ids(narx.fields.y_prev!.data)).toEqual(ids(narx.fields.y!.data));
    const x = narx.fields.x!.data;
    const y = narx.fields.y!.data;
    // y_t - (0.6 y_{t-1} - 0.1 y_{t-2} + tanh(x_{t-1})) is the small noise.
    let sq = 0;
    for (let t = 2; t < 100; t++) sq += (y[t]! - (0.6 * y[t - 1]! - 0.1 * y[t - 2]! + Math.tanh(x[t - 1]!))) ** 2;
    expect(Math.sqrt(sq / 98)).toBeLessThan(0.03);
    const tdnn = loadDataset(`${DIR}/series.csv`, specGraph("tdnn.seq"), { window: 50, stride: 25 });
    expect(tdnn.examples).toBe(79);
    expect(tdnn.dims).toEqual({ T: 50, DELAYS: 4 });
    expect(loadDataset(`${DIR}/series.csv`, specGraph("tdnn.seq")).dims.T).toBe(2000);
  });
});
