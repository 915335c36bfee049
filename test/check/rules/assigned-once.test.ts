/** src/check/rules/assigned-once.ts, SEQ0404: a name (or a state's next value) is assigned once: the errors it reports, as "CODE line:col". */
import { describe, expect, it } from "vitest";
import { errors } from "../harness.js";

const model = (body: string) => `model m {\n  input x: [3]\n  target y: [3]\n${body}\n}\n`;

describe("assigned-once", () => {
  it("reports a value bound twice and a next state assigned twice", () => {
    expect(errors(model("  a = tanh(x)\n  a = relu(x)\n  loss mse(a, y)"))).toEqual(["SEQ0404 5:3"]);
    expect(errors("cell c<H>(x: [H]) -> [H] {\n  state h: [H] = 0\n  h' = x\n  h' = tanh(x)\n  out h'\n}\n")).toEqual(["SEQ0404 4:3"]);
  });
});
