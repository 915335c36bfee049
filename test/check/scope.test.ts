/** src/check/scope.ts: what a program defines (user definitions shadow the standard library's; globals of the user's modules; models of the root), and "did you mean". */
import { describe, expect, it } from "vitest";
import { didYouMean, indexProgram } from "../../src/check/scope.js";
import { loadProgram } from "../../src/ir/program.js";
import { inline } from "../helpers/spec.js";

describe("indexProgram", () => {
  const lib = "dim D = 4\nvocab v[V] = [a, b]\nfn twice(x: [D]) -> [D] {\n  out x * 2\n}\nmodel hidden {\n  input x: [D]\n  target y: [D]\n  loss mse(x, y)\n}\n";
  const root = 'import "lib.seq"\ncell elman<H>(x: [X]) -> [H] {\n  param W: [H, X] = glorot\n  state h: [H] = 0\n  h\' = tanh(W @ x)\n  out h\'\n}\ndim E = 2\nmodel m {\n  input x: [D]\n  target y: [D]\n  loss mse(twice(x), y)\n}\n';
  const index = indexProgram(loadProgram("main.seq", inline(root, { "lib.seq": lib })));

  it("cells and fns of every module; a user definition replaces the standard library's of the same name", () => {
    expect(index.defs.get("twice")?.module.file).toBe("lib.seq");
    expect(index.defs.get("elman")?.module.file).toBe("main.seq");
    expect(index.defs.get("lstm")?.module.std).toBe(true);
  });

  it("top-level dims and vocabularies of the user's modules, in order; the models of the root file only", () => {
    expect(index.globals.map((g) => `${g.module.file}:${g.node.name}`)).toEqual(["main.seq:E", "lib.seq:D", "lib.seq:v"]);
    expect(index.models.map((m) => m.node.name)).toEqual(["m"]);
  });
});

describe("didYouMean", () => {
  it("the closest name within about a third of the name's length, ignoring case", () => {
    expect(didYouMean("epoch", ["epochs", "batch", "seed"])).toBe("did you mean `epochs`?");
    expect(didYouMean("LSTM", ["lstm", "gru"])).toBe("did you mean `lstm`?");
    expect(didYouMean("optimiser", ["optimizer", "lr"])).toBe("did you mean `optimizer`?");
  });

  it("nothing when no name is close", () => {
    expect(didYouMean("xyz", ["epochs", "batch"])).toBeUndefined();
    expect(didYouMean("a", [])).toBeUndefined();
    expect(didYouMean("clip", ["seed"])).toBeUndefined();
  });

  it("failing a close name, the one name the given one begins (three letters or more)", () => {
    expect(didYouMean("embed", ["embedding", "dense", "lstm"])).toBe("did you mean `embedding`?");
    expect(didYouMean("Embed", ["embedding"])).toBe("did you mean `embedding`?");
    // Two names begin with it, or it is too short to say: nothing.
    expect(didYouMean("conv", ["conv1d", "conv2d", "dense"])).toBeUndefined();
    expect(didYouMean("em", ["embedding"])).toBeUndefined();
  });

  it("the first of equally close names", () => {
    expect(didYouMean("bat", ["bar", "bag"])).toBe("did you mean `bar`?");
  });
});
