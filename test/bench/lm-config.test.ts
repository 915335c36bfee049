/**
 * bench/lm-config.ts, the pure parts of bench/lm.ts: the FLOP count behind its GFLOP/s, its
 * options, its tables, and the text's layout as streams (which
 * bench/torch_lstm.py's `streams` mirrors: stream b is ids[b n .. (b+1) n]).
 */
import { describe, expect, it } from "vitest";
import { byteIds, lmBenchOptionsFrom, lstmStepFlops, markdownTable, parseSizes, streamWindows } from "../../bench/lm-config.js";

describe("lstmStepFlops", () => {
  it("counts the gate and dense GEMMs three times (forward, input and weight gradients), 2 FLOPs a multiply-add", () => {
    // B=1, T=1, V=1, H=1: gates 4 x (1 + 1) multiply-adds, dense 1: (8 + 1) x 2 x 3.
    expect(lstmStepFlops(1, 1, 1, 1)).toBe(54);
    // The ANCHORS.md config: "about 1.0 GFLOP per step".
    expect(lstmStepFlops(32, 50, 64, 128)).toBe(3 * 2 * 32 * 50 * (512 * 192 + 64 * 128));
    expect(lstmStepFlops(32, 50, 64, 128) / 1e9).toBeCloseTo(1.02, 2);
    // Linear in B and T.
    expect(lstmStepFlops(32, 800, 64, 512)).toBe(16 * lstmStepFlops(32, 50, 64, 512));
  });
});

describe("options", () => {
  it("reads sizes as H x T pairs and refuses anything else with the option's name", () => {
    expect(parseSizes("64x50, 512x800")).toEqual([{ H: 64, T: 50 }, { H: 512, T: 800 }]);
    expect(() => parseSizes("64x")).toThrow(/--sizes 64x: give H x T pairs/);
    expect(() => parseSizes("0x50")).toThrow(/--sizes/);
  });

  it("defaults to the 4 x 3 grid, --quick to a few small sizes and a short budget", () => {
    const full = lmBenchOptionsFrom([]);
    expect(full.sizes).toHaveLength(12);
    expect(full.budget).toBe(60);
    expect(full.parts).toEqual(["base", "scaling", "memory", "quality"]);
    const quick = lmBenchOptionsFrom(["lm", "--quick", "--parts", "base,quality"]);
    expect(quick.budget).toBeLessThan(full.budget);
    expect(quick.sizes.length).toBeLessThan(full.sizes.length);
    expect(quick.parts).toEqual(["base", "quality"]);
    expect(lmBenchOptionsFrom(["--budget", "5", "--sizes", "32x10"])).toMatchObject({ budget: 5, sizes: [{ H: 32, T: 10 }] });
  });

  it("names a bad option", () => {
    expect(() => lmBenchOptionsFrom(["--budget", "soon"])).toThrow("bench lm: --budget soon: give a number >= 1");
    expect(() => lmBenchOptionsFrom(["--parts", "base,speed"])).toThrow("bench lm: --parts: unknown speed; known: base, scaling, memory, quality");
  });
});

describe("markdownTable", () => {
  it("pads columns, aligns numeric ones right", () => {
    expect(markdownTable(["name", "ms"], [["ts", "12.5"], ["pytorch", 3]]).split("\n")).toEqual([
      "| name    |   ms |",
      "|---------|-----:|",
      "| ts      | 12.5 |",
      "| pytorch |    3 |",
    ]);
  });
});

describe("the text as streams", () => {
  it("gives the most frequent bytes ids 1..63 by frequency and every other byte 0", () => {
    const ids = byteIds(Buffer.from("aaabbc"));
    expect(Array.from(ids)).toEqual([1, 1, 1, 2, 2, 3]);
    const many = Buffer.from(Array.from({ length: 100 }, (_, b) => String.fromCharCode(32 + b).repeat(b < 63 ? 2 : 1)).join(""), "latin1");
    const got = byteIds(many);
    expect(Math.max(...got)).toBe(63);
    expect(got.filter((i) => i === 0)).toHaveLength(100 - 63);
  });

  it("cuts ids into 32 streams of whole windows, targets one ahead", () => {
    const T = 3;
    const ids = Int32Array.from({ length: 32 * 7 + 2 }, (_, i) => i);
    // n = floor((226 - 1) / 96) * 3 = 6 per stream: 2 windows.
    const wins = streamWindows(ids, T);
    expect(wins).toHaveLength(2);
    expect(Array.from(wins[1]!.x.subarray(5 * T, 6 * T))).toEqual([5 * 6 + 3, 5 * 6 + 4, 5 * 6 + 5]);
    expect(Array.from(wins[1]!.y.subarray(5 * T, 6 * T))).toEqual([5 * 6 + 4, 5 * 6 + 5, 5 * 6 + 6]);
    expect(wins[0]!.x).toHaveLength(32 * T);
  });
});
