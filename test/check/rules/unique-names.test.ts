/** src/check/rules/unique-names.ts, SEQ0103: a name is defined once in its scope: the errors it reports, as "CODE line:col". */
import { describe, expect, it } from "vitest";
import { errors } from "../harness.js";

describe("unique-names", () => {
  it("names every copy of a duplicate definition", () => {
    expect(errors("fn f(x: [D]) -> [D] {\n  out x\n}\nfn f(x: [D]) -> [D] {\n  out x\n}\n")).toEqual(["SEQ0103 4:4"]);
  });
  it("rejects a definition named like a builtin op", () => {
    expect(errors("fn tanh(x: [D]) -> [D] {\n  out x\n}\n")).toEqual(["SEQ0103 1:4"]);
  });
  it("rejects two params of the same name", () => {
    expect(errors("fn f(x: [D]) -> [D] {\n  param a: [D]\n  param a: [D]\n  out x * a\n}\n")).toEqual(["SEQ0103 3:3"]);
  });
});
