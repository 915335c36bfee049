/** src/driver.ts: a spec to its checked program, chosen model and graph; picking a model; a spec with errors gets no graph. */
import { describe, expect, it } from "vitest";
import { checkSpec, compileSpec, ModelChoiceError, pickModel } from "../src/driver.js";
import { inline } from "./helpers/spec.js";

const TWO = `model a {\n  input x: [3]\n  target y: [3]\n  loss mse(x, y)\n}\nmodel b {\n  input x: [2]\n  target y: [2]\n  loss mse(x * 2, y)\n}\n`;
const ONE = `model only {\n  input x: [3]\n  target y: [3]\n  loss mse(x, y)\n}\n`;
const BAD = `model m {\n  input x: [3]\n  target y: [2]\n  loss mse(x, y)\n}\n`;

describe("checkSpec", () => {
  it("every model checked, no model chosen", () => {
    const r = checkSpec("two.seq", inline(TWO));
    expect(r.diagnostics).toEqual([]);
    expect(r.models.map((m) => m.name)).toEqual(["a", "b"]);
    expect(r.program.root.file).toBe("two.seq");
    expect(r.program.sources.get("two.seq")).toBe(TWO);
  });

  it("imports resolve against the spec's folder", () => {
    const r = checkSpec("main.seq", inline(`import "lib.seq"\nmodel m {\n  input x: [D]\n  target y: [D]\n  loss mse(x, y)\n}\n`, { "lib.seq": "dim D = 4\n" }));
    expect(r.diagnostics).toEqual([]);
    expect(r.program.sources.has("lib.seq")).toBe(true);
  });
});

describe("compileSpec", () => {
  it("the one model and its graph", () => {
    const c = compileSpec("one.seq", inline(ONE));
    expect(c.model?.name).toBe("only");
    expect(c.graph?.model).toBe("only");
    expect(c.graph?.file).toBe("one.seq");
  });

  it("the model named, among several", () => {
    const c = compileSpec("two.seq", { ...inline(TWO), model: "b" });
    expect(c.model?.name).toBe("b");
    expect(c.models).toHaveLength(2);
    expect(c.graph?.model).toBe("b");
  });

  it("a spec with errors: its diagnostics, the program, no model or graph (and no model choice is made)", () => {
    const c = compileSpec("bad.seq", { ...inline(BAD), model: "nonexistent" });
    expect(c.diagnostics.map((d) => d.code)).toEqual(["SEQ0308"]);
    expect(c.model).toBeUndefined();
    expect(c.graph).toBeUndefined();
    expect(c.program.root.file).toBe("bad.seq");
  });

  it("several models and no name, or a name it does not have: ModelChoiceError", () => {
    expect(() => compileSpec("two.seq", inline(TWO))).toThrow(ModelChoiceError);
    expect(() => compileSpec("two.seq", { ...inline(TWO), model: "c" })).toThrow(ModelChoiceError);
  });
});

describe("pickModel", () => {
  const models = checkSpec("two.seq", inline(TWO)).models;

  it("by name, or the only one", () => {
    expect(pickModel(models, "two.seq", "a").name).toBe("a");
    expect(pickModel(models.slice(1), "two.seq").name).toBe("b");
  });

  it.each([
    [[] as const, undefined, "two.seq has no model"],
    [null, "c", "two.seq has no model c (it has a, b)"],
    [null, undefined, "two.seq has several models (a, b): choose one with --model"],
  ] as const)("%#: %s", (list, name, message) => {
    expect(() => pickModel(list === null ? models : [], "two.seq", name)).toThrow(new ModelChoiceError(message));
  });
});
