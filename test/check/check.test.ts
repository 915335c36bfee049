/**
 * src/check/check.ts: the rules run over a loaded program and their
 * diagnostics come back sorted and deduplicated, with the typed models; a
 * syntax error stops it before the rules. (Each rule is tested in rules/; a
 * spec nested too deeply for the stack is fuzz.test.ts's.)
 */
import { describe, expect, it } from "vitest";
import { checkProgram } from "../../src/check/check.js";
import { primaryLabel } from "../../src/diagnostics/diagnostic.js";
import { loadProgram } from "../../src/ir/program.js";
import { inline } from "../helpers/spec.js";
import { check, errors } from "./harness.js";

const load = (text: string) => loadProgram("spec.seq", inline(text));

describe("checkProgram", () => {
  it("a clean spec: no diagnostics, every model typed", () => {
    const r = checkProgram(load("model m {\n  input x: [3]\n  target y: [3]\n  loss mse(x, y)\n}\n"));
    expect(r.diagnostics).toEqual([]);
    expect(r.models.map((m) => m.name)).toEqual(["m"]);
  });

  it("errors of several rules, in the order of the file", () => {
    const text = "model m {\n  input x: [3]\n  target y: [3]\n  target z: [2]\n  loss mse(x, y)\n  train { epoch: 3 }\n}\nmodel n {\n  input x: [3]\n}\n";
    const r = checkProgram(load(text));
    expect(r.diagnostics.map((d) => d.code)).toEqual(["SEQ0406", "SEQ0501", "SEQ0405"]);
    const starts = r.diagnostics.map((d) => primaryLabel(d)!.start);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
  });

  it("a syntax error: only the parser's diagnostics, no rules run, no models", () => {
    const program = load("model m {\n  input x: [3]\n  target y: [3]\n  loss mse(x,, y)\n  target z: [2]\n}\n");
    const r = checkProgram(program);
    expect(r.diagnostics.length).toBeGreaterThan(0);
    expect(r.diagnostics.every((d) => d.code === "SEQ0002")).toBe(true);
    expect(r.models).toEqual([]);
  });
});

describe("no cascades: a mistake is reported once, at its cause", () => {
  const model = (body: string) => `model m {\n  input x: [3]\n  target y: [3]\n${body}\n}\n`;

  const lstm = (use: string) =>
    [
      "cell my_lstm<H>(x: [X]) -> [H] {",
      "  param W_f: [H, X] = glorot",
      "  param W_c: [H, X] = glorot",
      "  param U_c: [H, H] = orthogonal",
      "  state h: [H] = 0",
      "  state c: [H] = 0",
      "  let f = sigmoid(W_f @ x)",
      "  let c_tilde = tanh(W_c @ x + U_c @ h)",
      `  c' = f * c + (1 - f) * ${use}`,
      "  h' = tanh(c')",
      "  out h'",
      "}",
      "model m {",
      "  vocab chars[V]",
      "  dim T",
      "  input x: [T] of chars",
      "  target y: [T] of chars",
      "  h = my_lstm<16>(one_hot(x))",
      "  logits = dense<V>(h)",
      "  loss cross_entropy(logits, y)",
      "  feedback x from logits",
      "}",
      "",
    ].join("\n");

  it("an unknown name: one error at its use; no param it cut off, no value computed from it", () => {
    expect(errors(lstm("c_tilde"))).toEqual([]);
    expect(errors(lstm("c_tidle"))).toEqual(["SEQ0101 9:26"]);
    expect(check(lstm("c_tidle")).diagnostics[0]!.help).toBe("did you mean `c_tilde`?");
  });

  it("a param never read anywhere is still reported", () => {
    expect(errors("fn f(x: [D]) -> [D] {\n  param a: [D]\n  out x\n}\n")).toEqual(["SEQ0401 2:3"]);
  });

  it("a loss reading an unknown name: no target reported as unused", () => {
    expect(errors(model("  loss mse(x, yy)"))).toEqual(["SEQ0101 4:15"]);
  });

  it("a value whose definition failed is not unknown to feedback or a final state", () => {
    const spec = "model m {\n  vocab v[V]\n  dim T\n  input x: [T] of v\n  target y: [T] of v\n  h = lstmm<8>(one_hot(x))\n  logits = dense<V>(h)\n  loss cross_entropy(logits, y)\n  feedback x from logits\n  c = h.c\n}\n";
    expect(errors(spec)).toEqual(["SEQ0102 6:7"]);
  });

  it("a misspelled state's next value: one error, not also the state and its params", () => {
    const spec = "cell c<H>(x: [X]) -> [H] {\n  param W: [H, X] = glorot\n  state h: [H] = 0\n  hh' = tanh(W @ x)\n  out h\n}\n";
    expect(errors(spec)).toEqual(["SEQ0108 4:3"]);
    expect(check(spec).diagnostics[0]!.help).toBe("did you mean `h`?");
  });
});
