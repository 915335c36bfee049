/** Every catalogue spec checks clean, and the summaries reproduce the seed facts of MODELS.md. */
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkSpec } from "../../src/driver.js";
import { formatCount } from "../../src/check/summary.js";
import { formatTy } from "../../src/check/types.js";
import type { ModelInfo } from "../../src/check/infer.js";

const SPECS = readdirSync("specs").filter((f) => f.endsWith(".seq")).sort();

/** The models of MODELS.md: one file each. */
const CATALOGUE = [
  "mlp_xor", "ab_recognizer", "seq_completion", "char_rnn_hello", "char_lstm", "lstm_peephole", "gru", "gru_simplified",
  "mut1", "mut2", "mut3", "highway", "stacked_rnn", "bilstm_tagger", "pyramid_rnn", "seq2class", "seq2seq_attention",
  "caption_decoder", "text_cnn", "conv_arith", "lenet5", "alphago_policy", "inception_block", "resnet_bottleneck", "tdnn", "narx",
];

function models(file: string): ModelInfo[] {
  const result = checkSpec(`specs/${file}`);
  expect(result.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  return result.models;
}

function model(file: string, name?: string): ModelInfo {
  const all = models(file);
  const m = name === undefined ? all[0] : all.find((x) => x.name === name);
  if (!m) throw new Error(`no model ${name} in ${file}`);
  return m;
}

function shape(m: ModelInfo, value: string): string {
  const v = m.values.find((x) => x.name === value);
  if (!v) throw new Error(`no value ${value} in ${m.name}`);
  return formatTy(v.ty, m.env);
}

describe("specs/", () => {
  it("has a file for every model of the catalogue", () => {
    expect(SPECS).toEqual(expect.arrayContaining(CATALOGUE.map((n) => `${n}.seq`)));
  });

  it.each(SPECS)("%s checks clean and has a model with a loss", (file) => {
    const ms = models(file);
    expect(ms.length).toBeGreaterThan(0);
  });
});

describe("seed facts", () => {
  it("32x32x3 input, 10 filters 5x5, stride 1, pad 2 -> 32x32x10 with 760 parameters", () => {
    const m = model("conv_arith.seq", "conv_32x32x3");
    expect(shape(m, "z")).toBe("[32, 32, 10]");
    expect(formatCount(m, m.total)).toBe("760");
  });

  it("7x7 input, 3x3 filter: stride 1 -> 5x5, stride 2 -> 3x3, pad 1 -> 7x7", () => {
    expect(shape(model("conv_arith.seq", "conv_stride1"), "z")).toBe("[5, 5, 1]");
    expect(shape(model("conv_arith.seq", "conv_stride2"), "z")).toBe("[3, 3, 1]");
    expect(shape(model("conv_arith.seq", "conv_pad1"), "z")).toBe("[7, 7, 1]");
  });

  it("LSTM with input X and hidden H has 4*H*(X+H) + 4*H parameters (char_lstm: X = V)", () => {
    const m = model("char_lstm.seq");
    const lstm = m.values.find((v) => v.name === "h")!;
    const count = lstm.params.reduce((acc, p) => acc.add(p.count), lstm.params[0]!.count.sub(lstm.params[0]!.count));
    expect(m.env.format(count)).toBe("4*H*H + 4*H*V + 4*H");
  });

  it("gru_reset_after<32> on [T, 16] has 3*32*(16 + 32) + 6*32 = 4,800 parameters, as nn.GRU(16, 32)", () => {
    const m = model("gru_reset_after.seq");
    const gru = m.values.find((v) => v.name === "h")!;
    const count = gru.params.reduce((acc, p) => acc.add(p.count), gru.params[0]!.count.sub(gru.params[0]!.count));
    expect(m.env.value(count)).toBe(4800);
    expect(shape(m, "h")).toBe("[T, 32]");
  });

  it("LeNet-5 has 60,806 parameters (C3 trains the 1,500 weights its connection table keeps of 2,400); AlphaGo's policy net keeps 19x19 through 12 layers", () => {
    const lenet = model("lenet5.seq");
    expect(lenet.env.value(lenet.total)).toBe(60806);
    const c3 = lenet.params.find((p) => p.name === "c3.c3_conv.W")!;
    expect([lenet.env.value(c3.count), c3.trainable]).toEqual([2400, 1500]);
    const ag = model("alphago_policy.seq");
    expect(shape(ag, "h12")).toBe("[19, 19, K]");
    expect(shape(ag, "z")).toBe("[361]");
  });

  it("pyramid RNN: T -> T/2 -> T/4; BiLSTM tagger: [T, 2*H] before the tag layer", () => {
    const p = model("pyramid_rnn.seq");
    const shapes = p.values.map((v) => formatTy(v.ty, p.env)).join(" ");
    expect(shapes).toContain("[T/2,");
    expect(shapes).toContain("[T/4,");
    const b = model("bilstm_tagger.seq");
    expect(b.values.map((v) => formatTy(v.ty, b.env))).toContain("[T, 2*H]");
  });
});
