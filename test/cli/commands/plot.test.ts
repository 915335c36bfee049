/**
 * `seqc plot` through the real command line, on the log of a real (short)
 * `seqc train --log` run: a well-formed SVG with its series and the terminal
 * chart; bad lines named by file and line (exit 1), unreadable or unnamed
 * output (exit 2).
 */
import { XMLValidator } from "fast-xml-parser";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseLog } from "../../../src/runtime/train-log.js";
import { runSeqc, scratch } from "../../helpers/cli.js";

const tmp = scratch("seqc-plot-");
let log = "";

beforeAll(() => {
  log = join(tmp.dir, "xor.jsonl");
  const r = runSeqc(["train", "specs/mlp_xor.seq", "--data", "specs/data/xor.jsonl", "--backend", "cpu", "-q", "--epochs", "30", "--validation", "0.25", "-o", join(tmp.dir, "xor"), "--log", log]);
  expect(r.status, r.stderr).toBe(0);
});

describe("seqc plot", () => {
  it("seqc train --log writes a window record every 10 updates and an epoch record per epoch", () => {
    const { records, problems } = parseLog(readFileSync(log, "utf8"));
    expect(problems).toEqual([]);
    const epochs = records.filter((r) => r.kind === "epoch");
    const steps = records.filter((r) => r.kind === "steps");
    expect(epochs.map((r) => r.epoch)).toEqual([...Array(30).keys()].map((i) => i + 1));
    // Three examples train, one is held out: one update per epoch, so a window every 10 epochs.
    expect(steps.map((r) => r.step)).toEqual([10, 20, 30]);
    expect(epochs.every((r) => r.validationLoss !== undefined && r.lr > 0 && r.tokensPerSecond > 0 && r.step === r.epoch)).toBe(true);
    expect(records.map((r) => r.time)).toEqual(records.map((r) => r.time).sort((a, b) => a - b));
  });

  it("draws the run as an SVG and in the terminal", () => {
    const out = join(tmp.dir, "curves.svg");
    const r = runSeqc(["plot", log, "-o", out, "--terminal", "--x", "time"]);
    expect(r.status, r.stderr).toBe(0);
    const svg = readFileSync(out, "utf8");
    expect(XMLValidator.validate(svg)).toBe(true);
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg).toContain("<title>xor: loss</title>");
    expect(svg).toContain("<title>xor: validation loss</title>");
    expect(svg).toContain(">time (s)</text>");
    expect(r.stdout).toContain("─── xor: loss (3 points, time");
    expect(r.stdout).toContain("─── xor: validation loss (30 points, time");
    expect(r.stdout).toMatch(/┤/);
    expect(r.stdout).not.toContain("\u001b[");
  });

  it("bad input: a bad line by file and number (exit 1); a missing log, no output, a non-SVG output (exit 2)", () => {
    const bad = tmp.file("bad.jsonl", readFileSync(log, "utf8").split("\n").slice(0, 2).join("\n") + '\n{"epoch": 3}\nnot json\n');
    const r = runSeqc(["plot", log, bad, "-o", join(tmp.dir, "bad.svg")]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`seqc: ${bad}:3: "kind" must be "steps" or "epoch" (a log of seqc train --log or an emitted trainer's --log)\nseqc: ${bad}:4: not JSON\n`);
    const missing = runSeqc(["plot", join(tmp.dir, "none.jsonl"), "--terminal"]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/cannot read the log .*none\.jsonl: no such file/);
    const nowhere = runSeqc(["plot", log]);
    expect(nowhere.status).toBe(2);
    expect(nowhere.stderr).toContain("say where to draw: -o FILE.svg, or --terminal");
    expect(runSeqc(["plot", log, "-o", join(tmp.dir, "x.png")]).status).toBe(2);
  });
});
