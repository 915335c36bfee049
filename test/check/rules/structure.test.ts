/** One block per structural rule: the errors each reports, as "CODE line:col". */
import { describe, expect, it } from "vitest";
import { check, errors, messages } from "../harness.js";

const model = (body: string) => `model m {\n  input x: [3]\n  target y: [3]\n${body}\n}\n`;

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

describe("statement-placement", () => {
  it("rejects params in a model and inputs in a cell", () => {
    expect(errors(model("  param W: [3, 3]\n  loss mse(x, y)"))).toEqual(["SEQ0106 4:3"]);
  });
  it("rejects a state in a fn", () => {
    expect(errors("fn f(x: [D]) -> [D] {\n  state h: [D] = 0\n  h' = x\n  out x\n}\n")).toEqual(["SEQ0106 2:3", "SEQ0108 3:3"]);
  });
});

describe("single-out", () => {
  it("requires an out, once, last", () => {
    expect(errors("fn f(x: [D]) -> [D] {\n  let a = x\n}\n")).toEqual(["SEQ0403 1:4"]);
    expect(errors("fn f(x: [D]) -> [D] {\n  out x\n  out x\n}\n")).toEqual(["SEQ0403 3:3"]);
  });
});

describe("states-updated", () => {
  it("reports a state without a next value", () => {
    expect(errors("cell c<H>(x: [H]) -> [H] {\n  state h: [H] = 0\n  out tanh(x + h)\n}\n")).toEqual(["SEQ0402 2:3"]);
  });
});

describe("assigned-once", () => {
  it("reports a value bound twice and a next state assigned twice", () => {
    expect(errors(model("  a = tanh(x)\n  a = relu(x)\n  loss mse(a, y)"))).toEqual(["SEQ0404 5:3"]);
    expect(errors("cell c<H>(x: [H]) -> [H] {\n  state h: [H] = 0\n  h' = x\n  h' = tanh(x)\n  out h'\n}\n")).toEqual(["SEQ0404 4:3"]);
  });
});

describe("no-recursion", () => {
  it("reports mutual recursion at each call", () => {
    const spec = "fn f(x: [D]) -> [D] {\n  out g(x)\n}\nfn g(x: [D]) -> [D] {\n  out f(x)\n}\n";
    expect(errors(spec)).toEqual(["SEQ0110 2:7", "SEQ0110 5:7"]);
  });
});

describe("initialisers", () => {
  it("accepts the known initialisers and rejects others", () => {
    const ok = "fn f(x: [D]) -> [D] {\n  param a: [D] = uniform(0.1)\n  param b: [D] = -1\n  param c: [D] = orthogonal\n  out x * a + b * c\n}\n";
    expect(errors(ok)).toEqual([]);
    expect(errors("fn f(x: [D]) -> [D] {\n  param a: [D] = glorrot\n  out x * a\n}\n")).toEqual(["SEQ0107 2:18"]);
    expect(errors("fn f(x: [D]) -> [D] {\n  param a: [D] = uniform\n  out x * a\n}\n")).toEqual(["SEQ0107 2:18"]);
  });
});

describe("params-used", () => {
  it("reports a param that does not reach the output, through states too", () => {
    const spec = "cell c<H>(x: [H]) -> [H] {\n  param U: [H, H] = glorot\n  param V: [H, H] = glorot\n  state h: [H] = 0\n  state g: [H] = 0\n  h' = tanh(U @ h + x)\n  g' = V @ g\n  out h'\n}\n";
    expect(errors(spec)).toEqual(["SEQ0401 3:3"]);
  });
});

describe("model-has-loss and targets-used", () => {
  it("reports a model without a loss and a target no loss uses", () => {
    expect(errors("model m {\n  input x: [3]\n  a = tanh(x)\n}\n")).toEqual(["SEQ0405 1:7"]);
    expect(errors(model("  target z: [3]\n  loss mse(x, y)"))).toEqual(["SEQ0406 4:3"]);
  });
});

describe("train-settings", () => {
  it("reports unknown settings with a suggestion and bad values", () => {
    const spec = model("  loss mse(x, y)\n  train { optimizer: adam(lr: 0.01, beta1: 1.5), epoch: 3, batch: 0 }");
    expect(errors(spec)).toEqual(["SEQ0502 5:22", "SEQ0501 5:50", "SEQ0502 5:67"]);
    expect(messages(spec)).toContain("unknown training setting `epoch`");
  });
});

describe("no cascades: a mistake is reported once, at its cause", () => {
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
