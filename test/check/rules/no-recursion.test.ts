/** src/check/rules/no-recursion.ts, SEQ0110: cells and fns do not call themselves, directly or through others: the errors it reports, as "CODE line:col". */
import { describe, expect, it } from "vitest";
import { errors } from "../harness.js";

describe("no-recursion", () => {
  it("reports mutual recursion at each call", () => {
    const spec = "fn f(x: [D]) -> [D] {\n  out g(x)\n}\nfn g(x: [D]) -> [D] {\n  out f(x)\n}\n";
    expect(errors(spec)).toEqual(["SEQ0110 2:7", "SEQ0110 5:7"]);
  });
});
