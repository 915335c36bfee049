/**
 * Training curves (`seqc plot`): the series of training logs
 * (src/runtime/train-log.ts) against steps or time, drawn as a self-contained
 * SVG written here (axes, ticks, legend, one polyline per run and series), or
 * for a terminal with asciichart. Pure: the command reads and writes the files.
 */
import { escapeXml } from "../graph/dot.js";
import type { LogRecord } from "../runtime/train-log.js";
import type { PlotAxis } from "./options.js";

/** One curve: a run's training or validation loss. */
export interface Series {
  run: string;
  kind: "loss" | "validation loss";
  points: [x: number, y: number][];
}

/**
 * A run's curves: its training loss from the `steps` records (the epochs'
 * when the run was too short for a window), and its validation loss from the
 * `epoch` records that have one.
 */
export function seriesOf(run: string, records: readonly LogRecord[], x: PlotAxis): Series[] {
  const steps = records.filter((r) => r.kind === "steps");
  const epochs = records.filter((r) => r.kind === "epoch");
  const at = (r: LogRecord): number => (x === "step" ? r.step : r.time);
  const out: Series[] = [{ run, kind: "loss", points: (steps.length > 0 ? steps : epochs).map((r) => [at(r), r.loss]) }];
  const validation = epochs.filter((r) => r.validationLoss !== undefined);
  if (validation.length > 0) out.push({ run, kind: "validation loss", points: validation.map((r) => [at(r), r.validationLoss!]) });
  return out.filter((s) => s.points.length > 0);
}

/** About `count` round tick values (1, 2 or 5 times a power of ten apart) covering [lo, hi]. */
export function ticks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** The least and greatest x (axis 0) or y (axis 1) of the series' points (without spreading: a long run has many). */
function extent(series: readonly Series[], axis: 0 | 1): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) for (const p of s.points) [lo, hi] = [Math.min(lo, p[axis]), Math.max(hi, p[axis])];
  return [lo, hi];
}

/** A tick's text: few digits, no float noise. */
function tickText(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}


/** The runs' colors (a run's validation loss is dashed in its color). */
const COLORS = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#db2777", "#0891b2", "#4b5563"];

const AXIS_TITLE: Record<PlotAxis, string> = { step: "step (updates)", time: "time (s)" };

/** The curves as an SVG document. */
export function plotSvg(series: readonly Series[], x: PlotAxis, title = "training loss"): string {
  const W = 800;
  const H = 480;
  const runs = [...new Set(series.map((s) => s.run))];
  const legendRows = series.length;
  const m = { left: 70, right: 20, top: 40, bottom: 60 + 18 * legendRows };
  const height = H + 18 * legendRows;
  let [x0, x1] = extent(series, 0);
  let [y0, y1] = extent(series, 1);
  x0 = Math.min(0, x0);
  if (!(x1 > x0)) x1 = x0 + 1;
  if (!(y1 > y0)) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const pad = (y1 - y0) * 0.05;
  [y0, y1] = [Math.max(y0 >= 0 ? 0 : -Infinity, y0 - pad), y1 + pad];
  const pw = W - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const sx = (v: number) => m.left + ((v - x0) / (x1 - x0)) * pw;
  const sy = (v: number) => m.top + ph - ((v - y0) / (y1 - y0)) * ph;
  const f = (v: number) => v.toFixed(1);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${height}" fill="#ffffff"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  for (const t of ticks(x0, x1)) {
    out.push(`<line x1="${f(sx(t))}" y1="${m.top}" x2="${f(sx(t))}" y2="${m.top + ph}" stroke="#e5e7eb"/>`);
    out.push(`<text x="${f(sx(t))}" y="${m.top + ph + 16}" text-anchor="middle">${tickText(t)}</text>`);
  }
  for (const t of ticks(y0, y1)) {
    out.push(`<line x1="${m.left}" y1="${f(sy(t))}" x2="${m.left + pw}" y2="${f(sy(t))}" stroke="#e5e7eb"/>`);
    out.push(`<text x="${m.left - 6}" y="${f(sy(t) + 4)}" text-anchor="end">${tickText(t)}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#111827"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${m.top + ph + 36}" text-anchor="middle">${AXIS_TITLE[x]}</text>`);
  out.push(`<text transform="translate(18 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">loss</text>`);
  series.forEach((s, i) => {
    const color = COLORS[runs.indexOf(s.run) % COLORS.length]!;
    const dash = s.kind === "validation loss" ? ` stroke-dasharray="6 4"` : "";
    const name = `${s.run}: ${s.kind}`;
    const pts = s.points.map(([a, b]) => `${f(sx(a))},${f(sy(b))}`).join(" ");
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="1.8"${dash} points="${pts}"><title>${escapeXml(name)}</title></polyline>`);
    if (s.points.length === 1) out.push(`<circle cx="${f(sx(s.points[0]![0]))}" cy="${f(sy(s.points[0]![1]))}" r="3" fill="${color}"/>`);
    const ly = m.top + ph + 56 + 18 * i;
    out.push(`<line x1="${m.left}" y1="${ly - 4}" x2="${m.left + 30}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${m.left + 38}" y="${ly}">${escapeXml(name)}</text>`);
  });
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}

/** A series' value at `x`: linear between its points, its first or last value outside them. */
function valueAt(points: readonly [number, number][], x: number): number {
  if (x <= points[0]![0]) return points[0]![1];
  for (let i = 1; i < points.length; i++) {
    const [a, va] = points[i - 1]!;
    const [b, vb] = points[i]!;
    if (x <= b) return b === a ? vb : va + ((x - a) / (b - a)) * (vb - va);
  }
  return points[points.length - 1]![1];
}

/** The curves drawn with asciichart, `width` columns of samples and `height` rows, with a legend (ANSI colors when `color`). */
export async function plotTerminal(series: readonly Series[], x: PlotAxis, opts: { width: number; height: number; color: boolean }): Promise<string> {
  const asciichart = await import("asciichart");
  const palette = [asciichart.blue, asciichart.red, asciichart.green, asciichart.yellow, asciichart.magenta, asciichart.cyan, asciichart.lightgray];
  const [x0, x1] = extent(series, 0);
  const columns = Math.max(2, opts.width);
  const grid = [...Array(columns).keys()].map((i) => x0 + ((x1 - x0) * i) / (columns - 1));
  const colors = series.map((_, i) => (opts.color ? palette[i % palette.length] : undefined));
  const chart = asciichart.plot(series.map((s) => grid.map((g) => valueAt(s.points, g))), { height: opts.height, colors });
  const legend = series.map((s, i) => {
    const mark = asciichart.colored("───", colors[i]);
    const [a, b] = [s.points[0]![0], s.points[s.points.length - 1]![0]];
    return `  ${mark} ${s.run}: ${s.kind} (${s.points.length} points, ${x} ${tickText(a)} to ${tickText(b)})`;
  });
  return `${chart}\n  ${AXIS_TITLE[x]}: ${tickText(x0)} to ${tickText(x1)}\n${legend.join("\n")}\n`;
}
