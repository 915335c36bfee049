/**
 * What `inspect` (src/api.ts over src/check/symbols.ts) says about a spec: the
 * name at an offset and its facts, the completions at an offset, the outline.
 * Offsets are found in the spec's text by a marked needle: `at(text, "h = lstm")`
 * is the offset of the first `h = lstm`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { inspect } from "../../src/api.js";
import { TRAIN_SETTINGS } from "../../src/check/rules/train-settings.js";
import { findName } from "../../src/check/symbols.js";
import { ROOT } from "../helpers/cli.js";

const SEQ2SEQ = readFileSync(join(ROOT, "specs/seq2seq_attention.seq"), "utf8");
const seq2seq = inspect(SEQ2SEQ, { file: "specs/seq2seq_attention.seq", cwd: ROOT });

/** The offset of `nth` characters into the first `needle` after `after` (the start of the text by default). */
function at(text: string, needle: string, nth = 0, after = ""): number {
  const i = text.indexOf(needle, text.indexOf(after));
  if (i < 0) throw new Error(`no ${needle}`);
  return i + nth;
}

/** The code after the header comments of seq2seq_attention.seq (they mention some names too). */
const CODE = "\ncell attention_lstm";

describe("inspect: the name at an offset", () => {
  it("a model value: its shape in the checker's dims, the bound dims, the params its expression creates", () => {
    const o = seq2seq.at(at(SEQ2SEQ, "enc = lstm"))!;
    expect(o).toMatchObject({ declaration: true, start: at(SEQ2SEQ, "enc = lstm"), end: at(SEQ2SEQ, "enc = lstm", 3) });
    expect(o.symbol).toMatchObject({
      name: "enc", kind: "value", detail: "enc: [S, H]", shape: "[S, H]", dtype: "float32", where: "H = 64",
      container: { kind: "model", name: "seq2seq_attention" }, params: { symbolic: "4*E*H + E*VS + 4*H*H + 4*H", value: null },
    });
    expect(o.symbol.site).toMatchObject({ file: "specs/seq2seq_attention.seq", path: join(ROOT, "specs/seq2seq_attention.seq") });
  });

  it("a token input: int32 with its vocabulary; the vocabulary after `of` resolves to its declaration", () => {
    expect(seq2seq.at(at(SEQ2SEQ, "x: [S]"))!.symbol).toMatchObject({ kind: "input", detail: "input x: [S] of src", dtype: "int32", vocab: "src" });
    const v = seq2seq.at(at(SEQ2SEQ, "src", 0, "input x"))!.symbol;
    expect(v).toMatchObject({ kind: "vocab", detail: "vocab src[VS]", binding: "tokens from the data; its size is the dim VS", doc: "source words, from the data" });
  });

  it("a param of a cell: its shape and count in the cell's own dims, and as each model's application creates it", () => {
    const w = seq2seq.at(at(SEQ2SEQ, "W_a @ h"))!;
    expect(w.declaration).toBe(false);
    expect(w.symbol).toMatchObject({
      kind: "param", detail: "param W_a: [H, H] = glorot", shape: "[H, H]", params: { symbolic: "H*H", value: null },
      instances: [{ model: "seq2seq_attention", name: "dec.W_a", shape: "[H, H]", count: { symbolic: "H*H", value: 4096 } }],
    });
    expect(seq2seq.at(at(SEQ2SEQ, "W: [4*H"))!.symbol.params?.symbolic).toBe("4*E*H + 8*H*H");
  });

  it("a definition's values in its own dims; a dim bound by a signature input; a compile-time argument", () => {
    expect(seq2seq.at(at(SEQ2SEQ, "e = mem"))!.symbol).toMatchObject({ kind: "value", detail: "e: [S]", container: { kind: "cell", name: "attention_lstm" } });
    expect(seq2seq.at(at(SEQ2SEQ, "S, H]", 0, CODE))!.symbol).toMatchObject({ kind: "dim", binding: "bound by the shape of mem: [S, H], from each call's argument" });
    expect(seq2seq.at(at(SEQ2SEQ, "H, H]", 0, CODE))!.symbol.binding).toBe("a compile-time argument of cell attention_lstm: attention_lstm<H>(...)");
    expect(seq2seq.at(at(SEQ2SEQ, "dim H = 64", 4))!.symbol.binding).toBe("H = 64");
    expect(seq2seq.at(at(SEQ2SEQ, "dim S", 4))!.symbol.binding).toBe("free: the data sets it, batch by batch");
    expect(seq2seq.at(at(SEQ2SEQ, "vocab src[VS]", 10))!.symbol.binding).toBe("the size of vocabulary src, from the data");
  });

  it("a cell of the standard library, its state through `enc.c`, and `with { h: ... }`", () => {
    const lstm = seq2seq.at(at(SEQ2SEQ, "lstm<H>(embedding"))!.symbol;
    expect(lstm).toMatchObject({ kind: "cell", std: true, detail: "cell lstm<H>(x: [X]) -> [H]", params: { symbolic: "4*H*H + 4*H*X + 4*H" }, notes: ["states: h: [H], c: [H]"] });
    expect(lstm.site?.path).toBe(join(ROOT, "src/std/recurrent.seq"));
    expect(lstm.doc).toMatch(/^LSTM, seed 001 form/);
    const c = seq2seq.at(at(SEQ2SEQ, "enc.c", 4))!;
    expect(c).toMatchObject({ shape: "[H]", symbol: { kind: "state", name: "c", std: true, container: { kind: "cell", name: "lstm" } } });
    expect(seq2seq.at(at(SEQ2SEQ, "h: enc.h"))!.symbol).toMatchObject({ kind: "state", name: "h", container: { kind: "cell", name: "attention_lstm" } });
    expect(seq2seq.at(at(SEQ2SEQ, "enc.h"))!.symbol.name).toBe("enc");
    // Just after a name (the cursor at a word's end) is still that name.
    expect(seq2seq.at(at(SEQ2SEQ, "enc.h", 3))!.symbol.name).toBe("enc");
  });

  it("builtins: ops, initialisers, optimizers, train settings; nothing between names", () => {
    expect(seq2seq.at(at(SEQ2SEQ, "softmax(e)"))!.symbol).toMatchObject({ kind: "op", detail: "softmax(x, axis: -1)", doc: "softmax over an axis (default the last)" });
    expect(seq2seq.at(at(SEQ2SEQ, "glorot"))!.symbol.kind).toBe("initialiser");
    expect(seq2seq.at(at(SEQ2SEQ, "adam"))!.symbol).toMatchObject({ kind: "optimizer", detail: "adam(lr, beta1, beta2, eps)" });
    expect(seq2seq.at(at(SEQ2SEQ, "clip: 5"))!.symbol).toMatchObject({ kind: "setting", doc: TRAIN_SETTINGS.clip!.doc });
    expect(seq2seq.at(at(SEQ2SEQ, "mem @ (W_a", 4))).toBeUndefined();
    expect(seq2seq.at(at(SEQ2SEQ, "logits until", 0, "feedback"))!.symbol.kind).toBe("value");
  });

  it("a spec that does not parse still names what it declares, without shapes", () => {
    const text = "model m {\n  dim H = 4\n  input x: [3]\n  h = dense<H>(x)\n  logits = dense<\n}\n";
    const r = inspect(text, { file: "broken.seq" });
    expect(r.ok).toBe(false);
    expect(r.at(at(text, "h = dense"))!.symbol).toMatchObject({ kind: "value", detail: "h" });
    expect(r.at(at(text, "h = dense"))!.symbol.shape).toBeUndefined();
    expect(r.at(at(text, "H>(x)"))!.symbol.kind).toBe("dim");
  });
});

