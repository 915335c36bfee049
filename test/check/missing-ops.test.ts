/**
 * src/check/missing-ops.ts: a call of a well-known layer, activation or loss
 * the language lacks is SEQ0102 saying so, with what to write instead; no
 * name in the table is something seqc has; and the formulas the helps offer
 * (expressions, loss statements) check clean as they are written.
 */
import { describe, expect, it } from "vitest";
import { MISSING_OPS } from "../../src/check/missing-ops.js";
import { OPS } from "../../src/ir/ops.js";
import { loadStd } from "../../src/ir/program.js";
import { check, errors } from "./harness.js";

const calling = (name: string) => `model m {\n  input x: [4]\n  target y: [4]\n  loss mse(${name}(x), y)\n}\n`;

describe("missing ops", () => {
  it("each is SEQ0102 at the call, naming what is missing, with the table's help", () => {
    for (const [name, { what, help }] of Object.entries(MISSING_OPS)) {
      const [d, ...rest] = check(calling(name)).diagnostics;
      expect(rest, name).toEqual([]);
      expect(d!.code).toBe("SEQ0102");
      expect(d!.message).toBe(`unknown cell or fn \`${name}\`: ${what}`);
      if (help !== undefined) expect(d!.help).toBe(help);
    }
    expect(errors(calling("zoneout"))).toEqual(["SEQ0102 4:12"]);
  });

  it("names nothing the language has: no builtin op and no cell or fn of the standard library", () => {
    const std = loadStd().modules.flatMap((m) => m.ir.items.flatMap((i) => ("name" in i && typeof i.name === "string" ? [i.name] : [])));
    expect(std).toContain("lstm");
    for (const name of Object.keys(MISSING_OPS)) {
      expect(Object.hasOwn(OPS, name), name).toBe(false);
      expect(std, name).not.toContain(name);
    }
  });

  it("the formulas the helps offer check clean", () => {
    const formulas = Object.values(MISSING_OPS).flatMap(({ help }) => [...(help ?? "").matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
    // Every other formula is an expression (a `fn ...` one would fail as such: give it a case of its own then).
    const exprs = formulas.filter((f) => !f.startsWith("loss "));
    const losses = formulas.filter((f) => f.startsWith("loss "));
    expect(losses.length).toBeGreaterThanOrEqual(3);
    for (const l of losses) expect(check(`model m {\n  input x: [4]\n  target y: [4]\n  p = dense<4>(x)\n  ${l}\n}\n`).diagnostics, l).toEqual([]);
    expect(exprs.length).toBeGreaterThanOrEqual(4);
    for (const e of exprs) expect(check(`model m {\n  input x: [4]\n  target y: [4]\n  loss mse(${e}, y)\n}\n`).diagnostics, e).toEqual([]);
  });
});
