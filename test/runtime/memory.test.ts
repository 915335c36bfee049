/**
 * src/runtime/memory.ts: the memory training needs for a model's parameters,
 * their gradients and the optimizer's slots, and the refusal (exit 2) of a
 * model that needs more than --max-memory, before anything is allocated.
 */
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/runtime/errors.js";
import { checkTrainingMemory, DEFAULT_MAX_MEMORY_GB, maxMemoryOf, OPTIMIZER_SLOTS, trainingBytes } from "../../src/runtime/memory.js";

describe("trainingBytes", () => {
  it("parameters, gradients and the optimizer's slots, each a value of the precision", () => {
    expect(OPTIMIZER_SLOTS).toEqual({ sgd: 0, momentum: 1, adam: 2, rmsprop: 1 });
    expect(trainingBytes(1000, 4, "sgd")).toBe(8000);
    expect(trainingBytes(1000, 4, "adam")).toBe(16000);
    expect(trainingBytes(1000, 8, "momentum")).toBe(24000);
  });
});

describe("checkTrainingMemory", () => {
  it("passes a model within the limit, up to the byte", () => {
    expect(() => checkTrainingMemory("m", 2 ** 30 / 16, 4, "adam", 1)).not.toThrow();
    expect(() => checkTrainingMemory("m", 2 ** 30 / 16 + 1, 4, "adam", 1)).toThrow(UsageError);
  });

  it("refuses a billion-parameter model by default, with the figures", () => {
    expect(DEFAULT_MAX_MEMORY_GB).toBe(4);
    expect(() => checkTrainingMemory("huge", 1e9, 4, "adam")).toThrow(
      "model huge has 1,000,000,000 parameters: training it needs at least 14.9 GB (4-byte values for the parameters, their gradients and adam's 2 slots each), more than --max-memory 4 GB; use smaller dims, or give a larger --max-memory",
    );
    expect(() => checkTrainingMemory("m", 3e8, 8, "sgd", 4)).toThrow("(8-byte values for the parameters, their gradients), more than");
    expect(() => checkTrainingMemory("m", 3e8, 4, "momentum", 1)).toThrow("and momentum's 1 slot each");
  });

  it("--max-memory is a number of GB > 0", () => {
    expect(maxMemoryOf(undefined)).toBe(4);
    expect(maxMemoryOf(0.5)).toBe(0.5);
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => maxMemoryOf(bad)).toThrow(`--max-memory ${bad}: a number of GB > 0`);
  });
});
