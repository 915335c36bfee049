/** src/backends/settings.ts: a model's `train {}` block over the defaults, and command-line overrides over both. */
import { describe, expect, it } from "vitest";
import { DEFAULTS, specSettings, withOverrides } from "../../src/backends/settings.js";
import { DEFAULT_LR, learningRate, parseSchedule } from "../../src/runtime/settings.js";
import { checkedInline } from "../helpers/spec.js";

/** The settings of a one-model spec with this `train {}` block (none when empty). */
function settingsOf(train: string) {
  const spec = `model m {\n  input x: [3]\n  target y: [3]\n  loss mse(x, y)\n${train ? `  train { ${train} }\n` : ""}}\n`;
  return specSettings(checkedInline(spec).model.model);
}

describe("specSettings", () => {
  it("without a train block: the defaults (adam at its default rate), a copy", () => {
    const s = settingsOf("");
    expect(s).toEqual(DEFAULTS);
    expect(s.optimizer.name).toBe("adam");
    expect(s.optimizer.lr).toBe(DEFAULT_LR.adam);
    s.optimizer.options["eps"] = 1;
    s.batch = 1;
    expect(DEFAULTS.optimizer.options).toEqual({});
    expect(DEFAULTS.batch).toBe(32);
  });

  it("every key of the block over the defaults; weight_decay is weightDecay", () => {
    expect(settingsOf("batch: 4, epochs: 7, clip: 5, weight_decay: 0.01, bptt: 20, seed: 9, validation: 0.2, patience: 3")).toEqual({
      ...DEFAULTS,
      batch: 4,
      epochs: 7,
      clip: 5,
      weightDecay: 0.01,
      bptt: 20,
      seed: 9,
      validation: 0.2,
      patience: 3,
    });
  });

  it.each([
    ["optimizer: sgd", { name: "sgd", lr: DEFAULT_LR.sgd, options: {} }],
    ["optimizer: momentum(0.05)", { name: "momentum", lr: 0.05, options: {} }],
    ["optimizer: adam(lr: 0.01, beta1: 0.8)", { name: "adam", lr: 0.01, options: { beta1: 0.8 } }],
    ["optimizer: rmsprop(0.002, rho: 0.95, eps: 1e-6)", { name: "rmsprop", lr: 0.002, options: { rho: 0.95, eps: 1e-6 } }],
  ] as const)("%s", (train, optimizer) => {
    expect(settingsOf(train).optimizer).toEqual(optimizer);
  });
});

describe("withOverrides", () => {
  const spec = settingsOf("optimizer: adam(lr: 0.01, beta1: 0.8), batch: 4");

  it("undefined leaves the spec's value; the others replace it", () => {
    expect(withOverrides(spec, {})).toEqual(spec);
    expect(withOverrides(spec, { batch: 16, epochs: 2, weightDecay: 0.1, patience: 1 })).toEqual({ ...spec, batch: 16, epochs: 2, weightDecay: 0.1, patience: 1 });
  });

  it("--lr keeps the spec's optimizer and its options", () => {
    expect(withOverrides(spec, { lr: 0.5 }).optimizer).toEqual({ name: "adam", lr: 0.5, options: { beta1: 0.8 } });
  });

  it("another --optimizer starts from its own default rate and no options; naming the spec's keeps them", () => {
    expect(withOverrides(spec, { optimizer: "sgd" }).optimizer).toEqual({ name: "sgd", lr: DEFAULT_LR.sgd, options: {} });
    expect(withOverrides(spec, { optimizer: "sgd", lr: 0.3 }).optimizer).toEqual({ name: "sgd", lr: 0.3, options: {} });
    expect(withOverrides(spec, { optimizer: "adam" }).optimizer).toEqual(spec.optimizer);
  });

  it("does not change the settings it is given", () => {
    const before = JSON.stringify(spec);
    const out = withOverrides(spec, { lr: 1 });
    out.optimizer.options["beta1"] = 0;
    expect(JSON.stringify(spec)).toBe(before);
  });
});

