/**
 * Closed-loop generation along `feedback x from p` with real-valued x (NARX's
 * parallel form), for every target: training fed the observed series as x
 * (teacher forcing, open loop); here the model's own prediction replaces it,
 * step by step: x[t] = p[t] once p[t] is computed from x[0 .. t-1]. The model
 * must read x only through a delay (shift<1>, a causal window of a shifted x),
 * so p[t] does not depend on x[t]: checked once, on the first step.
 *
 * A target gives `closedLoop` a way to run its model on x as fed so far
 * (tfjs: src/backends/tfjs/decode.ts; the emitted trainer: trainer.ts), and
 * prints what `ClosedLoopReport` writes, so `seqc sample DIR --input FILE`
 * and `node train.js sample --model DIR --input FILE` print the same lines.
 *
 * Runtime file: imports only its siblings and no Node built-in (browser-safe).
 */
import type { Buf } from "./model-api.js";

/** The model cannot be run closed loop (it reads the fed-back input at the same step). */
export class ClosedLoopError extends Error {}

/** The feedback edge: `feedback input from source`. */
export interface Feedback {
  input: string;
  source: string;
}

/**
 * The model run with the feedback input `fed` (row-major [rows, steps, ...],
 * the other inputs the target's own): the source p at every row and step,
 * laid out the same way. It may return a view the next call overwrites.
 */
export type RunFed = (fed: Buf) => ArrayLike<number>;

/**
 * x for `rows` series of `steps` steps of `per` values each, generated closed
 * loop: `steps` runs of the model, each fixing one more step of x to the
 * prediction there (one more run on the first step checks causality).
 * Returns x, [rows, steps, per] row-major, which is then p at every step.
 */
export function closedLoop(run: RunFed, fb: Feedback, rows: number, steps: number, per: number, precision: "f32" | "f64" = "f32"): Buf {
  const span = steps * per;
  const fed = precision === "f64" ? new Float64Array(rows * span) : new Float32Array(rows * span);
  /** Sets x at step 0 of every row to `v`. */
  const fillFirst = (v: number) => {
    for (let r = 0; r < rows; r++) fed.fill(v, r * span, r * span + per);
  };
  for (let t = 0; t < steps; t++) {
    const p = Float64Array.from(run(fed));
    if (t === 0) {
      // Causality: p[0] must not change when x[0] does.
      fillFirst(1);
      const q = run(fed);
      let moved = false;
      for (let r = 0; r < rows && !moved; r++) {
        for (let i = r * span; i < r * span + per; i++) if (Math.abs(q[i]! - p[i]!) > 1e-6 * (1 + Math.abs(q[i]!))) moved = true;
      }
      fillFirst(0);
      if (moved) throw new ClosedLoopError(`${fb.source} at a step reads ${fb.input} at the same step, so it cannot be fed back: read ${fb.input} through a delay (shift<1>(${fb.input}))`);
    }
    for (let r = 0; r < rows; r++) {
      const at = r * span + t * per;
      fed.set(p.subarray(at, at + per), at);
    }
  }
  return fed;
}

/** Numbers (in nested arrays) rounded to `digits` decimals, as seqc prints values for people (predict, sample). */
export function roundDeep(v: unknown, digits: number): unknown {
  if (typeof v === "number") return Number(v.toFixed(digits));
  if (Array.isArray(v)) return v.map((x) => roundDeep(x, digits));
  return v;
}

/**
 * The field the closed and open loop are measured against: the target a
 * builtin loss compares the source with, else (a loss written as an
 * expression, e.g. a Huber loss) the fed-back input's observed values, which
 * the source stands for when fed back.
 */
export function errorField(fb: Feedback, lossTarget: string | undefined): string {
  return lossTarget ?? fb.input;
}

/**
 * What closed-loop sampling prints: one line per example on stdout (its
 * number and generated series, in the data's order), and on stderr the
 * root-mean-square error of closed and open loop against `target`
 * (errorField).
 */
export class ClosedLoopReport {
  private readonly lines = new Map<number, string>();
  private readonly sq = { closed: 0, open: 0, n: 0 };

  constructor(
    private readonly fb: Feedback,
    private readonly target: string,
    private readonly json: boolean,
  ) {}

  /** Example `index` (0-based in the data): its closed-loop series, the open-loop (teacher forcing) one and its target, each flat. */
  add(index: number, closed: ArrayLike<number>, open: ArrayLike<number>, target?: ArrayLike<number>): void {
    if (target) {
      for (let i = 0; i < closed.length; i++) {
        this.sq.closed += (closed[i]! - target[i]!) ** 2;
        this.sq.open += (open[i]! - target[i]!) ** 2;
      }
      this.sq.n += closed.length;
    }
    const row = Array.from(closed);
    this.lines.set(index, this.json ? JSON.stringify({ example: index + 1, output: row }) : `${index + 1}\t${JSON.stringify(roundDeep(row, 4))}`);
  }

  /** The stdout text: a line per example, by example. */
  output(): string {
    return [...this.lines].sort(([a], [b]) => a - b).map(([, line]) => line).join("\n") + "\n";
  }

  /** The stderr line of the errors, or undefined without a target. */
  summary(): string | undefined {
    if (this.sq.n === 0) return undefined;
    const rmse = (s: number) => Math.sqrt(s / this.sq.n).toFixed(5);
    return `closed loop (${this.fb.source} fed back as ${this.fb.input}): rmse ${rmse(this.sq.closed)} against ${this.target}; open loop (teacher forcing): ${rmse(this.sq.open)}\n`;
  }
}
