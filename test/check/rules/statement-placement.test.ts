/** src/check/rules/statement-placement.ts, SEQ0106: each statement where it belongs: the errors it reports, as "CODE line:col". */
import { describe, expect, it } from "vitest";
import { errors } from "../harness.js";

const model = (body: string) => `model m {\n  input x: [3]\n  target y: [3]\n${body}\n}\n`;

describe("statement-placement", () => {
  it("rejects params in a model and inputs in a cell", () => {
    expect(errors(model("  param W: [3, 3]\n  loss mse(x, y)"))).toEqual(["SEQ0106 4:3"]);
  });
  it("rejects a state in a fn", () => {
    expect(errors("fn f(x: [D]) -> [D] {\n  state h: [D] = 0\n  h' = x\n  out x\n}\n")).toEqual(["SEQ0106 2:3", "SEQ0108 3:3"]);
  });
});
