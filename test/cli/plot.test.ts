/**
 * Training curves (src/cli/plot.ts): a run's series from its log records, round
 * ticks, a well-formed SVG with one polyline per run and series on the chart's
 * scale and a legend, and the terminal chart with every series in its legend.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import type { LogRecord } from "../../src/runtime/train-log.js";
import { plotSvg, plotTerminal, seriesOf, ticks } from "../../src/cli/plot.js";

/** A run of `epochs` epochs of 20 updates: a `steps` record every 10 updates, validation at each epoch's end. */
function run(epochs: number, scale: number): LogRecord[] {
  const out: LogRecord[] = [];
  for (let e = 1; e <= epochs; e++) {
    for (const s of [10, 20]) out.push({ kind: "steps", epoch: e, step: (e - 1) * 20 + s, time: ((e - 1) * 20 + s) / 100, loss: scale / ((e - 1) * 20 + s), lr: 0.1, tokensPerSecond: 500 });
    out.push({ kind: "epoch", epoch: e, step: e * 20, time: e / 5, loss: scale / (e * 20), validationLoss: (1.2 * scale) / (e * 20), lr: 0.1, tokensPerSecond: 500 });
  }
  return out;
}

describe("seriesOf", () => {
  it("takes the loss from the windows and the validation loss from the epochs, against steps or time", () => {
    const [loss, validation] = seriesOf("a", run(3, 10), "step");
    expect(loss).toEqual({ run: "a", kind: "loss", points: [10, 20, 30, 40, 50, 60].map((s) => [s, 10 / s]) });
    expect(validation).toEqual({ run: "a", kind: "validation loss", points: [20, 40, 60].map((s) => [s, 12 / s]) });
    expect(seriesOf("a", run(1, 10), "time")[0]!.points.map((p) => p[0])).toEqual([0.1, 0.2]);
  });

  it("takes the epochs' loss when a run was too short for a window, and has no validation series without one", () => {
    const short = run(2, 1).filter((r) => r.kind === "epoch").map(({ validationLoss: _, ...r }) => r);
    expect(seriesOf("b", short, "step")).toEqual([{ run: "b", kind: "loss", points: [[20, 1 / 20], [40, 1 / 40]] }]);
  });
});

describe("ticks", () => {
  it("are round and cover the range", () => {
    expect(ticks(0, 320)).toEqual([0, 100, 200, 300]);
    expect(ticks(0, 1000)).toEqual([0, 200, 400, 600, 800, 1000]);
    expect(ticks(0, 0.63)).toEqual([0, 0.2, 0.4, 0.6]);
    expect(ticks(0.013, 0.0171)).toEqual([0.013, 0.014, 0.015, 0.016, 0.017]);
    expect(ticks(2, 2)).toEqual([2]);
  });
});

describe("plotSvg", () => {
  const series = [...seriesOf("adam", run(4, 10), "step"), ...seriesOf("sgd", run(2, 20), "step")];
  const svg = plotSvg(series, "step");

  it("is well-formed SVG with a polyline per run and series, and a legend", () => {
    expect(XMLValidator.validate(svg)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", parseTagValue: false }).parse(svg) as { svg: { polyline: { title: string; points: string; stroke: string; "stroke-dasharray"?: string }[]; text: (string | { "#text": string })[] } };
    const lines = doc.svg.polyline;
    expect(lines.map((l) => l.title)).toEqual(["adam: loss", "adam: validation loss", "sgd: loss", "sgd: validation loss"]);
    expect(lines.map((l) => l.points.split(" ").length)).toEqual([8, 4, 4, 2]);
    // One color per run; validation dashed.
    expect(lines[0]!.stroke).toBe(lines[1]!.stroke);
    expect(lines[0]!.stroke).not.toBe(lines[2]!.stroke);
    expect(lines.map((l) => l["stroke-dasharray"] !== undefined)).toEqual([false, true, false, true]);
    const texts = doc.svg.text.map((t) => (typeof t === "string" ? t : t["#text"]));
    for (const t of ["step (updates)", "loss", "adam: loss", "sgd: validation loss", "0", "80"]) expect(texts).toContain(t);
  });

  it("puts points on the chart's scale: later steps to the right, lower losses lower", () => {
    const pts = /points="([^"]*)"/.exec(svg)![1]!.split(" ").map((p) => p.split(",").map(Number) as [number, number]);
    for (let i = 1; i < pts.length; i++) {
      expect(pts[i]![0]).toBeGreaterThan(pts[i - 1]![0]);
      expect(pts[i]![1]).toBeGreaterThan(pts[i - 1]![1]);
    }
    for (const [x, y] of pts) {
      expect(x).toBeGreaterThanOrEqual(70);
      expect(x).toBeLessThanOrEqual(780);
      expect(y).toBeGreaterThanOrEqual(40);
    }
    expect(plotSvg(series, "step")).toBe(svg);
  });
});

describe("plotTerminal", () => {
  it("draws every series and names each in the legend with its range", async () => {
    const text = await plotTerminal([...seriesOf("adam", run(4, 10), "step"), ...seriesOf("sgd", run(2, 20), "step")], "step", { width: 60, height: 10, color: false });
    const lines = text.split("\n");
    expect(lines.slice(0, 11).every((l) => /[┤┼]/.test(l))).toBe(true);
    expect(text).toMatch(/╰/);
    expect(text).toContain("step (updates): 10 to 80");
    expect(text).toContain("─── adam: loss (8 points, step 10 to 80)");
    expect(text).toContain("─── sgd: validation loss (2 points, step 20 to 40)");
    expect(text).not.toContain("\u001b[");
    expect(await plotTerminal(seriesOf("a", run(1, 1), "time"), "time", { width: 20, height: 5, color: true })).toContain("\u001b[");
  });
});
