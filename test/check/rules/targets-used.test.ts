/** src/check/rules/targets-used.ts, SEQ0406: every target feeds a loss: the errors it reports, as "CODE line:col". */
import { describe, expect, it } from "vitest";
import { errors } from "../harness.js";

const model = (body: string) => `model m {\n  input x: [3]\n  target y: [3]\n${body}\n}\n`;

describe("targets-used", () => {
  it("reports a target no loss uses", () => {
    expect(errors(model("  target z: [3]\n  loss mse(x, y)"))).toEqual(["SEQ0406 4:3"]);
  });
});
