/** src/check/rules/initialisers.ts, SEQ0107: a param's initialiser is one the language has: the errors it reports, as "CODE line:col". */
import { describe, expect, it } from "vitest";
import { errors } from "../harness.js";

describe("initialisers", () => {
  it("accepts the known initialisers and rejects others", () => {
    const ok = "fn f(x: [D]) -> [D] {\n  param a: [D] = uniform(0.1)\n  param b: [D] = -1\n  param c: [D] = orthogonal\n  out x * a + b * c\n}\n";
    expect(errors(ok)).toEqual([]);
    expect(errors("fn f(x: [D]) -> [D] {\n  param a: [D] = glorrot\n  out x * a\n}\n")).toEqual(["SEQ0107 2:18"]);
    expect(errors("fn f(x: [D]) -> [D] {\n  param a: [D] = uniform\n  out x * a\n}\n")).toEqual(["SEQ0107 2:18"]);
  });
});
