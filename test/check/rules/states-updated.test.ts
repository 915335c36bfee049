/** src/check/rules/states-updated.ts, SEQ0402: every state of a cell gets a next value: the errors it reports, as "CODE line:col". */
import { describe, expect, it } from "vitest";
import { errors } from "../harness.js";

describe("states-updated", () => {
  it("reports a state without a next value", () => {
    expect(errors("cell c<H>(x: [H]) -> [H] {\n  state h: [H] = 0\n  out tanh(x + h)\n}\n")).toEqual(["SEQ0402 2:3"]);
  });
});