describe("learning-rate schedules (runtime/settings.ts)", () => {
  it("lr_schedule and warmup of the block, positional first option too", () => {
    expect(settingsOf("lr_schedule: cosine(steps: 100, min: 0.0001), warmup: 10")).toMatchObject({ lrSchedule: { name: "cosine", options: { steps: 100, min: 0.0001 } }, warmup: 10 });
    expect(settingsOf("lr_schedule: step(50)").lrSchedule).toEqual({ name: "step", options: { every: 50 } });
    expect(settingsOf("lr_schedule: constant").lrSchedule).toEqual({ name: "constant", options: {} });
  });

  it("--lr-schedule text is read as the spec writes it, and checked alike", () => {
    expect(parseSchedule("cosine(steps: 1000, min: 1e-5)")).toEqual({ name: "cosine", options: { steps: 1000, min: 1e-5 } });
    expect(parseSchedule(" exponential( 0.5 , steps: 10 ) ")).toEqual({ name: "exponential", options: { rate: 0.5, steps: 10 } });
    expect(parseSchedule("constant")).toEqual({ name: "constant", options: {} });
    expect(() => parseSchedule("cosine")).toThrow("cosine needs steps");
    expect(() => parseSchedule("cosine(steps: 0)")).toThrow("cosine: steps must be a whole number >= 1");
    expect(() => parseSchedule("step(every: 5, gamma: 2)")).toThrow("step: gamma must be a number in (0, 1]");
    expect(() => parseSchedule("linear(3)")).toThrow("must be one of constant, step, exponential, cosine");
    expect(() => parseSchedule("cosine(steps: 5, max: 1)")).toThrow("cosine has no option max (it has steps, min)");
    expect(() => parseSchedule("cosine(steps: x)")).toThrow("cosine: steps must be");
    expect(() => parseSchedule("cosine(steps: 5")).toThrow("is not a schedule");
  });

  const at = (lr: number, text: string, warmup: number, steps: number[]) =>
    steps.map((t) => learningRate({ optimizer: { name: "sgd", lr, options: {} }, lrSchedule: parseSchedule(text), warmup }, t));

  it("each schedule's rate by update, after a linear warm-up", () => {
    expect(at(0.1, "constant", 0, [0, 5, 1000])).toEqual([0.1, 0.1, 0.1]);
    expect(at(1, "step(every: 10, gamma: 0.5)", 0, [0, 9, 10, 25])).toEqual([1, 1, 0.5, 0.25]);
    expect(at(1, "exponential(rate: 0.5, steps: 2)", 0, [0, 1, 2, 4])).toEqual([1, Math.SQRT1_2, 0.5, 0.25]);
    const cos = at(1, "cosine(steps: 100, min: 0.1)", 0, [0, 50, 100, 500]);
    expect(cos[0]).toBe(1);
    expect(cos[1]).toBeCloseTo(0.55, 12);
    expect(cos.slice(2)).toEqual([0.1, 0.1]);
    // Warm-up: lr * (t + 1) / warmup, then the schedule from its own start.
    expect(at(1, "step(every: 10)", 4, [0, 1, 3, 4, 13, 14])).toEqual([0.25, 0.5, 1, 1, 1, 0.5]);
  });

  it("settings without a schedule (a model directory saved before schedules) keep the optimizer's rate", () => {
    expect(learningRate({ optimizer: { name: "adam", lr: 0.01, options: {} } }, 123)).toBe(0.01);
  });

  it("--lr-schedule and --warmup override the spec's", () => {
    const s = settingsOf("lr_schedule: cosine(steps: 100), warmup: 10");
    expect(withOverrides(s, { lrSchedule: { name: "constant", options: {} }, warmup: 0 })).toMatchObject({ lrSchedule: { name: "constant" }, warmup: 0 });
  });
});
