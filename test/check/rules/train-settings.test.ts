/** src/check/rules/train-settings.ts, SEQ0501 / SEQ0502: `train {}` settings are known keys with values of the right kind and range: the errors it reports, as "CODE line:col". */
import { describe, expect, it } from "vitest";
import { errors, messages } from "../harness.js";

const model = (body: string) => `model m {\n  input x: [3]\n  target y: [3]\n${body}\n}\n`;

describe("train-settings", () => {
  it("reports unknown settings with a suggestion and bad values", () => {
    const spec = model("  loss mse(x, y)\n  train { optimizer: adam(lr: 0.01, beta1: 1.5), epoch: 3, batch: 0 }");
    expect(errors(spec)).toEqual(["SEQ0502 5:22", "SEQ0501 5:50", "SEQ0502 5:67"]);
    expect(messages(spec)).toContain("unknown training setting `epoch`");
  });

  it("lr_schedule is a schedule of the runtime's table with its options in range; warmup a whole number", () => {
    expect(errors(model("  loss mse(x, y)\n  train { lr_schedule: cosine(steps: 1000, min: 1e-5), warmup: 100 }"))).toEqual([]);
    expect(errors(model("  loss mse(x, y)\n  train { lr_schedule: step(20), warmup: 0 }"))).toEqual([]);
    const bad = model("  loss mse(x, y)\n  train { lr_schedule: cosine(min: 0.1), warmup: 1.5 }");
    expect(errors(bad)).toEqual(["SEQ0502 5:24", "SEQ0502 5:50"]);
    expect(messages(bad)).toEqual(expect.arrayContaining([expect.stringContaining("lr_schedule cosine needs steps"), expect.stringContaining("warmup must be a whole number >= 0")]));
    expect(messages(model("  loss mse(x, y)\n  train { lr_schedule: linear(steps: 3) }"))).toEqual([expect.stringContaining("lr_schedule must be one of constant, step, exponential, cosine")]);
    expect(messages(model("  loss mse(x, y)\n  train { lr_schedule: exponential(rate: 2) }"))).toEqual([expect.stringContaining("exponential: rate must be a number in (0, 1]")]);
  });
});
