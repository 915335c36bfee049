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
});
