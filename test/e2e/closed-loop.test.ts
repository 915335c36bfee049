/**
 * Real-valued feedback run closed loop by both targets (specs/narx.seq on the
 * generated series): one model directory, trained briefly by the emitted
 * trainer, sampled by `seqc sample DIR --input FILE` (tfjs) and by `node
 * train.js sample --model DIR --input FILE` (ts): the same closed-loop series
 * and the same closed- and open-loop errors, within float32 rounding; a model
 * that reads the fed-back input without a delay is refused by the emitted
 * trainer with the message seqc gives (src/runtime/closed-loop.ts).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { expectNoStack, expectOk, runNodeAsync, runSeqcAsync, scratch, type Run } from "../helpers/cli.js";
import { maxAbsDiff } from "../helpers/numeric.js";

const SPEC = "specs/narx.seq";
const DATA = "specs/data/series.csv";
const tmp = scratch("seqc-closed-loop-");
const dir = (name: string) => join(tmp.dir, name);

/** The lines of a closed-loop sample in JSON: each example's series, by example. */
const series = (stdout: string) => stdout.trim().split("\n").map((l) => JSON.parse(l) as { example: number; output: number[] });
/** The closed- and open-loop rmse of the stderr line. */
const errors = (stderr: string) => {
  const m = /^closed loop \(p fed back as y_prev\): rmse ([\d.]+) against y; open loop \(teacher forcing\): ([\d.]+)$/m.exec(stderr);
  expect(m, stderr).not.toBeNull();
  return [Number(m![1]), Number(m![2])];
};

let tfjs: Run;
let ts: Run;
let nonCausal: Run;

beforeAll(async () => {
  // The same model but for the delay: p[t] reads y_prev[t].
  const direct = readFileSync(SPEC, "utf8").replace("shift<1>(y_prev)", "y_prev");
  expect(direct).not.toContain("shift<1>");
  writeFileSync(dir("direct.seq"), direct);
  // Sampled: the first 3 windows of 100 steps (each step of a closed loop is a forward pass of the whole window).
  writeFileSync(dir("short.csv"), readFileSync(DATA, "utf8").split("\n").slice(0, 301).join("\n") + "\n");
  const compiled = await Promise.all([runSeqcAsync(["compile", SPEC, "-o", dir("ts"), "-q"]), runSeqcAsync(["compile", dir("direct.seq"), "-o", dir("direct"), "-q"])]);
  compiled.forEach((r) => expectOk("seqc compile", r));
  expectOk("node train.js", await runNodeAsync([join(dir("ts"), "train.js"), "--data", DATA, "--out", dir("model"), "--epochs", "2", "-q"]));
  [tfjs, ts, nonCausal] = await Promise.all([
    runSeqcAsync(["sample", dir("model"), "--input", dir("short.csv"), "--format", "json"]),
    runNodeAsync([join(dir("ts"), "train.js"), "sample", "--model", dir("model"), "--input", dir("short.csv"), "--format", "json"]),
    runNodeAsync([join(dir("direct"), "train.js"), "sample", "--model", dir("model"), "--input", dir("short.csv")]),
  ]);
});

describe("closed loop on both targets (specs/narx.seq)", () => {
  it("the same series for every example, and the same closed- and open-loop errors", () => {
    const a = series(expectOk("seqc sample", tfjs));
    const b = series(expectOk("node train.js sample", ts));
    expect(a.map((l) => l.example)).toEqual(Array.from({ length: 3 }, (_, i) => i + 1));
    expect(b.map((l) => l.example)).toEqual(a.map((l) => l.example));
    a.forEach((l, i) => {
      expect(l.output).toHaveLength(100);
      expect(maxAbsDiff(l.output, b[i]!.output), `example ${l.example}`).toBeLessThanOrEqual(1e-4);
    });
    const [closedA, openA] = errors(tfjs.stderr);
    const [closedB, openB] = errors(ts.stderr);
    expect(Math.abs(closedA! - closedB!)).toBeLessThanOrEqual(2e-5);
    expect(Math.abs(openA! - openB!)).toBeLessThanOrEqual(2e-5);
  });

  it("the emitted trainer refuses a model that reads the fed-back input at the same step, with seqc's message", () => {
    expectNoStack(nonCausal);
    expect(nonCausal.status).toBe(2);
    expect(nonCausal.stdout).toBe("");
    expect(nonCausal.stderr).toBe("train.js: p at a step reads y_prev at the same step, so it cannot be fed back: read y_prev through a delay (shift<1>(y_prev))\n");
  });
});
