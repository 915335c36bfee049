/**
 * The pieces of `seqc eval`'s metrics (src/runtime/metrics.ts; evaluate
 * itself is checked against seqc eval in trainer.test.ts): a tally's scores
 * (accuracies once a sequence was seen, perplexity and bits per token once a
 * token was), argmax, and the report's lines.
 */
import { describe, expect, it } from "vitest";
import { argmax, metricsReport, newTally, scoresOf } from "../../src/runtime/metrics.js";

describe("tallies and their scores", () => {
  it("a new tally counts nothing and scores nothing", () => {
    const a = newTally();
    expect(a).toEqual({ right: 0, steps: 0, sequences: 0, allRight: 0, ce: 0, tokens: 0 });
    a.right = 5;
    expect(newTally().right).toBe(0);
    expect(scoresOf(newTally())).toEqual({});
  });

  it("accuracies per step and per sequence, no perplexity without tokens", () => {
    const s = scoresOf({ ...newTally(), right: 6, steps: 8, sequences: 4, allRight: 1 });
    expect(s).toEqual({ stepAccuracy: 0.75, sequenceAccuracy: 0.25 });
  });

  it("perplexity and bits per token from the summed cross entropy in nats", () => {
    // ln 2 nats per token: perplexity 2, one bit per token.
    const s = scoresOf({ right: 3, steps: 4, sequences: 1, allRight: 0, ce: 4 * Math.LN2, tokens: 4 });
    expect(s.stepAccuracy).toBe(0.75);
    expect(s.sequenceAccuracy).toBe(0);
    expect(s.perplexity).toBeCloseTo(2, 12);
    expect(s.bitsPerToken).toBeCloseTo(1, 12);
    const perfect = scoresOf({ ...newTally(), sequences: 1, tokens: 3 });
    expect(perfect.perplexity).toBe(1);
    expect(perfect.bitsPerToken).toBe(0);
  });
});

describe("argmax", () => {
  it("the index of the largest of n values from an offset, the first on a tie", () => {
    expect(argmax([1, 5, 3], 0, 3)).toBe(1);
    expect(argmax([-3, -1, -2], 0, 3)).toBe(1);
    expect(argmax([2, 7, 7], 0, 3)).toBe(1);
    expect(argmax(Float32Array.of(9, 0, 1, 4, 8), 1, 3)).toBe(2); // of 0, 1, 4: the 9 and 8 are outside
    expect(argmax([4], 0, 1)).toBe(0);
  });
});

describe("metricsReport", () => {
  it("prints the loss, then one line per loss with the scores it has", () => {
    const text = metricsReport({
      loss: 1.234567,
      outputs: [
        { loss: "cross_entropy", prediction: "logits", target: "y", stepAccuracy: 1 / 3, sequenceAccuracy: 0.25, perplexity: 2, bitsPerToken: 1 },
        { loss: "mse", prediction: "prediction", target: "target" },
      ],
    });
    expect(text).toBe(
      [
        "loss 1.23457",
        "cross_entropy(logits, y)   accuracy per step 33.33%   sequences all right 25.00%   perplexity 2.000   bits per token 1.000",
        "mse(prediction, target)",
        "",
      ].join("\n"),
    );
    expect(metricsReport({ loss: 0, outputs: [] })).toBe("loss 0.00000\n");
  });
});
