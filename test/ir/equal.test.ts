/** src/ir/equal.ts: the IR of the same spec laid out differently is the same; a real change is not. */
import { describe, expect, it } from "vitest";
import { sameIr, withoutOffsets } from "../../src/ir/equal.js";
import { compileText } from "../../src/ir/program.js";

const ir = (text: string) => {
  const r = compileText("spec.seq", text);
  expect(r.diagnostics).toEqual([]);
  return r.ir;
};

const SPEC = "model m {\n  input x: [3]\n  target y: [3]\n  loss mse(tanh(x), y)\n}\n";

describe("sameIr", () => {
  it("ignores offsets: the same spec with other spacing and line breaks gives the same IR", () => {
    const other = "model   m {\n    input x : [ 3 ]\n  target y: [3]\n  loss mse( tanh(x) ,\n     y )\n}\n";
    expect(sameIr(ir(SPEC), ir(other))).toBe(true);
    expect(withoutOffsets(ir(SPEC))).not.toMatch(/"(loc|nameLoc|calleeLoc)"/);
  });

  it("sees a changed name, number or op", () => {
    for (const changed of [SPEC.replace("tanh", "sigmoid"), SPEC.replace("[3]\n  target", "[4]\n  target"), SPEC.replace("model m", "model n")]) {
      expect(sameIr(ir(SPEC), ir(changed)), changed).toBe(false);
    }
  });

  it("the offsets were there to ignore", () => {
    expect(JSON.stringify(ir(SPEC))).toMatch(/"loc"/);
  });
});
