/** src/check/rules/single-out.ts, SEQ0403: a cell or fn ends with exactly one `out`: the errors it reports, as "CODE line:col". */
import { describe, expect, it } from "vitest";
import { errors } from "../harness.js";

describe("single-out", () => {
  it("requires an out, once, last", () => {
    expect(errors("fn f(x: [D]) -> [D] {\n  let a = x\n}\n")).toEqual(["SEQ0403 1:4"]);
    expect(errors("fn f(x: [D]) -> [D] {\n  out x\n  out x\n}\n")).toEqual(["SEQ0403 3:3"]);
  });
});
