/** src/check/rules/model-has-loss.ts, SEQ0405: a model says what it minimises: the errors it reports, as "CODE line:col". */
import { describe, expect, it } from "vitest";
import { errors } from "../harness.js";

describe("model-has-loss", () => {
  it("reports a model without a loss", () => {
    expect(errors("model m {\n  input x: [3]\n  a = tanh(x)\n}\n")).toEqual(["SEQ0405 1:7"]);
  });
});
