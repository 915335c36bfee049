/** src/check/rules/params-used.ts, SEQ0401: every param reaches the output: the errors it reports, as "CODE line:col". */
import { describe, expect, it } from "vitest";
import { errors } from "../harness.js";

describe("params-used", () => {
  it("reports a param that does not reach the output, through states too", () => {
    const spec = "cell c<H>(x: [H]) -> [H] {\n  param U: [H, H] = glorot\n  param V: [H, H] = glorot\n  state h: [H] = 0\n  state g: [H] = 0\n  h' = tanh(U @ h + x)\n  g' = V @ g\n  out h'\n}\n";
    expect(errors(spec)).toEqual(["SEQ0401 3:3"]);
  });
});
