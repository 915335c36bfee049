/** src/backends/settings.ts: a model's `train {}` block over the defaults, and command-line overrides over both. */
import { describe, expect, it } from "vitest";
import { DEFAULTS, specSettings, withOverrides } from "../../src/backends/settings.js";
import { DEFAULT_LR } from "../../src/runtime/settings.js";
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
