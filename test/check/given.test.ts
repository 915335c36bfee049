/**
 * Dims given from outside the spec (`--dim`, the API's `dims`; src/check/given.ts):
 * bound where the spec leaves them free; a value the declarations exclude, or
 * a name no model declares, is a DimError; a value the shapes exclude is a
 * diagnostic.
 */
import { describe, expect, it } from "vitest";
import { check, DimError, summary } from "../../src/api.js";
import { checkSpec } from "../../src/driver.js";

const LM = `model lm {
  vocab chars[V]
  dim H = 8
  dim X = 2*H
  dim T multiple of 4
  dim S
  dim W = 2*S
  input x: [T] of chars
  target y: [T] of chars
  h = lstm<H>(one_hot(x))
  logits = dense<V>(h)
  loss cross_entropy(logits, y)
}
`;

const LISTED = `model m {
  vocab abc[V] = [a, b, c]
  dim T
  input x: [T] of abc
  target y: [T] of abc
  loss cross_entropy(dense<V>(one_hot(x)), y)
}
`;

/** The problems of a DimError thrown by f. */
function dimProblems(f: () => unknown): { name: string; value: number; why: string }[] {
  try {
    f();
  } catch (e) {
    if (e instanceof DimError) return e.problems;
    throw e;
  }
  throw new Error("no DimError");
}

describe("given dims", () => {
  it("bind a free dim and a data vocabulary's size: the counts become numbers", () => {
    const free = summary(LM, { file: "lm.seq" }).models[0]!;
    expect(free.total.value).toBeNull();
    const bound = summary(LM, { file: "lm.seq", dims: { V: 65 } });
    // lstm: 4*H*(H + V) + 4*H; dense: V*H + V
    expect(bound.models[0]!.total.value).toBe(4 * 8 * (8 + 65) + 4 * 8 + 65 * 8 + 65);
    expect(bound.text).toContain("V = 65");
    expect(bound.models[0]!.values.find((v) => v.name === "logits")!.params.value).toBe(65 * 8 + 65);
  });

  it("a value the spec already has, or a multiple that fits, is accepted", () => {
    expect(check(LM, { file: "lm.seq", dims: { H: 8, T: 12, X: 16 } }).ok).toBe(true);
  });

  it("a bound dim given another value, a listed vocabulary's size, a computed dim, a broken multiple: DimError, each said", () => {
    expect(dimProblems(() => check(LM, { file: "lm.seq", dims: { H: 9, T: 6, W: 4 } }))).toEqual([
      { name: "H", value: 9, why: "the spec fixes H = 8" },
      { name: "T", value: 6, why: "T is declared a multiple of 4" },
      { name: "W", value: 4, why: "the spec computes W = 2*S: give the dims it is made of" },
    ]);
    expect(dimProblems(() => check(LM, { file: "lm.seq", dims: { X: 17 } }))).toEqual([{ name: "X", value: 17, why: "the spec computes X = 2*H = 16" }]);
    expect(dimProblems(() => check(LISTED, { file: "m.seq", dims: { V: 4 } }))).toEqual([{ name: "V", value: 4, why: "the vocabulary abc lists 3 tokens" }]);
  });

  it("a name no model declares: DimError listing the spec's dims", () => {
    expect(dimProblems(() => summary(LM, { file: "lm.seq", dims: { Q: 3 } }))).toEqual([{ name: "Q", value: 3, why: "lm.seq has no dim Q (its dims: H, S, T, V, W, X)" }]);
  });

  it("the driver can leave unknown names to the caller (seqc check of several specs)", () => {
    const r = checkSpec("lm.seq", { text: LM, dims: new Map([["Q", 3]]), allowUnknownDims: true });
    expect(r.diagnostics).toEqual([]);
    expect([...r.declaredDims!].sort()).toEqual(["H", "S", "T", "V", "W", "X"]);
  });

  it("a value the declarations allow but the shapes do not is a diagnostic, with the value", () => {
    const spec = "model m {\n  dim T\n  input x: [T, 2]\n  target y: [T - 4, 3]\n  loss mse(conv1d<K=3, F=5>(x), y)\n}\n";
    expect(check(spec, { file: "m.seq" }).ok).toBe(true);
    const r = check(spec, { file: "m.seq", dims: { T: 3 } });
    expect(r.ok).toBe(false);
    expect(r.diagnostics.map((d) => [d.code, d.line])).toEqual([
      ["SEQ0203", 4],
      ["SEQ0305", 5],
    ]);
    expect(r.diagnostics[0]!.notes).toContain("where T = 3");
  });

  it("values must be whole numbers from 1 up (RangeError)", () => {
    expect(() => check(LM, { dims: { V: 0 } })).toThrow(RangeError);
    expect(() => check(LM, { dims: { V: 2.5 } })).toThrow(RangeError);
  });

  it("a spec with syntax errors reports them: its dims cannot be known", () => {
    const r = check("model m {\n  dim T\n  input x: [T,\n}\n", { file: "m.seq", dims: { Q: 3 } });
    expect(r.ok).toBe(false);
    expect(r.diagnostics[0]!.code).toBe("SEQ0002");
  });
});
