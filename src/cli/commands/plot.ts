/**
 * `seqc plot LOG... -o curves.svg`: the training and validation loss of one or
 * several runs (the --log files of `seqc train` or an emitted trainer) on one
 * chart, against steps or time; `--terminal` draws it on standard output.
 *
 * Exit codes: 0 done; 1 a log has lines that are not records (each named by
 * file and line); 2 usage or a file that cannot be read or written.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { ioReason } from "../../runtime/errors.js";
import { parseLog } from "../../runtime/train-log.js";
import { UsageError, UserIoError, writeAtomic } from "../io.js";
import type { PlotAxis } from "../options.js";
import { plotSvg, plotTerminal, seriesOf, type Series } from "../plot.js";

export interface PlotOptions {
  out?: string;
  terminal: boolean;
  x: PlotAxis;
  /** Terminal colors (default: when standard output is a terminal and NO_COLOR is unset). */
  color?: boolean;
}

/** A run's name in the legend: the log's file name without .jsonl (its path when two logs share a name). */
function runNames(logs: readonly string[]): string[] {
  const short = logs.map((l) => basename(l).replace(/\.(jsonl|json|log)$/i, ""));
  return short.map((s, i) => (short.indexOf(s) !== short.lastIndexOf(s) ? logs[i]! : s));
}

export async function runPlot(logs: readonly string[], opts: PlotOptions): Promise<number> {
  if (!opts.terminal && opts.out === undefined) throw new UsageError("plot: say where to draw: -o FILE.svg, or --terminal");
  if (opts.out !== undefined && !/\.svg$/i.test(opts.out)) throw new UsageError(`plot -o ${opts.out}: the chart is an SVG file (name it .svg)`);
  const names = runNames(logs);
  const series: Series[] = [];
  let bad = 0;
  logs.forEach((log, i) => {
    let text: string;
    try {
      text = readFileSync(log, "utf8");
    } catch (e) {
      throw new UserIoError(`cannot read the log ${log}: ${ioReason(e)}`);
    }
    const { records, problems } = parseLog(text);
    for (const p of problems.slice(0, 10)) process.stderr.write(`seqc: ${log}:${p.line}: ${p.message}\n`);
    if (problems.length > 10) process.stderr.write(`seqc: ${log}: ${problems.length - 10} more bad lines\n`);
    bad += problems.length;
    if (problems.length === 0 && records.length === 0) {
      process.stderr.write(`seqc: ${log}: no records (an empty log: did the run train a step?)\n`);
      bad++;
    }
    series.push(...seriesOf(names[i]!, records, opts.x));
  });
  if (bad > 0) return 1;
  if (opts.terminal) {
    const color = opts.color ?? (process.stdout.isTTY === true && !process.env.NO_COLOR);
    process.stdout.write(await plotTerminal(series, opts.x, { width: Math.max(20, Math.min(120, (process.stdout.columns || 80) - 14)), height: 12, color }));
  }
  if (opts.out !== undefined) writeAtomic(opts.out, plotSvg(series, opts.x));
  return 0;
}
