/**
 * src/check/rules/shapes.ts: every model of the root file is typed (its
 * checked model comes back, its shape errors are reported), and a cell or fn
 * that no model applies is checked on its own, with unknown dims.
 */
import { describe, expect, it } from "vitest";
import { check, errors } from "../harness.js";

const model = (name: string, body: string) => `model ${name} {\n  input x: [3]\n  target y: [3]\n${body}\n}\n`;

describe("shapes", () => {
  it("types every model of the root file, in order", () => {
    const r = check(`${model("a", "  loss mse(x, y)")}${model("b", "  loss mse(tanh(x), y)")}`);
    expect(r.diagnostics).toEqual([]);
    expect(r.models.map((m) => m.name)).toEqual(["a", "b"]);
  });

  it("reports a model's shape error where it is", () => {
    expect(errors(model("m", "  loss mse(x, y)\n  z = x @ concat(x, y)"))).toEqual(["SEQ0302 5:7"]);
  });

  it("checks a fn no model applies, with its dims unknown; an applied one through its model only (once)", () => {
    const unused = "fn f(x: [D]) -> [D] {\n  out x @ x @ x\n}\n";
    expect(errors(`${unused}${model("m", "  loss mse(x, y)")}`)).toEqual(["SEQ0302 2:7"]);
    const applied = "fn g(x: [D]) -> [D] {\n  out concat(x, x)\n}\n";
    // (the declared output [D] against [2*D], reported at the declaration)
    expect(errors(`${applied}${model("m", "  loss mse(g(x), y)")}`)).toEqual(["SEQ0310 1:17"]);
  });
});
