/**
 * The closed loop of real-valued feedback on its own, with the model a plain
 * function (both targets wrap it: test/backends/tfjs/decode.test.ts for tfjs,
 * test/e2e/closed-loop.test.ts for both on specs/narx.seq), and what it prints.
 */
import { describe, expect, it } from "vitest";
import { closedLoop, ClosedLoopError, ClosedLoopReport, errorField, roundDeep } from "../../src/runtime/closed-loop.js";

const FB = { input: "y_prev", source: "p" };

/** p_t = 0.5 x_t + 0.8 y_prev_(t-1) (+ k y_prev_t) for rows of exogenous `xs`, two values per step (the second 2 p_t's first). */
function model(xs: number[][], k = 0) {
  const steps = xs[0]!.length;
  let calls = 0;
  const run = (fed: Float32Array | Float64Array) => {
    calls++;
    const p = new Float64Array(fed.length);
    xs.forEach((row, r) =>
      row.forEach((x, t) => {
        const at = (r * steps + t) * 2;
        p[at] = 0.5 * x + (t > 0 ? 0.8 * fed[at - 2]! : 0) + k * fed[at]!;
        p[at + 1] = 2 * p[at]!;
      }),
    );
    return p;
  };
  return { run, steps, calls: () => calls };
}

describe("closedLoop", () => {
  it("feeds each step's prediction back, row by row, with every value of the step", () => {
    const xs = [[1, -1, 0.5], [0, 0.3, 2]];
    const m = model(xs);
    const fed = closedLoop(m.run, FB, 2, 3, 2, "f64");
    expect(fed).toBeInstanceOf(Float64Array);
    xs.forEach((row, r) => {
      let prev = 0;
      const want = row.flatMap((x) => {
        prev = 0.5 * x + 0.8 * prev;
        return [prev, 2 * prev];
      });
      expect(Array.from(fed.subarray(r * 6, (r + 1) * 6))).toEqual(want.map((v) => expect.closeTo(v, 12)));
    });
    // One run per step and one for the causality check.
    expect(m.calls()).toBe(4);
    expect(closedLoop(model(xs).run, FB, 2, 3, 2)).toBeInstanceOf(Float32Array);
  });

  it("refuses a model whose prediction reads the fed-back input at the same step", () => {
    expect(() => closedLoop(model([[1, 2]], 0.1).run, FB, 1, 2, 2)).toThrow(ClosedLoopError);
    expect(() => closedLoop(model([[1, 2]], 0.1).run, FB, 1, 2, 2)).toThrow("p at a step reads y_prev at the same step, so it cannot be fed back: read y_prev through a delay (shift<1>(y_prev))");
  });
});

describe("ClosedLoopReport", () => {
  it("prints a line per example in the data's order, and the rmse of closed and open loop against the target", () => {
    const r = new ClosedLoopReport(FB, "y", false);
    r.add(2, [1, 2], [0, 0], [1, 1]);
    r.add(0, [0.123456, 0], [0.5, 0.5], [0, 0]);
    expect(r.output()).toBe("1\t[0.1235,0]\n3\t[1,2]\n");
    // closed: (0.123456² + 0 + 0 + 1) / 4; open: (0.25 + 0.25 + 1 + 1) / 4.
    expect(r.summary()).toBe(`closed loop (p fed back as y_prev): rmse ${Math.sqrt((0.123456 ** 2 + 1) / 4).toFixed(5)} against y; open loop (teacher forcing): 0.79057\n`);
    const json = new ClosedLoopReport(FB, "y", true);
    json.add(0, [0.123456], [0], [5]);
    expect(json.output()).toBe('{"example":1,"output":[0.123456]}\n');
    expect(new ClosedLoopReport(FB, "y", true).summary()).toBeUndefined();
  });

  it("measures against the target of the source's builtin loss, else the fed-back input's observed values (a loss expression)", () => {
    expect(errorField(FB, "y")).toBe("y");
    expect(errorField(FB, undefined)).toBe("y_prev");
  });

  it("roundDeep rounds numbers in nested arrays and leaves the rest", () => {
    expect(roundDeep([1.23456, [2.00004, "a"]], 4)).toEqual([1.2346, [2, "a"]]);
  });
});