describe("inspect: completions", () => {
  const names = (offset: number) => seq2seq.completions(offset).map((s) => s.name);

  it("in a model: the values before the line, dims, vocabularies, cells and fns (user and std), call ops; not later values", () => {
    const here = names(at(SEQ2SEQ, "logits = dense"));
    expect(here).toEqual(expect.arrayContaining(["x", "y_in", "y", "enc", "dec", "S", "H", "VT", "src", "attention_lstm", "lstm", "dense", "softmax", "one_hot"]));
    expect(here).not.toContain("logits");
    expect(here).not.toContain("glorot");
    expect(here).not.toContain("add");
  });

  it("in a cell: its inputs, params, states, dims and earlier lets, and the initialisers", () => {
    const here = names(at(SEQ2SEQ, "let context"));
    expect(here).toEqual(expect.arrayContaining(["y", "mem", "W_a", "W", "b", "h", "c", "H", "E", "S", "e", "alpha", "glorot", "lstm"]));
    expect(here).not.toContain("context");
    expect(here).not.toContain("enc");
  });

  it("in train {}: the settings the checker knows and the optimizers, even while the block does not parse", () => {
    expect(names(at(SEQ2SEQ, "batch: 32"))).toEqual([...Object.keys(TRAIN_SETTINGS), "sgd", "momentum", "adam", "rmsprop"]);
    const text = "model m {\n  input x: [3]\n  target y: [3]\n  loss mse(x, y)\n  train { optim\n}\n";
    expect(inspect(text).completions(at(text, "optim", 5)).map((s) => s.name)).toContain("optimizer");
  });
});

describe("inspect: the outline", () => {
  it("models, cells and fns with what each declares, in order, with their sites", () => {
    const outline = seq2seq.outline();
    expect(outline.map((s) => `${s.kind} ${s.name}`)).toEqual(["cell attention_lstm", "model seq2seq_attention"]);
    expect(outline[0]!.children!.map((s) => `${s.kind} ${s.name}`)).toEqual([
      "dim H", "input y", "input mem", "dim E", "dim S", "param W_a", "param W", "param b", "state h", "state c",
      "value e", "value alpha", "value context", "value i", "value f", "value o", "value g",
    ]);
    const model = outline[1]!;
    expect(model.params?.symbolic).toBe("8*E*H + E*VS + E*VT + 13*H*H + H*VT + 8*H + VT");
    for (const c of model.children!) {
      expect(c.site!.start).toBeLessThanOrEqual(c.site!.nameStart);
      expect(SEQ2SEQ.slice(c.site!.nameStart, c.site!.nameEnd)).toBe(c.name);
    }
  });
});

describe("findName", () => {
  it("finds a whole word only", () => {
    expect(findName("input in: [T]", 0, 13, "in")).toEqual({ start: 6, end: 8 });
    expect(findName("state h: [H]", 0, 12, "H")).toEqual({ start: 10, end: 11 });
    expect(findName("xh h", 0, 4, "x")).toBeUndefined();
  });
});

describe("inspect on text being typed", () => {
  it("never throws: every query on prefixes of specs and on specs with a piece cut out", () => {
    for (const name of ["seq2seq_attention.seq", "conv_arith.seq", "char_lstm.seq"]) {
      const text = readFileSync(join(ROOT, "specs", name), "utf8");
      for (let cut = 0; cut <= text.length; cut += 47) {
        for (const t of [text.slice(0, cut), text.slice(0, cut) + text.slice(cut + 7)]) {
          const r = inspect(t, { file: `specs/${name}`, cwd: ROOT });
          expect(() => [r.outline(), r.at(cut), r.at(cut >> 1), r.completions(cut)], `${name} cut at ${cut}`).not.toThrow();
        }
      }
    }
  });
});
